import CBPF
import SeccompABI
import SeccompProfile
import SyscallTable

/// What a syscall number leads to on one architecture.
public enum SyscallDecision: Hashable, Sendable {
    case action(SeccompAction)
    case arguments(ArgumentBlock)
}

/// The intermediate form of one architecture's part of a filter: each syscall
/// number's decision, before it becomes ranges and a search tree.
public struct ArchitecturePlan: Sendable {
    public var architecture: Architecture
    public var table: SyscallTable
    /// Decisions for the numbers that differ from the default.
    public var decisions: [UInt32: SyscallDecision]
    public var defaultAction: SeccompAction
    /// runc's stub on this architecture (`Policy.enosysAbove`): numbers above it get ENOSYS.
    public var stubAbove: UInt32?
    /// What numbers above the table get (`Policy.beyondTableAction`: runc's stub or the default).
    public var beyondTableAction: SeccompAction

    /// The decision for one number: the policy's for a number a rule names (`decisions`), else
    /// the stub's or the default (`Policy.stubAction`).
    public func decision(for number: UInt32) -> SyscallDecision {
        decisions[number] ?? .action(Policy.stubAction(forNumber: number, stubAbove: stubAbove) ?? defaultAction)
    }

    /// Maximal runs of numbers with one decision, from the ABI's first number to
    /// `upperBound`; each weighted by how many numbers it covers times `weightScale`.
    func ranges(upTo upperBound: UInt32, weightScale: Double, frequencies: [String: Double]?) -> [ValueRange] {
        let base = architecture.numberBase
        let top = table.highestNumber
        var out: [ValueRange] = []
        var cache: [SyscallDecision: DecisionNode] = [:]
        func node(_ d: SyscallDecision) -> DecisionNode {
            if let n = cache[d] { return n }
            let n: DecisionNode
            switch d {
            case .action(let a): n = .ret(a)
            case .arguments(let block): n = block.decisionTree()
            }
            cache[d] = n
            return n
        }
        func weight(_ number: UInt32) -> Double {
            if let frequencies {
                return (table.name(of: number).flatMap { frequencies[$0] } ?? 0) + 1e-3
            }
            return weightScale
        }
        var number = base
        while number <= top {
            out.append(ValueRange(low: number, high: number, node: node(decision(for: number)), weight: weight(number)))
            number += 1
        }
        if top < upperBound {
            out.append(ValueRange(low: top + 1, high: upperBound, node: .ret(beyondTableAction), weight: 1e-3))
        }
        return out.coalesced()
    }
}

/// A compiled filter and what went into it.
public struct CompiledFilter: Sendable {
    public var program: Program
    public var policy: Policy
    public var plans: [ArchitecturePlan]
}

public enum CompileError: Error, Equatable, CustomStringConvertible {
    case tooLong(Int)
    case noArchitectures
    /// The emitted program disagrees with the profile (a compiler bug; never returned).
    case unverified(String)

    public var description: String {
        switch self {
        case .tooLong(let n):
            return "the filter needs \(n) instructions; the kernel accepts at most \(BPF.maxInstructions): cover fewer architectures or merge rules"
        case .noArchitectures:
            return "the filter covers no architecture"
        case .unverified(let what):
            return "internal error, no filter written: \(what)"
        }
    }
}

