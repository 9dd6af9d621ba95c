/// An OCI runtime-spec `LinuxSeccomp` object with Docker's extensions
/// (`archMap`, `includes`/`excludes`, the old singular `name`, `comment`),
/// exactly as a profile file spells it. Strings stay strings here; checking
/// and meaning come in `ProfileValidator` and `PolicyResolver`.
public struct Profile: Codable, Equatable, Sendable {
    public var defaultAction: String
    public var defaultErrnoRet: UInt64?
    public var architectures: [String]?
    public var archMap: [ArchitectureGroup]?
    public var flags: [String]?
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [SyscallEntry]?

    /// No defaultAction and no syscalls (`{}`): Docker runs the container with no seccomp filter.
    public var isUnconfined: Bool { defaultAction.isEmpty && (syscalls ?? []).isEmpty }

    public init(defaultAction: String, defaultErrnoRet: UInt64? = nil, architectures: [String]? = nil,
                archMap: [ArchitectureGroup]? = nil, flags: [String]? = nil, listenerPath: String? = nil,
                listenerMetadata: String? = nil, syscalls: [SyscallEntry]? = nil) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.archMap = archMap
        self.flags = flags
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
        self.syscalls = syscalls
    }
}

/// Docker's `archMap` entry: a native architecture and the ABIs its kernel also runs.
public struct ArchitectureGroup: Codable, Equatable, Sendable {
    public var architecture: String
    public var subArchitectures: [String]?

    public init(architecture: String, subArchitectures: [String]? = nil) {
        self.architecture = architecture
        self.subArchitectures = subArchitectures
    }
}

/// One entry of `syscalls`: names, an action and optional argument conditions.
public struct SyscallEntry: Codable, Equatable, Sendable {
    public var names: [String]?
    /// The pre-1.0 Docker spelling: one name per entry.
    public var name: String?
    public var action: String
    public var errnoRet: UInt64?
    public var args: [ArgumentCondition]?
    public var comment: String?
    public var includes: ConditionalFilter?
    public var excludes: ConditionalFilter?

    public init(names: [String]? = nil, name: String? = nil, action: String, errnoRet: UInt64? = nil,
                args: [ArgumentCondition]? = nil, comment: String? = nil,
                includes: ConditionalFilter? = nil, excludes: ConditionalFilter? = nil) {
        self.names = names
        self.name = name
        self.action = action
        self.errnoRet = errnoRet
        self.args = args
        self.comment = comment
        self.includes = includes
        self.excludes = excludes
    }

    /// `names`, plus the singular `name` of old profiles.
    public var allNames: [String] { (names ?? []) + (name.flatMap { $0.isEmpty ? nil : [$0] } ?? []) }
}

/// Docker's `includes`/`excludes`: by architecture, capability and kernel version.
public struct ConditionalFilter: Codable, Equatable, Sendable {
    public var arches: [String]?
    public var caps: [String]?
    public var minKernel: String?

    public init(arches: [String]? = nil, caps: [String]? = nil, minKernel: String? = nil) {
        self.arches = arches
        self.caps = caps
        self.minKernel = minKernel
    }

    public var isEmpty: Bool { (arches ?? []).isEmpty && (caps ?? []).isEmpty && minKernel == nil }
}

/// One argument condition: `args[index] op value` (`valueTwo` is the expected
/// value of `SCMP_CMP_MASKED_EQ`, whose `value` is the mask).
public struct ArgumentCondition: Codable, Equatable, Sendable {
    public var index: UInt64
    public var value: UInt64
    public var valueTwo: UInt64?
    public var op: String

    public init(index: UInt64, value: UInt64, valueTwo: UInt64? = nil, op: String) {
        self.index = index
        self.value = value
        self.valueTwo = valueTwo
        self.op = op
    }
}
