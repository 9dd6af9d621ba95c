import FilterCompiler
import Foundation
import Observer
import SeccompProfile
import Recording
import SyscallTable
import XCTest
import TestSupport

/// The eBPF observer on the real kernel: exact counts, complete sets (strace as
/// the reference), i386 calls named from the i386 table, isolation between
/// targets, and nothing left behind.
final class ObserverTests: XCTestCase {
    static let packageRoot = TestEnvironment.packageRoot
    static var helpers: String { TestEnvironment.helpers }

    /// Root and BTF are needed; in CI their absence is a failure, elsewhere a skip.
    func requireKernelFeatures() throws {
        try TestEnvironment.requireObserver()
    }

    func observe(_ command: [String]) throws -> ObservationSession.Outcome {
        let session = try ObservationSession(cgroups: [], pids: [], command: command)
        return try session.run(duration: 30)
    }

    func names(_ recording: Recording, _ abi: Architecture = .x86_64) -> Set<String> {
        Set(recording.counts[abi.profileName]?.keys.map { $0 } ?? [])
    }

    func testExactCountOfARareSyscall() throws {
        try requireKernelFeatures()
        let helper = Self.helpers + "/call-n-times"
        for n in [1, 7, 1000] {
            let outcome = try observe([helper, "getppid", String(n)])
            XCTAssertEqual(outcome.commandStatus, 0)
            XCTAssertEqual(outcome.recordings[0].counts["SCMP_ARCH_X86_64"]?["getppid"], UInt64(n), "getppid \(n) times")
            XCTAssertTrue(outcome.recordings[0].lost.isZero)
        }
    }

    /// The set of names equals what `strace -f` records for the same command.
    /// Where tp_btf programs are refused the raw tracepoint carries the same counter.
    func testRawTracepointFallbackCountsExactly() throws {
        try requireKernelFeatures()
        setenv("SECCOMP_FORGE_FORCE_RAW_TP", "1", 1)
        defer { unsetenv("SECCOMP_FORGE_FORCE_RAW_TP") }
        let session = try ObservationSession(cgroups: [], pids: [], command: [Self.helpers + "/call-n-times", "getppid", "11"])
        XCTAssertEqual(session.attachPoint, "raw_tp/sys_enter")
        let outcome = try session.run(duration: 30)
        XCTAssertEqual(outcome.recordings[0].counts["SCMP_ARCH_X86_64"]?["getppid"], 11)
        XCTAssertEqual(outcome.recordings[0].counts["SCMP_ARCH_X86_64"]?["execve"], 1)
    }

