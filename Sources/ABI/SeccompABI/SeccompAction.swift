/// What a seccomp filter tells the kernel to do with a call: the action in
/// the top 16 bits of the return value, its data in the low 16.
public enum SeccompAction: Hashable, Sendable, CustomStringConvertible {
    case killProcess
    case killThread
    case trap
    case errno(UInt16)
    case userNotification
    case trace(UInt16)
    case log
    case allow

    // SECCOMP_RET_* from <linux/seccomp.h>.
    public static let retKillProcess: UInt32 = 0x8000_0000
    public static let retKillThread: UInt32 = 0x0000_0000
    public static let retTrap: UInt32 = 0x0003_0000
    public static let retErrno: UInt32 = 0x0005_0000
    public static let retUserNotif: UInt32 = 0x7fc0_0000
    public static let retTrace: UInt32 = 0x7ff0_0000
    public static let retLog: UInt32 = 0x7ffc_0000
    public static let retAllow: UInt32 = 0x7fff_0000
    public static let actionMask: UInt32 = 0xffff_0000
    public static let dataMask: UInt32 = 0x0000_ffff

    /// The value a filter returns for this action.
    public var returnValue: UInt32 {
        switch self {
        case .killProcess: return Self.retKillProcess
        case .killThread: return Self.retKillThread
        case .trap: return Self.retTrap
        case .errno(let e): return Self.retErrno | UInt32(e)
        case .userNotification: return Self.retUserNotif
        case .trace(let d): return Self.retTrace | UInt32(d)
        case .log: return Self.retLog
        case .allow: return Self.retAllow
        }
    }

    /// Decodes a filter's return value the way the kernel does (unknown actions kill the process).
    public init(returnValue: UInt32) {
        let data = UInt16(returnValue & Self.dataMask)
        switch returnValue & Self.actionMask {
        case Self.retKillThread: self = .killThread
        case Self.retTrap: self = .trap
        case Self.retErrno: self = .errno(data)
        case Self.retUserNotif: self = .userNotification
        case Self.retTrace: self = .trace(data)
        case Self.retLog: self = .log
        case Self.retAllow: self = .allow
        default: self = .killProcess
        }
    }

    /// Lower is more restrictive: the kernel's order when several filters disagree
    /// (`ACTION_ONLY` compared as a signed value), data breaking ties.
    public var restrictiveness: Int64 {
        let v = returnValue
        return Int64(Int32(bitPattern: v & Self.actionMask)) * 0x1_0000 + Int64(v & Self.dataMask)
    }

    /// True when the call does not run as asked: kills, traps and errno returns.
    public var isDeny: Bool {
        switch self {
        case .killProcess, .killThread, .trap, .errno: return true
        case .userNotification, .trace, .log, .allow: return false
        }
    }

    /// The spelling seccomp-tools and the kernel documentation use: `ALLOW`, `ERRNO(1)`, `KILL_PROCESS`.
    public var description: String {
        switch self {
        case .killProcess: return "KILL_PROCESS"
        case .killThread: return "KILL_THREAD"
        case .trap: return "TRAP"
        case .errno(let e): return "ERRNO(\(e))"
        case .userNotification: return "USER_NOTIF"
        case .trace(let d): return "TRACE(\(d))"
        case .log: return "LOG"
        case .allow: return "ALLOW"
        }
    }
}
