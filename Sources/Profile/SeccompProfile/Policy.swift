import SeccompABI
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
    /// For a rule on i386's socketcall/ipc derived from a rule on a call they multiplex: that call.
    public var via: String?

    public init(syscall: String, action: SeccompAction, conditions: [ArgumentComparison] = [], entry: Int, via: String? = nil) {
        self.syscall = syscall
        self.action = action
        self.conditions = conditions
        self.entry = entry
        self.via = via
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

/// i386's multiplexers: `socketcall(call, args)` and `ipc(call, ...)` reach the socket
/// and System V IPC calls too (glibc on i386 uses socketcall for sockets). A rule on
/// one of those calls also applies, as libseccomp applies it (so runc, Docker, Podman),
/// to the multiplexer with `args[0] == call`: the rule's own condition on args[0] is
/// replaced, its conditions on other arguments are kept as they are.
public enum Multiplexer {
    /// The call numbers (`SYS_SOCKET`... from linux/net.h; `SEMOP`... from linux/ipc.h).
    public static let socketCalls: [String: UInt64] = [
        "socket": 1, "bind": 2, "connect": 3, "listen": 4, "accept": 5, "getsockname": 6, "getpeername": 7,
        "socketpair": 8, "send": 9, "recv": 10, "sendto": 11, "recvfrom": 12, "shutdown": 13, "setsockopt": 14,
        "getsockopt": 15, "sendmsg": 16, "recvmsg": 17, "accept4": 18, "recvmmsg": 19, "sendmmsg": 20,
    ]
    public static let ipcCalls: [String: UInt64] = [
        "semop": 1, "semget": 2, "semctl": 3, "semtimedop": 4, "msgsnd": 11, "msgrcv": 12, "msgget": 13,
        "msgctl": 14, "shmat": 21, "shmdt": 22, "shmget": 23, "shmctl": 24,
    ]

    /// Architectures whose filters route these calls through the multiplexers (of those seccomp-forge emits).
    public static func applies(to architecture: Architecture) -> Bool { architecture == .x86 }

    /// The multiplexer rule a rule implies on `architecture`, if any.
    public static func derived(from rule: PolicyRule, on architecture: Architecture) -> PolicyRule? {
        guard applies(to: architecture) else { return nil }
        let target: (String, UInt64)
        if let call = socketCalls[rule.syscall] {
            target = ("socketcall", call)
        } else if let call = ipcCalls[rule.syscall] {
            target = ("ipc", call)
        } else {
            return nil
        }
        let conditions = [ArgumentComparison(index: 0, op: .equal, value: target.1)] + rule.conditions.filter { $0.index != 0 }
        return PolicyRule(syscall: target.0, action: rule.action, conditions: conditions, entry: rule.entry, via: rule.syscall)
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
    /// Every known name in the entries that apply (whatever their action): what runc's ENOSYS stub counts.
    public var namedSyscalls: Set<String>
    /// `{}`: no filter (Docker's reading); compiled as one instruction that allows everything.
    public var unconfined = false
    /// The seccomp(2) filter flags to load with, as runc sets them: the profile's `flags`, or
    /// SECCOMP_FILTER_FLAG_SPEC_ALLOW when it gives none (runc's default; `[]` means none).
    public var filterFlags: [String] = ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]

    /// `filterFlags` as seccomp(2) flag bits (TSYNC is the loader's own business).
    public var filterFlagBits: FilterFlags {
        filterFlags.reduce(into: []) { bits, name in
            if let flag = FilterFlags(profileName: name), flag != .tsync { bits.insert(flag) }
        }
    }

    public init(defaultAction: SeccompAction, architectures: [Architecture], rules: [PolicyRule], warnings: [String] = [],
                listenerPath: String? = nil, listenerMetadata: String? = nil, namedSyscalls: Set<String>? = nil) {
        self.defaultAction = defaultAction
        self.architectures = architectures
        self.rules = rules
        self.warnings = warnings
        self.namedSyscalls = namedSyscalls ?? Set(rules.map(\.syscall))
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
    }

    /// The rules as they apply on one architecture: the profile's, in order, each
    /// followed by the multiplexer rule it implies there (i386: socketcall, ipc).
    public func rules(on architecture: Architecture) -> [PolicyRule] {
        guard Multiplexer.applies(to: architecture) else { return rules }
        return rules.flatMap { rule in [rule] + (Multiplexer.derived(from: rule, on: architecture).map { [$0] } ?? []) }
    }

    /// runc's ENOSYS stub (libcontainer/seccomp/patchbpf): unless the default action
    /// is ALLOW, LOG or TRACE, or already ERRNO(ENOSYS), every number above the
    /// highest one the profile names for an architecture gets ENOSYS, ahead of any
    /// rule — so a libc newer than the profile sees "not implemented" and falls back
    /// (clone3 → clone). "Named" means any name in an entry that applies, whatever its
    /// action; names the table does not know are ignored; on i386 the calls libseccomp
    /// multiplexes (socket, semop...) do not count, as libseccomp resolves them to
    /// pseudo-numbers there. nil: no stub on this architecture.
    public func enosysAbove(on architecture: Architecture) -> UInt32? {
        switch defaultAction {
        case .allow, .log, .trace, .enosys: return nil
        default: break
        }
        let table = SyscallTable.forArchitecture(architecture)
        var largest: UInt32?
        for name in namedSyscalls {
            if Multiplexer.applies(to: architecture), Multiplexer.socketCalls[name] != nil || Multiplexer.ipcCalls[name] != nil { continue }
            guard let number = table.number(of: name) else { continue }
            largest = max(largest ?? 0, number)
        }
        guard let largest, largest > architecture.numberBase else { return nil }
        return largest
    }

    /// What numbers above the architecture's table get: ENOSYS under the stub, else the default.
    public func beyondTableAction(on architecture: Architecture) -> SeccompAction {
        beyondTableAction(stubAbove: enosysAbove(on: architecture))
    }

    /// The same, with `enosysAbove(on:)` already worked out.
    public func beyondTableAction(stubAbove: UInt32?) -> SeccompAction {
        Self.stubAction(forNumber: .max, stubAbove: stubAbove) ?? defaultAction
    }

    /// runc's stub as a rule on numbers, written once: ENOSYS above `stubAbove`
    /// (`enosysAbove(on:)`), ahead of any rule; nil where the rules and the default decide.
    public static func stubAction(forNumber number: UInt32, stubAbove: UInt32?) -> SeccompAction? {
        if let limit = stubAbove, number > limit { return .enosys }
        return nil
    }

    /// What a profile does with one syscall on one architecture, before looking at arguments.
    public enum CallDecision: Equatable, Sendable {
        /// The same action whatever the arguments: from `rule`, runc's ENOSYS stub (`rule` nil,
        /// action ERRNO(38)), or the default (`rule` nil).
        case fixed(SeccompAction, rule: PolicyRule?)
        /// Decided by the arguments: the most restrictive matching rule, else `otherwise`.
        case byArguments([PolicyRule], otherwise: SeccompAction)

        public var fixedAction: SeccompAction? {
            if case .fixed(let action, _) = self { return action }
            return nil
        }
    }

    /// What a profile does with a call by name (check, explain, convert and diff ask here):
    /// the number-level decision below, for the rules that name it.
    public func decision(for syscall: String, on architecture: Architecture) -> CallDecision {
        let candidates = rules(on: architecture).filter { $0.syscall == syscall }
        guard let number = SyscallTable.forArchitecture(architecture).number(of: syscall) else {
            return decision(among: candidates, on: architecture)
        }
        return decision(forNumber: number, among: candidates, on: architecture)
    }

    /// The one place that says what a profile does with a syscall number (the compiler asks
    /// here for every number of the table): runc's ENOSYS stub first, then an unconditional
    /// rule (the first, if several; conditions that always hold do not count), then the
    /// conditional rules, then the default. `candidates`: the rules that reach the number.
    public func decision(forNumber number: UInt32, among candidates: [PolicyRule], on architecture: Architecture) -> CallDecision {
        decision(forNumber: number, among: candidates, on: architecture, stubAbove: enosysAbove(on: architecture))
    }

    /// The same, with `enosysAbove(on: architecture)` worked out once by a caller that asks
    /// for every number (the compiler).
    public func decision(forNumber number: UInt32, among candidates: [PolicyRule], on architecture: Architecture, stubAbove: UInt32?) -> CallDecision {
        if let stub = Self.stubAction(forNumber: number, stubAbove: stubAbove) { return .fixed(stub, rule: nil) }
        return decision(among: candidates, on: architecture)
    }

    /// The rules' own decision, the stub left out (a name the table lacks has no number).
    func decision(among candidates: [PolicyRule], on architecture: Architecture) -> CallDecision {
        if let unconditional = candidates.first(where: { $0.effectiveConditions(on: architecture).isEmpty }) {
            return .fixed(unconditional.action, rule: unconditional)
        }
        if candidates.isEmpty { return .fixed(defaultAction, rule: nil) }
        return .byArguments(candidates, otherwise: defaultAction)
    }

    /// The decision for one syscall, by the rules' meaning alone (no filter involved):
    /// an unconditional rule decides (the first, if several); otherwise, among the
    /// conditional rules that match, the most restrictive action; otherwise the default.
    /// `architecture` decides how wide arguments are (see `Architecture.comparesLowHalfOnly`).
    public func decide(syscall: String, args: [UInt64], on architecture: Architecture = .x86_64) -> (action: SeccompAction, rule: PolicyRule?) {
        let candidates: [PolicyRule]
        switch decision(for: syscall, on: architecture) {
        case .fixed(let action, let rule): return (action, rule)
        case .byArguments(let rules, _): candidates = rules
        }
        let matching = candidates.filter { $0.matches(args, on: architecture) }
        if let winner = matching.min(by: { $0.action.restrictiveness < $1.action.restrictiveness }) {
            return (winner.action, winner)
        }
        return (defaultAction, nil)
    }
}
