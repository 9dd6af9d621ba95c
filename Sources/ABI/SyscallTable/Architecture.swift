#if canImport(Glibc)
import Glibc
#endif
import SeccompABI

/// A Linux system-call ABI as seccomp sees it: the `AUDIT_ARCH_*` value the
/// kernel puts in `seccomp_data.arch`, and its own syscall numbering.
///
/// x32 shares `AUDIT_ARCH_X86_64` with x86_64; its numbers carry the
/// 0x40000000 bit (`numberBase`), which is how a filter tells the two apart.
public struct Architecture: Hashable, Sendable, CustomStringConvertible {
    /// Short name used on the command line and in messages (`x86_64`, `x86`, `x32`, ...).
    public let name: String
    /// The `AUDIT_ARCH_*` value in `seccomp_data.arch`.
    public let auditArch: UInt32
    public let is64Bit: Bool
    public let isLittleEndian: Bool
    /// Added to the table's numbers: 0x40000000 on x32, 4000/5000/6000 on MIPS ABIs.
    public let numberBase: UInt32
    /// Whether seccomp-forge compiles filters for this architecture.
    public let isEmitted: Bool
    /// Every spelling a profile may use: the `SCMP_ARCH_*` name first, then Go and short names.
    public let spellings: [String]

    /// The profile spelling (`SCMP_ARCH_X86_64`).
    public var profileName: String { spellings[0] }

    public var description: String { name }

    /// True for the x32 ABI, whose calls arrive under `AUDIT_ARCH_X86_64`.
    public var isX32: Bool { numberBase == X32.syscallBit }

    /// ABIs whose arguments are 32 bits wide (i386, arm, x32, MIPS o32 and n32):
    /// filters compare only the low half of each argument, against the low half
    /// of the profile's value, as libseccomp (and so runc and Docker) do.
    public var comparesLowHalfOnly: Bool { !is64Bit || isX32 || name.hasSuffix("n32") }

    public static func == (lhs: Architecture, rhs: Architecture) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

extension Architecture {
    /// Every architecture in the table, in a stable order.
    public static var all: [Architecture] { SyscallTable.architectureRows }

    /// Looks an architecture up by any of its spellings (`SCMP_ARCH_X86`, `386`, `x86`, `i386`), ignoring case.
    public static func named(_ spelling: String) -> Architecture? {
        let key = spelling.lowercased()
        return SyscallTable.spellingIndex[key]
    }

    // By their table names, without building the index of every spelling: `native` is on
    // every launch's path.
    public static let x86_64 = row("x86_64")
    public static let x86 = row("x86")
    public static let x32 = row("x32")
    public static let aarch64 = row("aarch64")
    public static let arm = row("arm")

    private static func row(_ name: String) -> Architecture {
        SyscallTable.architectureRows.first { $0.name == name }!
    }

    /// The architecture this program was built for: the default target of a filter.
    public static var native: Architecture {
        #if arch(x86_64)
        return .x86_64
        #elseif arch(arm64)
        return .aarch64
        #elseif arch(arm)
        return .arm
        #elseif arch(riscv64)
        return row("riscv64")
        #elseif arch(i386)
        return .x86
        #else
        // Any other machine: its kernel's own name for it (`uname -m`), which the table knows
        // for every architecture seccomp has (ppc64le, s390x, mips64, loongarch64...).
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        guard let architecture = named(machine) else { fatalError("no syscall table for this machine (\(machine))") }
        return architecture
        #endif
    }
}
