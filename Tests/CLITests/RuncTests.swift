import Foundation
import XCTest
import TestSupport

/// The real runtime: runc runs a busybox container under the profile seccomp-observe
/// made from watching that very container (runc, its init and the command, as one
/// process tree); without one call the command needs, it fails as the profile says.
final class RuncTests: XCTestCase {
    var bundle: URL!

    override func setUpWithError() throws {
        let missing = ["/usr/sbin/runc", "/usr/bin/busybox"].filter { !FileManager.default.isExecutableFile(atPath: $0) }
        if geteuid() != 0 || !missing.isEmpty {
            let reason = geteuid() != 0 ? "runc containers need root" : "missing \(missing.joined(separator: ", ")) (make deps installs runc and busybox-static)"
            try TestEnvironment.unavailable(reason)
        }
        bundle = try TestEnvironment.makeScratch("runc")
        let bin = bundle.appendingPathComponent("rootfs/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        for dir in ["proc", "dev", "sys", "tmp"] {
            try FileManager.default.createDirectory(at: bundle.appendingPathComponent("rootfs/" + dir), withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: "/usr/bin/busybox", toPath: bin.appendingPathComponent("busybox").path)
        for applet in ["sh", "echo", "mkdir"] {
            try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent(applet).path, withDestinationPath: "busybox")
        }
        let spec = Process()
        spec.executableURL = URL(fileURLWithPath: "/usr/sbin/runc")
        spec.arguments = ["spec"]
        spec.currentDirectoryURL = bundle
        try spec.run()
        spec.waitUntilExit()
        XCTAssertEqual(spec.terminationStatus, 0)
    }

    override func tearDownWithError() throws {
        if let bundle { try? FileManager.default.removeItem(at: bundle) }
    }

    /// Writes config.json: the command, a writable root, and the seccomp section (if any).
    func configure(seccomp: [String: Any]?) throws {
        let path = bundle.appendingPathComponent("config.json")
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any])
        var process = try XCTUnwrap(config["process"] as? [String: Any])
        process["terminal"] = false
        process["args"] = ["/bin/sh", "-c", "echo hello from busybox; mkdir /tmp/made && echo made"]
        config["process"] = process
        var root = try XCTUnwrap(config["root"] as? [String: Any])
        root["readonly"] = false
        config["root"] = root
        var linux = try XCTUnwrap(config["linux"] as? [String: Any])
        linux["seccomp"] = seccomp
        config["linux"] = linux
        try JSONSerialization.data(withJSONObject: config).write(to: path)
        try? FileManager.default.removeItem(at: bundle.appendingPathComponent("rootfs/tmp/made"))
    }

    func runc(_ id: String) throws -> ToolProcess.Result {
        try ToolProcess.run("/usr/sbin/runc", ["run", "-b", bundle.path, id], in: bundle)
    }

    func testObservedProfileRunsTheContainerAndOneCallLessFailsAsTheProfileSays() throws {
        try configure(seccomp: nil)
        // Observe the whole launch as a process tree: a shell that waits, then becomes runc.
        let launcher = Process()
        launcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        launcher.arguments = ["-c", "read go; exec /usr/sbin/runc run -b \(bundle.path) observed-\(getpid())"]
        let input = Pipe(), output = Pipe()
        launcher.standardInput = input
        launcher.standardOutput = output
        try launcher.run()
        let profilePath = bundle.appendingPathComponent("observed.seccomp.json").path
        let (observer, _, err) = try ToolProcess.start(ToolProcess.binary("seccomp-observe"),
                                                       ["--pid", String(launcher.processIdentifier), "--duration", "60s", "-o", profilePath],
                                                       in: bundle)
        ToolProcess.waitUntil(seconds: 5) { ToolProcess.file(err, contains: "Tracing syscalls") }
        input.fileHandleForWriting.write(Data("go\n".utf8))
        let seen = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        launcher.waitUntilExit()
        kill(observer.processIdentifier, SIGINT)
        observer.waitUntilExit()
        XCTAssertEqual(launcher.terminationStatus, 0)
        XCTAssertEqual(seen, "hello from busybox\nmade\n")
        XCTAssertEqual(observer.terminationStatus, 0, (try? String(contentsOf: err, encoding: .utf8)) ?? "")

        let profile = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: profilePath))) as? [String: Any])
        try configure(seccomp: profile)
        let confined = try runc("confined-\(getpid())")
        XCTAssertEqual(confined.status, 0, confined.stderr)
        XCTAssertEqual(confined.stdout, "hello from busybox\nmade\n")

        // Without mkdir, which only the container's command makes: EPERM, as the profile's default says.
        var reduced = profile
        var entries = try XCTUnwrap(profile["syscalls"] as? [[String: Any]])
        entries = entries.map { entry in
            var e = entry
            e["names"] = (entry["names"] as? [String] ?? []).filter { $0 != "mkdir" && $0 != "mkdirat" }
            return e
        }
        reduced["syscalls"] = entries
        try configure(seccomp: reduced)
        let denied = try runc("reduced-\(getpid())")
        XCTAssertEqual(denied.stdout, "hello from busybox\n")
        XCTAssertTrue(denied.stderr.contains("Operation not permitted"), denied.stderr)
        XCTAssertNotEqual(denied.status, 0)
    }
}
