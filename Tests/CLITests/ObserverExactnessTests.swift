import Foundation
import XCTest
import TestSupport

/// The observer's counts are exact whatever the tasks and CPUs do, in every target mode:
/// four processes contending for the two CPUs (a million getppid calls each), a tree of
/// 1,500 children released at once, and a running process moved into and out of a target
/// by another one. Each workload runs 20 times per mode, each run read on its own.
///
/// What these attack: a verdict kept per CPU that is not the current task's. A switch the
/// kernel does not trace (tasks the kernel keeps out of tracing, a skipped program) and a
/// task whose cgroup changes before the attach tracepoint runs both leave one behind.
final class ObserverExactnessTests: XCTestCase {
    static var helpers: String { TestEnvironment.helpers }
    static let runs = 20
    let mount = "/sys/fs/cgroup/unified"
    let tag = String(UUID().uuidString.prefix(8)).lowercased()
    var scratch: URL!
    var made: [String] = []        // cgroups this test made, removed innermost first
    var started: [Process] = []    // processes this test started, killed if still running

    override func setUpWithError() throws {
        let mount = self.mount
        try ToolProcess.requireKernelTest(rootFor: "the observer needs root",
                                          tools: ["call-n-times", "forker", "moved"].map { "\(Self.helpers)/\($0)" },
                                          install: "make helpers builds them",
                                          more: { FileManager.default.fileExists(atPath: mount + "/cgroup.procs") ? nil : "no cgroup v2 at \(mount)" })
        scratch = try TestEnvironment.makeScratch("exact")
    }

    override func tearDownWithError() throws {
        for process in started where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        for dir in made.reversed() {
            _ = ToolProcess.waitUntil(seconds: 5) { rmdir(mount + dir) == 0 || errno == ENOENT }
        }
        TestEnvironment.removeScratch(scratch)
    }

    // MARK: workloads

    enum Workload: CaseIterable {
        case contending, forkTree
        /// The shell text that runs it, from the shell that is its target.
        var script: String {
            switch self {
            case .contending: return "for i in 1 2 3 4; do \(ObserverExactnessTests.helpers)/call-n-times getppid 1000000 & done; wait"
            case .forkTree: return "exec \(ObserverExactnessTests.helpers)/forker 1500 0 100 >/dev/null"
            }
        }
        /// getppid calls it makes: nothing else in it calls getppid.
        var getppid: Int { self == .contending ? 4_000_000 : 1500 }
    }

    /// A cgroup below the test's own, made (and remembered) now; its path below the mount.
    func cgroup(_ name: String) -> String {
        var current = ""
        for part in "/sf-exact-\(tag)/\(name)".split(separator: "/") {
            current += "/" + part
            if mkdir(mount + current, 0o755) == 0 { made.append(current) }
        }
        return current
    }

    /// Starts `sh -c script` (killed at the end if still running), with the pipes given.
    func shell(_ script: String, input: Pipe? = nil, output: Pipe? = nil) throws -> Process {
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", script]
        if let input { shell.standardInput = input }
        if let output { shell.standardOutput = output }
        started.append(shell)
        try shell.run()
        return shell
    }

    /// Runs the workload to completion inside the cgroup (its shell moves itself in first).
    func run(_ workload: Workload, in cgroup: String) throws {
        let shell = try shell("echo $$ > \(mount + cgroup)/cgroup.procs && \(workload.script)")
        shell.waitUntilExit()
        XCTAssertEqual(shell.terminationStatus, 0, "\(workload) in \(cgroup)")
    }

    func startObserver(_ arguments: [String], ready: String = "Tracing syscalls", environment: [String: String] = [:]) throws -> (Process, URL) {
        let (observer, _, err) = try ToolProcess.start(ToolProcess.binary("seccomp-observe"), arguments, in: scratch, environment: environment,
                                                       directory: scratch)
        started.append(observer)
        XCTAssertTrue(ToolProcess.waitUntil(seconds: 20) { ToolProcess.file(err, contains: ready) || !observer.isRunning },
                      "the observer did not start: \((try? String(contentsOf: err, encoding: .utf8)) ?? "")")
        return (observer, err)
    }

