import Foundation
import XCTest
import TestSupport

/// `seccomp-observe` as a user runs it: files written, exit statuses, errors, Ctrl-C.
final class SeccompObserveCLITests: XCTestCase {
    static let packageRoot = TestEnvironment.packageRoot
    static var helpers: String { TestEnvironment.helpers }
    var scratch: URL!

    override func setUpWithError() throws {
        try TestEnvironment.requireObserver()
        scratch = try TestEnvironment.makeScratch("observe")
    }

    override func tearDownWithError() throws {
        TestEnvironment.removeScratch(scratch)
    }

    /// A JSON file the observer wrote in the scratch directory.
    func json(_ file: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.appendingPathComponent(file))) as! [String: Any]
    }

    /// Waits (up to 10 s) until the observer says it is tracing; a failure names what it printed.
    func waitForTracing(_ err: URL) {
        XCTAssertTrue(ToolProcess.waitUntil(seconds: 10) { ToolProcess.file(err, contains: "Tracing syscalls") },
                      "the observer did not start: \((try? String(contentsOf: err, encoding: .utf8)) ?? "")")
    }

    /// Runs seccomp-observe (behind `prefix`, e.g. setpriv, when given) in the scratch directory.
    func start(_ arguments: [String], prefix: [String] = []) throws -> (Process, URL, URL) {
        let binary = ToolProcess.binary("seccomp-observe")
        let (process, out, err) = try ToolProcess.start(prefix.first ?? binary, Array(prefix.dropFirst()) + (prefix.isEmpty ? [] : [binary]) + arguments,
                                                        in: scratch, directory: scratch)
        return (process, out, err)
    }

    /// Where cgroup v2 is mounted (/sys/fs/cgroup/unified on this hybrid layout).
    func cgroupMount() throws -> String {
        try XCTUnwrap(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n")
            .first { $0.contains(" - cgroup2 ") }.map { String($0.split(separator: " ")[4]) })
    }

    /// The seed workflow, `seccomp-profile --trace PROGRAM -- ARGS`: seccomp-profile links no
    /// libbpf, and hands the observing to seccomp-observe beside it. The program's own output
    /// passes through, the calls it made are listed, PROGRAM.seccomp.json and its recording are
    /// written here with exactly the counts made, and a failing program's status is reported.
    func testTraceHandsTheObservingToSeccompObserve() throws {
        let tool = ToolProcess.binary("seccomp-profile")
        let traced = try ToolProcess.run(tool, ["--trace", Self.helpers + "/call-n-times", "--", "getppid", "1234"], in: scratch, directory: scratch)
        XCTAssertEqual(traced.status, 0, traced.stderr)
        XCTAssertTrue(traced.stderr.contains("Tracing syscalls of \(Self.helpers)/call-n-times getppid 1234"), traced.stderr)
        XCTAssertTrue(traced.stdout.contains("Observed syscalls:\n") && traced.stdout.contains("  getppid\n"), traced.stdout)
        XCTAssertTrue(traced.stdout.hasSuffix("Saved profile to call-n-times.seccomp.json\n"), traced.stdout)
        let recording = try json("call-n-times.recording.json")
        let counts = try XCTUnwrap((recording["counts"] as? [String: [String: Any]])?["SCMP_ARCH_X86_64"])
        XCTAssertEqual((counts["getppid"] as? NSNumber)?.intValue, 1234)
        let profile = try json("call-n-times.seccomp.json")
        XCTAssertEqual(profile["defaultAction"] as? String, "SCMP_ACT_ERRNO")

        // A program that fails: its status is said, the profile still written.
        let failing = try ToolProcess.run(tool, ["--trace", "/bin/sh", "--", "-c", "exit 3"], in: scratch, directory: scratch)
        XCTAssertEqual(failing.status, 0, failing.stderr)
        XCTAssertTrue(failing.stderr.contains("sh exited with status 3"), failing.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("sh.seccomp.json").path))

        // No such program: seccomp-observe's status (127), and one line from each tool.
        let missing = try ToolProcess.run(tool, ["--trace", "/nonexistent/prog"], in: scratch, directory: scratch)
        XCTAssertEqual(missing.status, 127, missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("prog.seccomp.json").path))

        // seccomp-profile itself needs no libbpf (the observer is seccomp-observe's).
        let linked = try ToolProcess.run("/usr/bin/ldd", [tool], in: scratch)
        XCTAssertFalse(linked.stdout.contains("libbpf") || linked.stderr.contains("libbpf"), linked.stdout)
        XCTAssertNil(try Data(contentsOf: URL(fileURLWithPath: tool)).range(of: Data("libbpf: ".utf8)), "libbpf's code is linked into seccomp-profile")
    }

    /// Runs call-n-times getppid N in the cgroup at `dir`, to completion.
    func callGetppid(_ n: Int, in dir: String, call: String = "getppid") throws {
        let work = Process()
        work.executableURL = URL(fileURLWithPath: "/bin/sh")
        work.arguments = ["-c", "echo $$ > \(dir)/cgroup.procs && exec \(Self.helpers)/call-n-times \(call) \(n)"]
        try work.run()
        work.waitUntilExit()
        XCTAssertEqual(work.terminationStatus, 0, "call-n-times \(call) \(n) in \(dir)")
    }

    func run(_ arguments: [String], prefix: [String] = []) throws -> ToolProcess.Result {
        let (process, out, err) = try start(arguments, prefix: prefix)
        process.waitUntilExit()
        return ToolProcess.Result(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                                  stderr: try String(contentsOf: err, encoding: .utf8))
    }

    func testCommandModeWritesProfileAndRecordingAndReturnsTheCommandStatus() throws {
        let ok = try run(["--", "/bin/sh", "-c", "exit 3"])
        XCTAssertEqual(ok.status, 3, ok.stderr)
        XCTAssertTrue(ok.stderr.contains("Saved profile to sh.seccomp.json"), ok.stderr)
        let profile = try json("sh.seccomp.json")
        XCTAssertEqual(profile["defaultAction"] as? String, "SCMP_ACT_ERRNO")
        let recording = try json("sh.recording.json")
        let counts = (recording["counts"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"]!
        XCTAssertEqual(counts["execve"], 1)
        XCTAssertEqual(counts["exit_group"], 1)
    }

    /// --json is valid JSON whatever the names: a command whose path holds a quote and a backslash.
    func testJSONSummaryIsValidForAnyCommandName() throws {
        let odd = scratch.appendingPathComponent("a\"b\\c")
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: odd.path)
        let result = try run(["--json", "--", odd.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        // The command's own output does not mix with the summary: it goes to stderr.
        let talker = try run(["--json", "--", "/bin/echo", "from the command"])
        XCTAssertEqual(talker.status, 0, talker.stderr)
        XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(talker.stdout.utf8)), talker.stdout)
        XCTAssertTrue(talker.stderr.contains("from the command"), talker.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        XCTAssertEqual(summary["commandStatus"] as? Int, 0)
        let targets = try XCTUnwrap(summary["targets"] as? [[String: Any]])
        XCTAssertEqual((targets.first?["profile"] as? String)?.hasSuffix("a\"b\\c.seccomp.json"), true, "\(targets)")
    }

    func testErrorsHaveDistinctStatuses() throws {
        let notFound = try run(["--", "/no/such/program"])
        XCTAssertEqual(notFound.status, 127)
        XCTAssertTrue(notFound.stderr.contains("/no/such/program: command not found"), notFound.stderr)
        let badDuration = try run(["--duration", "soon", "--", "/bin/true"])
        XCTAssertEqual(badDuration.status, 2)
        XCTAssertTrue(badDuration.stderr.contains("--duration: \"soon\" is not a duration"), badDuration.stderr)
        let notV2 = try run(["--cgroup", "/tmp", "--duration", "1s"])
        XCTAssertEqual(notV2.status, 2)
        XCTAssertTrue(notV2.stderr.contains("is not in the cgroup v2 hierarchy"), notV2.stderr)
        let noPid = try run(["--pid", "999999999", "--duration", "1s"])
        XCTAssertEqual(noPid.status, 2)
        XCTAssertTrue(noPid.stderr.contains("no such process"), noPid.stderr)
        let nine = try run((1...9).flatMap { _ in ["--pid", String(getpid())] } + ["--duration", "1s"])
        XCTAssertEqual(nine.status, 2, nine.stderr)
        XCTAssertTrue(nine.stderr.contains("9 targets: one observer takes at most 8"), nine.stderr)
        let nothing = try run([])
        XCTAssertEqual(nothing.status, 2)
        XCTAssertEqual(nothing.stderr.split(separator: "\n").count, 1, nothing.stderr)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") {
            let unprivileged = try run(["--", "/bin/true"], prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
            XCTAssertEqual(unprivileged.status, 77, unprivileged.stderr)
            XCTAssertTrue(unprivileged.stderr.contains("run as root"), unprivileged.stderr)
        }
    }

    /// Bad targets and outputs are refused before anything is observed (or any command runs);
    /// an observation that saw nothing writes no profile and says why (exit 1).
    func testTargetsAndOutputsAreCheckedFirstAndNothingSeenIsAnError() throws {
        for bad in ["--pid=0", "--pid=-1"] {
            let result = try run([bad, "--duration", "1s"])
            XCTAssertEqual(result.status, 2, "\(bad): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("not a process id"), result.stderr)
        }
        let threads = Process()
        threads.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        threads.arguments = ["-c", "import threading, time; t = threading.Thread(target=time.sleep, args=(30,)); t.start(); print(flush=True); t.join()"]
        threads.standardOutput = Pipe()
        try threads.run()
        defer { threads.terminate(); threads.waitUntilExit() }
        var tid: Int32?
        ToolProcess.waitUntil(seconds: 10) {
            tid = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(threads.processIdentifier)/task"))?
                .compactMap(Int32.init).first { $0 != threads.processIdentifier }
            return tid != nil
        }
        let thread = try run(["--pid", String(try XCTUnwrap(tid)), "--duration", "1s"])
        XCTAssertEqual(thread.status, 2, thread.stderr)
        XCTAssertTrue(thread.stderr.contains("a thread of process \(threads.processIdentifier)"), thread.stderr)
        let marker = scratch.appendingPathComponent("ran")
        let cgroups = { Set(((try? FileManager.default.contentsOfDirectory(atPath: try self.cgroupMount())) ?? []).filter { $0.hasPrefix("seccomp-forge-") }) }
        let before = cgroups()
        let unwritable = try run(["-o", "/proc/no-such-dir/p.seccomp.json", "--", "/bin/sh", "-c", "touch \(marker.path)"])
        XCTAssertEqual(unwritable.status, 2, unwritable.stderr)
        XCTAssertEqual(cgroups().subtracting(before), [], "the refused run left its command cgroup behind")
        XCTAssertTrue(unwritable.stderr.contains("-o /proc/no-such-dir/p.seccomp.json: cannot write in /proc/no-such-dir"), unwritable.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "the command ran before the output was checked")
        let mount = try cgroupMount()
        let idle = "\(mount)/seccomp-forge-test-idle-\(getpid())"
        XCTAssertEqual(mkdir(idle, 0o755), 0)
        defer { rmdir(idle) }
        let empty = try run(["--cgroup", idle, "--duration", "300ms"])
        XCTAssertEqual(empty.status, 1, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("no calls observed for"), empty.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("seccomp-forge-test-idle-\(getpid()).seccomp.json").path))
    }

    /// A closed terminal (SIGHUP) ends the observation like Ctrl-C: everything is written,
    /// the command is ended and its cgroup removed.
    func testHangupKeepsEverythingAndLeavesNothing() throws {
        let (observer, out, err) = try start(["-o", "hup.seccomp.json", "--", "/bin/sh", "-c", "echo ready; exec sleep 60"])
        XCTAssertTrue(ToolProcess.waitUntil(seconds: 10) { ToolProcess.file(out, contains: "ready") })
        kill(observer.processIdentifier, SIGHUP)
        XCTAssertTrue(ToolProcess.waitUntil(seconds: 10) { !observer.isRunning }, "still running after SIGHUP")
        let log = try String(contentsOf: err, encoding: .utf8)
        XCTAssertTrue(log.contains("Stopped by signal \(SIGHUP)"), log)
        let recording = try json("hup.recording.json")
        let counts = (recording["counts"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"]!
        XCTAssertGreaterThanOrEqual(counts["execve"] ?? 0, 2, "sh, then sleep (and the PATH lookups before it)")
        let mount = try cgroupMount()
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: mount).filter { $0.hasPrefix("seccomp-forge-\(observer.processIdentifier)-") }
        XCTAssertEqual(leftovers, [], "the command's cgroup was left behind")
    }

    /// --pid keeps following a process whose main thread left (pthread_exit) while its
    /// other thread goes on and forks: every call of the tree is counted.
    func testProcessTreeOutlivesItsLeaderThread() throws {
        let program = Process()
        program.executableURL = URL(fileURLWithPath: Self.helpers + "/leader-exits")
        program.arguments = ["1500"]
        let pipe = Pipe()
        program.standardOutput = pipe
        try program.run()
        defer { if program.isRunning { program.terminate() } }
        let pid = program.processIdentifier
        let result = try run(["--pid", String(pid), "--duration", "4s", "-o", "tree.seccomp.json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let recording = try json("tree.recording.json")
        let counts = (recording["counts"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"] ?? [:]
        XCTAssertEqual(counts["getppid"], 8, "3 from the remaining thread, 5 from the child it forked: \(counts)")
    }

    /// When the kernel refuses the program, --verbose shows what libbpf said. The refusal is
    /// real: the observer runs under a seccomp filter (seccomp-sandbox) that answers bpf() with EINVAL.
    func testVerboseShowsLibbpfsLogWhenTheKernelRefusesTheProgram() throws {
        let profile = scratch.appendingPathComponent("no-bpf.json")
        try #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["bpf"],"action":"SCMP_ACT_ERRNO","errnoRet":22}]}"#
            .write(to: profile, atomically: true, encoding: .utf8)
        let sandbox = ToolProcess.binary("seccomp-sandbox")
        for verbose in [true, false] {
            let (process, out, err) = try ToolProcess.start(sandbox, ["--profile", profile.path, "--", ToolProcess.binary("seccomp-observe")]
                                                                + (verbose ? ["--verbose"] : []) + ["-o", "x.seccomp.json", "--", "/bin/true"],
                                                            in: scratch, environment: ["SECCOMP_FORGE_NO_CACHE": "1"], directory: scratch)
            process.waitUntilExit()
            let stderr = try String(contentsOf: err, encoding: .utf8)
            _ = out
            XCTAssertEqual(process.terminationStatus, 69, stderr)
            XCTAssertTrue(stderr.contains("seccomp-observe: loading the BPF program failed: Invalid argument"), stderr)
            if verbose {
                XCTAssertTrue(stderr.contains("libbpf said:") && stderr.contains("Couldn't load trivial BPF program"), String(stderr.suffix(2000)))
            } else {
                XCTAssertTrue(stderr.contains("--verbose shows libbpf's log"), stderr)
                XCTAssertFalse(stderr.contains("libbpf said:"), stderr)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("x.seccomp.json").path))
        }
    }

    /// --pid on a process that is forking as the observer starts: the children forked while
    /// the tree is being seeded from /proc are neither missed nor lost (every one of 600 makes
    /// one getppid call after the observer is up; the parent makes none).
    func testChildrenForkedWhileTheTreeIsSeededAreCounted() throws {
        let program = Process()
        program.executableURL = URL(fileURLWithPath: Self.helpers + "/forker")
        program.arguments = ["600", "1000", "2500"]
        program.standardOutput = FileHandle.nullDevice
        try program.run()
        defer { if program.isRunning { program.terminate() } }
        usleep(150_000) // mid-way through its forks
        let result = try run(["--pid", String(program.processIdentifier), "-o", "forker.seccomp.json"])
        program.waitUntilExit()
        XCTAssertEqual(program.terminationStatus, 0)
        XCTAssertEqual(result.status, 0, result.stderr)
        let recording = try json("forker.recording.json")
        let counts = (recording["counts"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"] ?? [:]
        XCTAssertEqual(counts["getppid"], 600, "one getppid per child: \(counts)")
        XCTAssertGreaterThan(counts["clone"] ?? 0, 0, "the observer started before the forks ended")
    }

    /// --pid without --duration ends when the process tree is gone; a target already under a
    /// seccomp filter is reported (what its filter rejects cannot be seen).
    func testProcessTreeRunEndsWithTheTreeAndFilteredTargetsAreReported() throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: ToolProcess.binary("seccomp-sandbox"))
        sleeper.arguments = ["--profile", "container-default", "--", "/bin/sh", "-c", "sleep 1; /bin/true"]
        sleeper.environment = ProcessInfo.processInfo.environment.merging(["SECCOMP_FORGE_NO_CACHE": "1"]) { $1 }
        try sleeper.run()
        defer { if sleeper.isRunning { sleeper.terminate() } }
        var shell: Int32?
        ToolProcess.waitUntil(seconds: 5) {
            // The sandbox's child running sh (not seccomp-profile, which it may run first to compile).
            let children = (try? String(contentsOfFile: "/proc/\(sleeper.processIdentifier)/task/\(sleeper.processIdentifier)/children", encoding: .utf8)) ?? ""
            shell = children.split(separator: " ").compactMap { Int32($0) }.first { pid in
                (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("sh") == true
            }
            return shell != nil
        }
        let started = Date()
        let result = try run(["--pid", String(try XCTUnwrap(shell)), "-o", "tree.seccomp.json"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "did not end with the tree")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("already run under a seccomp filter"), result.stderr)
        let profile = try String(contentsOf: scratch.appendingPathComponent("tree.seccomp.json"), encoding: .utf8)
        XCTAssertTrue(profile.contains("\"exit_group\""), profile)
    }

    /// The observer does not count itself, even when it runs inside its target.
    func testTheObserverExcludesItself() throws {
        let mount = try cgroupMount()
        let inside = "\(mount)/seccomp-forge-test-self-\(getpid())"
        XCTAssertEqual(mkdir(inside, 0o755), 0)
        defer { rmdir(inside) }
        let observe = ToolProcess.binary("seccomp-observe")
        let result = try ToolProcess.run("/bin/sh", ["-c", "echo $$ > \(inside)/cgroup.procs && exec \(observe) --cgroup \(inside) --duration 500ms -o self.seccomp.json"],
                                         in: scratch, directory: scratch)
        // Nothing else ran there: the observer alone, so nothing is recorded (exit 1, no profile).
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("no calls observed"), result.stderr)
    }

    /// Inside a cgroup namespace (as in a container) with its own cgroup2 mount, a target's depth
    /// below that mount is not the kernel's level: calls are still counted, exactly.
    func testCgroupNamespaceTargetIsCounted() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { throw XCTSkip("unshare (util-linux) is missing") }
        let mount = try cgroupMount()
        let outer = "\(mount)/seccomp-forge-test-ns-\(getpid())", target = outer + "/x"
        for dir in [outer, target] { XCTAssertEqual(mkdir(dir, 0o755), 0) }
        defer { for dir in [target, outer] { rmdir(dir) } }
        let view = scratch.appendingPathComponent("cgroup-view").path
        XCTAssertEqual(mkdir(view, 0o755), 0)
        let script = scratch.appendingPathComponent("in-namespace.sh")
        try Data("""
        mount -t cgroup2 none \(view) || exit 9
        sh -c 'sleep 0.5; echo $$ > \(view)/x/cgroup.procs; exec \(Self.helpers)/call-n-times getppid 4' &
        \(ToolProcess.binary("seccomp-observe")) --cgroup \(view)/x --duration 1500ms -o ns.seccomp.json
        """.utf8).write(to: script)
        // Enter the outer cgroup first, so the new namespace is rooted there (not at the hierarchy's root).
        let result = try ToolProcess.run("/bin/sh", ["-c", "echo $$ > \(outer)/cgroup.procs && exec unshare -Cm sh \(script.path)"],
                                         in: scratch, directory: scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        let recording = try json("ns.recording.json")
        let counts = (recording["counts"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"] ?? [:]
        XCTAssertEqual(counts["getppid"], 4, "\(counts)")
        usleep(200_000)  // the namespace's last processes leave the outer cgroup
    }

    /// Not root, but with CAP_BPF and CAP_PERFMON (as the advice says): a process can be observed.
    func testCapabilitiesInsteadOfRootObserveAProcess() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { throw XCTSkip("setpriv (util-linux) is missing") }
        chmod(scratch.path, 0o777)
        let busy = Process()
        busy.executableURL = URL(fileURLWithPath: Self.helpers + "/call-n-times")
        busy.arguments = ["getppid", "2000000000"]
        try busy.run()
        defer { busy.terminate(); busy.waitUntilExit() }
        let result = try run(["--pid", String(busy.processIdentifier), "--duration", "500ms", "-o", "caps.seccomp.json"],
                             prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                      "--inh-caps=+bpf,+perfmon", "--ambient-caps=+bpf,+perfmon"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let profile = try String(contentsOf: scratch.appendingPathComponent("caps.seccomp.json"), encoding: .utf8)
        XCTAssertTrue(profile.contains("\"getppid\""), profile)
    }

    /// A task more than 32 cgroup levels below its target cannot be checked: its calls are
    /// counted as lost and reported, never silently dropped; 31 levels below is counted.
    func testTasksTooDeepBelowTheTargetAreReportedAsLost() throws {
        let mount = try cgroupMount()
        let top = "\(mount)/seccomp-forge-test-deep-\(getpid())"
        var chain = [top]
        for level in 1...33 { chain.append(chain.last! + "/d\(level)") }
        for dir in chain { XCTAssertEqual(mkdir(dir, 0o755), 0, dir) }
        defer { for dir in chain.reversed() { rmdir(dir) } }
        let (observer, _, err) = try start(["--cgroup", top, "--duration", "1h", "-o", "deep.seccomp.json"])
        waitForTracing(err)
        try callGetppid(3, in: chain[31])
        try callGetppid(5, in: chain[33])
        kill(observer.processIdentifier, SIGINT)
        observer.waitUntilExit()
        let log = try String(contentsOf: err, encoding: .utf8)
        XCTAssertEqual(observer.terminationStatus, 0, log)
        let recording = try json("deep.recording.json")
        let counts = (recording["counts"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"]!
        XCTAssertEqual(counts["getppid"], 3, "31 levels down is counted; 33 is not")
        let lost = recording["lost"] as! [String: Int]
        XCTAssertGreaterThanOrEqual(lost["tooDeep"] ?? 0, 5, "\(lost)")
        XCTAssertTrue(log.contains("calls of tasks more than 32 cgroup levels below the target"), log)
    }

    /// Inside a pid namespace (the observer and its target in a new one, as in a container),
    /// --pid takes the namespace's numbers: the calls are counted exactly, and the run ends
    /// with the tree.
    func testProcessTreeInsideAPidNamespace() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { throw XCTSkip("unshare (util-linux) is missing") }
        let pidFile = scratch.appendingPathComponent("target.pid").path
        let script = scratch.appendingPathComponent("in-pid-namespace.sh")
        try Data("""
        sh -c 'echo $$ > \(pidFile); sleep 1; exec \(Self.helpers)/call-n-times getppid 6' &
        sleep 0.3
        exec \(ToolProcess.binary("seccomp-observe")) --pid $(cat \(pidFile)) -o pidns.seccomp.json
        """.utf8).write(to: script)
        let started = Date()
        let result = try ToolProcess.run("/usr/bin/unshare", ["-pf", "--mount-proc", "sh", script.path], in: scratch, directory: scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 15)
        let recording = try json("pidns.recording.json")
        let counts = (recording["counts"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"] ?? [:]
        XCTAssertEqual(counts["getppid"], 6, "\(counts)")
    }

    /// Overlapping targets (a cgroup and one below it) each get every call made inside both.
    func testOverlappingTargetsEachGetTheCalls() throws {
        let mount = try cgroupMount()
        let outer = "\(mount)/seccomp-forge-test-outer-\(getpid())", inner = outer + "/inner"
        for dir in [outer, inner] { XCTAssertEqual(mkdir(dir, 0o755), 0) }
        defer { for dir in [inner, outer] { rmdir(dir) } }
        let (observer, _, err) = try start(["--cgroup", outer, "--cgroup", inner, "--duration", "1h", "-o", "outer.json", "-o", "inner.json"])
        waitForTracing(err)
        try callGetppid(5, in: inner)
        try callGetppid(2, in: outer)
        kill(observer.processIdentifier, SIGINT)
        observer.waitUntilExit()
        XCTAssertEqual(observer.terminationStatus, 0, (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        for (file, n) in [("outer.recording.json", 7), ("inner.recording.json", 5)] {
            let recording = try json(file)
            let counts = (recording["counts"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"]!
            XCTAssertEqual(counts["getppid"], n, file)
        }
    }

    /// Numbers off the common path: x32 numbers (the x32 bit set; the tracepoint
    /// sees them whether or not the kernel serves x32) are counted under x32 by
    /// their number without the bit; numbers beyond the table are counted as lost,
    /// never dropped. Both for a task in one target and in two overlapping ones.
    func testX32AndOutOfTableNumbersAreCountedOrReportedOnEveryPath() throws {
        let mount = try cgroupMount()
        let outer = "\(mount)/seccomp-forge-test-odd-\(getpid())", inner = outer + "/inner", alone = outer + "-alone"
        for dir in [outer, inner, alone] { XCTAssertEqual(mkdir(dir, 0o755), 0) }
        defer { for dir in [inner, outer, alone] { rmdir(dir) } }
        let (observer, _, err) = try start(["--cgroup", outer, "--cgroup", inner, "--cgroup", alone, "--duration", "1h",
                                            "-o", "outer.json", "-o", "inner.json", "-o", "alone.json"])
        waitForTracing(err)
        for dir in [inner, alone] {
            try callGetppid(4, in: dir, call: "0x40000027") // x32 getpid
            try callGetppid(3, in: dir, call: "5000")
        }
        kill(observer.processIdentifier, SIGINT)
        observer.waitUntilExit()
        XCTAssertEqual(observer.terminationStatus, 0, (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        for file in ["outer.recording.json", "inner.recording.json", "alone.recording.json"] {
            let recording = try json(file)
            let counts = recording["counts"] as! [String: [String: Int]]
            XCTAssertEqual(counts["SCMP_ARCH_X32"]?["getpid"], 4, "\(file): \(counts)")
            XCTAssertNil(counts["SCMP_ARCH_X86_64"]?["getpid"], file)
            let lost = recording["lost"] as! [String: Int]
            XCTAssertEqual(lost["beyondTable"], 3, "\(file): \(lost)")
        }
    }

    /// Eight targets, the most one run takes, nested four deep and side by side: the
    /// program is accepted by the verifier (its paths once doubled with each target:
    /// four were refused) and starts quickly, and each target gets exactly its calls.
    func testEightTargetsAreAcceptedAndEachCountedExactly() throws {
        let mount = try cgroupMount()
        let base = "\(mount)/seccomp-forge-test-eight-\(getpid())"
        var dirs = [base]
        for depth in 1..<4 { dirs.append(dirs[depth - 1] + "/n\(depth)") }  // 4 nested
        for side in 0..<4 { dirs.append("\(base)-side\(side)") }            // 4 apart
        for dir in dirs { XCTAssertEqual(mkdir(dir, 0o755), 0, dir) }
        defer { for dir in dirs.reversed() { rmdir(dir) } }
        let started = Date()
        let (observer, _, err) = try start(dirs.flatMap { ["--cgroup", $0] } + ["--duration", "1h"]
                                           + (0..<8).flatMap { ["-o", "t\($0).json"] })
        waitForTracing(err)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "eight targets took long to load")
        for (i, dir) in dirs.enumerated() { try callGetppid(3 + i, in: dir) }
        kill(observer.processIdentifier, SIGINT)
        observer.waitUntilExit()
        XCTAssertEqual(observer.terminationStatus, 0, (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        for i in 0..<8 {
            // A nested target gets its own calls and those of every target below it.
            let expected = i < 4 ? (i..<4).reduce(0) { $0 + 3 + $1 } : 3 + i
            let recording = try json("t\(i).recording.json")
            let counts = (recording["counts"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"]!
            XCTAssertEqual(counts["getppid"], expected, "target \(i): \(dirs[i])")
        }
    }

    /// Two cgroups whose directories share a name get two files, named by their paths.
    func testTargetsWithTheSameNameGetDistinctFiles() throws {
        let mount = try cgroupMount()
        let parents = ["\(mount)/seccomp-forge-test-p-\(getpid())", "\(mount)/seccomp-forge-test-q-\(getpid())"]
        let leaves = parents.map { $0 + "/app" }
        for dir in parents + leaves { XCTAssertEqual(mkdir(dir, 0o755), 0) }
        defer { for dir in (parents + leaves).reversed() { rmdir(dir) } }
        let (observer, _, err) = try start(["--cgroup", leaves[0], "--cgroup", leaves[1], "--duration", "1h"])
        waitForTracing(err)
        for dir in leaves { try callGetppid(2, in: dir) }
        kill(observer.processIdentifier, SIGINT)
        observer.waitUntilExit()
        XCTAssertEqual(observer.terminationStatus, 0, (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        for parent in parents {
            let name = URL(fileURLWithPath: parent).lastPathComponent + "-app.seccomp.json"
            XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.appendingPathComponent(name).path), name)
        }
    }

    /// Two cgroups observed by one program, one profile each; Ctrl-C ends it early and keeps everything.
    func testSeveralTargetsAndInterrupt() throws {
        let mount = try cgroupMount()
        let a = "\(mount)/seccomp-forge-test-a-\(getpid())", b = "\(mount)/seccomp-forge-test-b-\(getpid())"
        for dir in [a, b] { XCTAssertEqual(mkdir(dir, 0o755), 0) }
        defer { for dir in [a, b] { rmdir(dir) } }
        let (observer, _, err) = try start(["--cgroup", a, "--cgroup", b, "--duration", "1h", "-o", "a.json", "-o", "b.json"])
        // Wait for the attach message before starting the workloads.
        waitForTracing(err)
        for (dir, n) in [(a, 4), (b, 6)] { try callGetppid(n, in: dir) }
        kill(observer.processIdentifier, SIGINT)
        observer.waitUntilExit()
        let log = try String(contentsOf: err, encoding: .utf8)
        XCTAssertEqual(observer.terminationStatus, 0, log)
        for (file, n) in [("a.recording.json", 4), ("b.recording.json", 6)] {
            let recording = try json(file)
            let counts = (recording["counts"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"]!
            XCTAssertEqual(counts["getppid"], n, file)
        }
    }
}
