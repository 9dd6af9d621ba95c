import CBPF
import SeccompABI
import SeccompProfile
import SyscallTable

/// The compiler's last phase: before a program is returned, the emulator runs it on the
/// syscall numbers of every architecture, and on every argument rule's boundaries (each
/// compared value, one either side, the other half of a 64-bit value, masks with a bit
/// flipped), and each answer must be the one the plan — the policy's decision function —
/// gives. A program that differs is never returned.
///
/// The numbers: as a function of `nr`, the plan changes only at the numbers rules name (and
/// the stub's limit, the table's ends, the x32 bit), and a program that only compares `nr`
/// with constants changes only at those constants; so every such point, and one either
/// side, decides every number between them. A program of any other shape (an ALU step or a
/// register comparison on `nr`) is run on every number of the table.
public enum Verification {
    /// Throws `CompileError.unverified`, naming the first call (and arguments) where `program`
    /// and the plans disagree.
    public static func verify(_ program: Program, plans: [ArchitecturePlan]) throws(CompileError) {
        let emulator = Emulator(program)
        let breakpoints = comparisonConstants(program)
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
            for number in numbers(of: plan, breakpoints: breakpoints) {
                try check(SeccompData(nr: number, arch: architecture.auditArch),
                          expected: expectedAction(number: number, among: siblings, args: [UInt64](repeating: 0, count: 6)),
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

    /// The numbers to run: every point where the plan or the program can change its answer,
    /// and one either side (`breakpoints` nil: every number of the table), and the edges.
    static func numbers(of plan: ArchitecturePlan, breakpoints: Set<UInt32>?) -> [UInt32] {
        let base = plan.architecture.numberBase, top = plan.table.highestNumber
        var points: Set<UInt32> = [0, base, top, top &+ 1, top &+ 2, .max, X32.syscallBit - 1, X32.syscallBit]
        if base > 0 { points.insert(base - 1) }
        guard let breakpoints else { return Array(base...top) + points.sorted() }
        for number in plan.decisions.keys { points.formUnion([number &- 1, number, number &+ 1]) }
        if let stub = plan.stubAbove { points.formUnion([stub, stub &+ 1]) }
        for k in breakpoints { points.formUnion([k &- 1, k, k &+ 1]) }
        return points.sorted()
    }

    /// The constants a program compares with, if it only ever compares `nr` with constants
    /// and computes nothing from it (loads, jumps on A against K, AND on what is not `nr`,
    /// returns); nil otherwise. Forward jumps only: one pass in order sees every path.
    static func comparisonConstants(_ program: Program) -> Set<UInt32>? {
        let code = program.instructions
        // What A may hold on entry to each instruction: bit 0 nr, bit 1 anything else.
        var holds = [UInt8](repeating: 0, count: code.count + 1)
        holds[0] = 2
        var constants: Set<UInt32> = []
        for (pc, ins) in code.enumerated() {
            let a = holds[pc]
            func flow(_ target: Int, _ value: UInt8) { if target < holds.count { holds[target] |= value } }
            switch ins.instructionClass {
            case BPF.ld where ins.code == BPF.ld | BPF.w | BPF.abs:
                flow(pc + 1, ins.k == SeccompDataLayout.nr ? 1 : 2)
            case BPF.alu where ins.code == BPF.alu | BPF.and | BPF.k && a & 1 == 0:
                flow(pc + 1, a)
            case BPF.jmp where ins.code & 0xf0 == BPF.ja:
                flow(pc + 1 + Int(ins.k), a)
            case BPF.jmp where ins.code & BPF.x == 0 && [BPF.jeq, BPF.jgt, BPF.jge].contains(ins.code & 0xf0):
                constants.insert(ins.k)
                flow(pc + 1 + Int(ins.jt), a)
                flow(pc + 1 + Int(ins.jf), a)
            case BPF.ret:
                break
            default:
                return nil
            }
        }
        return constants
    }

    /// What a number gets under one AUDIT_ARCH value (x86_64 and x32 share one), with these
    /// arguments: the plan whose half of the number space it is in, else a kill.
    static func expectedAction(number: UInt32, among plans: [ArchitecturePlan], args: [UInt64]) -> SeccompAction {
        guard let plan = owner(of: number, among: plans) else { return .killProcess }
        if number < plan.architecture.numberBase { return plan.defaultAction }
        if number > plan.table.highestNumber { return plan.beyondTableAction }
        switch plan.decision(for: number) {
        case .action(let action): return action
        case .arguments(let block): return block.action(for: args)
        }
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
