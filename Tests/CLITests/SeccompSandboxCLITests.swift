import Foundation
import XCTest
import TestSupport

/// `seccomp-sandbox` on real programs: the blocked call named, the profile's errno,
/// i386 calls, complain mode and --update, the exit statuses, and the seed audit
/// under the bundled container-default profile.
final class SeccompSandboxCLITests: XCTestCase {
    static let packageRoot = TestEnvironment.packageRoot
    static var helpers: String { TestEnvironment.helpers }
    /// What the static syscall-probe needs to start and exit, 64- and 32-bit.
    static let probeStartup = #"["arch_prctl","brk","execve","exit_group","getrandom","mprotect","newfstatat","prlimit64","readlink","rseq","set_robust_list","set_tid_address","write","set_thread_area","statx","ugetrlimit"]"#
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try TestEnvironment.makeScratch("sandbox")
        guard FileManager.default.isExecutableFile(atPath: Self.helpers + "/syscall-probe") else {
            try TestEnvironment.unavailable("helpers not built: make helpers")
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func profile(_ json: String, named name: String = "p.json") throws -> String {
        let path = scratch.appendingPathComponent(name).path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func run(_ arguments: [String]) throws -> ToolProcess.Result {
        // Compiled filters are cached per test, not in the user's cache; the command runs in scratch.
        try ToolProcess.run(ToolProcess.binary("seccomp-sandbox"), arguments, in: scratch,
                            environment: ["SECCOMP_FORGE_CACHE": scratch.appendingPathComponent("cache").path], directory: scratch)
    }

    var python: String { FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3" }

    /// The seed scenario, exactly.
    func testKilledCallIsNamed() throws {
        let p = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_KILL_PROCESS"}]}"#)
        let result = try run(["--profile", p, "--", python, "-c", "import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)"])
        XCTAssertEqual(result.status, 159)
        XCTAssertEqual(result.stderr, "[python3] Killed: syscall ptrace blocked by seccomp filter\n")
    }

    func testErrnoRulesAndDefaultErrnoRet() throws {
        let p = try profile(#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":95,"syscalls":[{"names":\#(Self.probeStartup),"action":"SCMP_ACT_ALLOW"},{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":13},{"names":["getpid"],"action":"SCMP_ACT_ALLOW"}]}"#)
        let result = try run(["--profile", p, "--verbose", "--", Self.helpers + "/syscall-probe", "getppid", "getuid", "getpid"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines[0], "getppid ret=-1 errno=13")
        XCTAssertEqual(lines[1], "getuid ret=-1 errno=95")
        XCTAssertTrue(lines[2].hasPrefix("getpid ret=") && lines[2].hasSuffix("errno=0"), String(lines[2]))
        XCTAssertTrue(result.stderr.contains("[syscall-probe] Denied: syscall getppid (EACCES)"), result.stderr)
    }

    func testI386CallsFollowTheProfileAndUncoveredI386IsKilled() throws {
        let covered = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#)
        let result = try run(["--profile", covered, "--verbose", "--", Self.helpers + "/syscall-probe32", "getppid", "getpid"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("getppid ret=-1 errno=13\n"), result.stdout)
        XCTAssertTrue(result.stderr.contains("Denied: syscall getppid (x86) (EACCES)"), result.stderr)
        let uncovered = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[]}"#, named: "q.json")
        let killed = try run(["--profile", uncovered, "--", Self.helpers + "/syscall-probe32", "getpid"])
        XCTAssertEqual(killed.status, 159, killed.stderr)
        XCTAssertEqual(killed.stdout, "")
        // Its first i386 call is named, from the i386 table.
        XCTAssertTrue(killed.stderr.hasPrefix("[syscall-probe32] Killed: syscall "), killed.stderr)
        XCTAssertTrue(killed.stderr.hasSuffix(" (x86) blocked by seccomp filter\n"), killed.stderr)
    }

    func testComplainModeListsWhatEnforceWouldBlockAndUpdateFixesIt() throws {
        let p = try profile(#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":\#(Self.probeStartup),"action":"SCMP_ACT_ALLOW"}]}"#)
        let probe = [Self.helpers + "/syscall-probe", "getppid", "getuid", "getppid"]
        let enforce = try run(["--profile", p, "--"] + probe)
        XCTAssertTrue(enforce.stdout.contains("getppid ret=-1 errno=1"), enforce.stdout)
        let updated = scratch.appendingPathComponent("updated.json").path
        let complain = try run(["--profile", p, "--mode", "complain", "--update", updated, "--"] + probe)
        XCTAssertEqual(complain.status, 0, complain.stderr)
        XCTAssertFalse(complain.stdout.contains("errno=1"), "complain mode lets the calls through: \(complain.stdout)")
        XCTAssertTrue(complain.stderr.contains("complain mode: 2 syscall(s) the profile would deny:"), complain.stderr)
        XCTAssertTrue(complain.stderr.contains("  getppid SCMP_ARCH_X86_64 2"), complain.stderr)
        XCTAssertTrue(complain.stderr.contains("  getuid SCMP_ARCH_X86_64 1"), complain.stderr)
        let again = try run(["--profile", updated, "--verbose", "--"] + probe)
        XCTAssertEqual(again.status, 0)
        XCTAssertFalse(again.stdout.contains("errno=1"), again.stdout)
        XCTAssertEqual(again.stderr, "", "no denials under the updated profile")
    }

    func testEveryFailureHasItsMessageAndStatus() throws {
        let noExec = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve","execveat"],"action":"SCMP_ACT_ERRNO"}]}"#)
        let a = try run(["--profile", noExec, "--", "/bin/true"])
        XCTAssertEqual(a.status, 125)
        XCTAssertEqual(a.stderr, "seccomp-sandbox: \(noExec): /bin/true could never start: the filter answers its execve (and execveat) with ERRNO(EPERM)\n")
        let b = try run(["--profile", scratch.appendingPathComponent("absent.json").path, "--", "/bin/true"])
        XCTAssertEqual(b.status, 125)
        XCTAssertTrue(b.stderr.hasSuffix("absent.json: no such profile file\n"), b.stderr)
        let bundled = try run(["--profile", "no-such-bundled-profile", "--", "/bin/true"])
        XCTAssertEqual(bundled.status, 125)
        XCTAssertEqual(bundled.stderr, "seccomp-sandbox: no-such-bundled-profile: no bundled profile of that name\n")
        let malformed = try profile("{\"defaultAction\": ", named: "bad.json")
        let c = try run(["--profile", malformed, "--", "/bin/true"])
        XCTAssertEqual(c.status, 125)
        XCTAssertTrue(c.stderr.contains("bad.json: malformed JSON"), c.stderr)
        XCTAssertEqual(c.stderr.split(separator: "\n").count, 1)
        let allowAll = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#, named: "all.json")
        let d = try run(["--profile", allowAll, "--", "/no/such/command"])
        XCTAssertEqual(d.status, 127)
        XCTAssertEqual(d.stderr, "seccomp-sandbox: /no/such/command: command not found\n")
        let e = try run(["--profile", allowAll, "--", "definitely-not-a-command-here"])
        XCTAssertEqual(e.status, 127)
    }

    /// The seed lab's audit, under the bundled baseline: harmless calls run; reboot and
    /// kexec_load fail with EPERM. Their arguments are ones the kernel refuses anyway
    /// (EINVAL), so a broken filter could not restart this machine.
    func testContainerDefaultAudit() throws {
        let result = try run(["--profile", "container-default", "--", Self.helpers + "/syscall-probe", "getpid", "getuid", "time", "reboot", "kexec_load"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5, result.stdout)
        for allowed in lines.prefix(3) { XCTAssertTrue(allowed.hasSuffix("errno=0"), allowed) }
        XCTAssertEqual(lines[3], "reboot ret=-1 errno=1")
        XCTAssertEqual(lines[4], "kexec_load ret=-1 errno=1")
        let status = try run(["--profile", "container-default", "--", "/bin/sh", "-c", "grep ^Seccomp /proc/self/status"])
        XCTAssertEqual(status.stdout, "Seccomp:\t2\nSeccomp_filters:\t1\n")
    }

    func testRealProgramsRunUnderTheBaseline() throws {
        for command in [["/bin/ls", "-l", "/"], ["/bin/sh", "-c", "echo hi | cat"], [python, "-c", "print(6 * 7)"]] {
            let result = try run(["--profile", "container-default", "--"] + command)
            XCTAssertEqual(result.status, 0, "\(command): \(result.stderr)")
            XCTAssertFalse(result.stdout.isEmpty)
        }
    }

    /// The second launch with the same profile reuses the compiled filter and behaves the same;
    /// an edited profile is compiled afresh.
    func testCompiledFilterIsCachedAndFollowsTheProfile() throws {
        let p = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#)
        let probe = [Self.helpers + "/syscall-probe", "getppid"]
        XCTAssertEqual(try run(["--profile", p, "--"] + probe).stdout, "getppid ret=-1 errno=13\n")
        let cached = try FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent("cache").path)
        XCTAssertEqual(cached.count, 1)
        XCTAssertEqual(try run(["--profile", p, "--"] + probe).stdout, "getppid ret=-1 errno=13\n")
        _ = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":22}]}"#)
        XCTAssertEqual(try run(["--profile", p, "--"] + probe).stdout, "getppid ret=-1 errno=22\n")
    }

    /// Starts seccomp-sandbox running `script` under `sh`, as the leader of its own process
    /// group (as a shell starts a job; Foundation's Process does that); returns once the
    /// command has printed `ready`.
    func startInOwnGroup(_ sandboxArguments: [String], script: String) throws -> (Process, stdout: URL, stderr: URL) {
        let started = try ToolProcess.start(ToolProcess.binary("seccomp-sandbox"), sandboxArguments + ["--", "/bin/sh", "-c", script],
                                            in: scratch, environment: ["SECCOMP_FORGE_CACHE": scratch.appendingPathComponent("cache").path])
        let pid = started.0.processIdentifier
        let ready = ToolProcess.waitUntil(seconds: 20) { ToolProcess.file(started.stdout, contains: "ready") || !started.0.isRunning }
        guard ready && started.0.isRunning else {
            if started.0.isRunning { kill(pid, SIGKILL) }
            throw NeverReady(stderr: (try? String(contentsOf: started.stderr, encoding: .utf8)) ?? "")
        }
        // Signals for the group must never reach the test runner's own.
        guard getpgid(pid) == pid else {
            kill(pid, SIGKILL)
            throw NotAGroupLeader()
        }
        return started
    }

    struct NeverReady: Error { let stderr: String }
    struct NotAGroupLeader: Error {}

    /// Running, and not a zombie waiting to be reaped.
    func isRunning(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z")
    }

    /// Waits up to `seconds` for `process`; kills it (and fails) if it is still running.
    func finish(_ process: Process, within seconds: Double) -> Int32? {
        guard ToolProcess.waitUntil(seconds: seconds, { !process.isRunning }) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTFail("still running \(seconds) s after the signal")
            return nil
        }
        return process.terminationStatus
    }

    /// Ctrl-C reaches the whole job: the command stops, and the supervisor, which
    /// outlives it, still prints its summary and writes the --update profile.
    func testInterruptInComplainModeStillWritesTheUpdate() throws {
        let p = try profile(#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["execve"],"action":"SCMP_ACT_ALLOW"}]}"#)
        let updated = scratch.appendingPathComponent("updated.json")
        let (process, _, stderr) = try startInOwnGroup(["--profile", p, "--mode", "complain", "--update", updated.path],
                                                       script: "\(Self.helpers)/syscall-probe time; echo ready; exec sleep 60")
        XCTAssertEqual(kill(-process.processIdentifier, SIGINT), 0)
        XCTAssertEqual(finish(process, within: 10), 130)
        let report = try String(contentsOf: stderr, encoding: .utf8)
        // The time syscall: the probe's one call, which neither sh nor sleep makes.
        XCTAssertTrue(report.contains("  time SCMP_ARCH_X86_64 1\n"), report)
        XCTAssertTrue(report.contains("wrote \(updated.path) with"), report)
        let written = try String(contentsOf: updated, encoding: .utf8)
        XCTAssertTrue(written.contains("\"time\""), written)
    }

    /// A signal sent to the supervisor alone (a service manager's SIGTERM) is passed on.
    func testTerminateIsPassedToTheCommand() throws {
        let allowAll = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#)
        let (process, _, _) = try startInOwnGroup(["--profile", allowAll], script: "echo ready; exec sleep 60")
        XCTAssertEqual(kill(process.processIdentifier, SIGTERM), 0)
        XCTAssertEqual(finish(process, within: 10), 128 + SIGTERM)
    }

    /// The command does not run on without the sandbox that started it (as under a shell's job control).
    func testCommandDiesWithItsSupervisor() throws {
        let allowAll = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#)
        let (process, stdout, _) = try startInOwnGroup(["--profile", allowAll], script: "echo $$; echo ready; exec sleep 60")
        let text = try String(contentsOf: stdout, encoding: .utf8)
        let command = try XCTUnwrap(pid_t(text.split(separator: "\n").first ?? ""), text)
        XCTAssertEqual(kill(process.processIdentifier, SIGKILL), 0)
        // Watch the command itself: Process reports the supervisor's exit only once
        // every process holding its descriptors is gone, the orphan included.
        let alive = !ToolProcess.waitUntil(seconds: 10) { !isRunning(command) }
        if alive { kill(command, SIGKILL) }
        process.waitUntilExit()
        XCTAssertFalse(alive, "the command outlived its supervisor")
    }

    /// A bundled name never picks up a file in the current directory; a path does.
    func testBundledNameIsNeverAFileHere() throws {
        _ = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#, named: "container-default.json")
        _ = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#, named: "container-default")
        let bundled = try run(["--profile", "container-default", "--", Self.helpers + "/syscall-probe", "reboot"])
        XCTAssertEqual(bundled.stdout, "reboot ret=-1 errno=1\n", "the bundled profile denies reboot (EPERM)")
        let local = try run(["--profile", "./container-default.json", "--", Self.helpers + "/syscall-probe", "reboot"])
        XCTAssertEqual(local.stdout, "reboot ret=-1 errno=22\n", "the local allow-all file lets it reach the kernel, which refuses the bad magic")
        let missing = try run(["--profile", "mine.json", "--", "/bin/true"])
        _ = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#, named: "mine.json")
        let hint = try run(["--profile", "mine.json", "--", "/bin/true"])
        XCTAssertEqual(missing.stderr, "seccomp-sandbox: mine.json: no bundled profile of that name\n")
        XCTAssertEqual(hint.stderr, "seccomp-sandbox: mine.json: no bundled profile of that name; for the file here, say ./mine.json\n")
    }

    /// A profile that cannot start the command is refused before launch (and by
    /// --dry-run), never hangs; one that allows only execveat starts through it.
    func testProfilesThatCannotLaunchAreRefusedAndExecveatIsUsed() throws {
        let conditional = try profile(#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["execve"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":1,"op":"SCMP_CMP_EQ"}]},{"names":\#(Self.probeStartup),"action":"SCMP_ACT_ALLOW"}]}"#.replacingOccurrences(of: "\"execve\",", with: ""), named: "cond.json")
        let x86Only = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"]}"#, named: "x86.json")
        for p in [conditional, x86Only] {
            for extra in [[], ["--dry-run"]] {
                let started = Date()
                let result = try run(["--profile", p] + extra + ["--", "/bin/true"])
                XCTAssertEqual(result.status, 125, "\(p) \(extra): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains("/bin/true could never start: the filter answers its execve (and execveat) with"), result.stderr)
                XCTAssertLessThan(Date().timeIntervalSince(started), 10)
            }
        }
        let onlyExecveat = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve"],"action":"SCMP_ACT_ERRNO"}]}"#, named: "at.json")
        let result = try run(["--profile", onlyExecveat, "--", Self.helpers + "/syscall-probe", "getpid"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("getpid ret="), result.stdout)
    }

    /// TRAP is named as TRAP (with --verbose, the kernel logs it), not as an architecture problem.
    func testTrapIsReportedAsTrap() throws {
        let p = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_TRAP"}]}"#)
        let result = try run(["--profile", p, "--verbose", "--", Self.helpers + "/syscall-probe", "getppid"])
        XCTAssertEqual(result.status, 159)
        XCTAssertTrue(result.stderr.contains("[syscall-probe] Killed: syscall getppid trapped by seccomp filter (SIGSYS not handled)"), result.stderr)
        XCTAssertFalse(result.stderr.contains("architecture"), result.stderr)
    }

    /// The command's limits are its own: the core-file limit reaches it unchanged.
    func testCommandKeepsItsResourceLimits() throws {
        let allowAll = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#)
        let result = try ToolProcess.run("/bin/sh", ["-c", "ulimit -c 4096 && exec \"$0\" --profile \"$1\" -- /bin/sh -c 'ulimit -c'",
                                                     ToolProcess.binary("seccomp-sandbox"), allowAll], in: scratch,
                                         environment: ["SECCOMP_FORGE_CACHE": scratch.appendingPathComponent("cache").path])
        XCTAssertEqual(result.stdout, "4096\n", result.stderr)
    }

    /// No usable cache (HOME missing, or another user's) still runs, compiling in memory,
    /// and never writes into another user's home.
    func testWithoutAHomeOfItsOwnItRunsWithoutACache() throws {
        let allowAll = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#)
        let sandbox = ToolProcess.binary("seccomp-sandbox")
        let noHome = try ToolProcess.run("/usr/bin/env", ["-u", "SECCOMP_FORGE_CACHE", "-u", "XDG_CACHE_HOME", "HOME=/nonexistent/home",
                                                          sandbox, "--profile", allowAll, "--", "/bin/true"], in: scratch)
        XCTAssertEqual(noHome.status, 0, noHome.stderr)
        let home = scratch.appendingPathComponent("someone")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        chown(home.path, 65534, 65534)
        let foreign = try ToolProcess.run("/usr/bin/env", ["-u", "SECCOMP_FORGE_CACHE", "-u", "XDG_CACHE_HOME", "HOME=\(home.path)",
                                                           sandbox, "--profile", allowAll, "--", "/bin/true"], in: scratch)
        XCTAssertEqual(foreign.status, 0, foreign.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home.path), [], "wrote into another user's HOME")
    }

    /// An --update path that cannot be written is found before the command runs.
    func testUnwritableUpdatePathIsRefusedBeforeTheCommandRuns() throws {
        let allowAll = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#)
        let marker = scratch.appendingPathComponent("ran")
        let result = try run(["--profile", allowAll, "--mode", "complain", "--update", "/proc/no-such-dir/p.json", "--",
                              "/bin/sh", "-c", "touch \(marker.path)"])
        XCTAssertEqual(result.status, 125)
        XCTAssertTrue(result.stderr.hasPrefix("seccomp-sandbox: --update /proc/no-such-dir/p.json: cannot write in /proc/no-such-dir"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "the command ran")
    }

    /// The sandbox always yields: a second SIGTERM ends a command that ignores the first.
    func testSecondTerminateEndsACommandThatIgnoresIt() throws {
        let allowAll = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#)
        let (process, _, _) = try startInOwnGroup(["--profile", allowAll], script: "trap '' TERM; echo ready; exec sleep 60")
        XCTAssertEqual(kill(process.processIdentifier, SIGTERM), 0)
        usleep(200_000)
        XCTAssertTrue(process.isRunning, "the first SIGTERM goes to the command, which ignores it")
        XCTAssertEqual(kill(process.processIdentifier, SIGTERM), 0)
        XCTAssertEqual(finish(process, within: 10), 128 + SIGKILL)
    }

    /// Without the right to read the kernel's records the kill is still reported, with how to get the name.
    func testNonRootIsToldHowToNameTheCall() throws {
        guard geteuid() == 0 else { throw XCTSkip("runs the sandbox as nobody: needs root") }
        chmod(scratch.path, 0o755)
        let p = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_KILL_PROCESS"}]}"#)
        chmod(p, 0o644)
        let result = try ToolProcess.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", ToolProcess.binary("seccomp-sandbox"),
                                                              "--profile", p, "--", Self.helpers + "/syscall-probe", "ptrace"], in: scratch)
        XCTAssertEqual(result.status, 159)
        XCTAssertTrue(result.stderr.hasPrefix("[syscall-probe] Killed by seccomp filter (SIGSYS): "), result.stderr)
        XCTAssertTrue(result.stderr.contains("run as root, or with --mode complain, to name it"), result.stderr)
    }

    /// i386 reaches sockets through socketcall too: a rule on socket covers socketcall(SYS_SOCKET)
    /// as libseccomp makes it, in an allow-list (glibc's socket works, bind does not) and in a
    /// deny-list (no way around it). The kernel enforces; the program is a static gcc -m32 one.
    func testI386SocketRulesCoverTheSocketcallMultiplexer() throws {
        let probe = Self.helpers + "/sockets32"
        let allowList = try profile(#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[{"names":\#(Self.probeStartup),"action":"SCMP_ACT_ALLOW"},{"names":["socket"],"action":"SCMP_ACT_ALLOW"}]}"#)
        let allowed = try run(["--profile", allowList, "--", probe])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertEqual(allowed.stdout, "libc-socket ret=ok errno=0\nsocketcall-socket ret=ok errno=0\ndirect-socket ret=ok errno=0\nsocketcall-bind ret=-1 errno=1\n")
        let denyList = try profile(#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[{"names":["socket"],"action":"SCMP_ACT_ERRNO"}]}"#, named: "deny.json")
        let denied = try run(["--profile", denyList, "--", probe])
        XCTAssertEqual(denied.status, 0, denied.stderr)
        XCTAssertTrue(denied.stdout.hasPrefix("libc-socket ret=-1 errno=1\nsocketcall-socket ret=-1 errno=1\ndirect-socket ret=-1 errno=1\n"), denied.stdout)
    }

    /// runc's ENOSYS stub: under moby's 2018 default (which predates clone3), glibc's
    /// pthread_create tries clone3, gets ENOSYS and falls back to clone, as under Docker.
    func testThreadsStartUnderAProfileOlderThanClone3() throws {
        let moby2018 = Self.packageRoot.appendingPathComponent("corpus/real/03-moby-default-2018.json").path
        let result = try run(["--profile", moby2018, "--", python, "-c", "import threading; t = threading.Thread(target=print, args=('thread ran',)); t.start(); t.join()"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "thread ran\n")
        let clone3 = try run(["--profile", moby2018, "--", Self.helpers + "/syscall-probe", "clone3"])
        XCTAssertEqual(clone3.stdout, "clone3 ret=-1 errno=38\n", clone3.stderr)
    }

    func testPrintFilterAndDryRun() throws {
        let listing = try run(["--profile", "container-default", "--print-filter"])
        XCTAssertEqual(listing.status, 0)
        XCTAssertTrue(listing.stdout.contains("A = arch"), listing.stdout)
        let dry = try run(["--profile", "container-default", "--dry-run", "--", "/bin/true"])
        XCTAssertEqual(dry.status, 0)
        XCTAssertTrue(dry.stdout.contains("instructions for x86_64, x86, x32"), dry.stdout)
    }
}
