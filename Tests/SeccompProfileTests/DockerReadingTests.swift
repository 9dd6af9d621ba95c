import Foundation
import SeccompProfile
import XCTest

/// Profiles are read as Docker reads them (Go's encoding/json), and every place where
/// that differs from the letter of the text is reported.
final class DockerReadingTests: XCTestCase {
    func read(_ json: String, strict: Bool = false) throws -> (Profile, [String]) {
        let (profile, warnings) = try Profile.decodeReporting(Data(json.utf8), source: "p.json", strict: strict)
        return (profile, warnings)
    }

    /// `"valuetwo"` is valueTwo to Docker: dropping it would turn personality's masked rule into another one.
    func testKeysMatchCaseInsensitivelyAsInGo() throws {
        let (profile, warnings) = try read(#"{"DefaultAction":"SCMP_ACT_ERRNO","SYSCALLS":[{"Names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":255,"valuetwo":8,"OP":"SCMP_CMP_MASKED_EQ"}]}]}"#)
        XCTAssertEqual(profile.defaultAction, "SCMP_ACT_ERRNO")
        XCTAssertEqual(profile.syscalls?.first?.args?.first?.valueTwo, 8)
        XCTAssertEqual(profile.syscalls?.first?.args?.first?.op, "SCMP_CMP_MASKED_EQ")
        XCTAssertEqual(warnings.count, 5, "\(warnings)")
        XCTAssertTrue(warnings.contains("syscalls[0].args[0].valuetwo: \"valuetwo\" read as \"valueTwo\" (Docker matches keys case-insensitively)"), "\(warnings)")
    }

    /// The last of two equal keys counts, as in Go (so `check` says what Docker enforces).
    func testTheLastDuplicateKeyWins() throws {
        let (profile, warnings) = try read(#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_KILL","action":"SCMP_ACT_ALLOW"}]}"#)
        XCTAssertEqual(profile.syscalls?.first?.action, "SCMP_ACT_ALLOW")
        XCTAssertEqual(warnings, ["syscalls[0].action: given more than once; the last one counts (as in Docker)"])
    }

    func testUnknownKeysAreWarnedAndAnErrorWhenStrict() throws {
        let json = #"{"defaultAction":"SCMP_ACT_ALLOW","syscals":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO"}]}"#
        let (profile, warnings) = try read(json)
        XCTAssertNil(profile.syscalls)
        XCTAssertEqual(warnings, ["syscals: unknown key \"syscals\", ignored (as Docker ignores it)"])
        XCTAssertThrowsError(try read(json, strict: true)) { error in
            XCTAssertEqual("\(error)", "p.json: syscals: unknown key \"syscals\", ignored (as Docker ignores it)")
        }
    }

    /// Docker's rule: an empty "name" beside "names" is no name; two non-empty ones are refused.
    func testNameBesideNamesFollowsDocker() throws {
        let (profile, _) = try read(#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"","names":["read"],"action":"SCMP_ACT_ALLOW"}]}"#)
        XCTAssertEqual(profile.syscalls?.first?.allNames, ["read"])
        XCTAssertEqual(ProfileValidator.validate(profile), [])
        let (both, _) = try read(#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"write","names":["read"],"action":"SCMP_ACT_ALLOW"}]}"#)
        XCTAssertEqual(ProfileValidator.validate(both).map(\.path), ["syscalls[0].name"])
    }

    /// runc loads SPEC_ALLOW when a profile gives no "flags" at all, and nothing for "flags": [].
    func testFlagsAsRuncSetsThem() throws {
        let target = ResolutionTarget(architectures: [.x86_64], native: .x86_64, kernel: KernelVersion(major: 6, minor: 18))
        func flags(_ json: String) throws -> UInt32 {
            try PolicyResolver.resolve(try read(json).0, for: target, source: "p.json").filterFlagBits.rawValue
        }
        XCTAssertEqual(try flags(#"{"defaultAction":"SCMP_ACT_ALLOW"}"#), 1 << 2)
        XCTAssertEqual(try flags(#"{"defaultAction":"SCMP_ACT_ALLOW","flags":[]}"#), 0)
        XCTAssertEqual(try flags(#"{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_LOG"]}"#), 1 << 1)
    }

    /// `{}` is no filter to Docker: read as such, said so, compiled to allow everything.
    func testEmptyProfileMeansNoFilter() throws {
        let (profile, _) = try read("{}")
        XCTAssertTrue(profile.isUnconfined)
        XCTAssertEqual(ProfileValidator.validate(profile), [])
        let target = ResolutionTarget(architectures: [.x86_64], native: .x86_64, kernel: KernelVersion(major: 6, minor: 18))
        let policy = try PolicyResolver.resolve(profile, for: target, source: "p.json")
        XCTAssertTrue(policy.unconfined)
        XCTAssertTrue(policy.warnings.contains { $0.hasPrefix("the profile is empty: Docker runs such a container with no seccomp filter") })
        let (listed, _) = try read(#"{"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}"#)
        XCTAssertEqual(ProfileValidator.validate(listed).map(\.path), ["defaultAction"])
    }

    func testMalformedJSONStillSaysWhere() {
        XCTAssertThrowsError(try read("{\"defaultAction\": ")) { error in
            XCTAssertTrue("\(error)".contains("malformed JSON"), "\(error)")
        }
    }
}
