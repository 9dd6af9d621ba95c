import CBPF
import FilterCompiler
import Foundation
import SeccompProfile
import SyscallTable
import XCTest
import SeccompABI
import TestSupport

/// Our filters against libseccomp's (with runc's rule translation), call by call:
/// every syscall number of x86_64, x86 and x32, and argument vectors at every
/// rule's boundaries. Numbers of syscalls libseccomp 2.5.4 does not know are
/// judged by the rules' meaning (`Policy.decide`) instead, and counted.
final class DifferentialTests: XCTestCase {
    static let architectures: [Architecture] = [.x86_64, .x86, .x32]

    func testDockerDefaultProfileMatchesLibseccomp() throws {
        let oracle = try Oracle.locate()
        let unknown = try oracle.unjudgeable(on: Self.architectures).differ
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("corpus/docker/default.json")
        let profile = try Profile.decode(try Data(contentsOf: url), source: url.path)
        let target = ResolutionTarget(architectures: Self.architectures, native: .x86_64,
                                      kernel: KernelVersion(major: 6, minor: 18))
        let policy = try PolicyResolver.resolve(profile, for: target, source: url.path)
        let rules = policy.rules.map { ($0.syscall, $0.action, $0.conditions) }
        for optimize in [1, 2] {
            let report = try compare(policy: policy, oracleRules: rules, oracle: oracle, unknown: unknown, optimize: optimize)
            XCTAssertEqual(report.mismatches, 0, report.details)
            XCTAssertEqual(report.libseccompLayout + report.libseccompRangeMerge, 0)
            XCTAssertGreaterThan(report.checked, 1000)
            print("docker default (optimize \(optimize)): \(report.checked) calls checked against libseccomp, \(report.judgedByRules) by the rules (\(report.unknownNamesInPolicy.sorted().count) names libseccomp 2.5.4 does not know on some of these architectures: \(report.unknownNamesInPolicy.sorted().joined(separator: ", "))), 0 mismatches")
        }
    }

    /// Compiled with weights (`compile --weights REC`: the calls made most often first), the
    /// filter still decides every call as libseccomp's does, and the weighted calls run fewer
    /// instructions than without weights.
    func testWeightedCompileOfDockerDefaultMatchesLibseccomp() throws {
        let oracle = try Oracle.locate()
        let unknown = try oracle.unjudgeable(on: Self.architectures).differ
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("corpus/docker/default.json")
        let profile = try Profile.decode(try Data(contentsOf: url), source: url.path)
        let target = ResolutionTarget(architectures: Self.architectures, native: .x86_64, kernel: KernelVersion(major: 6, minor: 18))
        let policy = try PolicyResolver.resolve(profile, for: target, source: url.path)
        // A skewed workload: a few calls very often (a server's loop), some now and then.
        let counts: [String: UInt64] = ["epoll_wait": 900_000, "read": 700_000, "write": 650_000, "futex": 300_000,
                                        "clock_gettime": 120_000, "openat": 5_000, "close": 5_000, "newfstatat": 3_000,
                                        "mmap": 400, "socket": 30, "clone": 12, "execve": 1]
        let frequencies = counts.mapValues { Double($0) }
        let rules = policy.rules.map { ($0.syscall, $0.action, $0.conditions) }
        for optimize in [1, 2] {
            let report = try compare(policy: policy, oracleRules: rules, oracle: oracle, unknown: unknown, optimize: optimize, frequencies: frequencies)
            XCTAssertEqual(report.mismatches, 0, report.details)
            XCTAssertGreaterThan(report.checked, 1000)
        }
        let plain = try FilterCompiler.compile(policy).program
        let weighted = try FilterCompiler.compile(policy, frequencies: frequencies).program
        let before = try XCTUnwrap(FilterAnalysis.weightedMeanInstructions(of: plain, architecture: .x86_64, counts: counts))
        let after = try XCTUnwrap(FilterAnalysis.weightedMeanInstructions(of: weighted, architecture: .x86_64, counts: counts))
        XCTAssertLessThan(after, before * 0.8, "weights should shorten the frequent calls' paths")
        print("docker default weighted by a skewed workload: \(before) → \(after) instructions per call (\(plain.count) → \(weighted.count) instructions)")
    }

