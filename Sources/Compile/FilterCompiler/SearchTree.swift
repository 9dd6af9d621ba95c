import CBPF

/// Lays a search tree of `jge` comparisons over ranges that cover all 32-bit values.
///
/// Among trees whose longest path stays within a budget, it picks the one with
/// the fewest instructions executed on average (ranges weighted by how often
/// they are hit): an optimal alphabetic tree with a length limit, by dynamic
/// programming. Large inputs fall back to splitting at the weighted median.
public enum SearchTree {
    /// Above this many ranges the exact search costs more than it gains.
    static let exactLimit = 256

    /// `meanFirst`: the weights are observed counts (`compile --weights`), so take the
    /// least mean any budget reaches, not the shortest worst case near it.
    public static func build(_ ranges: [ValueRange], meanFirst: Bool = false) -> DecisionNode {
        precondition(!ranges.isEmpty && ranges.first!.low == 0 && ranges.last!.high == .max, "ranges must cover 0...UInt32.max")
        let ranges = ranges.coalesced()
        if ranges.count == 1 { return ranges[0].node }
        if ranges.count > exactLimit { return medianSplit(ranges[...]) }
        var tree = OptimalTree(ranges)
        return tree.build(tolerance: meanFirst ? 0 : 0.10)
    }

    static func node(splittingAt index: Int, _ ranges: ArraySlice<ValueRange>, left: DecisionNode, right: DecisionNode) -> DecisionNode {
        .branch(op: BPF.jge, k: ranges[index].low, ifTrue: right, ifFalse: left)
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

/// The length-limited optimal alphabetic tree. cost_b[i][j]: least weighted
/// number of comparisons for ranges i...j when no path may execute more than b
/// instructions (comparisons plus the leaf's own code). Computed one budget at a
/// time from the previous one, rows and columns laid out so the inner loop over
/// split points reads memory in order.
private struct OptimalTree {
    let ranges: [ValueRange]
    let leafCost: [Int]
    let prefixWeight: [Double]
    let n: Int
    let budgetLimit: Int
    /// choice[b][i * n + j]: the last range of the left subtree at budget b.
    var choice: [[Int16]] = []

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
    }

    mutating func build(tolerance: Double) -> DecisionNode {
        let inf = Double.infinity
        // previous[i * n + j] = cost at budget b - 1; previousT[j * n + i] the same, transposed.
        var previous = [Double](repeating: inf, count: n * n)
        var previousT = previous
        var current = previous
        var roots: [Double] = [inf]
        choice = [[Int16](repeating: -1, count: n * n)]
        for b in 1...budgetLimit {
            var chosen = [Int16](repeating: -1, count: n * n)
            for i in 0..<n { current[i * n + i] = leafCost[i] <= b ? 0 : inf }
            if n > 1 {
                for length in 2...n {
                    for i in 0...(n - length) {
                        let j = i + length - 1
                        var best = inf
                        var bestK = -1
                        previous.withUnsafeBufferPointer { rows in
                            previousT.withUnsafeBufferPointer { columns in
                                let row = i * n, column = j * n
                                for k in i..<j {
                                    let c = rows[row + k] + columns[column + k + 1]
                                    if c < best {
                                        best = c
                                        bestK = k
                                    }
                                }
                            }
                        }
                        current[i * n + j] = bestK >= 0 ? best + prefixWeight[j + 1] - prefixWeight[i] : inf
                        chosen[i * n + j] = Int16(bestK)
                    }
                }
            }
            roots.append(current[n - 1])
            choice.append(chosen)
            swap(&previous, &current)
            for i in 0..<n {
                for j in i..<n { previousT[j * n + i] = previous[i * n + j] }
            }
        }
        // The shortest worst case whose mean stays within `tolerance` (10% unless the weights
        // are observed counts) of the best mean any budget reaches: every call pays the
        // mean, the worst case bounds the rest.
        let bestMean = roots.min()!
        let budget = roots.firstIndex(where: { $0 <= bestMean * (1 + tolerance) + 1e-9 })!
        return reconstruct(0, n - 1, budget)
    }

    func reconstruct(_ i: Int, _ j: Int, _ b: Int) -> DecisionNode {
        if i == j { return ranges[i].node }
        let k = Int(choice[b][i * n + j])
        return .branch(op: BPF.jge, k: ranges[k + 1].low,
                       ifTrue: reconstruct(k + 1, j, b - 1), ifFalse: reconstruct(i, k, b - 1))
    }
}
