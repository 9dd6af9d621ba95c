import CBPF
import SeccompProfile
import SyscallTable
import XCTest
import SeccompABI

final class PolicyDecisionTests: XCTestCase {
    private func rule(_ action: SeccompAction, _ conditions: [ArgumentComparison] = [], entry: Int) -> PolicyRule {
        PolicyRule(syscall: "ioctl", action: action, conditions: conditions, entry: entry)
    }

    private func arg0(_ op: ComparisonOperator, _ value: UInt64) -> ArgumentComparison {
        ArgumentComparison(index: 0, op: op, value: value)
    }

    func testNoRuleMeansTheDefault() {
        let policy = Policy(defaultAction: .errno(1), architectures: [.x86_64], rules: [rule(.allow, entry: 0)])
        let decision = policy.decide(syscall: "read", args: [])
        XCTAssertEqual(decision.action, .errno(1))
        XCTAssertNil(decision.rule)
    }

    func testUnconditionalRuleBeatsConditionalOnes() {
        let policy = Policy(defaultAction: .allow, architectures: [.x86_64], rules: [
            rule(.killProcess, [arg0(.equal, 1)], entry: 0),
            rule(.log, entry: 1),
        ])
        let decision = policy.decide(syscall: "ioctl", args: [1])
        XCTAssertEqual(decision.action, .log)
        XCTAssertEqual(decision.rule?.entry, 1)
    }

