import Foundation
import XCTest

/// What every suite asks of the machine it runs on: where the package and the built
/// helpers are, whether this is CI, and a scratch directory of its own.
public enum TestEnvironment {
    /// The package's root (this file is Tests/TestSupport/TestEnvironment.swift).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `CI=true`: a test that cannot reach what it needs fails instead of skipping.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The test helpers (make helpers): `.build/helpers`, or where SECCOMP_FORGE_HELPERS says.
    public static var helpers: String {
        ProcessInfo.processInfo.environment["SECCOMP_FORGE_HELPERS"] ?? packageRoot.appendingPathComponent(".build/helpers").path
    }

    /// The gate of a test that needs something this machine lacks: a failure in CI (naming
    /// it), elsewhere a skip that says why.
    public static func unavailable(_ reason: String, file: StaticString = #filePath, line: UInt = #line) throws -> Never {
        if isCI { XCTFail("CI=true and " + reason, file: file, line: line) }
        throw XCTSkip(reason)
    }

    /// `unavailable(reason)` unless `condition` holds.
    public static func require(_ condition: Bool, _ reason: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) throws {
        if !condition { try unavailable(reason(), file: file, line: line) }
    }

    /// Root and the kernel's BTF: what the observer's tests need.
    public static func requireObserver(file: StaticString = #filePath, line: UInt = #line) throws {
        try require(geteuid() == 0 && FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux"),
                    "the observer cannot run here (root and BTF needed)", file: file, line: line)
    }

    /// A new directory under the system's temporary one, `PREFIX-UUID`; the caller removes it
    /// (`removeScratch`, in tearDown, so a failing test leaves nothing behind).
    public static func makeScratch(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    public static func removeScratch(_ url: URL?) {
        if let url { try? FileManager.default.removeItem(at: url) }
    }
}
