import SeccompProfile
import XCTest

final class ProfileValidatorTests: XCTestCase {
    private func entry(_ names: [String]? = ["read"], action: String = "SCMP_ACT_ALLOW", errnoRet: UInt64? = nil,
                       args: [ArgumentCondition]? = nil, includes: ConditionalFilter? = nil,
                       excludes: ConditionalFilter? = nil) -> SyscallEntry {
        SyscallEntry(names: names, action: action, errnoRet: errnoRet, args: args, includes: includes, excludes: excludes)
    }

    private func problems(_ entries: [SyscallEntry], defaultAction: String = "SCMP_ACT_ERRNO") -> [String] {
        ProfileValidator.validate(Profile(defaultAction: defaultAction, syscalls: entries)).map(\.description)
    }

    func testValidProfileHasNoProblems() {
        XCTAssertEqual(problems([entry(), entry(["open"], action: "SCMP_ACT_ERRNO", errnoRet: 13)]), [])
    }

    func testArgumentIndexAboveFiveIsOutOfRange() {
        let args = [ArgumentCondition(index: 7, value: 0, op: "SCMP_CMP_EQ")]
        XCTAssertEqual(problems([entry(args: args)]), ["syscalls[0].args[0].index: 7 is out of range 0...5"])
        let five = [ArgumentCondition(index: 5, value: 0, op: "SCMP_CMP_EQ")]
        XCTAssertEqual(problems([entry(args: five)]), [])
    }

    func testUnknownActionIsReportedWithItsPath() {
        let found = problems([entry(), entry(action: "SCMP_ACT_ALLOWED")])
        XCTAssertEqual(found.count, 1)
        XCTAssertTrue(found[0].hasPrefix("syscalls[1].action: unknown action \"SCMP_ACT_ALLOWED\"; known: SCMP_ACT_KILL,"), found[0])
        let defaultProblem = ProfileValidator.validate(Profile(defaultAction: "ALLOW")).map(\.path)
        XCTAssertEqual(defaultProblem, ["defaultAction"])
    }

    func testUnknownOperatorIsReported() {
        let args = [ArgumentCondition(index: 0, value: 0, op: "SCMP_CMP_EQUAL")]
        let found = problems([entry(args: args)])
        XCTAssertEqual(found.count, 1)
        XCTAssertTrue(found[0].hasPrefix("syscalls[0].args[0].op: unknown operator \"SCMP_CMP_EQUAL\"; known: "), found[0])
        XCTAssertTrue(found[0].contains("SCMP_CMP_MASKED_EQ"))
    }

