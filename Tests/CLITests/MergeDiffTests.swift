import Foundation
import XCTest
import TestSupport

/// `seccomp-profile merge` and `diff` on recordings and profiles, as a fleet or a CI job uses them.
final class MergeDiffTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try TestEnvironment.makeScratch("mergediff")
    }

    override func tearDownWithError() throws {
        TestEnvironment.removeScratch(scratch)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = scratch.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func recording(_ name: String, seconds: Double, _ counts: String) throws -> String {
        try write(name, #"{"format":"seccomp-forge-recording/1","target":"cgroup:/web","counts":{"SCMP_ARCH_X86_64":\#(counts)},"unnamed":{},"lost":{"beyondTable":0,"untrackedProcesses":0},"seconds":\#(seconds),"kernel":"6.18","runs":1}"#)
    }

    func tool(_ arguments: [String]) throws -> ToolProcess.Result {
        try ToolProcess.run(ToolProcess.binary("seccomp-profile"), arguments, in: scratch, directory: scratch)
    }

    func testMergeSumsCountsAndReportsCoverage() throws {
        let a = try recording("a.recording.json", seconds: 10, #"{"read":5,"write":2,"openat":1}"#)
        let b = try recording("b.recording.json", seconds: 20, #"{"read":7,"write":1,"epoll_wait":3}"#)
        let result = try tool(["merge", a, b, "-o", "web.seccomp.json", "--recording", "web.recording.json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("merged 2 recording(s), 30.0 s observed: 4 syscall(s), 19 calls; seen in every recording: 2"), result.stderr)
        XCTAssertTrue(result.stderr.contains("  epoll_wait (SCMP_ARCH_X86_64) 1/2"), result.stderr)
        let merged = try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.appendingPathComponent("web.recording.json"))) as! [String: Any]
        XCTAssertEqual((merged["counts"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"]?["read"], 12)
        XCTAssertEqual((merged["coverage"] as! [String: [String: Int]])["SCMP_ARCH_X86_64"]?["openat"], 1)
        XCTAssertEqual(merged["recordings"] as? Int, 2)
        let profile = try String(contentsOf: scratch.appendingPathComponent("web.seccomp.json"), encoding: .utf8)
        for name in ["read", "write", "openat", "epoll_wait"] { XCTAssertTrue(profile.contains("\"\(name)\""), name) }
        let broken = try write("broken.json", "{}")
        let refused = try tool(["merge", a, broken])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("broken.json: not a seccomp-forge recording"), refused.stderr)
    }

    func testDiffListsChangesAndFailsOnNewCalls() throws {
        let old = try write("old.json", #"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","write","close"],"action":"SCMP_ACT_ALLOW"}]}"#)
        let new = try write("new.json", #"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read","write","openat"],"action":"SCMP_ACT_ALLOW"}]}"#)
        let plain = try tool(["diff", old, new])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("+ openat SCMP_ARCH_X86_64\n"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("- close SCMP_ARCH_X86_64\n"), plain.stdout)
        let gate = try tool(["diff", old, new, "--fail-on-new"])
        XCTAssertEqual(gate.status, 1)
        XCTAssertTrue(gate.stderr.contains("needs 1 syscall(s)"), gate.stderr)
        XCTAssertEqual(try tool(["diff", new, new, "--fail-on-new"]).status, 0)
        // A recording as NEW: what a test run saw, with counts.
        let seen = try recording("run.recording.json", seconds: 1, #"{"read":3,"mmap":2}"#)
        let fromRun = try tool(["diff", old, seen, "--fail-on-new"])
        XCTAssertEqual(fromRun.status, 1)
        XCTAssertTrue(fromRun.stdout.contains("+ mmap SCMP_ARCH_X86_64 (2 calls)"), fromRun.stdout)
    }
}
