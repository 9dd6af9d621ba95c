import Foundation
import XCTest
import TestSupport

/// `seccomp-observe oci-hook` as podman's trace-syscall hook, on real podman with runc and a
/// root filesystem directory: the profile it writes runs the same container; the classic
/// story (trace `ls /`, `ls -l /` then fails with EPERM, trace `ls -l /`, it runs); `if:`
/// merging keeps what the base blocks; a hook failure never stops a container; and runc
/// alone, with the hooks in config.json.
final class OCIHookTests: XCTestCase {
    var scratch: URL!
    var hooks: URL!

    override func setUpWithError() throws {
        try ToolProcess.requireKernelTest(rootFor: "podman and the observer need root",
                                          tools: ["/usr/bin/podman", "/usr/sbin/runc", "/usr/bin/busybox", "/bin/ls"],
                                          install: "make deps installs podman, runc and busybox-static")
        scratch = try TestEnvironment.makeScratch("hook")
        hooks = scratch.appendingPathComponent("hooks.d")
        try FileManager.default.createDirectory(at: hooks, withIntermediateDirectories: true)
        // The shipped hook description, pointing at the built binary.
        let shipped = try String(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("deploy/oci-hooks/seccomp-forge-trace.json"), encoding: .utf8)
        try shipped.replacingOccurrences(of: "/usr/local/bin/seccomp-observe", with: ToolProcess.binary("seccomp-observe"))
            .write(to: hooks.appendingPathComponent("seccomp-forge-trace.json"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        TestEnvironment.removeScratch(scratch)
    }

    /// A root filesystem with busybox and GNU ls (with the libraries it loads).
    func rootfs() throws -> URL {
        let root = scratch.appendingPathComponent("rootfs")
        let fm = FileManager.default
        for dir in ["bin", "proc", "dev", "sys", "tmp", "etc"] {
            try fm.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: "/usr/bin/busybox", toPath: root.appendingPathComponent("bin/busybox").path)
        for applet in ["sh", "echo", "cat"] { try fm.createSymbolicLink(atPath: root.appendingPathComponent("bin/\(applet)").path, withDestinationPath: "busybox") }
        try fm.copyItem(atPath: "/bin/ls", toPath: root.appendingPathComponent("bin/ls").path)
        let ldd = try ToolProcess.run("/usr/bin/ldd", ["/bin/ls"], in: scratch)
        for path in ldd.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init) where path.hasPrefix("/") {
            let target = root.appendingPathComponent(String(path.dropFirst()))
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !fm.fileExists(atPath: target.path) { try fm.copyItem(atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path, toPath: target.path) }
        }
        try "root:x:0:0:root:/root:/bin/sh\n".write(to: root.appendingPathComponent("etc/passwd"), atomically: true, encoding: .utf8)
        try "root:x:0:\n".write(to: root.appendingPathComponent("etc/group"), atomically: true, encoding: .utf8)
        return root
    }

    func podman(_ options: [String], _ command: [String], rootfs: URL) throws -> ToolProcess.Result {
        try ToolProcess.run("/usr/bin/podman", ["--hooks-dir", hooks.path, "run", "--rm", "--runtime", "runc", "--network", "none",
                                                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000"] + options
                                                + ["--rootfs", rootfs.path] + command, in: scratch)
    }

    func trace(_ command: [String], to out: URL, base: URL? = nil, rootfs: URL) throws -> ToolProcess.Result {
        let value = (base.map { "if:\($0.path);" } ?? "") + "of:\(out.path)"
        return try podman(["--annotation", "io.containers.trace-syscall=\(value)"], command, rootfs: rootfs)
    }

    func testTheClassicStoryOnPodman() throws {
        let root = try rootfs()
        let ls = scratch.appendingPathComponent("ls.json"), lsl = scratch.appendingPathComponent("ls-l.json")
        let traced = try trace(["/bin/ls", "/"], to: ls, rootfs: root)
        XCTAssertEqual(traced.status, 0, traced.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: ls.path), "the profile is written by the time podman returns: \(traced.stderr)")

        let confined = try podman(["--security-opt", "seccomp=\(ls.path)"], ["/bin/ls", "/"], rootfs: root)
        XCTAssertEqual(confined.status, 0, confined.stderr + ((try? String(contentsOf: ls, encoding: .utf8)) ?? ""))
        XCTAssertTrue(confined.stdout.contains("bin"), confined.stdout)

        let longer = try podman(["--security-opt", "seccomp=\(ls.path)"], ["/bin/ls", "-l", "/"], rootfs: root)
        XCTAssertTrue(longer.stderr.contains("Operation not permitted"), "ls -l needs calls ls does not make: \(longer.stderr)")

        XCTAssertEqual(try trace(["/bin/ls", "-l", "/"], to: lsl, rootfs: root).status, 0)
        let fixed = try podman(["--security-opt", "seccomp=\(lsl.path)"], ["/bin/ls", "-l", "/"], rootfs: root)
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        XCTAssertFalse(fixed.stderr.contains("Operation not permitted"), fixed.stderr)
        XCTAssertTrue(fixed.stdout.contains("root"), fixed.stdout)

        // runc's set-up stays out; what it calls under the filter podman gave it is in.
        let profile = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: lsl)) as? [String: Any])
        let allowed = Set(((profile["syscalls"] as? [[String: Any]]) ?? []).filter { $0["action"] as? String == "SCMP_ACT_ALLOW" }
            .flatMap { $0["names"] as? [String] ?? [] })
        for call in ["mount", "pivot_root", "sethostname", "unshare", "umount2"] { XCTAssertFalse(allowed.contains(call), call) }
        XCTAssertTrue(allowed.contains("execve"))
        // podman leaves no-new-privileges off: runc installs the filter, then drops privileges under it.
        for call in ["capset", "setuid", "setgroups"] { XCTAssertTrue(allowed.contains(call), "runc's \(call) under the filter: \(allowed.sorted())") }
    }

    func testBaseProfileIsMergedAndWhatItBlocksStaysBlocked() throws {
        let root = try rootfs()
        let base = scratch.appendingPathComponent("base.json"), out = scratch.appendingPathComponent("merged.json")
        try """
        {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"],
         "syscalls": [{"names": ["read", "write", "kexec_load"], "action": "SCMP_ACT_ALLOW"},
                      {"names": ["statx", "newfstatat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
        """.write(to: base, atomically: true, encoding: .utf8)
        XCTAssertEqual(try trace(["/bin/ls", "/"], to: out, base: base, rootfs: root).status, 0)
        let merged = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        let entries = try XCTUnwrap(merged["syscalls"] as? [[String: Any]])
        XCTAssertEqual(entries.count, 3, "the base's two entries and one of added calls: \(entries)")
        XCTAssertEqual(entries[0]["names"] as? [String], ["read", "write", "kexec_load"], "base entries kept as they are")
        XCTAssertEqual(entries[1]["action"] as? String, "SCMP_ACT_ERRNO")
        let added = Set(entries[2]["names"] as? [String] ?? [])
        XCTAssertTrue(added.contains("openat") && added.contains("getdents64"), "\(added)")
        XCTAssertFalse(added.contains("statx") || added.contains("newfstatat"), "blocked by the base, so not added: \(added)")
        XCTAssertFalse(added.contains("read"), "already allowed by the base")
    }

    func testHookFailureNeverStopsTheContainer() throws {
        let root = try rootfs()
        for value in ["of:/nonexistent-directory-\(UUID().uuidString)/out.json", "garbage", "if:relative.json;of:\(scratch.path)/x.json"] {
            let ran = try podman(["--annotation", "io.containers.trace-syscall=\(value)"], ["/bin/sh", "-c", "echo still runs"], rootfs: root)
            XCTAssertEqual(ran.status, 0, "\(value): \(ran.stderr)")
            XCTAssertEqual(ran.stdout, "still runs\n", value)
        }
        // Without the annotation the hook is not even run (hooks.d's "when"), and with a bad state it exits 0.
        let direct = Process()
        direct.executableURL = URL(fileURLWithPath: ToolProcess.binary("seccomp-observe"))
        direct.arguments = ["oci-hook"]
        let input = Pipe()
        direct.standardInput = input
        direct.standardError = FileHandle.nullDevice
        try direct.run()
        input.fileHandleForWriting.write(Data("not json".utf8))
        try input.fileHandleForWriting.close()
        direct.waitUntilExit()
        XCTAssertEqual(direct.terminationStatus, 0)
    }

    func testRuncAloneWithTheHooksInConfig() throws {
        let bundle = scratch.appendingPathComponent("bundle")
        try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
        let root = try rootfs()
        try FileManager.default.moveItem(at: root, to: bundle.appendingPathComponent("rootfs"))
        XCTAssertEqual(try ToolProcess.run("/usr/sbin/runc", ["spec"], in: scratch, directory: bundle).status, 0)
        let out = scratch.appendingPathComponent("runc.json")
        func configure(seccomp: Any?, traced: Bool) throws {
            let url = bundle.appendingPathComponent("config.json")
            var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            var process = try XCTUnwrap(config["process"] as? [String: Any])
            process["terminal"] = false
            process["args"] = ["/bin/ls", "/"]
            config["process"] = process
            var linux = try XCTUnwrap(config["linux"] as? [String: Any])
            linux["seccomp"] = seccomp
            config["linux"] = linux
            let hook: [String: Any] = ["path": ToolProcess.binary("seccomp-observe"), "args": ["seccomp-observe", "oci-hook"]]
            config["hooks"] = traced ? ["prestart": [hook], "poststop": [hook]] : nil
            config["annotations"] = traced ? ["io.containers.trace-syscall": "of:\(out.path)"] : nil
            try JSONSerialization.data(withJSONObject: config).write(to: url)
        }
        try configure(seccomp: nil, traced: true)
        let traced = try ToolProcess.run("/usr/sbin/runc", ["run", "-b", bundle.path, "hook-\(UUID().uuidString.prefix(8))"], in: scratch)
        XCTAssertEqual(traced.status, 0, traced.stderr)
        let profile = try JSONSerialization.jsonObject(with: Data(contentsOf: out))
        try configure(seccomp: profile, traced: false)
        let confined = try ToolProcess.run("/usr/sbin/runc", ["run", "-b", bundle.path, "hook-\(UUID().uuidString.prefix(8))"], in: scratch)
        XCTAssertEqual(confined.status, 0, confined.stderr + ((try? String(contentsOf: out, encoding: .utf8)) ?? ""))
        XCTAssertTrue(confined.stdout.contains("bin"), confined.stdout)
    }
}
