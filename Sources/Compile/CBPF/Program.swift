import SeccompABI

/// A seccomp filter program: what `seccomp(SECCOMP_SET_MODE_FILTER)` loads.
public struct Program: Hashable, Sendable {
    public var instructions: [Instruction]

    public init(_ instructions: [Instruction]) {
        self.instructions = instructions
    }

    public var count: Int { instructions.count }

    /// The same program with every constant return value passed through `transform`:
    /// the same decisions, different outcomes (e.g. denials turned into notifications).
    public func mappingReturns(_ transform: (UInt32) -> UInt32) -> Program {
        Program(instructions.map { ins in
            guard ins.isReturn, ins.code & BPF.a == 0 else { return ins }
            var copy = ins
            copy.k = transform(ins.k)
            return copy
        })
    }

    /// The little-endian `struct sock_filter[]` image: 8 bytes an instruction,
    /// loadable as is (bubblewrap's `--seccomp FD` reads exactly this).
    public var rawBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(instructions.count * 8)
        for ins in instructions {
            bytes.append(UInt8(ins.code & 0xff))
            bytes.append(UInt8(ins.code >> 8))
            bytes.append(ins.jt)
            bytes.append(ins.jf)
            withUnsafeBytes(of: ins.k.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case sizeNotMultipleOf8(Int)
        public var description: String {
            switch self {
            case .sizeNotMultipleOf8(let n): return "\(n) bytes is not a whole number of 8-byte instructions"
            }
        }
    }

    /// Reads a raw little-endian `struct sock_filter[]` image.
    public init(rawBytes bytes: [UInt8]) throws {
        guard bytes.count % 8 == 0 else { throw DecodeError.sizeNotMultipleOf8(bytes.count) }
        var instructions: [Instruction] = []
        instructions.reserveCapacity(bytes.count / 8)
        var i = 0
        while i < bytes.count {
            let code = UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
            let k = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
            instructions.append(Instruction(code: code, jt: bytes[i + 2], jf: bytes[i + 3], k: k))
            i += 8
        }
        self.instructions = instructions
    }
}

/// The input a filter sees: the kernel's `struct seccomp_data`.
public struct SeccompData: Hashable, Sendable {
    public var nr: UInt32
    public var arch: UInt32
    public var instructionPointer: UInt64
    public var args: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    public init(nr: UInt32, arch: UInt32, instructionPointer: UInt64 = 0, args: [UInt64] = []) {
        self.nr = nr
        self.arch = arch
        self.instructionPointer = instructionPointer
        func at(_ i: Int) -> UInt64 { i < args.count ? args[i] : 0 }
        self.args = (at(0), at(1), at(2), at(3), at(4), at(5))
    }

    public func argument(_ index: Int) -> UInt64 {
        switch index {
        case 0: return args.0
        case 1: return args.1
        case 2: return args.2
        case 3: return args.3
        case 4: return args.4
        default: return args.5
        }
    }

    /// The 32-bit word at `offset`, as a little-endian host lays the struct out.
    public func word(at offset: UInt32) -> UInt32? {
        switch offset {
        case SeccompDataLayout.nr: return nr
        case SeccompDataLayout.arch: return arch
        case SeccompDataLayout.instructionPointer: return UInt32(truncatingIfNeeded: instructionPointer)
        case SeccompDataLayout.instructionPointer + 4: return UInt32(truncatingIfNeeded: instructionPointer >> 32)
        case SeccompDataLayout.args..<SeccompDataLayout.size where offset % 4 == 0:
            let value = argument(Int((offset - SeccompDataLayout.args) / 8))
            return offset % 8 == 0 ? UInt32(truncatingIfNeeded: value) : UInt32(truncatingIfNeeded: value >> 32)
        default: return nil
        }
    }

    public static func == (l: SeccompData, r: SeccompData) -> Bool {
        l.nr == r.nr && l.arch == r.arch && l.instructionPointer == r.instructionPointer
            && (0..<6).allSatisfy { l.argument($0) == r.argument($0) }
    }
    public func hash(into h: inout Hasher) {
        h.combine(nr); h.combine(arch); h.combine(instructionPointer)
        for i in 0..<6 { h.combine(argument(i)) }
    }
}
