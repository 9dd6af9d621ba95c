import Foundation
import XCTest
import TestSupport

/// The `seccomp-profile` binary as a user runs it: output, one-line errors, exit status.
final class SeccompProfileCLITests: XCTestCase {
    static let packageRoot = TestEnvironment.packageRoot
    static let dockerDefault = packageRoot.appendingPathComponent("corpus/docker/default.json").path
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try TestEnvironment.makeScratch("cli")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func run(_ arguments: [String]) throws -> ToolProcess.Result {
        let binary = ToolProcess.binary("seccomp-profile")
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("seccomp-profile not built at \(binary): run make build")
        }
        return try ToolProcess.run(binary, arguments, in: scratch)
    }

    func profile(_ json: String, named name: String = "p.json") throws -> String {
        let path = scratch.appendingPathComponent(name).path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A bad input: exit status 2 and exactly one line on stderr containing `message`.
    func assertBadInput(_ arguments: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(arguments)
        XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(message), "expected \"\(message)\" in: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stdout.isEmpty, file: file, line: line)
    }

    func entry(_ fields: String) -> String {
        #"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {\#(fields)}]}"#
    }

    /// compile/stats --weights REC: the recording orders the search, stats reports the instructions
    /// per call as the recording made them; a file that is not a recording is a one-line error.
    func testWeightsFromARecording() throws {
        let recording = try profile("""
        {"format":"seccomp-forge-recording/1","target":"workload:web","counts":{"SCMP_ARCH_X86_64":{"epoll_wait":900000,"read":700000,"write":650000,"futex":300000,"execve":1}},
         "unnamed":{},"lost":{"beyondTable":0,"untrackedProcesses":0},"seconds":60,"kernel":"6.18","runs":1}
        """, named: "web.recording.json")
        let stats = try run(["stats", Self.dockerDefault, "--arch", "x86_64", "--weights", recording, "--json"])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        let weighted = try XCTUnwrap((json["weighted"] as? [[String: Any]])?.first)
        let plain = try XCTUnwrap(weighted["weightedMeanInstructions"] as? Double)
        let tuned = try XCTUnwrap(weighted["weightedMeanInstructionsCompiledWithWeights"] as? Double)
        XCTAssertLessThan(tuned, plain, "\(weighted)")
        let compiled = try run(["compile", Self.dockerDefault, "--arch", "x86_64", "--weights", recording, "-o", scratch.appendingPathComponent("f.bpf").path])
        XCTAssertEqual(compiled.status, 0, compiled.stderr)
        try assertBadInput(["compile", Self.dockerDefault, "--weights", try profile("{\"format\":\"seccomp-forge-recording/1\"}", named: "bad.json")],
                           "--weights \(scratch.appendingPathComponent("bad.json").path): not a seccomp-forge recording (missing \"target\" at $)")
        try assertBadInput(["compile", Self.dockerDefault, "--weights", scratch.appendingPathComponent("none.json").path], "cannot read the file")
    }

    func testArgumentIndexOutOfRangeIsNamedByPath() throws {
        let p = try profile(entry(#""names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]"#))
        try assertBadInput(["compile", p], "p.json: syscalls[1].args[0].index: 7 is out of range 0...5")
    }

    func testUnknownActionIsRejected() throws {
        let p = try profile(entry(#""names": ["write"], "action": "SCMP_ACT_MAYBE""#))
        try assertBadInput(["validate", p], "syscalls[1].action: unknown action \"SCMP_ACT_MAYBE\"")
    }

    func testUnknownOperatorIsRejected() throws {
        let p = try profile(entry(#""names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]"#))
        try assertBadInput(["check", p], "syscalls[1].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"")
    }

    func testUnknownArchitectureIsRejected() throws {
        let p = try profile(#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_PDP11"], "syscalls": []}"#)
        try assertBadInput(["compile", p], "architectures[0]: unknown architecture \"SCMP_ARCH_PDP11\"")
        try assertBadInput(["compile", Self.dockerDefault, "--arch", "vax"], "--arch: unknown architecture \"vax\"")
    }

    func testErrnoAbove4095IsRejected() throws {
        let p = try profile(entry(#""names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4096"#))
        try assertBadInput(["validate", p], "syscalls[1].errnoRet: 4096 is not below 4095: libseccomp, and so runc and Docker, refuse it")
        let fixture = Self.packageRoot.appendingPathComponent("corpus/docker/fixture-example.json").path
        try assertBadInput(["validate", fixture], "syscalls[3].errnoRet: 12345 is not below 4095")
    }

    /// Output files: a device is written in place (never replaced by a regular file), `-` is
    /// standard output, a symbolic link keeps pointing at its (atomically replaced) target.
    func testOutputsNeverReplaceDevicesAndFollowLinks() throws {
        var before = stat()
        XCTAssertEqual(stat("/dev/null", &before), 0)
        let toNull = try run(["compile", Self.dockerDefault, "-o", "/dev/null"])
        XCTAssertEqual(toNull.status, 0, toNull.stderr)
        var after = stat()
        XCTAssertEqual(stat("/dev/null", &after), 0)
        XCTAssertEqual(after.st_mode & S_IFMT, S_IFCHR, "/dev/null is no longer a device")
        XCTAssertEqual(after.st_rdev, before.st_rdev)
        let toStdout = try run(["compile", Self.dockerDefault, "--format", "c", "-o", "-"])
        XCTAssertEqual(toStdout.status, 0, toStdout.stderr)
        XCTAssertFalse(toStdout.stdout.isEmpty)
        let dir = try TestEnvironment.makeScratch("out")
        defer { try? FileManager.default.removeItem(at: dir) }
        let real = dir.appendingPathComponent("real.bpf").path, link = dir.appendingPathComponent("link.bpf").path
        XCTAssertEqual(symlink("real.bpf", link), 0)
        XCTAssertEqual(try run(["compile", Self.dockerDefault, "-o", link]).status, 0)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "real.bpf")
        XCTAssertGreaterThan((try FileManager.default.attributesOfItem(atPath: real)[.size] as? Int) ?? 0, 0)
    }

    func testEmptyNamesAreWarnedAndStrictRefusesThem() throws {
        let p = try profile(entry(#""names": [], "action": "SCMP_ACT_ALLOW""#))
        let result = try run(["validate", p])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("syscalls[1]: no syscall names, so the entry does nothing (as in Docker)"), result.stderr)
        let q = try profile(entry(#""names": [""], "action": "SCMP_ACT_ALLOW""#), named: "q.json")
        try assertBadInput(["validate", q, "--strict"], "syscalls[1].names[0]: unknown syscall \"\"")
        let r = try profile(#"{"defaultAction": "SCMP_ACT_ERRNO", "syscals": []}"#, named: "r.json")
        try assertBadInput(["validate", r, "--strict"], "syscals: unknown key \"syscals\"")
    }

    func testMalformedJSONGivesLineAndColumn() throws {
        let p = try profile("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [ {\"names\": [\"read\"],, } ]\n}\n")
        try assertBadInput(["validate", p], "p.json: malformed JSON at line 3,")
    }

    /// Every tool answers --version with its name and the release in VERSION (one source).
    func testEveryToolAnswersVersionFromTheVersionFile() throws {
        let release = try String(contentsOf: Self.packageRoot.appendingPathComponent("VERSION"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(release.isEmpty)
        for tool in ["seccomp-profile", "seccomp-observe", "seccomp-sandbox"] {
            let result = try ToolProcess.run(ToolProcess.binary(tool), ["--version"], in: scratch)
            XCTAssertEqual(result.status, 0, "\(tool): \(result.stderr)")
            XCTAssertEqual(result.stdout, "\(tool) \(release)\n", tool)
        }
    }

    /// Untrusted text nested far deeper than any profile is refused with a line, not a crash
    /// (50,000 levels once exhausted the stack of the parser that reads profiles as Docker does).
    func testDeeplyNestedJSONIsRefusedNotACrash() throws {
        for (depth, open, close) in [(50_000, "[", "]"), (50_000, "{\"a\":", "}"), (65, "[", "]")] {
            let text = #"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": "# + String(repeating: open, count: depth) + "1"
                + String(repeating: close, count: depth) + "}"
            let p = try profile(text, named: "deep.json")
            try assertBadInput(["validate", p], "deep.json: JSON nested deeper than 64 levels at line 1,")
        }
        // Brackets inside strings are not nesting.
        let quoted = try profile(#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "comment": ""# + String(repeating: "[", count: 5000) + #""}]}"#, named: "quoted.json")
        XCTAssertEqual(try run(["validate", quoted]).status, 0)
    }

    /// 1 MB of nested brackets, as a profile and as a recording, to every subcommand that reads
    /// one, and to seccomp-sandbox: one line naming the file, and the tool's bad-input status
    /// (2; seccomp-sandbox's own is 125, as runc's and Docker's), never a crash.
    func testAMegabyteOfNestingIsOneLineFromEveryReader() throws {
        let levels = 500_000
        let deep = try profile(String(repeating: "[", count: levels) + String(repeating: "]", count: levels), named: "mega.json")
        let recording = scratch.appendingPathComponent("mega.recording.json").path
        try FileManager.default.copyItem(atPath: deep, toPath: recording)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: deep)[.size] as? Int, 2 * levels)
        let out = scratch.appendingPathComponent("out").path
        for arguments in [["validate", deep], ["check", deep, "read"], ["explain", deep, "--syscall", "read"], ["compile", deep],
                          ["stats", deep], ["convert", deep, "--to", "kubernetes"], ["convert", deep, "--to", "systemd"],
                          ["diff", deep, Self.dockerDefault], ["diff", Self.dockerDefault, recording], ["merge", recording],
                          ["compile", Self.dockerDefault, "--weights", recording], ["prepare-sandbox", deep, "--out", out],
                          ["add-calls", deep, "--calls", "x86_64:read", "-o", out]] {
            let result = try run(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("mega."), "\(arguments) does not name the file: \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments) wrote output")
        }
        let sandbox = try ToolProcess.run(ToolProcess.binary("seccomp-sandbox"), ["--profile", deep, "--dry-run", "--", "/bin/true"], in: scratch,
                                          environment: ["SECCOMP_FORGE_NO_CACHE": "1", "SECCOMP_FORGE_PROFILE_TOOL": ToolProcess.binary("seccomp-profile")])
        XCTAssertEqual(sandbox.status, 125, sandbox.stderr)
        XCTAssertEqual(sandbox.stderr.split(separator: "\n").count, 1, sandbox.stderr)
        XCTAssertTrue(sandbox.stderr.contains("mega.json"), sandbox.stderr)
    }

    func testWrongTypeIsNamedByPath() throws {
        let p = try profile(entry(#""names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": "zero", "value": 1, "op": "SCMP_CMP_EQ"}]"#))
        try assertBadInput(["validate", p], "syscalls[1].args[0].index: expected a non-negative integer")
    }

    func testMissingFileAndMissingArgument() throws {
        try assertBadInput(["compile", scratch.appendingPathComponent("absent.json").path], "absent.json: no such file")
        try assertBadInput(["compile"], "Missing expected argument")
        try assertBadInput(["explain", Self.dockerDefault, "--syscall", "frobnicate"], "--syscall: unknown syscall \"frobnicate\"")
    }

    func testUnknownSyscallWarnsOrFailsWithStrict() throws {
        let p = try profile(entry(#""names": ["reed"], "action": "SCMP_ACT_ALLOW""#))
        let lenient = try run(["compile", p, "-o", scratch.appendingPathComponent("f.bpf").path])
        XCTAssertEqual(lenient.status, 0)
        XCTAssertTrue(lenient.stderr.contains("warning: \(p): syscalls[1].names[0]: unknown syscall \"reed\", skipped"), lenient.stderr)
        try assertBadInput(["compile", p, "--strict", "-o", scratch.appendingPathComponent("g.bpf").path], "syscalls[1].names[0]: unknown syscall \"reed\"")
    }

    func testCompileWritesLoadableRawFilter() throws {
        let out = scratch.appendingPathComponent("docker.bpf").path
        let result = try run(["compile", Self.dockerDefault, "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        let reported = result.stderr.split(separator: " ").dropFirst(2).first.flatMap { Int($0) }
        XCTAssertEqual(bytes.count, (reported ?? -1) * 8, result.stderr)
        // First instruction: A = arch (BPF_LD|BPF_W|BPF_ABS, k = 4).
        XCTAssertEqual(Array(bytes.prefix(8)), [0x20, 0, 0, 0, 4, 0, 0, 0])
    }

    func testCheckShowsNumbersActionAndRule() throws {
        // With Docker's default capabilities reboot (CAP_SYS_BOOT) falls to the default.
        let result = try run(["check", Self.dockerDefault, "reboot", "personality", "read", "--arch", "x86_64,x86"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = result.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        XCTAssertEqual(rows[0].prefix(4), ["syscall", "x86_64", "x86", "action"])
        XCTAssertEqual(rows[1].prefix(5), ["reboot", "169", "88", "ERRNO(1)", "default"])
        XCTAssertEqual(rows[2].prefix(4), ["personality", "135", "136", "args"])
        XCTAssertEqual(rows[3].prefix(4), ["read", "0", "3", "ALLOW"])
        let expect = try run(["check", Self.dockerDefault, "read", "reboot", "--expect-allowed"])
        XCTAssertEqual(expect.status, 1)
        XCTAssertTrue(expect.stderr.contains("not allowed everywhere: reboot"), expect.stderr)
    }

    func testExplainFollowsArgumentCheck() throws {
        let allowed = try run(["explain", Self.dockerDefault, "--syscall", "personality", "--args", "0x8", "--arch", "x86_64"])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertTrue(allowed.stdout.contains("result: ALLOW after"), allowed.stdout)
        XCTAssertTrue(allowed.stdout.contains("A = args[0]"), allowed.stdout)
        let denied = try run(["explain", Self.dockerDefault, "--syscall", "personality", "--args", "0x9", "--arch", "x86_64"])
        XCTAssertTrue(denied.stdout.contains("result: ERRNO(1) after"), denied.stdout)
        XCTAssertTrue(denied.stdout.contains("because: no rule matches; default action ERRNO(1)"), denied.stdout)
    }

    func testStatsMeetsTheCompilerGoalsOnDockerDefault() throws {
        let result = try run(["stats", Self.dockerDefault, "--numbers", "0-462", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let arches = json["architectures"] as! [[String: Any]]
        let x86_64 = arches.first { $0["architecture"] as? String == "x86_64" }!
        XCTAssertEqual(arches.map { $0["architecture"] as! String }, ["x86_64", "x86", "x32"])
        XCTAssertLessThanOrEqual(json["length"] as! Int, 400)
        XCTAssertLessThanOrEqual(x86_64["meanInstructions"] as! Double, 10)
        XCTAssertLessThanOrEqual(x86_64["longestPath"] as! Int, 14)
        XCTAssertEqual(x86_64["cacheable"] as! Int, x86_64["allowedWithoutArguments"] as! Int)
    }
}

/// Our raw compiled filter, loaded by bubblewrap (`bwrap --seccomp FD`): the format is the kernel's own.
final class BubblewrapFilterTests: XCTestCase {
    func testBubblewrapLoadsTheRawFilter() throws {
        let bwrap = "/usr/bin/bwrap"
        guard FileManager.default.isExecutableFile(atPath: bwrap) else {
            try TestEnvironment.unavailable("bubblewrap is not installed")
        }
        let scratch = try TestEnvironment.makeScratch("bwrap")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let profile = scratch.appendingPathComponent("p.json")
        try Data(#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#.utf8).write(to: profile)
        let filter = scratch.appendingPathComponent("filter.bpf")
        let compile = try ToolProcess.run(ToolProcess.binary("seccomp-profile"), ["compile", profile.path, "-o", filter.path], in: scratch)
        XCTAssertEqual(compile.status, 0, compile.stderr)
        // bwrap reads the filter from fd 3; a shell gives it one.
        let script = "exec \(bwrap) --bind / / --seccomp 3 /bin/sh -c 'echo inside; mkdir \(scratch.path)/d 2>&1; echo rc=$?' 3<\(filter.path)"
        let result = try ToolProcess.run("/bin/sh", ["-c", script], in: scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("inside\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Permission denied"), result.stdout)
        XCTAssertTrue(result.stdout.hasSuffix("rc=1\n"), result.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("d").path))
    }
}
