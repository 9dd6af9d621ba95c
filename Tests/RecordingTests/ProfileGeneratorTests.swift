import Recording
import SeccompProfile
import SyscallTable
import XCTest

final class ProfileGeneratorTests: XCTestCase {
    func testProfileAllowsExactlyWhatWasSeenPerABI() throws {
        let recording = Recording(target: "command:demo", counts: [
            "SCMP_ARCH_X86": ["socketcall": 2, "read": 1],
            "SCMP_ARCH_X86_64": ["write": 3, "execve": 1, "exit_group": 1],
        ])
        let profile = ProfileGenerator.profile(from: recording)
        XCTAssertEqual(profile.defaultAction, "SCMP_ACT_ERRNO")
        XCTAssertEqual(profile.defaultErrnoRet, 1)
        XCTAssertEqual(profile.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
        // rt_sigreturn and restart_syscall are the kernel's own: allowed though a run without signals never shows them.
        XCTAssertEqual(profile.syscalls?.map(\.allNames), [["execve", "exit_group", "write"], ["read", "socketcall"],
                                                          ["rt_sigreturn", "restart_syscall"], ["clone3"]])
        // clone3 was not seen: ENOSYS (not EPERM), so glibc's pthread_create falls back to clone.
        XCTAssertEqual(profile.syscalls?.last?.action, "SCMP_ACT_ERRNO")
        XCTAssertEqual(profile.syscalls?.last?.errnoRet, 38)
        let seen = ProfileGenerator.profile(from: Recording(target: "x", counts: ["SCMP_ARCH_X86_64": ["clone3": 1]]))
        XCTAssertEqual(seen.syscalls?.map(\.allNames), [["clone3"], ["rt_sigreturn", "restart_syscall"]])
        XCTAssertTrue(ProfileValidator.validate(profile).isEmpty)
        // It round-trips through the JSON runc reads.
        XCTAssertEqual(try Profile.decode(profile.encoded(), source: "generated"), profile)
    }

    func testKillDefaultCarriesNoErrno() {
        let profile = ProfileGenerator.profile(from: Recording(target: "x", counts: ["SCMP_ARCH_X86_64": ["read": 1]]),
                                               defaultAction: "SCMP_ACT_KILL_PROCESS")
        XCTAssertNil(profile.defaultErrnoRet)
        XCTAssertTrue(ProfileValidator.validate(profile).isEmpty)
    }

    func testMergeAddsCountsRunsAndLosses() throws {
        var a = Recording(target: "t", counts: ["SCMP_ARCH_X86_64": ["read": 2]], lost: .init(beyondTable: 1), seconds: 1)
        let b = Recording(target: "t", counts: ["SCMP_ARCH_X86_64": ["read": 3, "write": 1], "SCMP_ARCH_X86": ["read": 1]],
                          lost: .init(untrackedProcesses: 2), seconds: 2)
        a.merge(b)
        XCTAssertEqual(a.counts["SCMP_ARCH_X86_64"], ["read": 5, "write": 1])
        XCTAssertEqual(a.counts["SCMP_ARCH_X86"], ["read": 1])
        XCTAssertEqual(a.lost, .init(beyondTable: 1, untrackedProcesses: 2))
        XCTAssertEqual(a.runs, 2)
        XCTAssertEqual(a.seconds, 3)
        XCTAssertEqual(a.totalCalls, 7)
        let decoded = try JSONDecoder().decode(Recording.self, from: a.encoded())
        XCTAssertEqual(decoded, a)
        XCTAssertEqual(decoded.format, "seccomp-forge-recording/1")
    }
}
