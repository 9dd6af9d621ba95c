import SyscallTable
import SeccompABI

/// Renders a filter the way seccomp-tools does: `line CODE JT JF K` and a
/// pseudo-C reading of each instruction, with architecture and syscall names.
public struct Disassembler {
    public let program: Program

    public init(_ program: Program) {
        self.program = program
    }

    /// What the accumulator holds, tracked forward so comparisons can be named.
    private enum Accumulator: Equatable {
        case unknown, nr, arch, word(UInt32)
    }

    private struct State: Equatable {
        var accumulator: Accumulator = .unknown
        var arch: UInt32?

        func merged(with other: State) -> State {
            State(accumulator: accumulator == other.accumulator ? accumulator : .unknown,
                  arch: arch == other.arch ? arch : nil)
        }
    }

    /// One pseudo-C line per instruction.
    public func pseudoCode() -> [String] {
        let code = program.instructions
        var incoming = [State?](repeating: nil, count: code.count + 1)
        incoming[0] = State()
        var lines: [String] = []
        func flow(_ target: Int, _ state: State) {
            guard target < incoming.count else { return }
            incoming[target] = incoming[target].map { $0.merged(with: state) } ?? state
        }
        for (pc, ins) in code.enumerated() {
            var state = incoming[pc] ?? State()
            var text = ""
            switch ins.instructionClass {
            case BPF.ld where ins.code == BPF.ld | BPF.w | BPF.abs:
                text = "A = " + Self.fieldName(ins.k)
                state.accumulator = ins.k == 0 ? .nr : ins.k == 4 ? .arch : .word(ins.k)
                flow(pc + 1, state)
            case BPF.alu where ins.code & 0xf0 == BPF.and && ins.code & BPF.x == 0:
                text = "A &= " + Self.hex(ins.k)
                state.accumulator = .unknown
                flow(pc + 1, state)
            case BPF.jmp where ins.code & 0xf0 == BPF.ja:
                text = "goto " + Self.line(pc + 1 + Int(ins.k))
                flow(pc + 1 + Int(ins.k), state)
            case BPF.jmp:
                let value = name(of: ins.k, op: ins.code & 0xf0, state: state)
                let (yes, no) = Self.relations(ins.code & 0xf0)
                let taken = pc + 1 + Int(ins.jt), notTaken = pc + 1 + Int(ins.jf)
                if ins.jt == 0 {
                    text = "if (A \(no) \(value)) goto \(Self.line(notTaken))"
                } else if ins.jf == 0 {
                    text = "if (A \(yes) \(value)) goto \(Self.line(taken))"
                } else {
                    text = "if (A \(yes) \(value)) goto \(Self.line(taken)) else goto \(Self.line(notTaken))"
                }
                var takenState = state
                var notTakenState = state
                if state.accumulator == .arch, ins.code & 0xf0 == BPF.jeq {
                    takenState.arch = ins.k
                    if state.arch == ins.k { notTakenState.arch = nil }
                }
                flow(taken, takenState)
                flow(notTaken, notTakenState)
            case BPF.ret:
                text = ins.code & BPF.a != 0 ? "return A" : "return " + Self.actionName(ins.k)
            default:
                text = "op " + Self.hex(ins.code, width: 4)
                flow(pc + 1, State())
            }
            lines.append(text)
        }
        return lines
    }

    /// The full listing: header, then `line CODE JT JF K  pseudo-C`.
    public func listing() -> String {
        var out = " line  CODE  JT   JF      K\n=================================\n"
        for (pc, (ins, text)) in zip(program.instructions, pseudoCode()).enumerated() {
            out += " \(Self.line(pc)): \(Self.hex(ins.code, width: 2)) \(Self.hex(ins.jt, width: 2)) \(Self.hex(ins.jf, width: 2)) \(Self.hex(ins.k))  \(text)\n"
        }
        return out
    }

    /// A C initializer for `struct sock_filter filter[]`, one commented line per instruction.
    public func cArray(name: String = "filter") -> String {
        var out = "/* \(program.count) instructions; load with prctl(PR_SET_NO_NEW_PRIVS) and seccomp(SECCOMP_SET_MODE_FILTER). */\n"
        out += "struct sock_filter \(name)[] = {\n"
        for (pc, (ins, text)) in zip(program.instructions, pseudoCode()).enumerated() {
            out += "\t{ \(Self.hex(ins.code, width: 2)), \(ins.jt), \(ins.jf), \(Self.hex(ins.k)) }, /* \(Self.line(pc)): \(text) */\n"
        }
        out += "};\n"
        return out
    }

    private func name(of k: UInt32, op: UInt16, state: State) -> String {
        switch state.accumulator {
        case .arch:
            if let arch = Architecture.all.first(where: { $0.auditArch == k && !$0.isX32 }) {
                return "ARCH_" + arch.name.uppercased()
            }
        case .nr where op == BPF.jeq:
            if let auditArch = state.arch {
                for arch in Architecture.all where arch.auditArch == auditArch && arch.isEmitted {
                    if let name = SyscallTable.forArchitecture(arch).name(of: k) { return name }
                }
            }
        default:
            break
        }
        return k < 4096 ? String(k) : Self.hex(k)
    }

    private static func relations(_ op: UInt16) -> (String, String) {
        switch op {
        case BPF.jeq: return ("==", "!=")
        case BPF.jgt: return (">", "<=")
        case BPF.jge: return (">=", "<")
        default: return ("&", "!&")
        }
    }

    static func fieldName(_ offset: UInt32) -> String {
        switch offset {
        case 0: return "sys_number"
        case 4: return "arch"
        case 8: return "instruction_pointer"
        case 12: return "instruction_pointer >> 32"
        case 16..<64:
            let index = (offset - 16) / 8
            return offset % 8 == 0 ? "args[\(index)]" : "args[\(index)] >> 32"
        default: return "data[\(offset)]"
        }
    }

    public static func actionName(_ value: UInt32) -> String {
        switch SeccompAction(returnValue: value) {
        case .killThread: return "KILL"
        case let action: return action.description
        }
    }

    static func line(_ pc: Int) -> String {
        let s = String(pc)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    static func hex<T: BinaryInteger>(_ v: T, width: Int = 8) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
