import CBPF
import SeccompABI
import SeccompProfile

/// The decision for one syscall whose rules look at arguments: conditional
/// rules, and the fallback when none match. When several match, the most
/// restrictive action wins.
public struct ArgumentBlock: Hashable, Sendable {
    public var rules: [ArgumentRule]
    public var fallback: SeccompAction
    /// The ABI's arguments are 32 bits: compare low halves only, never load a high half.
    public var lowHalfOnly: Bool

    public struct ArgumentRule: Hashable, Sendable {
        public var conditions: [ArgumentComparison]
        public var action: SeccompAction
    }

    /// The decision tree that checks the arguments, 64-bit values compared as two 32-bit halves.
    func decisionTree() -> DecisionNode {
        if let index = singleArgumentIndex() {
            return IntervalFunction(block: self, index: index).decisionTree(lowHalfOnly: lowHalfOnly)
        }
        return sequentialTree()
    }

    /// The argument all rules test, when each rule is one ordered comparison of that same argument.
    private func singleArgumentIndex() -> Int? {
        guard let first = rules.first?.conditions.first else { return nil }
        for rule in rules {
            guard rule.conditions.count == 1, rule.conditions[0].index == first.index,
                  rule.conditions[0].op != .maskedEqual else { return nil }
        }
        return first.index
    }

    /// Rules tried from the most restrictive action down; the first that matches decides.
    private func sequentialTree() -> DecisionNode {
        let ordered = rules.enumerated().sorted {
            ($0.element.action.restrictiveness, $0.offset) < ($1.element.action.restrictiveness, $1.offset)
        }.map(\.element)
        var next = DecisionNode.ret(fallback)
        for rule in ordered.reversed() {
            var success = DecisionNode.ret(rule.action)
            for condition in rule.conditions.reversed() {
                success = lowHalfOnly ? Self.testLowHalf(condition, ifTrue: success, ifFalse: next)
                    : Self.test(condition, ifTrue: success, ifFalse: next)
            }
            next = success
        }
        return next
    }

    /// One comparison of a 32-bit argument (values already cut to their low half).
    static func testLowHalf(_ c: ArgumentComparison, ifTrue t: DecisionNode, ifFalse f: DecisionNode) -> DecisionNode {
        let offset = SeccompDataLayout.argument(c.index, high: false)
        let v = UInt32(truncatingIfNeeded: c.value)
        switch c.op {
        case .equal: return .load(offset, .branch(op: BPF.jeq, k: v, ifTrue: t, ifFalse: f))
        case .notEqual: return .load(offset, .branch(op: BPF.jeq, k: v, ifTrue: f, ifFalse: t))
        case .greaterThan: return .load(offset, .branch(op: BPF.jgt, k: v, ifTrue: t, ifFalse: f))
        case .greaterOrEqual: return .load(offset, .branch(op: BPF.jge, k: v, ifTrue: t, ifFalse: f))
        case .lessThan: return .load(offset, .branch(op: BPF.jge, k: v, ifTrue: f, ifFalse: t))
        case .lessOrEqual: return .load(offset, .branch(op: BPF.jgt, k: v, ifTrue: f, ifFalse: t))
        case .maskedEqual:
            let mask = UInt32(truncatingIfNeeded: c.value), expected = UInt32(truncatingIfNeeded: c.valueTwo)
            if expected & ~mask != 0 { return f }
            if mask == 0 { return t }
            if mask == .max { return .load(offset, .branch(op: BPF.jeq, k: expected, ifTrue: t, ifFalse: f)) }
            return .load(offset, .and(mask, .branch(op: BPF.jeq, k: expected, ifTrue: t, ifFalse: f)))
        }
    }

    /// One 64-bit comparison: the high halves decide unless they are equal, then the low halves.
    static func test(_ c: ArgumentComparison, ifTrue t: DecisionNode, ifFalse f: DecisionNode) -> DecisionNode {
        let hiOffset = SeccompDataLayout.argument(c.index, high: true)
        let loOffset = SeccompDataLayout.argument(c.index, high: false)
        let hi = UInt32(truncatingIfNeeded: c.value >> 32), lo = UInt32(truncatingIfNeeded: c.value)
        switch c.op {
        case .equal, .notEqual:
            let (eq, ne) = c.op == .equal ? (t, f) : (f, t)
            let low = DecisionNode.load(loOffset, .branch(op: BPF.jeq, k: lo, ifTrue: eq, ifFalse: ne))
            return .load(hiOffset, .branch(op: BPF.jeq, k: hi, ifTrue: low, ifFalse: ne))
        case .greaterThan, .greaterOrEqual, .lessThan, .lessOrEqual:
            // a > v and a >= v; a < v is !(a >= v) and a <= v is !(a > v).
            let strict = c.op == .greaterThan || c.op == .lessOrEqual
            let (above, notAbove) = (c.op == .greaterThan || c.op == .greaterOrEqual) ? (t, f) : (f, t)
            let low = DecisionNode.load(loOffset, .branch(op: strict ? BPF.jgt : BPF.jge, k: lo,
                                                          ifTrue: above, ifFalse: notAbove))
            if hi == .max {  // the high half can be equal but never greater
                return .load(hiOffset, .branch(op: BPF.jeq, k: hi, ifTrue: low, ifFalse: notAbove))
            }
            let equalHigh = hi == 0 ? low : .branch(op: BPF.jeq, k: hi, ifTrue: low, ifFalse: notAbove)
            return .load(hiOffset, .branch(op: BPF.jgt, k: hi, ifTrue: above, ifFalse: equalHigh))
        case .maskedEqual:
            let mask = c.value, expected = c.valueTwo
            if expected & ~mask != 0 { return f }  // can never hold
            func half(_ offset: UInt32, _ m: UInt32, _ e: UInt32, _ next: DecisionNode) -> DecisionNode {
                if m == 0 { return next }  // e is 0 here, so the half always matches
                if m == .max { return .load(offset, .branch(op: BPF.jeq, k: e, ifTrue: next, ifFalse: f)) }
                return .load(offset, .and(m, .branch(op: BPF.jeq, k: e, ifTrue: next, ifFalse: f)))
            }
            let low = half(loOffset, UInt32(truncatingIfNeeded: mask), UInt32(truncatingIfNeeded: expected), t)
            return half(hiOffset, UInt32(truncatingIfNeeded: mask >> 32), UInt32(truncatingIfNeeded: expected >> 32), low)
        }
    }
}

