import SeccompABI

/// One classic-BPF instruction, laid out as the kernel's `struct sock_filter`.
public struct Instruction: Hashable, Sendable {
    public var code: UInt16
    public var jt: UInt8
    public var jf: UInt8
    public var k: UInt32

    public init(code: UInt16, jt: UInt8 = 0, jf: UInt8 = 0, k: UInt32) {
        self.code = code
        self.jt = jt
        self.jf = jf
        self.k = k
    }
}

/// Opcode fields of classic BPF (`<linux/filter.h>`, `<linux/bpf_common.h>`).
public enum BPF {
    // Classes.
    public static let ld: UInt16 = 0x00
    public static let ldx: UInt16 = 0x01
    public static let st: UInt16 = 0x02
    public static let stx: UInt16 = 0x03
    public static let alu: UInt16 = 0x04
    public static let jmp: UInt16 = 0x05
    public static let ret: UInt16 = 0x06
    public static let misc: UInt16 = 0x07
    // Sizes and modes.
    public static let w: UInt16 = 0x00
    public static let imm: UInt16 = 0x00
    public static let abs: UInt16 = 0x20
    public static let mem: UInt16 = 0x60
    public static let len: UInt16 = 0x80
    // ALU and jump operations.
    public static let add: UInt16 = 0x00, sub: UInt16 = 0x10, mul: UInt16 = 0x20, div: UInt16 = 0x30
    public static let or: UInt16 = 0x40, and: UInt16 = 0x50, lsh: UInt16 = 0x60, rsh: UInt16 = 0x70
    public static let neg: UInt16 = 0x80, mod: UInt16 = 0x90, xor: UInt16 = 0xa0
    public static let ja: UInt16 = 0x00, jeq: UInt16 = 0x10, jgt: UInt16 = 0x20, jge: UInt16 = 0x30
    public static let jset: UInt16 = 0x40
    // Sources.
    public static let k: UInt16 = 0x00
    public static let x: UInt16 = 0x08
    public static let a: UInt16 = 0x10
    public static let tax: UInt16 = 0x00
    public static let txa: UInt16 = 0x80

    /// The most instructions the kernel accepts in one filter (`BPF_MAXINSNS`).
    public static let maxInstructions = 4096
    /// Scratch memory words (`BPF_MEMWORDS`).
    public static let memoryWords = 16
}

extension Instruction {
    /// `A = *(u32 *)(seccomp_data + offset)`.
    public static func loadWord(_ offset: UInt32) -> Instruction {
        Instruction(code: BPF.ld | BPF.w | BPF.abs, k: offset)
    }
    public static func jump(_ op: UInt16, _ k: UInt32, jt: UInt8, jf: UInt8) -> Instruction {
        Instruction(code: BPF.jmp | op | BPF.k, jt: jt, jf: jf, k: k)
    }
    public static func jumpAlways(_ offset: UInt32) -> Instruction {
        Instruction(code: BPF.jmp | BPF.ja, k: offset)
    }
    public static func andImmediate(_ k: UInt32) -> Instruction {
        Instruction(code: BPF.alu | BPF.and | BPF.k, k: k)
    }
    public static func returns(_ value: UInt32) -> Instruction {
        Instruction(code: BPF.ret | BPF.k, k: value)
    }

    public var instructionClass: UInt16 { code & 0x07 }
    public var isConditionalJump: Bool { instructionClass == BPF.jmp && code & 0xf0 != BPF.ja }
    public var isReturn: Bool { instructionClass == BPF.ret }
}
