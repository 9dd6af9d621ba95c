import CBPF

/// A filter as a decision tree, before layout: what to load, what to compare,
/// what to return. The emitter turns it into a cBPF program, sharing equal
/// subtrees and returns.
public indirect enum DecisionNode: Hashable, Sendable {
    case ret(SeccompAction)
    /// `A = seccomp_data[offset]`, then continue.
    case load(UInt32, DecisionNode)
    /// `A &= mask`, then continue.
    case and(UInt32, DecisionNode)
    /// `if (A op k) ifTrue else ifFalse`, with op one of `BPF.jeq`, `BPF.jgt`, `BPF.jge`, `BPF.jset`.
    case branch(op: UInt16, k: UInt32, ifTrue: DecisionNode, ifFalse: DecisionNode)

    /// The most instructions any path through this node executes, its return included.
    public var worstCasePath: Int {
        switch self {
        case .ret: return 1
        case .load(_, let next), .and(_, let next): return 1 + next.worstCasePath
        case .branch(_, _, let t, let f): return 1 + max(t.worstCasePath, f.worstCasePath)
        }
    }
}

/// A contiguous run of 32-bit values (syscall numbers, or one half of an argument)
/// that all lead to the same place.
public struct ValueRange: Hashable, Sendable {
    public var low: UInt32
    public var high: UInt32
    public var node: DecisionNode
    /// How often this range is expected to be hit, relative to the others.
    public var weight: Double
    /// Instructions this leaf counts against the tree's worst-case budget; nil for
    /// its own worst path. A nested tree for another ABI (x32) counts as 1: its
    /// paths are that ABI's, not this one's.
    public var budgetCost: Int?

    public init(low: UInt32, high: UInt32, node: DecisionNode, weight: Double = 1, budgetCost: Int? = nil) {
        self.low = low
        self.high = high
        self.node = node
        self.weight = weight
        self.budgetCost = budgetCost
    }
}

extension Array where Element == ValueRange {
    /// Joins neighbours that lead to the same node.
    func coalesced() -> [ValueRange] {
        var out: [ValueRange] = []
        for range in self {
            if var last = out.last, last.node == range.node, last.high &+ 1 == range.low {
                last.high = range.high
                last.weight += range.weight
                out[out.count - 1] = last
            } else {
                out.append(range)
            }
        }
        return out
    }
}