    func stop(_ observer: Process, _ err: URL) {
        kill(observer.processIdentifier, SIGINT)
        observer.waitUntilExit()
        XCTAssertEqual(observer.terminationStatus, 0, (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    func recording(_ file: String) throws -> [String: Any] {
        let url = scratch.appendingPathComponent(file)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], url.path)
    }

    func native(_ recording: [String: Any]) -> [String: Int] {
        ((recording["counts"] as? [String: [String: Int]]) ?? [:])["SCMP_ARCH_X86_64"] ?? [:]
    }

    /// No call reported lost: an exact run has nothing to report.
    func assertNothingLost(_ recording: [String: Any], _ what: String) {
        let lost = (recording["lost"] as? [String: Int]) ?? [:]
        XCTAssertEqual(lost.values.reduce(0, +), 0, "\(what): \(lost)")
    }

    /// The runs of every workload, `perObserver` targets to one observer (8 at most).
    func batches(perObserver: Int = 8) -> [[(workload: Workload, run: Int)]] {
        let all = Workload.allCases.flatMap { w in (0..<Self.runs).map { (workload: w, run: $0) } }
        return stride(from: 0, to: all.count, by: perObserver).map { Array(all[$0..<min($0 + perObserver, all.count)]) }
    }

    // MARK: the three modes

    func testCgroupTargetsCountEveryRunExactly() throws {
        try cgroupTargets(attach: "tp_btf")
    }

    /// The same on the raw_tp twins (the attach point of kernels that refuse tp_btf).
    func testCgroupTargetsCountEveryRunExactlyOnRawTracepoints() throws {
        try cgroupTargets(attach: "raw_tp", environment: ["SECCOMP_FORGE_FORCE_RAW_TP": "1"])
    }

    func cgroupTargets(attach: String, environment: [String: String] = [:]) throws {
        for (b, batch) in batches().enumerated() {
            let dirs = batch.map { cgroup("\(attach)-\($0.workload)-\($0.run)") }
            let (observer, err) = try startObserver(dirs.enumerated().flatMap { ["--cgroup", mount + $0.element, "-o", "\(attach)\(b)-\($0.offset).seccomp.json"] },
                                                    environment: environment)
            XCTAssertTrue(ToolProcess.file(err, contains: "\(attach)/sys_enter"), (try? String(contentsOf: err, encoding: .utf8)) ?? "")
            for (i, item) in batch.enumerated() { try run(item.workload, in: dirs[i]) }
            stop(observer, err)
            for (i, item) in batch.enumerated() {
                let r = try recording("\(attach)\(b)-\(i).recording.json")
                XCTAssertEqual(native(r)["getppid"], item.workload.getppid, "--cgroup on \(attach), \(item.workload) run \(item.run + 1)")
                assertNothingLost(r, "--cgroup on \(attach), \(item.workload) run \(item.run + 1)")
            }
        }
    }

    func testProcessTreeTargetsCountEveryRunExactly() throws {
        for (b, batch) in batches().enumerated() {
            // Each target is a shell that waits for a line on its standard input, then runs the workload.
            var shells: [(Process, Pipe)] = []
            for item in batch {
                let gate = Pipe()
                shells.append((try shell("read go; \(item.workload.script)", input: gate), gate))
            }
            let (observer, err) = try startObserver(shells.enumerated().flatMap { ["--pid", String($0.element.0.processIdentifier), "-o", "p\(b)-\($0.offset).seccomp.json"] }
                                                    + ["--duration", "10m"])
            for (shell, gate) in shells {
                gate.fileHandleForWriting.write(Data("go\n".utf8))
                shell.waitUntilExit()
                XCTAssertEqual(shell.terminationStatus, 0)
            }
            // Every tree has ended: the observer stops by itself once all its process trees are gone.
            XCTAssertTrue(ToolProcess.waitUntil(seconds: 30) { !observer.isRunning }, "the observer did not see its trees end")
            if observer.isRunning { stop(observer, err) } else { XCTAssertEqual(observer.terminationStatus, 0, (try? String(contentsOf: err, encoding: .utf8)) ?? "") }
            for (i, item) in batch.enumerated() {
                let r = try recording("p\(b)-\(i).recording.json")
                XCTAssertEqual(native(r)["getppid"], item.workload.getppid, "--pid, \(item.workload) run \(item.run + 1)")
                assertNothingLost(r, "--pid, \(item.workload) run \(item.run + 1)")
            }
        }
    }

    func testEveryCgroupOfTheHostCountsEveryRunExactly() throws {
        let out = scratch.appendingPathComponent("all")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let (observer, err) = try startObserver(["--all", "--out-dir", out.path, "--interval", "60s"], ready: "Observing every cgroup")
        let items = batches().flatMap { $0 }
        for item in items { try run(item.workload, in: cgroup("\(item.workload)-\(item.run)")) }
        stop(observer, err)
        XCTAssertFalse(((try? String(contentsOf: err, encoding: .utf8)) ?? "").contains("not counted"))
        for item in items {
            let name = "cgroup-sf-exact-\(tag)-\(item.workload)-\(item.run)"
            let r = try recording("all/\(name).recording.json")
            XCTAssertEqual(native(r)["getppid"], item.workload.getppid, "--all, \(item.workload) run \(item.run + 1)")
        }
    }

    // MARK: a running task moved in and out

    /// `moved` polls /proc/self/cgroup; once it sees itself in the target it calls getppid 100
    /// times, once it sees itself out again getpgrp 100 times, for 20 rounds, while this test
    /// moves it. Every call the kernel made with the task in the target is the target's: all
    /// 2,000 getppid calls, none of the getpgrp calls.
    func testARunningTaskMovedInAndOutIsCountedFromTheMomentItMoves() throws {
        let home = cgroup("home"), target = cgroup("target"), all = scratch.appendingPathComponent("all-moved")
        try FileManager.default.createDirectory(at: all, withIntermediateDirectories: true)
        let (observer, err) = try startObserver(["--cgroup", mount + target, "-o", "moved.seccomp.json", "--duration", "10m"])
        let (agent, agentErr) = try startObserver(["--all", "--out-dir", all.path, "--interval", "60s",
                                                   "--cgroup-root", mount + "/sf-exact-\(tag)"], ready: "Observing every cgroup")
        let lines = Pipe()
        // Started at home: the shell moves itself there and execs it.
        let moved = try shell("echo $$ > \(mount + home)/cgroup.procs && exec \(Self.helpers)/moved \(target) \(Self.runs) 100", output: lines)
        let reader = lines.fileHandleForReading
        func line() -> String {
            var text = ""
            while let byte = reader.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") { text.append(Character(UnicodeScalar(byte))) }
            return text
        }
        XCTAssertEqual(line(), "ready")
        let pid = String(moved.processIdentifier)
        for round in 1...Self.runs {
            // Another process moves it (this one): it sees the move, makes its calls, says so.
            try pid.write(toFile: mount + target + "/cgroup.procs", atomically: false, encoding: .utf8)
            XCTAssertEqual(line(), "in", "round \(round)")
            try pid.write(toFile: mount + home + "/cgroup.procs", atomically: false, encoding: .utf8)
            XCTAssertEqual(line(), "out", "round \(round)")
        }
        moved.waitUntilExit()
        XCTAssertEqual(moved.terminationStatus, 0, "moved did not finish its rounds")
        stop(observer, err)
        stop(agent, agentErr)
        let r = try recording("moved.recording.json")
        XCTAssertEqual(native(r)["getppid"], Self.runs * 100, "--cgroup: calls made in the target")
        XCTAssertNil(native(r)["getpgrp"], "--cgroup: calls made outside the target")
        assertNothingLost(r, "--cgroup, moved task")
        let inside = try recording("all-moved/cgroup-sf-exact-\(tag)-target.recording.json")
        let outside = try recording("all-moved/cgroup-sf-exact-\(tag)-home.recording.json")
        XCTAssertEqual(native(inside)["getppid"], Self.runs * 100, "--all: calls made in the target")
        XCTAssertNil(native(inside)["getpgrp"], "--all: calls made outside the target")
        XCTAssertEqual(native(outside)["getpgrp"], Self.runs * 100, "--all: calls made at home")
        XCTAssertNil(native(outside)["getppid"], "--all: calls made in the target")
    }
}