/// Profile rules → per-architecture plans → ranges → search trees → cBPF.
///
/// Layout: load `arch` and dispatch (the first architecture listed is tested
/// first); each architecture loads `nr` and runs one search tree over all
/// 32-bit numbers. Under `AUDIT_ARCH_X86_64` the same tree covers x32 (numbers
/// with the x32 bit, `X32.syscallBit`). Unknown architectures are killed. Paths that end
/// in a constant action read only `arch` and `nr`, so the kernel can cache them.
public enum FilterCompiler {
    /// `frequencies`: observed calls per syscall name, to shorten the common paths.
    public static func compile(_ policy: Policy, frequencies: [String: Double]? = nil) throws(CompileError) -> CompiledFilter {
        // Each compile shares nodes in a table of its own (DecisionNode.interning).
        let outcome = DecisionNode.interning { () -> Result<CompiledFilter, CompileError> in
            do throws(CompileError) { return .success(try compileGraph(policy, frequencies: frequencies)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    private static func compileGraph(_ policy: Policy, frequencies: [String: Double]?) throws(CompileError) -> CompiledFilter {
        guard !policy.architectures.isEmpty else { throw CompileError.noArchitectures }
        let plans = policy.architectures.map { plan(for: $0, policy: policy) }
        if policy.unconfined {
            // No filter, as Docker reads `{}`: every call of every architecture allowed.
            return CompiledFilter(program: Program([.returns(SeccompAction.allow.returnValue)]), policy: policy, plans: plans)
        }
        let root = decisionTree(plans, frequencies: frequencies)
        let instructions = CodeEmitter.emit(root)
        guard instructions.count <= BPF.maxInstructions else { throw CompileError.tooLong(instructions.count) }
        let program = Program(instructions)
        try Verification.verify(program, plans: plans)
        return CompiledFilter(program: program, policy: policy, plans: plans)
    }

    /// Each syscall's decision on one architecture, from the rules that name it.
    public static func plan(for architecture: Architecture, policy: Policy) -> ArchitecturePlan {
        let table = SyscallTable.forArchitecture(architecture)
        var byNumber: [UInt32: [PolicyRule]] = [:]
        for rule in policy.rules(on: architecture) {
            guard let number = table.number(of: rule.syscall) else { continue }
            byNumber[number, default: []].append(rule)
        }
        var decisions: [UInt32: SyscallDecision] = [:]
        // The numbers rules name, as the policy's one decision function says (runc's stub
        // included); the others get the stub or the default (`decision(for:)`).
        let stubAbove = policy.enosysAbove(on: architecture)
        for (number, rules) in byNumber {
            switch policy.decision(forNumber: number, among: rules, on: architecture, stubAbove: stubAbove) {
            case .fixed(let action, _):
                if action != policy.defaultAction { decisions[number] = .action(action) }
            case .byArguments(let conditional, let otherwise):
                let block = ArgumentBlock(
                    rules: conditional.map { .init(conditions: $0.effectiveConditions(on: architecture), action: $0.action) },
                    fallback: otherwise, lowHalfOnly: architecture.comparesLowHalfOnly)
                decisions[number] = .arguments(block)
            }
        }
        return ArchitecturePlan(architecture: architecture, table: table, decisions: decisions, defaultAction: policy.defaultAction,
                                stubAbove: stubAbove, beyondTableAction: policy.beyondTableAction(stubAbove: stubAbove))
    }

    static func decisionTree(_ plans: [ArchitecturePlan], frequencies: [String: Double]?) -> DecisionNode {
        // One dispatch entry per AUDIT_ARCH value; x86_64 and x32 share one.
        var groups: [(auditArch: UInt32, plans: [ArchitecturePlan])] = []
        for plan in plans {
            if let i = groups.firstIndex(where: { $0.auditArch == plan.architecture.auditArch }) {
                groups[i].plans.append(plan)
            } else {
                groups.append((plan.architecture.auditArch, [plan]))
            }
        }
        var node = DecisionNode.ret(.killProcess)
        for group in groups.reversed() {
            let numbers = DecisionNode.load(SeccompDataLayout.nr, numberTree(group.plans, frequencies: frequencies))
            node = .branch(op: BPF.jeq, k: group.auditArch, ifTrue: numbers, ifFalse: node)
        }
        return .load(SeccompDataLayout.arch, node)
    }

    /// One search tree over every 32-bit number seen under one AUDIT_ARCH value.
    static func numberTree(_ plans: [ArchitecturePlan], frequencies: [String: Double]?) -> DecisionNode {
        let x32 = plans.first { $0.architecture.isX32 }
        let native = plans.first { !$0.architecture.isX32 }
        var ranges: [ValueRange] = []
        let x32Bit = X32.syscallBit
        if x32 != nil || native?.architecture.auditArch == Architecture.x86_64.auditArch {
            // Numbers below the x32 bit are x86_64's, above it x32's; an uncovered half is killed.
            if let native {
                ranges += native.ranges(upTo: x32Bit - 1, weightScale: 1, frequencies: frequencies)
            } else {
                ranges.append(ValueRange(low: 0, high: x32Bit - 1, node: .ret(.killProcess), weight: 1e-3))
            }
            if let x32 {
                // x32 gets a tree of its own, hung under the x86_64 one as a single
                // leaf: x86_64 paths stay as short as if x32 were not covered.
                var x32Ranges = x32.ranges(upTo: .max, weightScale: 1, frequencies: frequencies)
                // Numbers below the x32 bit never reach this tree: let them join the first range.
                x32Ranges.insert(ValueRange(low: 0, high: x32Bit - 1, node: x32Ranges[0].node, weight: 0), at: 0)
                let x32Tree = SearchTree.build(x32Ranges, meanFirst: frequencies != nil)
                if native == nil {
                    return SearchTree.build(ranges + [ValueRange(low: x32Bit, high: .max, node: x32Tree)], meanFirst: frequencies != nil)
                }
                // Weighted as if one call in 25 were x32's: its tree sits a few levels down,
                // costing x86_64 well under 0.1 instruction on average.
                let nativeWeight = ranges.reduce(0) { $0 + $1.weight }
                ranges.append(ValueRange(low: x32Bit, high: .max, node: x32Tree, weight: nativeWeight * 0.04, budgetCost: 1))
            } else {
                ranges.append(ValueRange(low: x32Bit, high: .max, node: .ret(.killProcess), weight: 1e-3))
            }
        } else if let native {
            let base = native.architecture.numberBase
            if base > 0 {
                ranges.append(ValueRange(low: 0, high: base - 1, node: .ret(native.defaultAction), weight: 1e-3))
            }
            ranges += native.ranges(upTo: .max, weightScale: 1, frequencies: frequencies)
        }
        return SearchTree.build(ranges.coalesced(), meanFirst: frequencies != nil)
    }
}
