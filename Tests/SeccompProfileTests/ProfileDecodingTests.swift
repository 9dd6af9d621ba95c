import Foundation
import SeccompProfile
import XCTest

final class ProfileDecodingTests: XCTestCase {
    func testDockerDefaultDecodes() throws {
        let p = try Corpus.load("default.json")
        XCTAssertEqual(p.defaultAction, "SCMP_ACT_ERRNO")
        XCTAssertEqual(p.defaultErrnoRet, 1)
        XCTAssertNil(p.architectures)
        XCTAssertEqual(p.archMap?.first, ArchitectureGroup(architecture: "SCMP_ARCH_X86_64",
                                                           subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]))
        XCTAssertEqual(p.archMap?.first(where: { $0.architecture == "SCMP_ARCH_RISCV64" })?.subArchitectures, nil)
        let syscalls = try XCTUnwrap(p.syscalls)
        XCTAssertGreaterThan(syscalls.count, 20)
        XCTAssertTrue(syscalls[0].allNames.contains("read"))
        XCTAssertEqual(syscalls[0].action, "SCMP_ACT_ALLOW")
        let arch_prctl = try XCTUnwrap(syscalls.first { $0.names == ["arch_prctl"] })
        XCTAssertEqual(arch_prctl.includes?.arches, ["amd64", "x32"])
        XCTAssertTrue(ProfileValidator.validate(p).isEmpty, "\(ProfileValidator.validate(p))")
    }

    func testOldFormatWithSingularNameDecodes() throws {
        let p = try Corpus.load("fixture-default-old-format.json")
        XCTAssertEqual(p.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        let first = try XCTUnwrap(p.syscalls?.first)
        XCTAssertEqual(first.name, "accept")
        XCTAssertNil(first.names)
        XCTAssertEqual(first.allNames, ["accept"])
        XCTAssertEqual(first.args, [])
        XCTAssertTrue(ProfileValidator.validate(p).isEmpty)
    }

    func testExampleFixtureDecodesMaskedEqualAndErrnoRet() throws {
        let p = try Corpus.load("fixture-example.json")
        XCTAssertEqual(p.defaultErrnoRet, 1)
        let syscalls = try XCTUnwrap(p.syscalls)
        XCTAssertEqual(syscalls.map(\.allNames), [["clone"], ["open"], ["close"], ["syslog"]])
        XCTAssertEqual(syscalls[0].args, [ArgumentCondition(index: 0, value: 2_114_060_288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")])
        XCTAssertEqual(syscalls[3].errnoRet, 12345)
    }

    func testConditionalIncludeFixtureDecodesIncludesAndExcludes() throws {
        let p = try Corpus.load("fixture-conditional_include.json")
        let syscalls = try XCTUnwrap(p.syscalls)
        XCTAssertEqual(syscalls.count, 3)
        XCTAssertNil(syscalls[0].includes)
        XCTAssertEqual(syscalls[1].includes, ConditionalFilter(caps: ["CAP_SYSLOG"]))
        XCTAssertEqual(syscalls[2].excludes, ConditionalFilter(caps: ["CAP_SYS_ADMIN"]))
        XCTAssertEqual(syscalls[2].excludes?.isEmpty, false)
    }

    func testEveryCorpusFileSurvivesEncodeDecodeRoundTrip() throws {
        for name in Corpus.files {
            let original = try Corpus.load(name)
            let encoded = original.encoded()
            XCTAssertEqual(encoded.last, 0x0A, "\(name): encoded profile ends with a newline")
            let decoded = try Profile.decode(encoded, source: name)
            XCTAssertEqual(decoded, original, name)
        }
    }

    func testEncodingSortsKeysAndOmitsAbsentFields() throws {
        let p = Profile(defaultAction: "SCMP_ACT_ALLOW",
                        syscalls: [SyscallEntry(names: ["ptrace"], action: "SCMP_ACT_ERRNO", errnoRet: 1)])
        let text = String(decoding: p.encoded(), as: UTF8.self)
        let defaultAction = try XCTUnwrap(text.range(of: "\"defaultAction\""))
        let syscalls = try XCTUnwrap(text.range(of: "\"syscalls\""))
        XCTAssertLessThan(defaultAction.lowerBound, syscalls.lowerBound)
        XCTAssertFalse(text.contains("architectures"))
        XCTAssertFalse(text.contains("null"))
        XCTAssertEqual(try Profile.decode(p.encoded(), source: "x"), p)
    }

    func testTypeMismatchNamesTheJsonPath() {
        let problems = decodeProblems("""
            {"defaultAction": "SCMP_ACT_ERRNO",
             "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                           "args": [{"index": "x", "value": 1, "op": "SCMP_CMP_EQ"}]}]}
            """)
        XCTAssertEqual(problems.count, 1)
        XCTAssertEqual(problems.first?.path, "syscalls[0].args[0].index")
        XCTAssertEqual(problems.first?.message.hasPrefix("expected a non-negative integer"), true,
                       problems.first?.message ?? "")
    }

    func testStringWhereArrayExpectedNamesTheJsonPath() {
        let problems = decodeProblems("""
            {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": "read", "action": "SCMP_ACT_ALLOW"}]}
            """)
        XCTAssertEqual(problems.first?.path, "syscalls[0].names")
        XCTAssertEqual(problems.first?.message.hasPrefix("expected an array"), true, problems.first?.message ?? "")
    }

    func testFull64BitValuesDecodeExactly() throws {
        let p = try profile("""
            {"defaultAction": "SCMP_ACT_ERRNO",
             "syscalls": [{"names": ["ioctl"], "action": "SCMP_ACT_ALLOW",
                           "args": [{"index": 1, "value": 18446744073709551615, "valueTwo": 9007199254740993,
                                     "op": "SCMP_CMP_MASKED_EQ"}]}]}
            """)
        XCTAssertEqual(p.syscalls?[0].args?[0].value, UInt64.max)
        XCTAssertEqual(p.syscalls?[0].args?[0].valueTwo, 9_007_199_254_740_993, "no rounding through Double")
    }

    // BUG (Sources/SeccompProfile/ProfileCoding.swift, describe(_:data:)): on Linux, JSONDecoder
    // reports a negative or fractional number for a UInt64 field as dataCorrupted with an empty
    // coding path, so a well-formed profile is called "malformed JSON" with neither path nor location.
    func testNegativeErrnoRetIsReportedAtItsPathNotAsMalformedJson() {
        for value in ["-1", "1.5"] {
            let problems = decodeProblems("""
                {"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": \(value)}]}
                """)
            XCTAssertEqual(problems.first?.path, "syscalls[0].errnoRet", "errnoRet \(value): \(problems)")
            XCTAssertEqual(problems.first?.message.hasPrefix("malformed JSON"), false, "errnoRet \(value): \(problems)")
        }
    }

    /// As Docker: no defaultAction and no syscalls is no filter; with syscalls it is an error.
    func testMissingDefaultActionIsReported() throws {
        XCTAssertTrue(try profile(#"{"syscalls": []}"#).isUnconfined)
        let listed = try profile(#"{"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#)
        XCTAssertEqual(ProfileValidator.validate(listed).map(\.path), ["defaultAction"])
    }

    func testMissingActionInAnEntryIsReportedAtTheEntry() {
        let problems = decodeProblems(#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{}, {"names": ["read"]}]}"#)
        XCTAssertEqual(problems.first?.path, "syscalls[0]")
        XCTAssertEqual(problems.first?.message, "missing required field \"action\"")
    }

    func testMalformedJsonReportsLineAndColumn() throws {
        let problems = decodeProblems("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [\n    {,\n  ]\n}\n")
        let message = try XCTUnwrap(problems.first?.message)
        XCTAssertEqual(problems.first?.path, "")
        XCTAssertTrue(message.hasPrefix("malformed JSON at line 4, column "), message)
    }

    func testEmptyFileIsReportedAsEmpty() throws {
        let problems = decodeProblems("\n")
        let message = try XCTUnwrap(problems.first?.message)
        XCTAssertTrue(message.hasPrefix("malformed JSON"), message)
    }

    func testLoadReportsMissingFilesAndDirectories() throws {
        let missing = "/nonexistent/seccomp-forge/profile.json"
        XCTAssertThrowsError(try Profile.load(path: missing)) { error in
            let error = error as? ProfileLoadError
            XCTAssertEqual(error?.source, missing)
            XCTAssertEqual(error?.problems, [ProfileError("", "no such file")])
            XCTAssertEqual(error?.description, "\(missing): no such file")
        }
        let directory = NSTemporaryDirectory()
        XCTAssertThrowsError(try Profile.load(path: directory)) { error in
            XCTAssertEqual((error as? ProfileLoadError)?.problems, [ProfileError("", "is a directory")])
        }
    }

    func testLoadErrorDescriptionCountsFurtherProblems() {
        let one = ProfileLoadError(source: "p.json", problems: [ProfileError("a", "x")])
        XCTAssertEqual(one.description, "p.json: a: x")
        let three = ProfileLoadError(source: "p.json", problems: [ProfileError("a", "x"), ProfileError("", "y"), ProfileError("b", "z")])
        XCTAssertEqual(three.description, "p.json: a: x (and 2 more problems)")
        let two = ProfileLoadError(source: "p.json", problems: [ProfileError("", "y"), ProfileError("b", "z")])
        XCTAssertEqual(two.description, "p.json: y (and 1 more problem)")
    }
}
