import SeccompABI

/// Runs a seccomp filter on one call, as the kernel's interpreter would.
public struct Emulator {
    public struct Outcome: Sendable {
        /// The filter's return value.
        public var returnValue: UInt32
        /// Instructions executed, the final `ret` included.
        public var executed: Int
        /// Indices of the executed instructions, in order.
        public var path: [Int]
        /// Whether the filter read anything beyond `nr` and `arch` (arguments, instruction pointer).
        public var readBeyondNrAndArch: Bool

        public var action: SeccompAction { SeccompAction(returnValue: returnValue) }
    }

    public enum Fault: Error, Equatable, CustomStringConvertible {
        case fellOffEnd
        case badLoad(pc: Int, offset: UInt32)
        case unsupported(pc: Int, code: UInt16)
        case divisionByZero(pc: Int)

        public var description: String {
            switch self {
            case .fellOffEnd: return "execution ran past the last instruction"
            case .badLoad(let pc, let off): return "instruction \(pc) loads offset \(off), outside seccomp_data"
            case .unsupported(let pc, let code): return "instruction \(pc) has unsupported opcode 0x\(String(code, radix: 16))"
            case .divisionByZero(let pc): return "instruction \(pc) divides by zero"
            }
        }
    }

    public let program: Program
    /// Whether the program touches scratch memory (the compiler's never do): only then is it allocated.
    let usesScratch: Bool

    public init(_ program: Program) {
        self.program = program
        usesScratch = program.instructions.contains { ins in
            let c = ins.instructionClass
            return c == BPF.st || c == BPF.stx || ((c == BPF.ld || c == BPF.ldx) && ins.code & 0xe0 == BPF.mem)
        }
    }

    /// Runs the filter. `recordPath` keeps the executed indices (slower; for `explain`).
    public func run(_ data: SeccompData, recordPath: Bool = false) throws -> Outcome {
        let code = program.instructions
        var a: UInt32 = 0
        var x: UInt32 = 0
        var memory = usesScratch ? [UInt32](repeating: 0, count: BPF.memoryWords) : []
        var pc = 0
        var executed = 0
        var path: [Int] = []
        var readBeyond = false
        while pc < code.count {
            let ins = code[pc]
            executed += 1
            if recordPath { path.append(pc) }
            switch ins.instructionClass {
            case BPF.ld:
                switch ins.code {
                case BPF.ld | BPF.w | BPF.abs:
                    guard let w = data.word(at: ins.k) else { throw Fault.badLoad(pc: pc, offset: ins.k) }
                    if ins.k >= SeccompDataLayout.instructionPointer { readBeyond = true }
                    a = w
                case BPF.ld | BPF.imm: a = ins.k
                case BPF.ld | BPF.mem: a = memory[Int(ins.k) % BPF.memoryWords]
                case BPF.ld | BPF.w | BPF.len: a = SeccompDataLayout.size
                default: throw Fault.unsupported(pc: pc, code: ins.code)
                }
                pc += 1
            case BPF.ldx:
                switch ins.code {
                case BPF.ldx | BPF.imm: x = ins.k
                case BPF.ldx | BPF.mem: x = memory[Int(ins.k) % BPF.memoryWords]
                case BPF.ldx | BPF.w | BPF.len: x = SeccompDataLayout.size
                default: throw Fault.unsupported(pc: pc, code: ins.code)
                }
                pc += 1
            case BPF.st:
                memory[Int(ins.k) % BPF.memoryWords] = a
                pc += 1
            case BPF.stx:
                memory[Int(ins.k) % BPF.memoryWords] = x
                pc += 1
            case BPF.alu:
                let src = ins.code & BPF.x != 0 ? x : ins.k
                switch ins.code & 0xf0 {
                case BPF.add: a &+= src
                case BPF.sub: a &-= src
                case BPF.mul: a &*= src
                case BPF.div:
                    guard src != 0 else { throw Fault.divisionByZero(pc: pc) }
                    a /= src
                case BPF.mod:
                    guard src != 0 else { throw Fault.divisionByZero(pc: pc) }
                    a %= src
                case BPF.and: a &= src
                case BPF.or: a |= src
                case BPF.xor: a ^= src
                case BPF.lsh: a = src >= 32 ? 0 : a << src
                case BPF.rsh: a = src >= 32 ? 0 : a >> src
                case BPF.neg: a = 0 &- a
                default: throw Fault.unsupported(pc: pc, code: ins.code)
                }
                pc += 1
            case BPF.jmp:
                let op = ins.code & 0xf0
                if op == BPF.ja {
                    pc += 1 + Int(ins.k)
                    continue
                }
                let src = ins.code & BPF.x != 0 ? x : ins.k
                let taken: Bool
                switch op {
                case BPF.jeq: taken = a == src
                case BPF.jgt: taken = a > src
                case BPF.jge: taken = a >= src
                case BPF.jset: taken = a & src != 0
                default: throw Fault.unsupported(pc: pc, code: ins.code)
                }
                pc += 1 + Int(taken ? ins.jt : ins.jf)
            case BPF.ret:
                let value = ins.code & BPF.a != 0 ? a : ins.k
                return Outcome(returnValue: value, executed: executed, path: path, readBeyondNrAndArch: readBeyond)
            default: // misc
                if ins.code & 0xf8 == BPF.txa { a = x } else { x = a }
                pc += 1
            }
        }
        throw Fault.fellOffEnd
    }
}
