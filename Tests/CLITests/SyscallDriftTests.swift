import Foundation
import XCTest
import TestSupport

/// The CI step of docs/ci.md, run as a CI job runs it: a test suite traced by seccomp-observe,
/// compared with the committed profile; new calls fail the step and are printed.
final class SyscallDriftTests: XCTestCase {
    static var helpers: String { TestEnvironment.helpers }

    func testNewSyscallsFailTheStepAndArePrinted() throws {
        try TestEnvironment.requireObserver()
        let scratch = try TestEnvironment.makeScratch("drift")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let script = TestEnvironment.packageRoot.appendingPathComponent("tools/ci/syscall-drift.sh").path
        let environment = ["SECCOMP_OBSERVE": ToolProcess.binary("seccomp-observe"), "SECCOMP_PROFILE": ToolProcess.binary("seccomp-profile"),
                           "DRIFT_DIR": scratch.appendingPathComponent("drift").path]
        // The "test suite" before and after a change that adds a call (getpgrp).
        let before = [Self.helpers + "/call-n-times", "getppid", "3"]
        let after = ["/bin/sh", "-c", "\(Self.helpers)/call-n-times getppid 3 && \(Self.helpers)/call-n-times getpgrp 5"]
        let committed = scratch.appendingPathComponent("app.seccomp.json").path
        let learn = try ToolProcess.run(ToolProcess.binary("seccomp-observe"), ["--quiet", "-o", committed, "--"] + after, in: scratch)
        XCTAssertEqual(learn.status, 0, learn.stderr)

        // The same suite: nothing new, exit 0.
        let same = try ToolProcess.run("/bin/sh", [script, committed, "--"] + after, in: scratch, environment: environment)
        XCTAssertEqual(same.status, 0, same.stdout + same.stderr)

        // A profile learned from less: the step fails and names the new call with its count.
        let smaller = scratch.appendingPathComponent("small.seccomp.json").path
        XCTAssertEqual(try ToolProcess.run(ToolProcess.binary("seccomp-observe"), ["--quiet", "-o", smaller, "--"] + before, in: scratch).status, 0)
        let drift = try ToolProcess.run("/bin/sh", [script, smaller, "--"] + after, in: scratch, environment: environment)
        XCTAssertEqual(drift.status, 1, drift.stdout + drift.stderr)
        XCTAssertTrue(drift.stdout.contains("+ getpgrp SCMP_ARCH_X86_64 (5 calls)"), drift.stdout)
        XCTAssertTrue(drift.stderr.contains("does not allow"), drift.stderr)

        // A failing suite is reported as such, not compared.
        let failing = try ToolProcess.run("/bin/sh", [script, committed, "--", "/bin/sh", "-c", "exit 3"], in: scratch, environment: environment)
        XCTAssertEqual(failing.status, 3, failing.stderr)
    }
}