    func testSetsMatchStrace() throws {
        try requireKernelFeatures()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            try TestEnvironment.unavailable("strace is not installed")
        }
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "python3"
        let commands: [[String]] = [
            ["/bin/ls", "-l", "/"],
            ["/bin/sh", "-c", "echo hi | cat"],
            [python, "-c", "import json"],
            [Self.helpers + "/threads", "4"],
        ]
        for command in commands {
            let ours = names(try observe(command).recordings[0])
            let reference = try strace(command)
            XCTAssertEqual(ours, reference, "\(command.joined(separator: " ")): only ours \(ours.subtracting(reference).sorted()), only strace \(reference.subtracting(ours).sorted())")
            XCTAssertTrue(ours.contains("execve"))
        }
    }

    func testI386CallsAreNamedFromTheI386Table() throws {
        try requireKernelFeatures()
        let outcome = try observe([Self.helpers + "/call-n-times32", "getppid", "3"])
        XCTAssertEqual(outcome.commandStatus, 0)
        let recording = outcome.recordings[0]
        XCTAssertEqual(recording.counts["SCMP_ARCH_X86"]?["getppid"], 3)
        // socketcall-era names exist only in the i386 table; x86_64 names must not appear for these calls.
        XCTAssertNil(recording.counts["SCMP_ARCH_X86_64"]?["getppid"])
        XCTAssertTrue(names(recording, .x86).contains("exit_group"))
    }

    /// int 0x80 from 64-bit code is an i386 call (the kernel sets TS_COMPAT; seccomp checks it
    /// against AUDIT_ARCH_I386): i386's getpid (20), not x86_64's writev (20), on both attach points.
    /// The profile generated from it then runs the program under the compiled filter.
    func testInt80From64BitCodeIsAnI386Call() throws {
        try requireKernelFeatures()
        for raw in [false, true] {
            if raw { setenv("SECCOMP_FORGE_FORCE_RAW_TP", "1", 1) } else { unsetenv("SECCOMP_FORGE_FORCE_RAW_TP") }
            defer { unsetenv("SECCOMP_FORGE_FORCE_RAW_TP") }
            let outcome = try observe([Self.helpers + "/int80", "5"])
            XCTAssertEqual(outcome.commandStatus, 0)
            let recording = outcome.recordings[0]
            XCTAssertEqual(recording.counts["SCMP_ARCH_X86"]?["getpid"], 5, "raw_tp: \(raw): \(recording.counts)")
            XCTAssertNil(recording.counts["SCMP_ARCH_X86_64"]?["writev"], "raw_tp: \(raw)")
        }
    }

    func testCallsOutsideTheTargetAreNotRecorded() throws {
        try requireKernelFeatures()
        // A busy neighbour making the same call outside the target cgroup.
        let neighbour = Process()
        neighbour.executableURL = URL(fileURLWithPath: Self.helpers + "/call-n-times")
        neighbour.arguments = ["getppid", "2000000"]
        try neighbour.run()
        defer { neighbour.terminate(); neighbour.waitUntilExit() }
        let outcome = try observe([Self.helpers + "/call-n-times", "getppid", "5"])
        XCTAssertEqual(outcome.recordings[0].counts["SCMP_ARCH_X86_64"]?["getppid"], 5)
    }

    func testProcessTreeTargetFollowsForks() throws {
        try requireKernelFeatures()
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: "/bin/sh")
        // Waits, then forks a child that makes calls the parent never makes itself.
        parent.arguments = ["-c", "read line; \(Self.helpers)/call-n-times getppid 9"]
        let input = Pipe()
        parent.standardInput = input
        try parent.run()
        let session = try ObservationSession(cgroups: [], pids: [parent.processIdentifier], command: nil)
        input.fileHandleForWriting.write(Data("go\n".utf8))
        parent.waitUntilExit()
        let outcome = try session.run(duration: 0.2)
        XCTAssertEqual(outcome.recordings[0].counts["SCMP_ARCH_X86_64"]?["getppid"], 9)
        XCTAssertTrue(outcome.recordings[0].target.hasPrefix("pid:"))
    }

    func testNothingIsLeftBehind() throws {
        try requireKernelFeatures()
        let mount = try CgroupV2.mountPoint()
        let before = try FileManager.default.contentsOfDirectory(atPath: mount).filter { $0.hasPrefix("seccomp-forge-") }
        // The kernel frees programs after an RCU grace period: earlier tests' may still be going.
        let programsBefore = try settledPrograms()
        _ = try observe(["/bin/true"])
        let after = try FileManager.default.contentsOfDirectory(atPath: mount).filter { $0.hasPrefix("seccomp-forge-") }
        XCTAssertEqual(before, after, "the command's cgroup is removed")
        XCTAssertEqual(try settledPrograms(), programsBefore, "the programs are unloaded")
    }

    func testBadTargetsGiveClearErrors() throws {
        try requireKernelFeatures()
        XCTAssertThrowsError(try ObservationSession(cgroups: ["/sys/fs/cgroup/unified/does-not-exist"], pids: [], command: nil)) {
            XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
        }
        XCTAssertThrowsError(try ObservationSession(cgroups: ["/tmp"], pids: [], command: nil)) {
            XCTAssertTrue("\($0)".contains("is not in the cgroup v2 hierarchy"), "\($0)")
        }
        XCTAssertThrowsError(try ObservationSession(cgroups: [], pids: [999_999_999], command: nil)) {
            XCTAssertTrue("\($0)".contains("no such process"), "\($0)")
        }
        XCTAssertThrowsError(try observe(["/definitely/not/here"])) {
            XCTAssertEqual(($0 as? ObserverError)?.kind, .commandFailed(errno: ENOENT), "\($0)")
        }
    }

    /// Round trip: the profile made from observing a command runs that command under
    /// seccomp-sandbox (our compiled filter) with identical output; a command that needs
    /// more than was observed is stopped, and the call is named.
    func testGeneratedProfileRunsTheCommandUnchanged() throws {
        try requireKernelFeatures()
        let sandbox = (ProcessInfo.processInfo.environment["SECCOMP_FORGE_BIN"] ?? Self.packageRoot.appendingPathComponent(".build/release").path) + "/seccomp-sandbox"
        guard FileManager.default.isExecutableFile(atPath: sandbox) else {
            try TestEnvironment.unavailable("seccomp-sandbox not built at \(sandbox)")
        }
        setenv("SECCOMP_FORGE_NO_CACHE", "1", 1)  // leave the user's filter cache alone
        defer { unsetenv("SECCOMP_FORGE_NO_CACHE") }
        for command in [["/bin/ls", "-l", "/usr"], ["/bin/sh", "-c", "echo hi | cat"]] {
            let profile = try profileFile(for: try observe(command).recordings[0])
            let plain = try capture(command)
            let confined = try capture([sandbox, "--profile", profile, "--"] + command)
            XCTAssertEqual(confined.status, 0, command.joined(separator: " "))
            XCTAssertEqual(confined.output, plain.output, command.joined(separator: " "))
        }
        // Observed: plain `ls /usr`. Run: `ls -l /usr`, which also needs the calls that read file details.
        let profile = try profileFile(for: try observe(["/bin/ls", "/usr"]).recordings[0])
        let wider = try capture([sandbox, "--verbose", "--profile", profile, "--", "/bin/ls", "-l", "/usr"], stderr: true)
        XCTAssertTrue(wider.output.contains("[ls] Denied: syscall "), wider.output)
    }

    /// Calls through the legacy vsyscall page never reach sys_enter (the kernel
    /// emulates them at the page fault, and seccomp checks them there as the x86_64
    /// calls they stand for): they are counted from the emulation's tracepoint, so
    /// the profile allows them and the program runs under it — the kernel's filter
    /// would answer an unlisted `time` with EPERM, and the probe fails on that.
    func testCallsThroughTheVsyscallPageAreCountedAndAllowed() throws {
        try requireKernelFeatures()
        let probe = [Self.helpers + "/vsyscall", "6"]
        let outcome = try observe(probe)
        if outcome.commandStatus == 77 {
            try TestEnvironment.unavailable("this kernel maps no vsyscall page (vsyscall=none)")
        }
        XCTAssertEqual(outcome.commandStatus, 0)
        XCTAssertEqual(outcome.recordings[0].counts["SCMP_ARCH_X86_64"]?["time"], 6)
        setenv("SECCOMP_FORGE_FORCE_RAW_TP", "1", 1)  // the raw_tp twin counts them too
        let raw = try observe(probe)
        unsetenv("SECCOMP_FORGE_FORCE_RAW_TP")
        XCTAssertEqual(raw.recordings[0].counts["SCMP_ARCH_X86_64"]?["time"], 6, "raw_tp")
        let filter = try compiledFilter(for: outcome.recordings[0])
        XCTAssertEqual(try capture([Self.helpers + "/run-filtered", filter] + probe).status, 0)
        // The control: the same profile without `time` stops the probe.
        var without = outcome.recordings[0]
        without.counts["SCMP_ARCH_X86_64"]?["time"] = nil
        XCTAssertNotEqual(try capture([Self.helpers + "/run-filtered", try compiledFilter(for: without)] + probe).status, 0)
    }

    // The compiled form of the same profile, run by a plain installer, gives the same output too.
    func testGeneratedProfileCompiledFilterRunsTheCommand() throws {
        try requireKernelFeatures()
        let command = ["/bin/sh", "-c", "echo hi | cat"]
        let filter = try compiledFilter(for: try observe(command).recordings[0])
        let confined = try capture([Self.helpers + "/run-filtered", filter] + command)
        XCTAssertEqual(confined.status, 0)
        XCTAssertEqual(confined.output, "hi\n")
    }

    // MARK: helpers

    func profileFile(for recording: Recording) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("roundtrip-\(UUID().uuidString).seccomp.json")
        try RecordingFiles.write(recording, profilePath: path.path)
        addTeardownBlock {
            try? FileManager.default.removeItem(at: path)
            try? FileManager.default.removeItem(atPath: RecordingFiles.recordingPath(forProfile: path.path))
        }
        return path.path
    }

    func compiledFilter(for recording: Recording) throws -> String {
        let profile = ProfileGenerator.profile(from: recording)
        let policy = try PolicyResolver.resolve(profile, for: ResolutionTarget(), source: "generated")
        let program = try FilterCompiler.compile(policy).program
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("roundtrip-\(UUID().uuidString).bpf")
        try Data(program.rawBytes).write(to: path)
        addTeardownBlock { try? FileManager.default.removeItem(at: path) }
        return path.path
    }

    /// Runs a command; its standard output (or, with `stderr`, its standard error).
    func capture(_ command: [String], stderr: Bool = false) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let pipe = Pipe()
        if stderr {
            process.standardError = pipe
            process.standardOutput = FileHandle.nullDevice
        } else {
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Syscall names `strace -f` sees (x86_64 personality).
    func strace(_ command: [String]) throws -> Set<String> {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("strace-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        process.arguments = ["-f", "-qq", "-o", log.path] + command
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        var names: Set<String> = []
        for line in try String(contentsOf: log, encoding: .utf8).split(separator: "\n") {
            var rest = Substring(line)
            if let space = rest.firstIndex(of: " "), rest[..<space].allSatisfy(\.isNumber) { rest = rest[rest.index(after: space)...] }
            rest = rest.drop(while: { $0 == " " })
            if rest.hasPrefix("<... ") { rest = rest.dropFirst(5) }
            let name = rest.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" })
            if !name.isEmpty, rest.dropFirst(name.count).first.map({ $0 == "(" || $0 == " " }) == true,
               SyscallTable.forArchitecture(.x86_64).number(of: String(name)) != nil {
                names.insert(String(name))
            }
        }
        return names
    }

    /// The observer's programs still loaded, once the kernel has finished freeing closed ones (≤ 5 s).
    func settledPrograms() throws -> Int {
        var count = try bpfPrograms().count
        for _ in 0..<50 where count > 0 {
            usleep(100_000)
            count = try bpfPrograms().count
        }
        return count
    }

    func bpfPrograms() throws -> [String] {
        try capture(["/usr/sbin/bpftool", "prog", "list"]).output.split(separator: "\n")
            .filter { $0.contains("count_btf") || $0.contains("count_raw") }.map(String.init)
    }
}
