/// `seccomp(SECCOMP_SET_MODE_FILTER, flags, ...)`'s flags (`SECCOMP_FILTER_FLAG_*`,
/// `<linux/seccomp.h>`), and the names profiles give them in `"flags"`.
public struct FilterFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Every thread of the process gets the filter.
    public static let tsync = FilterFlags(rawValue: 1 << 0)
    /// The kernel logs every action but ALLOW (ERRNO, TRAP and TRACE outcomes too).
    public static let log = FilterFlags(rawValue: 1 << 1)
    /// Speculative store bypass mitigation stays off (runc's default when a profile names no flags).
    public static let specAllow = FilterFlags(rawValue: 1 << 2)
    /// seccomp() returns a user-notification descriptor.
    public static let newListener = FilterFlags(rawValue: 1 << 3)
    /// With TSYNC and NEW_LISTENER: a thread that cannot be synchronised fails the call with ESRCH.
    public static let tsyncEsrch = FilterFlags(rawValue: 1 << 4)
    /// A notified task waits killably once its notification is received.
    public static let waitKillableRecv = FilterFlags(rawValue: 1 << 5)

    /// The flags a profile may name, by the name it uses (runc and libseccomp's spelling).
    public static let byProfileName: [(name: String, flag: FilterFlags)] = [
        ("SECCOMP_FILTER_FLAG_TSYNC", .tsync),
        ("SECCOMP_FILTER_FLAG_LOG", .log),
        ("SECCOMP_FILTER_FLAG_SPEC_ALLOW", .specAllow),
        ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", .waitKillableRecv),
    ]

    /// The flag a profile's name stands for; nil for a name profiles cannot give.
    public init?(profileName: String) {
        guard let entry = Self.byProfileName.first(where: { $0.name == profileName }) else { return nil }
        self = entry.flag
    }
}
