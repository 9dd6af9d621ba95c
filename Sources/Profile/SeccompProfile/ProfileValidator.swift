import SeccompABI
import SyscallTable

/// Checks a decoded profile for everything the kernel, runc or Docker would
/// refuse, and says where (`syscalls[3].args[0].index: 7 is out of range 0...5`).
public enum ProfileValidator {
    public static let knownFlags = Set(FilterFlags.byProfileName.map(\.name))
    public static let actionNames = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]
    /// The largest errno a filter can return that libc still reads as an error (`MAX_ERRNO`).
    public static let maxErrno: UInt64 = 4095

    /// Every problem in the profile, in document order. Empty means valid.
    public static func validate(_ profile: Profile) -> [ProfileError] {
        var problems: [ProfileError] = []
        if profile.isUnconfined { return [] }
        if profile.defaultAction.isEmpty {
            problems.append(ProfileError("defaultAction", "missing: with syscalls listed, Docker passes an empty action on and runc refuses it"))
        } else {
            checkAction(profile.defaultAction, errno: profile.defaultErrnoRet, actionPath: "defaultAction",
                        errnoPath: "defaultErrnoRet", into: &problems)
        }
        for (i, spelling) in (profile.architectures ?? []).enumerated() where Architecture.named(spelling) == nil {
            problems.append(ProfileError("architectures[\(i)]", unknownArchitecture(spelling)))
        }
        if !(profile.architectures ?? []).isEmpty && !(profile.archMap ?? []).isEmpty {
            problems.append(ProfileError("archMap", "a profile gives either \"architectures\" or \"archMap\", not both"))
        }
        for (i, group) in (profile.archMap ?? []).enumerated() {
            if Architecture.named(group.architecture) == nil {
                problems.append(ProfileError("archMap[\(i)].architecture", unknownArchitecture(group.architecture)))
            }
            for (j, sub) in (group.subArchitectures ?? []).enumerated() where Architecture.named(sub) == nil {
                problems.append(ProfileError("archMap[\(i)].subArchitectures[\(j)]", unknownArchitecture(sub)))
            }
        }
        for (i, flag) in (profile.flags ?? []).enumerated() where !knownFlags.contains(flag) {
            problems.append(ProfileError("flags[\(i)]", "unknown flag \"\(flag)\"; known: \(knownFlags.sorted().joined(separator: ", "))"))
        }
        for (i, entry) in (profile.syscalls ?? []).enumerated() {
            validate(entry, path: "syscalls[\(i)]", into: &problems)
        }
        return problems
    }

    static func validate(_ entry: SyscallEntry, path: String, into problems: inout [ProfileError]) {
        checkAction(entry.action, errno: entry.errnoRet, actionPath: path + ".action", errnoPath: path + ".errnoRet",
                    into: &problems)
        // Docker's rule: a non-empty "name" beside a non-empty "names" is an error; an empty
        // "name" is no name; an entry with no names adds nothing (the resolver says so).
        if let name = entry.name, !name.isEmpty, !(entry.names ?? []).isEmpty {
            problems.append(ProfileError(path + ".name", "both \"name\" and \"names\" are given; Docker refuses that: use either"))
        }
        for (j, arg) in (entry.args ?? []).enumerated() {
            let argPath = "\(path).args[\(j)]"
            if arg.index > 5 {
                problems.append(ProfileError(argPath + ".index", "\(arg.index) is out of range 0...5"))
            }
            if ComparisonOperator(rawValue: arg.op) == nil {
                let known = ComparisonOperator.allCases.map(\.rawValue).joined(separator: ", ")
                problems.append(ProfileError(argPath + ".op", "unknown operator \"\(arg.op)\"; known: \(known)"))
            }
        }
        for (filter, key) in [(entry.includes, "includes"), (entry.excludes, "excludes")] {
            guard let filter else { continue }
            for (j, arch) in (filter.arches ?? []).enumerated() where Architecture.named(arch) == nil {
                problems.append(ProfileError("\(path).\(key).arches[\(j)]", unknownArchitecture(arch)))
            }
            if let minKernel = filter.minKernel, KernelVersion(minKernel) == nil {
                problems.append(ProfileError("\(path).\(key).minKernel", "\"\(minKernel)\" is not a kernel version like \"4.8\""))
            }
            for (j, cap) in (filter.caps ?? []).enumerated() where Capabilities.normalize(cap) == nil {
                problems.append(ProfileError("\(path).\(key).caps[\(j)]", "\"\(cap)\" is not a capability name like CAP_SYS_ADMIN"))
            }
        }
    }

    static func checkAction(_ action: String, errno: UInt64?, actionPath: String, errnoPath: String,
                            into problems: inout [ProfileError]) {
        guard actionNames.contains(action) else {
            problems.append(ProfileError(actionPath, "unknown action \"\(action)\"; known: \(actionNames.joined(separator: ", "))"))
            return
        }
        guard let errno else { return }
        switch action {
        case "SCMP_ACT_ERRNO":
            // libseccomp (so runc, Docker, Podman) refuses errno values from MAX_ERRNO (4095) up:
            // runc 1.1 here fails with "error adding seccomp filter rule" for 4095 and 12345.
            if errno >= maxErrno {
                problems.append(ProfileError(errnoPath, "\(errno) is not below \(maxErrno): libseccomp, and so runc and Docker, refuse it"))
            }
        case "SCMP_ACT_TRACE":
            if errno > 0xffff {
                problems.append(ProfileError(errnoPath, "\(errno) is above 65535, the largest SCMP_ACT_TRACE message"))
            }
        default:
            problems.append(ProfileError(errnoPath, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take a return value, not \(action)"))
        }
    }

    static func unknownArchitecture(_ spelling: String) -> String {
        "unknown architecture \"\(spelling)\" (e.g. SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64)"
    }

    /// The kernel action for a valid action string and its optional errno/trace value.
    public static func action(_ name: String, errno: UInt64?) -> SeccompAction? {
        let data = UInt16(clamping: errno ?? 1)
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return .killThread
        case "SCMP_ACT_KILL_PROCESS": return .killProcess
        case "SCMP_ACT_TRAP": return .trap
        case "SCMP_ACT_ERRNO": return .errno(data)
        case "SCMP_ACT_TRACE": return .trace(data)
        case "SCMP_ACT_ALLOW": return .allow
        case "SCMP_ACT_LOG": return .log
        case "SCMP_ACT_NOTIFY": return .userNotification
        default: return nil
        }
    }
}