    /// The one place the oracle is wrong, shown on its smallest case: `a2 >= 2^32` OR
    /// `a2 < 0xffffffff` cannot hold for a2 = 0xffffffff, yet libseccomp's filter traps.
    func testLibseccompMergesOrderedComparisonsWrongly() throws {
        let oracle = try Oracle.locate()
        let script = """
        default 0x80000000
        arch x86_64
        rule 0x00030000 wait4 1 2 ge 0x100000000 0
        rule 0x00030000 wait4 1 2 lt 0xffffffff 0
        build
        q 0xc000003e 61 0 0 0xffffffff 0 0 0 0x80000000
        q 0xc000003e 61 0 0 0xfffffffe 0 0 0 0x00030000
        q 0xc000003e 61 0 0 0x100000000 0 0 0 0x00030000
        """
        let output = try oracle.run(script + "\n")
        XCTAssertTrue(output.contains("nr=61 args=0,0,0xffffffff,0,0,0 libseccomp=0x00030000"), output)
        XCTAssertTrue(output.contains("checked 3 mismatches 1"), output)
        // Ours, from the same rules, kills for 0xffffffff and traps for the others.
        let policy = Policy(defaultAction: .killProcess, architectures: [.x86_64], rules: [
            PolicyRule(syscall: "wait4", action: .trap, conditions: [ArgumentComparison(index: 2, op: .greaterOrEqual, value: 1 << 32)], entry: 0),
            PolicyRule(syscall: "wait4", action: .trap, conditions: [ArgumentComparison(index: 2, op: .lessThan, value: 0xffff_ffff)], entry: 1),
        ])
        let emulator = Emulator(try FilterCompiler.compile(policy).program)
        for (a2, action) in [(UInt64(0xffff_ffff), SeccompAction.killProcess), (0xffff_fffe, .trap), (1 << 32, .trap)] {
            let nr = SyscallTable.forArchitecture(.x86_64).number(of: "wait4")!
            XCTAssertEqual(try emulator.run(SeccompData(nr: nr, arch: Architecture.x86_64.auditArch, args: [0, 0, a2])).action, action)
        }
    }

    /// libseccomp's other defect, smallest case found: with a rule for the i386-only
    /// setresuid32 beside a clock_adjtime rule, its x86_64 block compares the arch value
    /// (the `nr` load is elided) and kills every x86_64 clock_adjtime call.
    func testLibseccompLaysOutMultiArchitectureFilterWrongly() throws {
        let oracle = try Oracle.locate()
        let output = try oracle.run("""
        default 0x80000000
        arch x86_64
        arch x86
        arch x32
        rule 0x7fff0000 setresuid32 1 3 gt 0xa32f375da3dc9c47 0
        rule 0x7ff00001 clock_adjtime 2 3 ge 0xffffffff 0 4 ge 0xffffffff 0
        build
        q 0xc000003e 305 0 0 0 0xffffffff 0xffffffff 0 0x7ff00001

        """)
        XCTAssertTrue(output.contains("libseccomp=0x80000000"), output)
        let policy = Policy(defaultAction: .killProcess, architectures: [.x86_64, .x86, .x32], rules: [
            PolicyRule(syscall: "setresuid32", action: .allow, conditions: [ArgumentComparison(index: 3, op: .greaterThan, value: 0xa32f_375d_a3dc_9c47)], entry: 0),
            PolicyRule(syscall: "clock_adjtime", action: .trace(1), conditions: [
                ArgumentComparison(index: 3, op: .greaterOrEqual, value: 0xffff_ffff),
                ArgumentComparison(index: 4, op: .greaterOrEqual, value: 0xffff_ffff)], entry: 1),
        ])
        let clockAdjtime = SyscallTable.forArchitecture(.x86_64).number(of: "clock_adjtime")!
        let ours = try Emulator(try FilterCompiler.compile(policy).program)
            .run(SeccompData(nr: clockAdjtime, arch: Architecture.x86_64.auditArch, args: [0, 0, 0, 0xffff_ffff, 0xffff_ffff]))
        XCTAssertEqual(ours.action, .trace(1))
    }

