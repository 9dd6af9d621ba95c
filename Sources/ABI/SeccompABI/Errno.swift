#if canImport(Glibc)
import Glibc
#endif

/// errno names for messages and for systemd's SystemCallErrorNumber=.
public enum ErrnoName {
    static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", EBADF: "EBADF", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM",
        EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST", EINVAL: "EINVAL", ENOSPC: "ENOSPC",
        EROFS: "EROFS", ENOSYS: "ENOSYS", EOPNOTSUPP: "EOPNOTSUPP", EAFNOSUPPORT: "EAFNOSUPPORT",
    ]

    /// `EPERM` for 1; the number itself when it has no name here.
    public static func of(_ value: Int32) -> String { names[value] ?? String(value) }
}

/// The errno numbers seccomp-forge itself answers with, as a filter returns them (`ERRNO(n)`).
public enum ErrnoNumber {
    /// What runc's stub answers for calls newer than the profile, and what libc falls back on.
    public static let enosys = UInt16(ENOSYS)
    /// The answer of a generated profile's default action (`SCMP_ACT_ERRNO`, as Docker's).
    public static let eperm = UInt16(EPERM)
}

extension SeccompAction {
    /// `ERRNO(ENOSYS)`: "this kernel has no such call", which makes libc fall back.
    public static let enosys = SeccompAction.errno(ErrnoNumber.enosys)
}
