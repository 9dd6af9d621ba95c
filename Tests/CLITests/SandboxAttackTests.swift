import Foundation
import XCTest
import TestSupport

/// seccomp-sandbox attacked the way a hostile confined program would: every deny
/// must come from the kernel, and nothing the program can reach (its supervisor,
/// the listener, the filter cache, the profile file) can undo one.
/// Each test here failed against the sandbox that answered denials from user space.
final class SandboxAttackTests: XCTestCase {
    static var helpers: String { SeccompSandboxCLITests.helpers }
    var scratch: URL!

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("attack tests run the sandbox as root and as nobody: run as root") }
        scratch = try TestEnvironment.makeScratch("attack")
        chmod(scratch.path, 0o777)  // the runs as nobody write here too
        guard FileManager.default.isExecutableFile(atPath: Self.helpers + "/hostile") else {
            try TestEnvironment.unavailable("helpers not built: make helpers")
        }
    }

    override func tearDownWithError() throws {
        TestEnvironment.removeScratch(scratch)
    }

    func profile(_ json: String, named name: String = "p.json") throws -> String {
        let path = scratch.appendingPathComponent(name).path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        return path
    }

    /// Runs seccomp-sandbox (as root, or as nobody through setpriv).
    func run(_ arguments: [String], asNobody: Bool = false, cache: String? = nil,
             environment: [String: String] = [:]) throws -> ToolProcess.Result {
        var env = environment
        env["SECCOMP_FORGE_CACHE"] = cache ?? scratch.appendingPathComponent("cache").path
        let sandbox = ToolProcess.binary("seccomp-sandbox")
        if asNobody {
            return try ToolProcess.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", sandbox] + arguments,
                                       in: scratch, environment: env)
        }
        return try ToolProcess.run(sandbox, arguments, in: scratch, environment: env)
    }

    /// ALLOW by default; mkdir fails with EPERM; ptrace kills the process.
    let denyList = #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"},{"names":["ptrace"],"action":"SCMP_ACT_KILL_PROCESS"}]}"#

    /// A command that ignores, blocks, handles or inherits an ignored SIGSYS is
    /// still killed at the call: the kernel kills, no signal of ours is involved.
    func testSigsysIgnoredBlockedHandledOrInheritedCannotStopAKill() throws {
        let p = try profile(denyList)
        let hostile = Self.helpers + "/hostile"
        let commands = [[hostile, "sigsys-ignore"], [hostile, "sigsys-block"], [hostile, "sigsys-handle"],
                        ["/bin/sh", "-c", "trap '' SYS; exec \(hostile) sigsys-block"]]
        for command in commands {
            let result = try run(["--profile", p, "--"] + command)
            XCTAssertEqual(result.status, 159, "\(command): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(command): the code after the call ran")
            XCTAssertEqual(result.stderr, "[\(command[0].split(separator: "/").last!)] Killed: syscall ptrace blocked by seccomp filter\n")
        }
    }

    /// The program tries, as the same user, to write its supervisor's memory and to
    /// take its descriptors (a seccomp listener among them) with pidfd_getfd. A
    /// positive control shows the probe succeeds against an ordinary parent.
    func testNoSupervisorIsWritableOrLendsItsDescriptorsInEitherMode() throws {
        let hostile = Self.helpers + "/hostile"
        let control = try ToolProcess.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "/bin/sh", "-c", "\(hostile) steal; true"],
                                          in: scratch)
        XCTAssertTrue(control.stdout.contains("mem-writable"), "the probe cannot even reach an ordinary parent: \(control.stdout)")
        let allowAll = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#)
        for mode in ["enforce", "complain"] {
            let result = try run(["--profile", allowAll, "--mode", mode, "--", hostile, "steal"], asNobody: true)
            XCTAssertEqual(result.status, 0, "\(mode): \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("mem-refused 13"), "\(mode): \(result.stdout)")
            XCTAssertFalse(result.stdout.contains("listener-taken"), "\(mode): \(result.stdout)")
            XCTAssertTrue(result.stdout.contains("getfd taken=0 refused-errno=1"), "\(mode): \(result.stdout)")
        }
    }

    /// A background process outlives the command's main process and the sandbox:
    /// its denied call still fails with the profile's errno and its killed call still kills.
    func testBackgroundProcessAfterTheCommandExitedIsStillConfined() throws {
        let p = try profile(denyList)
        let out = scratch.appendingPathComponent("background.txt")
        let result = try run(["--profile", p, "--", Self.helpers + "/hostile", "background", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(ToolProcess.waitUntil(seconds: 10) { ToolProcess.file(out, contains: "mkdir") }, "the background process never wrote")
        usleep(300_000)
        let text = try String(contentsOf: out, encoding: .utf8)
        XCTAssertEqual(text, "mkdir ret=-1 errno=1\n", "the background process got another answer, or survived ptrace")
    }

    /// Complain mode waits for every process holding the filter and records the calls
    /// of a background process that outlived the command's main process.
    func testComplainModeRecordsBackgroundProcesses() throws {
        let p = try profile(denyList)
        let out = scratch.appendingPathComponent("background.txt")
        let result = try run(["--profile", p, "--mode", "complain", "--", Self.helpers + "/hostile", "background", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try String(contentsOf: out, encoding: .utf8), "mkdir ret=-1 errno=2\nsurvived\n", "complain mode let both calls run")
        XCTAssertTrue(result.stderr.contains("  mkdir SCMP_ARCH_X86_64 1\n"), result.stderr)
        XCTAssertTrue(result.stderr.contains("  ptrace SCMP_ARCH_X86_64 1\n"), result.stderr)
    }

    /// An entry planted under the right key is loaded only from a directory (and file)
    /// of the effective user's that nobody else can write. The positive control plants
    /// the same entry in such a directory and sees it used.
    func testCacheEntryPlantedByAnotherUserIsNotLoaded() throws {
        let denies = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#)
        let allows = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getuid"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#, named: "q.json")
        let probe = [Self.helpers + "/syscall-probe", "getppid"]
        let trusted = scratch.appendingPathComponent("trusted").path, other = scratch.appendingPathComponent("other").path
        XCTAssertEqual(try run(["--profile", denies, "--"] + probe, cache: trusted).stdout, "getppid ret=-1 errno=13\n")
        XCTAssertEqual(try run(["--profile", allows, "--"] + probe, cache: other).stdout.hasSuffix("errno=0\n"), true)
        let entryName = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: trusted).first { $0.hasSuffix(".filter") })
        let otherName = try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: other).first { $0.hasSuffix(".filter") })
        // The forged entry: the permissive filter, relabelled with the key of the denying profile.
        var forged = try [UInt8](Data(contentsOf: URL(fileURLWithPath: other + "/" + otherName)))
        let real = try [UInt8](Data(contentsOf: URL(fileURLWithPath: trusted + "/" + entryName)))
        forged.replaceSubrange(4..<36, with: real[4..<36])
        func plant(mode: mode_t, owner: uid_t, directoryOwner: uid_t, directoryMode: mode_t) throws {
            let path = trusted + "/" + entryName
            unlink(path)
            try Data(forged).write(to: URL(fileURLWithPath: path))
            chmod(path, mode)
            chown(path, owner, owner)
            chown(trusted, directoryOwner, directoryOwner)
            chmod(trusted, directoryMode)
        }
        try plant(mode: 0o600, owner: 0, directoryOwner: 0, directoryMode: 0o700)
        XCTAssertTrue(try run(["--profile", denies, "--"] + probe, cache: trusted).stdout.hasSuffix("errno=0\n"),
                      "positive control: a planted entry in our own directory is used (so the checks below are what refuse it)")
        for (mode, owner, directoryOwner, directoryMode) in [(mode_t(0o600), uid_t(65534), uid_t(65534), mode_t(0o700)),
                                                              (0o600, 0, 65534, 0o755), (0o600, 65534, 0, 0o700),
                                                              (0o666, 0, 0, 0o700), (0o600, 0, 0, 0o777)] {
            try plant(mode: mode, owner: owner, directoryOwner: directoryOwner, directoryMode: directoryMode)
            let result = try run(["--profile", denies, "--"] + probe, cache: trusted)
            XCTAssertEqual(result.stdout, "getppid ret=-1 errno=13\n",
                           "entry \(String(mode, radix: 8)) owned by \(owner) in a directory \(String(directoryMode, radix: 8)) owned by \(directoryOwner) was loaded")
        }
    }

    /// The profile is a FIFO that gives one profile to its first reader and another to
    /// any later one: the filter is always the one for the bytes the sandbox hashed.
    func testProfileSwappedBetweenReadsNeverYieldsAnotherFilter() throws {
        let first = #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#
        let second = #"{"defaultAction":"SCMP_ACT_ALLOW"}"#
        let fifo = scratch.appendingPathComponent("profile.json").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let writer = Thread {
            for (index, text) in [first, second].enumerated() {
                // The first reader blocks until we open; a later one must arrive within 3 s.
                var fd: Int32 = -1
                let deadline = Date().addingTimeInterval(index == 0 ? 30 : 3)
                while fd < 0 && Date() < deadline {
                    fd = open(fifo, O_WRONLY | O_NONBLOCK)
                    if fd < 0 { usleep(5_000) }
                }
                guard fd >= 0 else { return }
                _ = fcntl(fd, F_SETFL, 0)
                _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
                // Let that reader see the end of its profile before any later reader is served.
                usleep(300_000)
            }
        }
        writer.start()
        let result = try run(["--profile", fifo, "--", Self.helpers + "/syscall-probe", "getppid"])
        XCTAssertEqual(result.stdout, "getppid ret=-1 errno=13\n", result.stderr)
        // The entry it cached is the one for those bytes: a regular file with them meets it.
        let copy = try profile(first, named: "copy.json")
        let cache = scratch.appendingPathComponent("cache").path
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache)
        XCTAssertEqual(try run(["--profile", copy, "--", Self.helpers + "/syscall-probe", "getppid"]).stdout, "getppid ret=-1 errno=13\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache), entries, "the same bytes found the same entry")
    }

    /// SCMP_ACT_NOTIFY never fakes success: without a listenerPath the profile is
    /// refused (as runc does); with one, the listener goes to the agent there with
    /// runc's state message, and a call the agent does not answer fails (ENOSYS).
    func testNotifyGoesToTheAgentOrIsRefused() throws {
        let refused = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_NOTIFY"}]}"#)
        let a = try run(["--profile", refused, "--", Self.helpers + "/syscall-probe", "getppid"])
        XCTAssertEqual(a.status, 125)
        XCTAssertEqual(a.stdout, "")
        XCTAssertTrue(a.stderr.hasSuffix("SCMP_ACT_NOTIFY needs a listenerPath (the agent that answers those calls); runc refuses such a profile too\n"), a.stderr)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("python3 (the test's agent) is missing") }
        let socket = scratch.appendingPathComponent("agent.sock").path
        let received = scratch.appendingPathComponent("agent.json").path
        let agentScript = """
        import socket, sys, os
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
        c, _ = s.accept()
        msg, fds, _, _ = socket.recv_fds(c, 65536, 4)
        kind = os.readlink("/proc/self/fd/%d" % fds[0]) if fds else "none"
        open(sys.argv[2], "w").write(msg.decode() + "\\n" + kind + "\\n")
        for fd in fds: os.close(fd)
        """
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        agent.arguments = ["-c", agentScript, socket, received]
        try agent.run()
        defer { if agent.isRunning { agent.terminate() } }
        XCTAssertTrue(ToolProcess.waitUntil(seconds: 10) { FileManager.default.fileExists(atPath: socket) })
        let p = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"\#(socket)","listenerMetadata":"m-1","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_NOTIFY"}]}"#, named: "n.json")
        let b = try run(["--profile", p, "--", Self.helpers + "/syscall-probe", "getppid"])
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertEqual(b.stdout, "getppid ret=-1 errno=38\n", "an unanswered notification must fail the call, never succeed")
        agent.waitUntilExit()
        let message = try String(contentsOfFile: received, encoding: .utf8)
        XCTAssertTrue(message.contains(#""fds":["seccompFd"]"#), message)
        XCTAssertTrue(message.contains(#""metadata":"m-1""#), message)
        XCTAssertTrue(message.contains("anon_inode:seccomp notify"), message)
    }
}
