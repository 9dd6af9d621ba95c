/// Offsets into the kernel's `struct seccomp_data` (`<linux/seccomp.h>`): what a filter loads.
public enum SeccompDataLayout {
    public static let nr: UInt32 = 0
    public static let arch: UInt32 = 4
    public static let instructionPointer: UInt32 = 8
    public static let args: UInt32 = 16
    public static let size: UInt32 = 64

    /// Offset of the low or high 32-bit half of argument `index` on a host of the given byte order.
    public static func argument(_ index: Int, high: Bool, littleEndian: Bool = true) -> UInt32 {
        let base = args + UInt32(index) * 8
        return (high == littleEndian) ? base + 4 : base
    }
}

/// How the x32 ABI's calls reach a filter: under `AUDIT_ARCH_X86_64`, with this bit set in
/// `seccomp_data.nr` (`__X32_SYSCALL_BIT`).
public enum X32 {
    public static let syscallBit: UInt32 = 0x4000_0000
}
