import CBPF
import SyscallTable

/// How a condition compares an argument (`SCMP_CMP_*`). All comparisons are unsigned 64-bit.
public enum ComparisonOperator: String, CaseIterable, Hashable, Sendable {
    case notEqual = "SCMP_CMP_NE"
    case lessThan = "SCMP_CMP_LT"
    case lessOrEqual = "SCMP_CMP_LE"
    case equal = "SCMP_CMP_EQ"
    case greaterOrEqual = "SCMP_CMP_GE"
    case greaterThan = "SCMP_CMP_GT"
    case maskedEqual = "SCMP_CMP_MASKED_EQ"

    public var symbol: String {
        switch self {
        case .notEqual: return "!="
        case .lessThan: return "<"
        case .lessOrEqual: return "<="
        case .equal: return "=="
        case .greaterOrEqual: return ">="
        case .greaterThan: return ">"
        case .maskedEqual: return "&"
        }
    }
}

/// One resolved condition: `args[index] op value`, or `(args[index] & value) == valueTwo`.
public struct ArgumentComparison: Hashable, Sendable, CustomStringConvertible {
    public var index: Int
    public var op: ComparisonOperator
    public var value: UInt64
    public var valueTwo: UInt64

    /// For `maskedEqual`, bits of `valueTwo` outside the mask are dropped, as libseccomp
    /// does: `(arg & mask) == (valueTwo & mask)`.
    public init(index: Int, op: ComparisonOperator, value: UInt64, valueTwo: UInt64 = 0) {
        self.index = index
        self.op = op
        self.value = value
        self.valueTwo = op == .maskedEqual ? valueTwo & value : valueTwo
    }

    /// The comparison an ABI with 32-bit arguments makes: low halves only.
    public var lowHalf: ArgumentComparison {
        ArgumentComparison(index: index, op: op, value: value & 0xffff_ffff, valueTwo: valueTwo & 0xffff_ffff)
    }

    /// A masked comparison with an empty mask holds for every argument.
    public var alwaysHolds: Bool { op == .maskedEqual && value == 0 }

    public func holds(for argument: UInt64) -> Bool {
        switch op {
        case .notEqual: return argument != value
        case .lessThan: return argument < value
        case .lessOrEqual: return argument <= value
        case .equal: return argument == value
        case .greaterOrEqual: return argument >= value
        case .greaterThan: return argument > value
        case .maskedEqual: return argument & value == valueTwo
        }
    }

    public var description: String {
        op == .maskedEqual
            ? "(args[\(index)] & \(hex(value))) == \(hex(valueTwo))"
            : "args[\(index)] \(op.symbol) \(value < 4096 ? String(value) : hex(value))"
    }
}

func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

/// One rule after resolution: a syscall name, the conditions that must all
/// hold, and the action. `entry` is the index in the profile's `syscalls`.
public struct PolicyRule: Hashable, Sendable {
    public var syscall: String
    public var action: SeccompAction
    public var conditions: [ArgumentComparison]
    public var entry: Int

    public init(syscall: String, action: SeccompAction, conditions: [ArgumentComparison] = [], entry: Int) {
        self.syscall = syscall
        self.action = action
        self.conditions = conditions
        self.entry = entry
    }

    /// The conditions as a filter for `architecture` tests them: cut to the low half
    /// on ABIs with 32-bit arguments, and without those that always hold (an empty
    /// mask), so a rule left with none is unconditional there (libseccomp does the same).
    public func effectiveConditions(on architecture: Architecture) -> [ArgumentComparison] {
        let narrow = architecture.comparesLowHalfOnly
        return conditions.map { narrow ? $0.lowHalf : $0 }.filter { !$0.alwaysHolds }
    }

    /// Whether every condition holds for a call on `architecture`.
    public func matches(_ args: [UInt64], on architecture: Architecture = .x86_64) -> Bool {
        let narrow = architecture.comparesLowHalfOnly
        return effectiveConditions(on: architecture).allSatisfy { c in
            let arg = c.index < args.count ? args[c.index] : 0
            return c.holds(for: narrow ? arg & 0xffff_ffff : arg)
        }
    }
}

/// A profile resolved for a target: the architectures the filter covers and
/// the concrete rules, with capabilities, kernel version and architecture
/// conditions already applied. The compiler's only input.
public struct Policy: Sendable {
    public var defaultAction: SeccompAction
    public var architectures: [Architecture]
    public var rules: [PolicyRule]
    /// Things the user should know that did not stop resolution (unknown names skipped...).
    public var warnings: [String]
    /// Where SCMP_ACT_NOTIFY's listener goes (the profile's listenerPath), and what the agent is told with it.
    public var listenerPath: String?
    public var listenerMetadata: String?

    public init(defaultAction: SeccompAction, architectures: [Architecture], rules: [PolicyRule], warnings: [String] = [],
                listenerPath: String? = nil, listenerMetadata: String? = nil) {
        self.defaultAction = defaultAction
        self.architectures = architectures
        self.rules = rules
        self.warnings = warnings
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
    }

    /// Numbers above an architecture's highest known syscall get ENOSYS when the
    /// default denies, so a newer libc sees "not implemented" and falls back.
    public var beyondTableAction: SeccompAction {
        defaultAction.isDeny ? .errno(38) : defaultAction
    }

    /// The decision for one syscall, by the rules' meaning alone (no filter involved):
    /// an unconditional rule decides (the first, if several); otherwise, among the
    /// conditional rules that match, the most restrictive action; otherwise the default.
    /// `architecture` decides how wide arguments are (see `Architecture.comparesLowHalfOnly`).
    public func decide(syscall: String, args: [UInt64], on architecture: Architecture = .x86_64) -> (action: SeccompAction, rule: PolicyRule?) {
        let candidates = rules.filter { $0.syscall == syscall }
        if let unconditional = candidates.first(where: { $0.effectiveConditions(on: architecture).isEmpty }) {
            return (unconditional.action, unconditional)
        }
        let matching = candidates.filter { $0.matches(args, on: architecture) }
        if let winner = matching.min(by: { $0.action.restrictiveness < $1.action.restrictiveness }) {
            return (winner.action, winner)
        }
        return (defaultAction, nil)
    }
}
