import Foundation
import XCTest

/// Runs one of the built tools as a user would, capturing what it prints.
public struct ToolProcess {
    public struct Result {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    public static var packageRoot: URL { TestEnvironment.packageRoot }

    /// `.build/release/NAME`, or where SECCOMP_FORGE_BIN says the binaries are.
    public static func binary(_ name: String) -> String {
        (ProcessInfo.processInfo.environment["SECCOMP_FORGE_BIN"] ?? packageRoot.appendingPathComponent(".build/release").path) + "/" + name
    }

    /// The test helpers (make helpers): `.build/helpers`, or where SECCOMP_FORGE_HELPERS says.
    public static var helpers: String {
        ProcessInfo.processInfo.environment["SECCOMP_FORGE_HELPERS"] ?? packageRoot.appendingPathComponent(".build/helpers").path
    }

    /// Starts `executable` with stdout and stderr going to files in `scratch`.
    public static func start(_ executable: String, _ arguments: [String], in scratch: URL, environment: [String: String] = [:],
                      directory: URL? = nil) throws -> (Process, stdout: URL, stderr: URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = scratch.appendingPathComponent("stdout-\(UUID().uuidString)")
        let err = scratch.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, out, err)
    }

    /// The gate a kernel test class opens with: root (`rootFor` says why), BTF, the tools it
    /// runs (`install` says how to get them) and any `more` it needs (a reason when it is
    /// missing). In CI a missing piece is a failure; elsewhere a skip that names it.
    public static func requireKernelTest(rootFor: String, tools: [String], install: String, more: (() -> String?)? = nil) throws {
        var reason: String?
        if geteuid() != 0 { reason = rootFor }
        else if let missing = tools.first(where: { !FileManager.default.isExecutableFile(atPath: $0) }) { reason = "\(missing) is missing (\(install))" }
        else if !FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") { reason = "no BTF" }
        else { reason = more?() }
        if let reason { try TestEnvironment.unavailable(reason) }
    }

    /// Polls `condition` every 10 ms for up to `seconds`; returns whether it came true.
    @discardableResult
    public static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { return false }
            usleep(10_000)
        }
        return true
    }

    /// Whether the file (a started tool's output) holds `text` yet.
    public static func file(_ url: URL, contains text: String) -> Bool {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").contains(text)
    }

    public static func run(_ executable: String, _ arguments: [String], in scratch: URL, environment: [String: String] = [:],
                    directory: URL? = nil) throws -> Result {
        let (process, out, err) = try start(executable, arguments, in: scratch, environment: environment, directory: directory)
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                      stderr: try String(contentsOf: err, encoding: .utf8))
    }
}
