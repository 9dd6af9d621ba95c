/// The (syscall, argument) pairs whose values the observer records, because the
/// argument decides what the call does: which namespaces a clone makes, which socket
/// family a socket opens, which ioctl request a terminal gets. One list, read by the
/// loader (which numbers the kernel program records, and how), the recording, the
/// profile generator and the baseline check.
///
/// Two kinds: a flags argument is kept as the union of the bits seen (its rule: no bit
/// outside them, SCMP_CMP_MASKED_EQ); an enumeration as the set of values seen (its rule:
/// one equality per value). Sets are bounded per target (`maxValues`): a call whose value
/// does not fit is counted as unrecorded, and its syscall falls back to a name-only rule.
public struct RecordedArgument: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The union of the bits seen.
        case flags
        /// The set of values seen.
        case values
    }

    public let syscall: String
    /// The argument's position in seccomp_data.args (for clone3, the struct pointer's).
    public let index: Int
    public let kind: Kind
    /// The kernel's name for the argument (`flags`, `domain`, `request`).
    public let meaning: String
    /// clone3: the flags are not an argument but the first field of `struct clone_args`
    /// in user memory, at the address args[0] holds. Seccomp cannot read them (a filter
    /// sees registers only); the observer can, and does.
    public let inUserMemory: Bool

    public init(_ syscall: String, _ index: Int, _ kind: Kind, _ meaning: String, inUserMemory: Bool = false) {
        self.syscall = syscall
        self.index = index
        self.kind = kind
        self.meaning = meaning
        self.inUserMemory = inUserMemory
    }

    /// `clone args[0] (flags)`.
    public var description: String {
        inUserMemory ? "\(syscall) clone_args.\(meaning)" : "\(syscall) args[\(index)] (\(meaning))"
    }

    /// The key a recording files this argument's values under: the argument's position.
    public var key: String { String(index) }
}

public enum RecordedArguments {
    /// Distinct values kept per target and argument; a call with a value beyond them is
    /// counted as unrecorded. The kernel program's bound (SF_ARG_VALUES) is this.
    public static let maxValues = 32

    /// Every recorded pair, in a fixed order: a pair's position is its id in the kernel
    /// program (at most SF_ARG_RULES of them). Positions are as x86, arm and most
    /// architectures number them; `on(_:)` gives an architecture's own.
    public static let all: [RecordedArgument] = [
        RecordedArgument("clone", 0, .flags, "flags"),
        RecordedArgument("clone3", 0, .flags, "flags", inUserMemory: true),
        RecordedArgument("unshare", 0, .flags, "flags"),
        RecordedArgument("setns", 1, .values, "nstype"),
        RecordedArgument("socket", 0, .values, "domain"),
        RecordedArgument("socket", 1, .values, "type"),
        RecordedArgument("socketpair", 0, .values, "domain"),
        RecordedArgument("socketpair", 1, .values, "type"),
        RecordedArgument("ioctl", 1, .values, "request"),
        RecordedArgument("prctl", 0, .values, "option"),
        RecordedArgument("personality", 0, .values, "persona"),
        RecordedArgument("bpf", 0, .values, "cmd"),
        RecordedArgument("keyctl", 0, .values, "operation"),
        RecordedArgument("ptrace", 0, .values, "request"),
        RecordedArgument("socketcall", 0, .values, "call"),
        RecordedArgument("ipc", 0, .values, "call"),
    ]

    /// The pairs as `architecture` numbers its arguments: s390's clone takes the stack
    /// first and the flags second (Docker's default tests its args[1] there).
    public static func on(_ architecture: Architecture) -> [RecordedArgument] {
        let s390 = architecture.name == "s390" || architecture.name == "s390x"
        return all.map { arg in
            s390 && arg.syscall == "clone" ? RecordedArgument("clone", 1, .flags, "flags") : arg
        }
    }

    /// The recorded arguments of one syscall on `architecture` (empty: recorded by name only).
    public static func of(_ syscall: String, on architecture: Architecture) -> [RecordedArgument] {
        on(architecture).filter { $0.syscall == syscall }
    }

    /// Syscalls with recorded arguments.
    public static var syscalls: Set<String> { Set(all.map(\.syscall)) }

    /// The bits of clone's flags that are the exit signal (CSIGNAL), not flags: a clone
    /// rule allows any of them (clone3 carries the signal in a field of its own).
    public static let cloneExitSignalBits: UInt64 = 0xff

    /// clone's flags are an unsigned long the kernel cuts to 32 bits
    /// (`lower_32_bits(clone_flags)`); a rule on them tests those only.
    public static let cloneFlagBits: UInt64 = 0xffff_ffff
}
