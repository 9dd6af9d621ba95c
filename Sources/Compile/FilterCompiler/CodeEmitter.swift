import CBPF
import SeccompABI

/// Lays a decision tree out as a cBPF program.
///
/// cBPF only jumps forward, and a conditional jump reaches at most 255
/// instructions, so the program is built back to front: each node is placed
/// before the code it jumps to. Equal subtrees are emitted once and shared;
/// when a shared target drifts out of reach, a return is emitted again, or
/// an unconditional `ja` (32-bit offset) bridges the gap.
struct CodeEmitter {
    /// Instructions in reverse: `reversed[0]` is the program's last instruction.
    private var reversed: [Instruction] = []
    /// Where each emitted node starts, as an index into `reversed`.
    private var placed: [DecisionNode: Int] = [:]

    static func emit(_ root: DecisionNode) -> [Instruction] {
        var emitter = CodeEmitter()
        let entry = emitter.place(root)
        emitter.fallThrough(to: entry, node: root)
        return emitter.reversed.reversed()
    }

    /// The index the next appended instruction gets.
    private var next: Int { reversed.count }

    private mutating func append(_ instruction: Instruction) -> Int {
        reversed.append(instruction)
        return reversed.count - 1
    }

    /// Places a node (or finds it already placed) and returns its entry index.
    private mutating func place(_ node: DecisionNode) -> Int {
        if let entry = placed[node] { return entry }
        let entry: Int
        switch node.kind {
        case .ret(let action):
            entry = append(.returns(action.returnValue))
        case .load(let offset, let child):
            let c = place(child)
            fallThrough(to: c, node: child)
            entry = append(.loadWord(offset))
        case .and(let mask, let child):
            let c = place(child)
            fallThrough(to: c, node: child)
            entry = append(.andImmediate(mask))
        case .branch(let op, let k, let ifTrue, let ifFalse):
            var t = place(ifTrue)
            var f = place(ifFalse)
            // Bring both targets within reach of the jump that will sit at `next`.
            t = reach(t, node: ifTrue)
            f = reach(f, node: ifFalse)
            t = reach(t, node: ifTrue)
            entry = append(.jump(op, k, jt: UInt8(next - t - 1), jf: UInt8(next - f - 1)))
        }
        placed[node] = entry
        return entry
    }

    /// A target the next instruction can jump to with an 8-bit offset.
    private mutating func reach(_ target: Int, node: DecisionNode) -> Int {
        guard next - target - 1 > 255 else { return target }
        let copy: Int
        if case .ret(let action) = node.kind {
            copy = append(.returns(action.returnValue))
        } else {
            copy = append(.jumpAlways(UInt32(next - target - 1)))
        }
        placed[node] = copy
        return copy
    }

    /// Makes the instruction about to be appended fall through into `target`.
    private mutating func fallThrough(to target: Int, node: DecisionNode) {
        guard target != next - 1 else { return }
        if case .ret(let action) = node.kind {
            placed[node] = append(.returns(action.returnValue))
        } else {
            _ = append(.jumpAlways(UInt32(next - target - 1)))
        }
    }
}
