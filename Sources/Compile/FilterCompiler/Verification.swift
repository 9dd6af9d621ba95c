import CBPF
import SeccompABI
import SeccompProfile
import SyscallTable

/// The compiler's last phase: before a program is returned, the emulator runs it on every
/// syscall number of every architecture (and the numbers around each table: the first and
/// last, the one past the end, the x32 bit's edges, the largest), and on every argument
/// rule's boundaries (each compared value, one either side, the other half of a 64-bit
/// value, masks with a bit flipped), and each answer must be the one the plan — the
/// policy's decision function — gives. A program that differs is never returned.
public enum Verification {
    /// Throws `CompileError.unverified`, naming the first call (and arguments) where `program`
    /// and the plans disagree.
    public static func verify(_ program: Program, plans: [ArchitecturePlan]) throws(CompileError) {
        let emulator = Emulator(program)
        func check(_ data: SeccompData, expected: SeccompAction, _ what: @autoclosure () -> String) throws(CompileError) {
            let got: SeccompAction
            do { got = try emulator.run(data).action } catch { throw CompileError.unverified("\(what()): the program faults (\(error))") }
            if got != expected { throw CompileError.unverified("\(what()): the program answers \(got), the profile \(expected)") }
        }
        var auditArches: Set<UInt32> = []
        for plan in plans {
            let architecture = plan.architecture
            auditArches.insert(architecture.auditArch)
            let siblings = plans.filter { $0.architecture.auditArch == architecture.auditArch }
            for number in numbers(of: plan) {
                let expected = expectedAction(number: number, among: siblings)
                let args = [UInt64](repeating: 0, count: 6)
                try check(SeccompData(nr: number, arch: architecture.auditArch, args: args),
                          expected: expected ?? block(number, siblings)!.action(for: args),
                          "\(architecture.name) call \(number)")
            }
            for (number, decision) in plan.decisions {
                guard case .arguments(let block) = decision else { continue }
                for args in boundaryArguments(block) {
                    try check(SeccompData(nr: number, arch: architecture.auditArch, args: args), expected: block.action(for: args),
                              "\(architecture.name) call \(number) (\(plan.table.name(of: number) ?? "?")) with arguments \(args)")
                }
            }
        }
        // An architecture the filter does not cover is killed.
        var stranger: UInt32 = 0
        while auditArches.contains(stranger) { stranger += 1 }
        try check(SeccompData(nr: 0, arch: stranger), expected: .killProcess, "architecture 0x\(String(stranger, radix: 16))")
    }

    /// Every number of the table, and the edges around it.
    static func numbers(of plan: ArchitecturePlan) -> [UInt32] {
        let base = plan.architecture.numberBase, top = plan.table.highestNumber
        var out = Array(base...top) + [top + 1, top + 2, UInt32.max, X32.syscallBit - 1, X32.syscallBit]
        if base > 0 { out += [0, base - 1] }
        return out
    }

    /// What a number gets under one AUDIT_ARCH value (x86_64 and x32 share one): the plan whose
    /// half of the number space it is in, else a kill; nil when the arguments decide.
    static func expectedAction(number: UInt32, among plans: [ArchitecturePlan]) -> SeccompAction? {
        guard let plan = owner(of: number, among: plans) else { return .killProcess }
        if number < plan.architecture.numberBase { return plan.defaultAction }
        if number > plan.table.highestNumber { return plan.beyondTableAction }
        switch plan.decision(for: number) {
        case .action(let action): return action
        case .arguments: return nil
        }
    }

    static func block(_ number: UInt32, _ plans: [ArchitecturePlan]) -> ArgumentBlock? {
        guard let plan = owner(of: number, among: plans), case .arguments(let block) = plan.decision(for: number) else { return nil }
        return block
    }

    static func owner(of number: UInt32, among plans: [ArchitecturePlan]) -> ArchitecturePlan? {
        let sharesX32Space = plans.contains { $0.architecture.isX32 } || plans.first?.architecture.auditArch == Architecture.x86_64.auditArch
        guard sharesX32Space else { return plans.first }
        return plans.first { $0.architecture.isX32 == (number >= X32.syscallBit) }
    }

    /// Argument vectors at every condition's edges: alone (the other arguments 0) and with
    /// every other condition of its rule held, so rules with several conditions are reached.
    static func boundaryArguments(_ block: ArgumentBlock) -> [[UInt64]] {
        var out: [[UInt64]] = [[UInt64](repeating: 0, count: 6)]
        for rule in block.rules {
            var held = [UInt64](repeating: 0, count: 6)
            for condition in rule.conditions { held[condition.index] = satisfying(condition) }
            out.append(held)
            for condition in rule.conditions {
                for value in edges(of: condition) {
                    var alone = [UInt64](repeating: 0, count: 6)
                    alone[condition.index] = value
                    var together = held
                    together[condition.index] = value
                    out += [alone, together]
                }
            }
        }
        return out
    }

    static func satisfying(_ c: ArgumentComparison) -> UInt64 {
        switch c.op {
        case .equal, .lessOrEqual, .greaterOrEqual: return c.value
        case .greaterThan: return c.value &+ 1
        case .lessThan: return c.value &- 1
        case .notEqual: return ~c.value
        case .maskedEqual: return c.valueTwo
        }
    }

    static func edges(of c: ArgumentComparison) -> [UInt64] {
        var out: [UInt64] = [0, .max, c.value, c.value &- 1, c.value &+ 1,
                             c.value ^ 0xffff_ffff_0000_0000, c.value &+ (1 << 32), c.value &- (1 << 32), c.value & 0xffff_ffff]
        if c.op == .maskedEqual {
            let lowest = c.value & (~c.value &+ 1)
            out += [c.valueTwo, c.valueTwo ^ lowest, c.valueTwo | ~c.value, c.valueTwo ^ (c.value & 0xffff_ffff_0000_0000)]
        }
        return out
    }
}

extension ArgumentBlock {
    /// The block's meaning, without a filter: among the rules whose conditions all hold, the
    /// most restrictive action (the first listed on a tie); none: the fallback. A 32-bit ABI
    /// sees only the arguments' low halves.
    func action(for args: [UInt64]) -> SeccompAction {
        var best: SeccompAction?
        for rule in rules where rule.conditions.allSatisfy({ c in
            let argument = args[c.index]
            return c.holds(for: lowHalfOnly ? argument & 0xffff_ffff : argument)
        }) {
            if best == nil || rule.action.restrictiveness < best!.restrictiveness { best = rule.action }
        }
        return best ?? fallback
    }
}