    /// Every public profile in corpus/real (sources in corpus/real/SOURCES.md), resolved as
    /// Docker would on an x86_64 host, against libseccomp on every number and boundary argument.
    static let refusedByRunc = ["08-moby-fixture-example-2021.json": "errnoRet: 12345 is not below 4095"]

    func testRealProfileCorpusMatchesLibseccomp() throws {
        let oracle = try Oracle.locate()
        let unknown = try oracle.unjudgeable(on: Self.architectures).differ
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("corpus/real")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 30, "the corpus is vendored: \(directory.path)")
        var checked = 0, judged = 0, layout = 0, rangeMerge = 0, refused = 0
        for (n, file) in files.enumerated() {
            let path = directory.appendingPathComponent(file).path
            let profile = try Profile.decode(try Data(contentsOf: URL(fileURLWithPath: path)), source: file)
            let target = ResolutionTarget(architectures: Self.architectures, native: .x86_64, kernel: KernelVersion(major: 6, minor: 18))
            let policy: Policy
            do {
                policy = try PolicyResolver.resolve(profile, for: target, source: file)
            } catch {
                // Only what runc refuses too (checked with Debian's runc 1.1 and libseccomp 2.5.4).
                let refusedByRunc = Self.refusedByRunc[file]
                XCTAssertNotNil(refusedByRunc, "\(file): \(error)")
                if let refusedByRunc { XCTAssertTrue("\(error)".contains(refusedByRunc), "\(file): \(error)") }
                refused += 1
                continue
            }
            let rules = policy.rules.map { ($0.syscall, $0.action, $0.conditions) }
            let report = try compare(policy: policy, oracleRules: rules, oracle: oracle, unknown: unknown, optimize: n % 2 + 1)
            XCTAssertEqual(report.mismatches, 0, "\(file):\n\(report.details)")
            checked += report.checked
            judged += report.judgedByRules
            layout += report.libseccompLayout
            rangeMerge += report.libseccompRangeMerge
        }
        print("\(files.count) real profiles (\(refused) refused, as runc refuses them): \(checked) calls checked against libseccomp, \(judged) by the rules alone, 0 mismatches; where only libseccomp departs from the rules: \(layout) calls of its multi-syscall layout defect, \(rangeMerge) of its range-comparison merge defect")
    }

    func testThousandRandomProfilesMatchLibseccomp() throws {
        let oracle = try Oracle.locate()
        let (unknown, absent) = try oracle.unjudgeable(on: Self.architectures)
        var generator = SeededGenerator(seed: 0x5ecc0_f0_12e)
        var checked = 0, judged = 0, layout = 0, rangeMerge = 0
        // SECCOMP_FORGE_ROUND=N replays one round (with SECCOMP_FORGE_KEEP_ORACLE_INPUT=FILE).
        let only = ProcessInfo.processInfo.environment["SECCOMP_FORGE_ROUND"].flatMap(Int.init)
        for round in 0..<1000 {
            let profile = RandomProfile.make(using: &generator, singleAction: absent[.x86] ?? [])
            if let only, round != only { continue }
            let target = ResolutionTarget(architectures: Self.architectures, native: .x86_64, kernel: KernelVersion(major: 6, minor: 18))
            let policy = try PolicyResolver.resolve(profile, for: target, source: "random profile \(round)")
            // The oracle gets the profile's entries as runc reads them (it splits repeated
            // indices and drops default-action entries itself).
            var rules: [(String, SeccompAction, [ArgumentComparison])] = []
            for entry in profile.syscalls ?? [] {
                let action = ProfileValidator.action(entry.action, errno: entry.errnoRet)!
                let conditions = (entry.args ?? []).map {
                    ArgumentComparison(index: Int($0.index), op: ComparisonOperator(rawValue: $0.op)!, value: $0.value, valueTwo: $0.valueTwo ?? 0)
                }
                for name in entry.allNames where SyscallTable.isKnownAnywhere(name) {
                    rules.append((name, action, conditions))
                }
            }
            let report = try compare(policy: policy, oracleRules: rules, oracle: oracle, unknown: unknown, optimize: round % 2 + 1)
            XCTAssertEqual(report.mismatches, 0, "random profile \(round):\n\(report.details)\n\(String(decoding: profile.encoded(), as: UTF8.self))")
            if report.mismatches > 0 {
                // Keep the profile for replay: seccomp-profile explain works on it directly.
                let kept = FileManager.default.temporaryDirectory.appendingPathComponent("differential-failure-\(round).json")
                try profile.encoded().write(to: kept)
                print("failing profile kept at \(kept.path)")
                return
            }
            checked += report.checked
            judged += report.judgedByRules
            layout += report.libseccompLayout
            rangeMerge += report.libseccompRangeMerge
        }
        print("1000 random profiles: \(checked) calls checked against libseccomp, \(judged) by the rules alone, 0 mismatches; where only libseccomp departs from the rules: \(layout) calls right in its single-syscall filter but not in the full one, \(rangeMerge) calls of its range-comparison merge defect")
    }

    /// libseccomp 2.5.4 gets one construct wrong: two rules of one syscall that each put a
    /// range comparison (<, <=, >, >=, !=) on the same argument. Merged into one tree, the
    /// comparisons combine wrongly: with `a2 >= 2^32` and `a2 < 0xffffffff`, a2 = 0xffffffff
    /// matches (`testLibseccompMergesOrderedComparisonsWrongly`); on i386, `a2 > 0` beside
    /// `a2 != 1 && a4 == 7` misses a2 = 2. Calls of such syscalls where libseccomp, given that
    /// syscall's rules alone, still departs from the rules are counted, not failed.
    static func hitsLibseccompRangeMerge(policy: Policy, auditArch: UInt32, nr: UInt32) -> Bool {
        guard let arch = architecture(auditArch: auditArch, nr: nr),
              let name = SyscallTable.forArchitecture(arch).name(of: nr) else { return false }
        let ordered: Set<ComparisonOperator> = [.lessThan, .lessOrEqual, .greaterThan, .greaterOrEqual, .notEqual]
        var rulesByIndex: [Int: Int] = [:]
        for rule in policy.rules where rule.syscall == name {
            for index in Set(rule.conditions.filter { ordered.contains($0.op) }.map(\.index)) {
                rulesByIndex[index, default: 0] += 1
            }
        }
        return rulesByIndex.values.contains { $0 >= 2 }
    }

    static func architecture(auditArch: UInt32, nr: UInt32) -> Architecture? {
        if auditArch == Architecture.x86.auditArch { return .x86 }
        if auditArch == Architecture.x86_64.auditArch { return nr >= 0x4000_0000 ? .x32 : .x86_64 }
        return nil
    }

    /// `key=value` fields of an oracle output line.
    static func fields(_ line: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for field in line.split(separator: " ") {
            let kv = field.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { result[String(kv[0])] = String(kv[1]) }
        }
        return result
    }

    struct Report {
        var checked = 0
        var mismatches = 0
        var judgedByRules = 0
        var unknownNamesInPolicy: Set<String> = []
        /// Calls where only libseccomp departs from the rules: its filter for that syscall alone
        /// is right, its full filter is not (a layout defect)...
        var libseccompLayout = 0
        /// ...or its filter for that syscall alone is wrong in the known way (`hitsLibseccompRangeMerge`).
        var libseccompRangeMerge = 0
        var details = ""
    }

    /// Compiles `policy`, sends libseccomp the same rules and every query with our
    /// emulator's answer; the oracle runs both filters in its own interpreter.
    func compare(policy: Policy, oracleRules: [(String, SeccompAction, [ArgumentComparison])], oracle: Oracle,
                 unknown: [Architecture: Set<String>], optimize: Int, frequencies: [String: Double]? = nil) throws -> Report {
        let filter = try FilterCompiler.compile(policy, frequencies: frequencies)
        let emulator = Emulator(filter.program)
        var report = Report()
        let dir = try TestEnvironment.makeScratch("diff")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ours = dir.appendingPathComponent("ours.bpf")
        try Data(filter.program.rawBytes).write(to: ours)

        var script = "optimize \(optimize)\ndefault \(hex32(policy.defaultAction.returnValue))\n"
        for arch in policy.architectures { script += "arch \(arch.name)\n" }
        for (name, action, conditions) in oracleRules {
            script += "rule \(hex32(action.returnValue)) \(name) \(conditions.count)"
            for c in conditions { script += " \(c.index) \(c.op.oracleName) \(hex64(c.value)) \(hex64(c.valueTwo))" }
            script += "\n"
        }
        script += "build\nours \(ours.path)\n"

        for plan in filter.plans {
            let arch = plan.architecture
            let table = plan.table
            let unknown = unknown[arch] ?? []
            var byName: [String: [PolicyRule]] = [:]
            for rule in policy.rules { byName[rule.syscall, default: []].append(rule) }
            // Every number up to the highest, holes included, then a few beyond it.
            for nr in arch.numberBase...(table.highestNumber + 40) {
                let name = table.name(of: nr)
                var vectors: [[UInt64]] = [[0, 0, 0, 0, 0, 0]]
                if let name, let rules = byName[name], rules.contains(where: { !$0.conditions.isEmpty }) {
                    vectors += BoundaryVectors.make(for: rules)
                }
                for args in vectors {
                    let got = try emulator.run(SeccompData(nr: nr, arch: arch.auditArch, args: args)).returnValue
                    // What the rules mean, independent of any filter.
                    let stubbed = policy.enosysAbove(on: arch).map { nr > $0 } ?? false
                    let expected = stubbed ? .errno(38) : nr > table.highestNumber ? policy.beyondTableAction(on: arch)
                        : name.map { policy.decide(syscall: $0, args: args, on: arch).action } ?? policy.defaultAction
                    if got != expected.returnValue {
                        report.mismatches += 1
                        report.details += "\(arch.name) nr \(nr) \(name ?? "?") args \(args.map(hex64)): ours \(SeccompAction(returnValue: got)), rules say \(expected)\n"
                    }
                    if stubbed || nr > table.highestNumber || name.map(unknown.contains) == true {
                        // libseccomp cannot judge these (no number, or an older one; the ENOSYS stub is runc's patch).
                        report.judgedByRules += 1
                        if let name { report.unknownNamesInPolicy.insert(name) }
                        continue
                    }
                    script += "q \(hex32(arch.auditArch)) \(nr) \(args.map(hex64).joined(separator: " ")) \(hex32(expected.returnValue))\n"
                }
            }
        }
        let output = try oracle.run(script)
        var contested: [String: [Substring]] = [:]  // syscall name → queries where only libseccomp departs
        for line in output.split(separator: "\n") {
            if line.hasPrefix("checked ") {
                report.checked += Int(line.split(separator: " ")[1]) ?? 0
            } else if line.hasPrefix("mismatch") {
                let fields = Self.fields(line)
                let archValue = fields["arch"].flatMap { UInt32($0.dropFirst(2), radix: 16) } ?? 0
                let nr = fields["nr"].flatMap { UInt32($0) } ?? 0
                if fields["ours"] != fields["expected"] {
                    report.mismatches += 1  // the oracle's own interpreter disagrees with ours
                    report.details += line + "\n"
                } else if let name = Self.architecture(auditArch: archValue, nr: nr).flatMap({ SyscallTable.forArchitecture($0).name(of: nr) }) {
                    contested[name, default: []].append(line)
                } else {
                    report.mismatches += 1
                    report.details += line + "\n"
                }
            }
        }
        // Where only libseccomp departs from the rules, ask it again with that syscall's rules
        // alone. If it then agrees, its full filter was laid out wrongly (libseccomp 2.5.4 can
        // elide the `nr` load after the x86_64 arch check, for one); that is its defect, not a
        // difference of meaning. If it still disagrees, only the known range-merge defect may explain it.
        var header = "optimize \(optimize)\ndefault \(hex32(policy.defaultAction.returnValue))\n"
        for arch in policy.architectures { header += "arch \(arch.name)\n" }
        for (name, lines) in contested.sorted(by: { $0.key < $1.key }) {
            var recheck = header
            for (ruleName, action, conditions) in oracleRules where ruleName == name {
                recheck += "rule \(hex32(action.returnValue)) \(name) \(conditions.count)"
                for c in conditions { recheck += " \(c.index) \(c.op.oracleName) \(hex64(c.value)) \(hex64(c.valueTwo))" }
                recheck += "\n"
            }
            recheck += "build\n"
            for line in lines {
                let f = Self.fields(line)
                let args = (f["args"] ?? "").split(separator: ",").map { $0.hasPrefix("0x") ? String($0) : "0x" + $0 }
                recheck += "q \(f["arch"]!) \(f["nr"]!) \(args.joined(separator: " ")) \(f["expected"]!)\n"
            }
            let again = try oracle.run(recheck)
            for line in again.split(separator: "\n") where line.hasPrefix("mismatch") {
                let f = Self.fields(line)
                let archValue = f["arch"].flatMap { UInt32($0.dropFirst(2), radix: 16) } ?? 0
                if Self.hitsLibseccompRangeMerge(policy: policy, auditArch: archValue, nr: f["nr"].flatMap { UInt32($0) } ?? 0) {
                    report.libseccompRangeMerge += 1
                } else {
                    report.mismatches += 1
                    report.details += "(\(name) alone) " + line + "\n"
                }
            }
            report.libseccompLayout += lines.count - again.split(separator: "\n").filter { $0.hasPrefix("mismatch") }.count
        }
        return report
    }
}

