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