    func testFirstUnconditionalRuleWins() {
        let policy = Policy(defaultAction: .errno(1), architectures: [.x86_64], rules: [
            rule(.allow, entry: 0),
            rule(.killProcess, entry: 1),
        ])
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: []).action, .allow)
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: []).rule?.entry, 0)
    }

    func testMostRestrictiveMatchingConditionalActionWins() {
        let policy = Policy(defaultAction: .allow, architectures: [.x86_64], rules: [
            rule(.log, [arg0(.greaterThan, 5)], entry: 0),
            rule(.errno(2), [arg0(.greaterThan, 10)], entry: 1),
            rule(.trap, [ArgumentComparison(index: 1, op: .equal, value: 3)], entry: 2),
            rule(.trace(1), [arg0(.greaterThan, 7)], entry: 3),
        ])
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [0]).action, .allow)
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [6]).action, .log)
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [8]).action, .trace(1))
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [20]).action, .errno(2))
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [20, 3]).action, .trap)
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [20, 3]).rule?.entry, 2)
    }

    // i386, arm and x32 pass 32-bit arguments: only the low halves are compared.
    func testX86ComparesLowHalvesOnly() {
        let policy = Policy(defaultAction: .errno(1), architectures: [.x86_64, .x86], rules: [
            rule(.allow, [arg0(.equal, 0x1_0000_0005)], entry: 0),
        ])
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [5], on: .x86_64).action, .errno(1))
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [0x1_0000_0005], on: .x86_64).action, .allow)
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [5], on: .x86).action, .allow)
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [0xFFFF_FFFF_0000_0005], on: .x86).action, .allow)
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [6], on: .x86).action, .errno(1))
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [5], on: .x32).action, .allow)
    }

    // A mask with no bits in the low half tests nothing on a 32-bit ABI, so the rule is unconditional there.
    func testHighHalfOnlyMaskIsUnconditionalOnX86() {
        let r = rule(.allow, [ArgumentComparison(index: 0, op: .maskedEqual, value: 0xFFFF_0000_0000_0000, valueTwo: 0)], entry: 0)
        XCTAssertEqual(r.effectiveConditions(on: .x86_64).count, 1)
        XCTAssertEqual(r.effectiveConditions(on: .x86), [])
        let policy = Policy(defaultAction: .errno(1), architectures: [.x86_64, .x86], rules: [
            rule(.killProcess, [arg0(.equal, 9)], entry: 0), r,
        ])
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [9], on: .x86).action, .allow)
        XCTAssertEqual(policy.decide(syscall: "ioctl", args: [9], on: .x86_64).action, .killProcess)
    }

    func testComparisonsAreUnsigned64Bit() {
        let big: UInt64 = 0xFFFF_FFFF_FFFF_FFFF
        XCTAssertTrue(ArgumentComparison(index: 0, op: .greaterThan, value: 1).holds(for: big))
        XCTAssertTrue(ArgumentComparison(index: 0, op: .lessThan, value: big).holds(for: 0))
        XCTAssertTrue(ArgumentComparison(index: 0, op: .lessOrEqual, value: 4).holds(for: 4))
        XCTAssertFalse(ArgumentComparison(index: 0, op: .lessOrEqual, value: 4).holds(for: 5))
        XCTAssertTrue(ArgumentComparison(index: 0, op: .greaterOrEqual, value: 4).holds(for: 4))
        XCTAssertTrue(ArgumentComparison(index: 0, op: .notEqual, value: 4).holds(for: 3))
        XCTAssertFalse(ArgumentComparison(index: 0, op: .notEqual, value: 4).holds(for: 4))
    }

    func testMaskedEqualDropsExpectedBitsOutsideTheMask() {
        let c = ArgumentComparison(index: 0, op: .maskedEqual, value: 0x0F, valueTwo: 0xF3)
        XCTAssertEqual(c.valueTwo, 0x03)
        XCTAssertTrue(c.holds(for: 0xA3))
        XCTAssertFalse(c.holds(for: 0xA4))
        XCTAssertEqual(c.description, "(args[0] & 0xf) == 0x3")
        XCTAssertTrue(ArgumentComparison(index: 0, op: .maskedEqual, value: 0).alwaysHolds)
        XCTAssertEqual(ArgumentComparison(index: 2, op: .greaterThan, value: 4096).description, "args[2] > 0x1000")
        XCTAssertEqual(ArgumentComparison(index: 2, op: .notEqual, value: 7).description, "args[2] != 7")
    }

    func testDeniedDefaultGivesEnosysAboveTheHighestNamedCall() {
        let read = [PolicyRule(syscall: "read", action: .allow, entry: 0)]
        let open = [PolicyRule(syscall: "open", action: .allow, entry: 0)]
        XCTAssertEqual(Policy(defaultAction: .errno(1), architectures: [.x86_64], rules: open).beyondTableAction(on: .x86_64), .errno(38))
        XCTAssertEqual(Policy(defaultAction: .killProcess, architectures: [.x86_64], rules: open).beyondTableAction(on: .x86_64), .errno(38))
        XCTAssertEqual(Policy(defaultAction: .log, architectures: [.x86_64], rules: open).beyondTableAction(on: .x86_64), .log)
        XCTAssertEqual(Policy(defaultAction: .trace(1), architectures: [.x86_64], rules: open).beyondTableAction(on: .x86_64), .trace(1))
        // runc's stub: above the highest named number (read = 0 names nothing above 0: no stub).
        XCTAssertNil(Policy(defaultAction: .errno(1), architectures: [.x86_64], rules: read).enosysAbove(on: .x86_64))
        let clone = [PolicyRule(syscall: "clone", action: .allow, entry: 0)]
        XCTAssertEqual(Policy(defaultAction: .errno(1), architectures: [.x86_64], rules: clone).enosysAbove(on: .x86_64), 56)
        XCTAssertEqual(Policy(defaultAction: .errno(1), architectures: [.x86_64], rules: clone).decide(syscall: "clone3", args: []).action, .errno(38))
        XCTAssertNil(Policy(defaultAction: .errno(38), architectures: [.x86_64], rules: clone).enosysAbove(on: .x86_64))
    }

    func testDockerDefaultArgumentRules() throws {
        let policy = try PolicyResolver.resolve(Corpus.load("default.json"),
                                                for: ResolutionTarget(native: .x86_64), source: "default.json")
        // personality: only a few personas are allowed.
        XCTAssertEqual(policy.decide(syscall: "personality", args: [0]).action, .allow)
        XCTAssertEqual(policy.decide(syscall: "personality", args: [0xFFFF_FFFF]).action, .allow)
        XCTAssertEqual(policy.decide(syscall: "personality", args: [1]).action, .errno(1))
        // socket: every family but AF_VSOCK (40).
        XCTAssertEqual(policy.decide(syscall: "socket", args: [2]).action, .allow)
        XCTAssertEqual(policy.decide(syscall: "socket", args: [39]).action, .allow)
        XCTAssertEqual(policy.decide(syscall: "socket", args: [40]).action, .errno(1))
        XCTAssertEqual(policy.decide(syscall: "socket", args: [41]).action, .allow)
        // on x86 a personality argument with junk in the high half still matches.
        XCTAssertEqual(policy.decide(syscall: "personality", args: [0x1_0000_0008], on: .x86).action, .allow)
        XCTAssertEqual(policy.decide(syscall: "personality", args: [0x1_0000_0008], on: .x86_64).action, .errno(1))
    }
}