/// The outcome of a block over one 64-bit argument, as maximal intervals, when
/// every rule is one ordered comparison of that argument. Compiled as a search
/// over the high half, then (where the high half alone does not decide) the low half.
struct IntervalFunction {
    struct Piece {
        var low: UInt64
        var high: UInt64
        var action: SeccompAction
    }

    let pieces: [Piece]
    let index: Int

    init(block: ArgumentBlock, index: Int) {
        self.index = index
        var cuts: Set<UInt64> = [0]
        var intervals: [(ClosedRange<UInt64>, SeccompAction)] = []
        for rule in block.rules {
            for interval in Self.intervals(rule.conditions[0]) {
                intervals.append((interval, rule.action))
                cuts.insert(interval.lowerBound)
                if interval.upperBound < .max { cuts.insert(interval.upperBound + 1) }
            }
        }
        let sortedCuts = cuts.sorted()
        var pieces: [Piece] = []
        for (n, low) in sortedCuts.enumerated() {
            let high = n + 1 < sortedCuts.count ? sortedCuts[n + 1] - 1 : .max
            let matching = intervals.filter { $0.0.contains(low) }.map(\.1)
            let action = matching.min { $0.restrictiveness < $1.restrictiveness } ?? block.fallback
            if let last = pieces.last, last.action == action {
                pieces[pieces.count - 1].high = high
            } else {
                pieces.append(Piece(low: low, high: high, action: action))
            }
        }
        self.pieces = pieces
    }

    static func intervals(_ c: ArgumentComparison) -> [ClosedRange<UInt64>] {
        let v = c.value
        switch c.op {
        case .equal: return [v...v]
        case .notEqual: return (v > 0 ? [0...(v - 1)] : []) + (v < .max ? [(v + 1)...UInt64.max] : [])
        case .lessThan: return v > 0 ? [0...(v - 1)] : []
        case .lessOrEqual: return [0...v]
        case .greaterOrEqual: return [v...UInt64.max]
        case .greaterThan: return v < .max ? [(v + 1)...UInt64.max] : []
        case .maskedEqual: return []
        }
    }

    func decisionTree(lowHalfOnly: Bool) -> DecisionNode {
        if pieces.count == 1 { return .ret(pieces[0].action) }
        if lowHalfOnly {
            // Values were cut to 32 bits, so every piece past the first high value is the
            // same as the last piece below 2^32: search the low half alone.
            let ranges = pieces.filter { $0.low <= 0xffff_ffff }.map {
                ValueRange(low: UInt32($0.low), high: UInt32(min($0.high, 0xffff_ffff)), node: .ret($0.action))
            }
            return .load(SeccompDataLayout.argument(index, high: false), SearchTree.build(ranges))
        }
        // Walk the high halves: a run of high values either maps to one action for
        // every low half, or (one high value at a time) needs a search over the low half.
        var highRanges: [ValueRange] = []
        var h: UInt64 = 0
        var p = 0
        while h <= 0xffff_ffff {
            let start = h << 32, end = start | 0xffff_ffff
            while pieces[p].high < start { p += 1 }
            let piece = pieces[p]
            if piece.high >= end {
                let lastWhole = piece.high & 0xffff_ffff == 0xffff_ffff ? piece.high >> 32 : (piece.high >> 32) - 1
                highRanges.append(ValueRange(low: UInt32(h), high: UInt32(lastWhole), node: .ret(piece.action)))
                h = lastWhole + 1
                continue
            }
            var lowRanges: [ValueRange] = []
            var q = p
            while q < pieces.count, pieces[q].low <= end {
                let lo = max(pieces[q].low, start), hi = min(pieces[q].high, end)
                lowRanges.append(ValueRange(low: UInt32(lo & 0xffff_ffff), high: UInt32(hi & 0xffff_ffff),
                                            node: .ret(pieces[q].action)))
                q += 1
            }
            let lowOffset = SeccompDataLayout.argument(index, high: false)
            highRanges.append(ValueRange(low: UInt32(h), high: UInt32(h), node: .load(lowOffset, SearchTree.build(lowRanges))))
            h += 1
        }
        return .load(SeccompDataLayout.argument(index, high: true), SearchTree.build(highRanges))
    }
}
