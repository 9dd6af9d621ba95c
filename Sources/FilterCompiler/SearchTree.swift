/// Lays a search tree of `jge` comparisons over ranges that cover all 32-bit values.
///
/// Among trees whose longest path stays within a budget, it picks the one with
/// the fewest instructions executed on average (ranges weighted by how often
/// they are hit): an optimal alphabetic tree with a length limit, by dynamic
/// programming. Large inputs fall back to splitting at the weighted median.
public enum SearchTree {
    /// Above this many ranges the exact search costs more than it gains.
    static let exactLimit = 256

    public static func build(_ ranges: [ValueRange]) -> DecisionNode {
        precondition(!ranges.isEmpty && ranges.first!.low == 0 && ranges.last!.high == .max, "ranges must cover 0...UInt32.max")
        let ranges = ranges.coalesced()
        if ranges.count == 1 { return ranges[0].node }
        if ranges.count > exactLimit { return medianSplit(ranges[...]) }
        var tree = OptimalTree(ranges)
        return tree.build()
    }

    static func node(splittingAt index: Int, _ ranges: ArraySlice<ValueRange>, left: DecisionNode, right: DecisionNode) -> DecisionNode {
        .branch(op: BPFOps.jge, k: ranges[index].low, ifTrue: right, ifFalse: left)
    }

    static func medianSplit(_ ranges: ArraySlice<ValueRange>) -> DecisionNode {
        if ranges.count == 1 { return ranges.first!.node }
        let total = ranges.reduce(0) { $0 + $1.weight }
        var running = 0.0
        var split = ranges.startIndex + 1
        var best = Double.infinity
        for i in (ranges.startIndex + 1)..<ranges.endIndex {
            running += ranges[i - 1].weight
            // Balance weight, and count as a tie-breaker so zero-weight runs stay shallow.
            let countSkew = abs(Double(i - ranges.startIndex) - Double(ranges.endIndex - i)) / Double(ranges.count)
            let score = abs(running - (total - running)) / max(total, 1e-9) + countSkew * 0.25
            if score < best {
                best = score
                split = i
            }
        }
        return node(splittingAt: split, ranges, left: medianSplit(ranges[ranges.startIndex..<split]),
                    right: medianSplit(ranges[split..<ranges.endIndex]))
    }
}

/// cBPF jump opcodes used by the layout (kept here so the tree code reads alone).
enum BPFOps {
    static let jeq: UInt16 = 0x10
    static let jgt: UInt16 = 0x20
    static let jge: UInt16 = 0x30
    static let jset: UInt16 = 0x40
}

/// The length-limited optimal alphabetic tree. cost[i][j][b]: least weighted
/// number of comparisons for ranges i...j when no path may execute more than b
/// instructions (comparisons plus the leaf's own code).
private struct OptimalTree {
    let ranges: [ValueRange]
    let leafCost: [Int]
    let prefixWeight: [Double]
    let n: Int
    let budgetLimit: Int
    var cost: [Double]
    var choice: [Int32]

    init(_ ranges: [ValueRange]) {
        self.ranges = ranges
        n = ranges.count
        leafCost = ranges.map { $0.budgetCost ?? $0.node.worstCasePath }
        var prefix = [0.0]
        for r in ranges { prefix.append(prefix.last! + r.weight) }
        prefixWeight = prefix
        // A balanced tree fits in ceil(log2 n) + the costliest leaf; allow some room above that.
        var depth = 0
        while (1 << depth) < n { depth += 1 }
        budgetLimit = depth + leafCost.max()! + 4
        cost = Array(repeating: .infinity, count: n * n * (budgetLimit + 1))
        choice = Array(repeating: -1, count: n * n * (budgetLimit + 1))
    }

    func slot(_ i: Int, _ j: Int, _ b: Int) -> Int { (i * n + j) * (budgetLimit + 1) + b }

    mutating func build() -> DecisionNode {
        for i in 0..<n {
            for b in leafCost[i]...budgetLimit { cost[slot(i, i, b)] = 0 }
        }
        if n > 1 {
            for length in 2...n {
                for i in 0...(n - length) {
                    let j = i + length - 1
                    let w = prefixWeight[j + 1] - prefixWeight[i]
                    for b in 1...budgetLimit {
                        var best = Double.infinity
                        var bestK: Int32 = -1
                        for k in i..<j {
                            let c = cost[slot(i, k, b - 1)] + cost[slot(k + 1, j, b - 1)]
                            if c < best {
                                best = c
                                bestK = Int32(k)
                            }
                        }
                        if bestK >= 0 {
                            cost[slot(i, j, b)] = best + w
                            choice[slot(i, j, b)] = bestK
                        }
                    }
                }
            }
        }
        // The shortest worst case whose mean stays within 10% of the best mean any
        // budget reaches: every call pays the mean, the worst case bounds the rest.
        let root = (0...budgetLimit).map { cost[slot(0, n - 1, $0)] }
        let bestMean = root.min()!
        let budget = root.firstIndex(where: { $0 <= bestMean * 1.10 + 1e-9 })!
        return reconstruct(0, n - 1, budget)
    }

    func reconstruct(_ i: Int, _ j: Int, _ b: Int) -> DecisionNode {
        if i == j { return ranges[i].node }
        let k = Int(choice[slot(i, j, b)])
        return .branch(op: BPFOps.jge, k: ranges[k + 1].low,
                       ifTrue: reconstruct(k + 1, j, b - 1), ifFalse: reconstruct(i, k, b - 1))
    }
}
