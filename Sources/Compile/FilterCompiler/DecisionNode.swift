import CBPF
import SeccompABI
import Synchronization

/// A filter as a decision graph, before layout: what to load, what to compare,
/// what to return. Nodes are hash-consed: building one that equals an existing
/// node returns that node, so equality and hashing are identity (O(1)), and a
/// graph whose branches share continuations (a rule's failed condition falls to
/// the next rule) stays as small as the rules — never a tree that doubles with
/// each rule. The emitter lays each node out once.
///
/// The table that shares them belongs to one graph's construction, not to the
/// process: `DecisionNode.interning { ... }` (as each `FilterCompiler.compile`
/// does) gives the nodes built inside it, on that task, a table of their own, so
/// compiles running at once never see each other's nodes. Outside any such scope
/// nodes are not shared (each is distinct, and equal only to itself).
public final class DecisionNode: Hashable, @unchecked Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case ret(SeccompAction)
        /// `A = seccomp_data[offset]`, then continue.
        case load(UInt32, DecisionNode)
        /// `A &= mask`, then continue.
        case and(UInt32, DecisionNode)
        /// `if (A op k) ifTrue else ifFalse`, with op one of `BPF.jeq`, `BPF.jgt`, `BPF.jge`, `BPF.jset`.
        case branch(op: UInt16, k: UInt32, ifTrue: DecisionNode, ifFalse: DecisionNode)
    }

    public let kind: Kind
    /// The most instructions any path through this node executes, its return included.
    public let worstCasePath: Int

    private init(_ kind: Kind) {
        self.kind = kind
        switch kind {
        case .ret: worstCasePath = 1
        case .load(_, let next), .and(_, let next): worstCasePath = 1 + next.worstCasePath
        case .branch(_, _, let t, let f): worstCasePath = 1 + max(t.worstCasePath, f.worstCasePath)
        }
    }

    public static func == (a: DecisionNode, b: DecisionNode) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    public static func ret(_ action: SeccompAction) -> DecisionNode { intern(.ret(action)) }
    public static func load(_ offset: UInt32, _ next: DecisionNode) -> DecisionNode { intern(.load(offset, next)) }
    public static func and(_ mask: UInt32, _ next: DecisionNode) -> DecisionNode { intern(.and(mask, next)) }
    public static func branch(op: UInt16, k: UInt32, ifTrue: DecisionNode, ifFalse: DecisionNode) -> DecisionNode {
        intern(.branch(op: op, k: k, ifTrue: ifTrue, ifFalse: ifFalse))
    }

    /// The nodes built so far in one `interning` scope (child tasks of the scope share it: locked).
    final class Interner: Sendable {
        let nodes = Mutex<[Kind: DecisionNode]>([:])
    }

    @TaskLocal static var interner: Interner?

    /// Runs `body` with a table of its own for the nodes it builds.
    public static func interning<T>(_ body: () -> T) -> T {
        $interner.withValue(Interner(), operation: body)
    }

    private static func intern(_ kind: Kind) -> DecisionNode {
        guard let interner else { return DecisionNode(kind) }
        return interner.nodes.withLock { nodes in
            if let node = nodes[kind] { return node }
            let node = DecisionNode(kind)
            nodes[kind] = node
            return node
        }
    }

    public var description: String {
        switch kind {
        case .ret(let a): return "ret \(a)"
        case .load(let o, _): return "load [\(o)]"
        case .and(let m, _): return "and \(m)"
        case .branch(let op, let k, _, _): return "branch \(op) \(k)"
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