/// Argument vectors at the edges of each condition: value−1, value, value+1,
/// flipped high words, the masked pattern and its neighbours; alone and combined
/// with values that satisfy the rule's other conditions.
enum BoundaryVectors {
    static func make(for rules: [PolicyRule]) -> [[UInt64]] {
        var candidates: [[UInt64]] = Array(repeating: [0, .max], count: 6)
        for rule in rules {
            for c in rule.conditions {
                let v = c.value
                var values: [UInt64] = [v, v &- 1, v &+ 1, v ^ 0x1_0000_0000, v & 0xffff_ffff, v | 0xffff_ffff_0000_0000, v &+ 0x1_0000_0000]
                if c.op == .maskedEqual {
                    let e = c.valueTwo
                    values += [e, e | ~c.value, e ^ (c.value & (0 &- c.value)), e ^ 0x8000_0000_0000_0000]
                }
                candidates[c.index] += values
            }
        }
        candidates = candidates.map { Array(Set($0)).sorted() }
        var vectors: [[UInt64]] = []
        for rule in rules where !rule.conditions.isEmpty {
            // A vector that satisfies every condition of the rule...
            var satisfying = [UInt64](repeating: 0, count: 6)
            for c in rule.conditions { satisfying[c.index] = satisfyingValue(c) }
            vectors.append(satisfying)
            // ...then each of its arguments swept over the candidates.
            for c in rule.conditions {
                for value in candidates[c.index] {
                    var v = satisfying
                    v[c.index] = value
                    vectors.append(v)
                }
            }
        }
        for (index, values) in candidates.enumerated() {
            for value in values {
                var v = [UInt64](repeating: 0, count: 6)
                v[index] = value
                vectors.append(v)
            }
        }
        var seen: Set<[UInt64]> = []
        return vectors.filter { seen.insert($0).inserted }
    }

    static func satisfyingValue(_ c: ArgumentComparison) -> UInt64 {
        switch c.op {
        case .equal, .lessOrEqual, .greaterOrEqual: return c.value
        case .notEqual: return c.value ^ 1
        case .lessThan: return c.value &- 1
        case .greaterThan: return c.value &+ 1
        case .maskedEqual: return c.valueTwo
        }
    }
}