    func testUnknownArchitectureInArchitecturesIsReported() {
        let p = Profile(defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"])
        let found = ProfileValidator.validate(p)
        XCTAssertEqual(found.map(\.path), ["architectures[1]"])
        XCTAssertTrue(found[0].message.hasPrefix("unknown architecture \"SCMP_ARCH_VAX\""), found[0].message)
    }

    func testUnknownArchitectureInArchMapIsReported() {
        let p = Profile(defaultAction: "SCMP_ACT_ERRNO", archMap: [
            ArchitectureGroup(architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X33"]),
            ArchitectureGroup(architecture: "pdp11"),
        ])
        XCTAssertEqual(ProfileValidator.validate(p).map(\.path), ["archMap[0].subArchitectures[1]", "archMap[1].architecture"])
    }

    func testUnknownArchitectureInIncludesArchesIsReported() {
        let found = problems([
            entry(includes: ConditionalFilter(arches: ["amd64", "sparc"])),
            entry(excludes: ConditionalFilter(arches: ["vax"])),
        ])
        XCTAssertEqual(found.count, 2)
        XCTAssertTrue(found[0].hasPrefix("syscalls[0].includes.arches[1]: unknown architecture \"sparc\""), found[0])
        XCTAssertTrue(found[1].hasPrefix("syscalls[1].excludes.arches[0]: unknown architecture \"vax\""), found[1])
    }

    func testErrnoRetAboveMaxErrnoIsRejected() {
        XCTAssertEqual(problems([entry(action: "SCMP_ACT_ERRNO", errnoRet: 4096)]),
                       ["syscalls[0].errnoRet: 4096 is not below 4095: libseccomp, and so runc and Docker, refuse it"])
        XCTAssertEqual(problems([entry(action: "SCMP_ACT_ERRNO", errnoRet: 4095)]).count, 1, "runc refuses 4095 too")
        XCTAssertEqual(problems([entry(action: "SCMP_ACT_ERRNO", errnoRet: 4094)]), [])
        let p = Profile(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 70000)
        XCTAssertEqual(ProfileValidator.validate(p).map(\.path), ["defaultErrnoRet"])
    }

    func testTraceTakesSixteenBitMessages() {
        XCTAssertEqual(problems([entry(action: "SCMP_ACT_TRACE", errnoRet: 65535)]), [])
        XCTAssertEqual(problems([entry(action: "SCMP_ACT_TRACE", errnoRet: 65536)]).count, 1)
    }

    func testErrnoRetOnAllowIsRejected() {
        XCTAssertEqual(problems([entry(action: "SCMP_ACT_ALLOW", errnoRet: 1)]),
                       ["syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value, not SCMP_ACT_ALLOW"])
    }

    /// As Docker: an entry without names adds nothing (the resolver warns); an empty name
    /// is an unknown one (skipped with a warning, an error with --strict); only a non-empty
    /// "name" beside non-empty "names" is refused.
    func testNamesFollowDockersRules() throws {
        XCTAssertEqual(problems([entry(nil)]), [])
        XCTAssertEqual(problems([entry([])]), [])
        XCTAssertEqual(problems([SyscallEntry(name: "read", action: "SCMP_ACT_ALLOW")]), [])
        XCTAssertEqual(problems([entry(["read", ""])]), [])
        XCTAssertEqual(problems([SyscallEntry(names: ["read"], name: "write", action: "SCMP_ACT_ALLOW")]),
                       ["syscalls[0].name: both \"name\" and \"names\" are given; Docker refuses that: use either"])
        let target = ResolutionTarget(architectures: [.x86_64], native: .x86_64, kernel: KernelVersion(major: 6, minor: 18))
        let policy = try PolicyResolver.resolve(Profile(defaultAction: "SCMP_ACT_ERRNO", syscalls: [entry([]), entry(["read", ""])]),
                                                for: target, source: "p.json")
        XCTAssertEqual(policy.rules.map(\.syscall), ["read"])
        XCTAssertEqual(policy.warnings, ["syscalls[0]: no syscall names, so the entry does nothing (as in Docker)",
                                         "syscalls[1].names[1]: unknown syscall \"\", skipped"])
    }

    func testArchitecturesAndArchMapTogetherAreRejected() {
        let p = Profile(defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64"],
                        archMap: [ArchitectureGroup(architecture: "SCMP_ARCH_X86_64")])
        XCTAssertEqual(ProfileValidator.validate(p).map(\.description),
                       ["archMap: a profile gives either \"architectures\" or \"archMap\", not both"])
    }

    func testUnknownFlagIsRejected() {
        let p = Profile(defaultAction: "SCMP_ACT_ERRNO", flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FAST"])
        let found = ProfileValidator.validate(p)
        XCTAssertEqual(found.map(\.path), ["flags[1]"])
        XCTAssertTrue(found[0].message.hasPrefix("unknown flag \"SECCOMP_FILTER_FLAG_FAST\"; known: "), found[0].message)
    }

    func testBadMinKernelIsRejected() {
        XCTAssertEqual(problems([entry(includes: ConditionalFilter(minKernel: "four"))]),
                       ["syscalls[0].includes.minKernel: \"four\" is not a kernel version like \"4.8\""])
        XCTAssertEqual(problems([entry(excludes: ConditionalFilter(minKernel: "5"))]).count, 1)
        XCTAssertEqual(problems([entry(includes: ConditionalFilter(minKernel: "5.10"))]), [])
    }

    func testBadCapabilityNameIsRejected() {
        let found = problems([entry(includes: ConditionalFilter(caps: ["CAP_SYS_ADMIN", "CAP_"]))])
        XCTAssertEqual(found, ["syscalls[0].includes.caps[1]: \"CAP_\" is not a capability name like CAP_SYS_ADMIN"])
    }

    func testProblemsComeInDocumentOrder() {
        let p = Profile(defaultAction: "NOPE", architectures: ["x"], flags: ["y"], syscalls: [
            entry(action: "bad"),
            entry(args: [ArgumentCondition(index: 9, value: 0, op: "?")]),
        ])
        XCTAssertEqual(ProfileValidator.validate(p).map(\.path), [
            "defaultAction", "architectures[0]", "flags[0]", "syscalls[0].action",
            "syscalls[1].args[0].index", "syscalls[1].args[0].op",
        ])
    }

    func testExampleFixtureErrnoRetIsReported() throws {
        let found = ProfileValidator.validate(try Corpus.load("fixture-example.json"))
        XCTAssertEqual(found.map(\.description),
                       ["syscalls[3].errnoRet: 12345 is not below 4095: libseccomp, and so runc and Docker, refuse it"])
    }

    func testActionMapping() {
        XCTAssertEqual(ProfileValidator.action("SCMP_ACT_KILL", errno: nil), .killThread)
        XCTAssertEqual(ProfileValidator.action("SCMP_ACT_KILL_THREAD", errno: nil), .killThread)
        XCTAssertEqual(ProfileValidator.action("SCMP_ACT_KILL_PROCESS", errno: nil), .killProcess)
        XCTAssertEqual(ProfileValidator.action("SCMP_ACT_TRAP", errno: nil), .trap)
        XCTAssertEqual(ProfileValidator.action("SCMP_ACT_ERRNO", errno: nil), .errno(1), "EPERM by default")
        XCTAssertEqual(ProfileValidator.action("SCMP_ACT_ERRNO", errno: 38), .errno(38))
        XCTAssertEqual(ProfileValidator.action("SCMP_ACT_TRACE", errno: 7), .trace(7))
        XCTAssertEqual(ProfileValidator.action("SCMP_ACT_NOTIFY", errno: nil), .userNotification)
        XCTAssertEqual(ProfileValidator.action("SCMP_ACT_LOG", errno: nil), .log)
        XCTAssertEqual(ProfileValidator.action("SCMP_ACT_ALLOW", errno: nil), .allow)
        XCTAssertNil(ProfileValidator.action("allow", errno: nil))
    }
}
