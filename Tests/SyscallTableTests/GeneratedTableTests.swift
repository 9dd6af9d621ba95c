import Foundation
import XCTest

final class GeneratedTableTests: XCTestCase {
    /// …/Tests/SyscallTableTests/GeneratedTableTests.swift → package root.
    private var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func testGeneratedTableIsCurrentWithData() throws {
        let script = packageRoot.appendingPathComponent("tools/gen-syscall-table.py")
        guard FileManager.default.fileExists(atPath: script.path) else {
            throw XCTSkip("generator not found at \(script.path)")
        }
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3", "/opt/homebrew/bin/python3"]
            .first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("python3 not installed")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, "--check"]
        process.currentDirectoryURL = packageRoot
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "gen-syscall-table.py --check: \(message)")
    }
}