/// A kernel release as `minKernel` and `uname -r` give it: major.minor[.patch][-anything].
public struct KernelVersion: Comparable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(major: Int, minor: Int, patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    public init?(_ text: String) {
        let release = text.prefix(while: { $0.isNumber || $0 == "." })
        let parts = release.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count >= 2, parts.count <= 3, !parts.contains(where: { $0 == nil }) else { return nil }
        self.init(major: parts[0]!, minor: parts[1]!, patch: parts.count == 3 ? parts[2]! : 0)
    }

    public static func < (l: KernelVersion, r: KernelVersion) -> Bool {
        (l.major, l.minor, l.patch) < (r.major, r.minor, r.patch)
    }

    public var description: String { "\(major).\(minor)" + (patch != 0 ? ".\(patch)" : "") }
}

/// Capability names as profiles and `--caps` spell them.
public enum Capabilities {
    /// Docker's default set for a container (moby's `DefaultCapabilities`).
    public static let dockerDefault: Set<String> = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// `sys_admin`, `SYS_ADMIN` and `CAP_SYS_ADMIN` all become `CAP_SYS_ADMIN`; nil if not a name.
    public static func normalize(_ text: String) -> String? {
        var upper = text.uppercased()
        if !upper.hasPrefix("CAP_") { upper = "CAP_" + upper }
        let body = upper.dropFirst(4)
        guard !body.isEmpty, body.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        return upper
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension KernelVersion {
    /// The running kernel (`uname -r`), or nil if it cannot be read.
    public static var running: KernelVersion? {
        var name = utsname()
        guard uname(&name) == 0 else { return nil }
        let release = withUnsafeBytes(of: &name.release) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return KernelVersion(release)
    }
}
