import CBPF
import SeccompABI
import SyscallTable

/// Measures a filter per architecture by running it: instructions executed per
/// syscall, the longest possible path, and which calls the kernel can cache.
public struct ArchitectureStats: Sendable {
    public var architecture: Architecture
    /// The numbers measured (with all arguments zero).
    public var numbers: ClosedRange<UInt32>
    public var meanInstructions: Double
    public var maxInstructionsMeasured: Int
    /// The longest path through the filter for this architecture, argument checks included.
    public var longestPath: Int
    public var knownSyscalls: Int
    /// Known syscalls whose result is ALLOW without reading arguments.
    public var allowedWithoutArguments: Int
    /// Of those, how many the kernel's action cache can skip (no argument or IP read on the path).
    public var cacheable: Int
    public var argumentChecked: Int
}

public enum FilterAnalysis {
    public static func stats(of program: Program, architecture: Architecture, numbers: ClosedRange<UInt32>? = nil,
                             plan: ArchitecturePlan? = nil) -> ArchitectureStats {
        let table = SyscallTable.forArchitecture(architecture)
        let base = architecture.numberBase
        let range = numbers.map { ($0.lowerBound + base)...($0.upperBound + base) } ?? base...table.highestNumber
        let emulator = Emulator(program)
        var total = 0, maxSeen = 0
        for nr in range {
            let outcome = try? emulator.run(SeccompData(nr: nr, arch: architecture.auditArch))
            total += outcome?.executed ?? 0
            maxSeen = max(maxSeen, outcome?.executed ?? 0)
        }
        var allowed = 0, cacheable = 0, checked = 0
        for entry in table.entries {
            if case .arguments = plan?.decision(for: entry.number) {
                checked += 1
                continue
            }
            guard let outcome = try? emulator.run(SeccompData(nr: entry.number, arch: architecture.auditArch)),
                  outcome.action == .allow else { continue }
            allowed += 1
            if !outcome.readBeyondNrAndArch { cacheable += 1 }
        }
        return ArchitectureStats(
            architecture: architecture, numbers: range,
            meanInstructions: Double(total) / Double(range.count), maxInstructionsMeasured: maxSeen,
            longestPath: longestPath(program, architecture: architecture),
            knownSyscalls: table.entries.count, allowedWithoutArguments: allowed, cacheable: cacheable,
            argumentChecked: checked)
    }

    /// Instructions per call weighted by how often each call is made (`counts` by syscall
    /// name, as a recording has them for this ABI; arguments zero); nil when no name is known.
    public static func weightedMeanInstructions(of program: Program, architecture: Architecture,
                                                counts: [String: UInt64]) -> Double? {
        let table = SyscallTable.forArchitecture(architecture)
        let emulator = Emulator(program)
        var steps = 0.0, calls = 0.0
        for (name, n) in counts {
            guard let number = table.number(of: name),
                  let outcome = try? emulator.run(SeccompData(nr: number, arch: architecture.auditArch)) else { continue }
            steps += Double(outcome.executed) * Double(n)
            calls += Double(n)
        }
        return calls > 0 ? steps / calls : nil
    }

    /// The most instructions any call of this architecture can execute: `arch` is
    /// known, `nr` lies in the ABI's range (x86_64 below the x32 bit, x32 above),
    /// every other loaded value may take either branch.
    public static func longestPath(_ program: Program, architecture: Architecture) -> Int {
        let code = program.instructions
        let sharesX32Arch = architecture.auditArch == Architecture.x86_64.auditArch
        let initial: ClosedRange<UInt32> = !sharesX32Arch ? 0...UInt32.max
            : architecture.isX32 ? X32.syscallBit...UInt32.max : 0...(X32.syscallBit - 1)
        enum Held: Hashable { case arch, nr, other }
        struct Key: Hashable { var pc: Int; var held: Held; var lo: UInt32; var hi: UInt32 }
        var memo: [Key: Int] = [:]
        func walk(_ pc: Int, _ held: Held, _ nr: ClosedRange<UInt32>) -> Int {
            guard pc < code.count else { return 0 }
            let key = Key(pc: pc, held: held, lo: nr.lowerBound, hi: nr.upperBound)
            if let known = memo[key] { return known }
            let ins = code[pc]
            var result = 1
            switch ins.instructionClass {
            case BPF.ret:
                break
            case BPF.ld where ins.code == BPF.ld | BPF.w | BPF.abs:
                let next: Held = ins.k == SeccompDataLayout.arch ? .arch : ins.k == SeccompDataLayout.nr ? .nr : .other
                result += walk(pc + 1, next, nr)
            case BPF.jmp where ins.code & 0xf0 == BPF.ja:
                result += walk(pc + 1 + Int(ins.k), held, nr)
            case BPF.jmp where ins.code & BPF.x == 0:
                let t = pc + 1 + Int(ins.jt), f = pc + 1 + Int(ins.jf)
                let op = ins.code & 0xf0, k = ins.k
                switch (held, op) {
                case (.arch, BPF.jeq):
                    result += walk(architecture.auditArch == k ? t : f, held, nr)
                case (.nr, BPF.jge), (.nr, BPF.jgt):
                    let threshold = op == BPF.jge ? k : (k == .max ? nil : k + 1)  // true iff nr >= threshold
                    var best = 0
                    if let threshold, nr.upperBound >= threshold {
                        best = max(best, walk(t, held, max(nr.lowerBound, threshold)...nr.upperBound))
                    }
                    if threshold == nil || nr.lowerBound < threshold! {
                        let top = threshold.map { min(nr.upperBound, $0 - 1) } ?? nr.upperBound
                        best = max(best, walk(f, held, nr.lowerBound...top))
                    }
                    result += best
                case (.nr, BPF.jeq):
                    result += max(nr.contains(k) ? walk(t, held, k...k) : 0, nr.lowerBound == nr.upperBound && nr.lowerBound == k ? 0 : walk(f, held, nr))
                default:
                    result += max(walk(t, held, nr), walk(f, held, nr))
                }
            default:
                result += walk(pc + 1, .other, nr)
            }
            memo[key] = result
            return result
        }
        return walk(0, .other, initial)
    }
}
