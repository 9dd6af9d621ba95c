import CBPF
import FilterCompiler
import Foundation
import SeccompProfile
import SyscallTable
import XCTest
import SeccompABI
import TestSupport

/// Loads compiled filters into the running kernel, in a child probe process
/// (`tools/probe/filter-probe.c`), and checks that the kernel does what the
/// profile says and what the `Emulator` predicts for the same call.
final class KernelFilterTests: XCTestCase {
    /// Lets the probe print its result and exit; every profile below includes it.
    static let plumbing = #"{"names":["write","exit","exit_group"],"action":"SCMP_ACT_ALLOW"}"#

    /// Default ERRNO(1); one rule per action the tests look at.
    static let profile = """
        {"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[
          \(plumbing),
          {"names":["getpid"],"action":"SCMP_ACT_ALLOW"},
          {"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
          {"names":["getpgrp"],"action":"SCMP_ACT_KILL_PROCESS"},
          {"names":["personality"],"action":"SCMP_ACT_ALLOW",
           "args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_EQ"}]}
        ]}
        """

    // MARK: native x86_64

    func testAllowedCallRunsAndReturnsItsResult() throws {
        let result = try expect(.allow, call: "getpid")
        XCTAssertGreaterThan(result.ret, 0, "getpid should return the probe's pid")
    }

    func testCallNotInProfileGetsDefaultErrno() throws {
        try expect(.errno(1), call: "getuid")
    }

    func testErrnoRuleReturnsItsOwnErrno() throws {
        try expect(.errno(13), call: "getppid")
    }

    func testNumberBeyondTableGetsENOSYS() throws {
        // 1000 is deliberately past every x86_64 syscall.
        try expect(.errno(38), number: 1000)
    }

    func testKillProcessRuleKillsWithSIGSYS() throws {
        try expect(.killProcess, call: "getpgrp")
    }

    func testArgumentConditionAllowsOnlyTheMatchingValue() throws {
        // personality(0xffffffff) only queries the persona, so allowing it is harmless.
        let query = try expect(.allow, call: "personality", args: [0xffff_ffff])
        XCTAssertGreaterThanOrEqual(query.ret, 0, "the query returns the current persona")
        try expect(.errno(1), call: "personality", args: [8])
    }

    // MARK: i386 under an x86_64 kernel

    func testX86CallsFollowTheProfileWhenX86IsCovered() throws {
        let both: [Architecture] = [.x86_64, .x86]
        let pid = try expect(.allow, call: "getpid", architectures: both, probe: .x86)
        XCTAssertGreaterThan(pid.ret, 0)
        try expect(.errno(1), call: "getuid", architectures: both, probe: .x86)
        try expect(.killProcess, call: "getpgrp", architectures: both, probe: .x86)
    }

    func testX86CallIsKilledWhenOnlyX86_64IsCovered() throws {
        try expect(.killProcess, call: "getpid", architectures: [.x86_64], probe: .x86)
    }

    // MARK: helpers

    struct ProbeResult {
        var ret: Int64 = 0
        var errno: Int32 = 0
        var action: SeccompAction
    }

    /// Runs `call` (a name from the probe architecture's table) through the kernel
    /// and the emulator; both must give `action`.
    @discardableResult
    func expect(_ action: SeccompAction, call: String, args: [UInt64] = [],
                architectures: [Architecture] = [.x86_64], probe: Architecture = .x86_64,
                file: StaticString = #filePath, line: UInt = #line) throws -> ProbeResult {
        let number = try XCTUnwrap(SyscallTable.forArchitecture(probe).number(of: call),
                                   "\(call) has no number on \(probe)", file: file, line: line)
        return try expect(action, number: number, args: args, architectures: architectures,
                          probe: probe, file: file, line: line)
    }

    @discardableResult
    func expect(_ action: SeccompAction, number: UInt32, args: [UInt64] = [],
                architectures: [Architecture] = [.x86_64], probe: Architecture = .x86_64,
                file: StaticString = #filePath, line: UInt = #line) throws -> ProbeResult {
        let policy = try PolicyResolver.resolve(
            Profile.decode(Data(Self.profile.utf8), source: "kernel-test"),
            for: ResolutionTarget(architectures: architectures, native: .x86_64,
                                  kernel: KernelVersion(major: 6, minor: 18)),
            source: "kernel-test")
        let program = try FilterCompiler.compile(policy).program

        let data = SeccompData(nr: number, arch: probe.auditArch, args: args)
        let predicted = try Emulator(program).run(data).action
        XCTAssertEqual(predicted, action, "emulator, \(probe) nr \(number)", file: file, line: line)

        let result = try runProbe(program, architecture: probe, number: number, args: args)
        XCTAssertEqual(result.action, action, "kernel, \(probe) nr \(number)", file: file, line: line)
        return result
    }

    /// Writes the filter to a temporary file and runs the probe on it.
    func runProbe(_ program: Program, architecture: Architecture, number: UInt32,
                  args: [UInt64]) throws -> ProbeResult {
        let probe = try probeURL(for: architecture)
        let filter = FileManager.default.temporaryDirectory
            .appendingPathComponent("seccomp-forge-\(UUID().uuidString).bpf")
        try Data(program.rawBytes).write(to: filter)
        defer { try? FileManager.default.removeItem(at: filter) }

        let process = Process()
        process.executableURL = probe
        process.arguments = [filter.path, String(number)] + args.map { "0x" + String($0, radix: 16) }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            // An i386 binary cannot start when the kernel lacks IA-32 emulation.
            try unavailable("cannot start \(probe.lastPathComponent): \(error)")
        }
        let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        switch (process.terminationReason, process.terminationStatus) {
        case (.uncaughtSignal, 31): // SIGSYS: the kernel's KILL_PROCESS
            return ProbeResult(action: .killProcess)
        case (.exit, 0):
            let fields = Dictionary(uniqueKeysWithValues: out.split(whereSeparator: \.isWhitespace).compactMap {
                field -> (String, Int64)? in
                let parts = field.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let value = Int64(parts[1]) else { return nil }
                return (String(parts[0]), value)
            })
            let ret = try XCTUnwrap(fields["ret"], "probe output: \(out)")
            let errno = Int32(try XCTUnwrap(fields["errno"], "probe output: \(out)"))
            return ProbeResult(ret: ret, errno: errno, action: ret == -1 ? .errno(UInt16(errno)) : .allow)
        case (.exit, 3) where err.contains("errno=38"):
            try unavailable("the kernel has no seccomp filter support: \(err)")
        case let (reason, status):
            throw ProbeFailure(description: "probe ended with \(reason) \(status): \(out)\(err)")
        }
    }

    struct ProbeFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The probe built by `make helpers`: from SECCOMP_FORGE_HELPERS, else `.build/helpers`.
    func probeURL(for architecture: Architecture) throws -> URL {
        let directory = URL(fileURLWithPath: TestEnvironment.helpers)
        let name = architecture == .x86 ? "filter-probe32" : "filter-probe"
        let url = directory.appendingPathComponent(name)
        if !FileManager.default.isExecutableFile(atPath: url.path) {
            try unavailable("\(url.path) is missing; build it with `make helpers`")
        }
        return url
    }

    /// A missing probe or kernel feature fails the test on CI and skips it elsewhere.
    func unavailable(_ reason: String) throws -> Never {
        if TestEnvironment.isCI {
            XCTFail(reason)
            throw ProbeFailure(description: reason) // ends the test; XCTFail alone would not
        }
        throw XCTSkip(reason)
    }
}
