import SeccompProfile
import SyscallTable

/// Turns a recording into the profile that allows exactly what was seen.
public enum ProfileGenerator {
    /// Calls with an older fallback that libc uses only on ENOSYS (Docker's default answers clone3 so).
    public static let enosysFallbacks = ["clone3"]

    /// What a container runtime does between installing the container's filter and
    /// executing the workload, so the filter must allow it (measured with runc 1.1.5 under a
    /// SCMP_ACT_LOG profile: close, openat, write, fstatfs, epoll_ctl, getdents64,
    /// rt_sigreturn, execve), plus the calls its Go runtime may make at any moment. Only
    /// those the recording saw the runtime make are allowed; the rest of its set-up
    /// (mount, pivot_root, sethostname, capset...) is not.
    public static let runtimeHandOff: Set<String> = [
        "execve", "execveat", "close", "close_range", "openat", "write", "fstatfs", "epoll_ctl", "epoll_pwait", "getdents64",
        "rt_sigreturn", "rt_sigprocmask", "futex", "nanosleep", "sched_yield", "tgkill", "getpid", "gettid", "fcntl",
        "newfstatat", "fstat", "exit", "exit_group",
    ]

    /// `defaultAction` denies everything else (`SCMP_ACT_ERRNO` with EPERM unless told
    /// otherwise). One ALLOW entry per ABI seen, names sorted; the architectures
    /// list every ABI seen, native first. OCI profiles apply names to every listed
    /// architecture, so a name seen under one ABI is allowed under the others too.
    public static func profile(from recording: Recording, defaultAction: String = "SCMP_ACT_ERRNO",
                               defaultErrnoRet: UInt64? = 1) -> Profile {
        let order = Architecture.all.map(\.profileName)
        let abis = recording.counts.keys.filter { !(recording.counts[$0]?.isEmpty ?? true) }
            .sorted { (order.firstIndex(of: $0) ?? .max) < (order.firstIndex(of: $1) ?? .max) }
        var entries: [SyscallEntry] = []
        for abi in abis {
            let names = recording.counts[abi, default: [:]].keys.sorted()
            entries.append(SyscallEntry(names: names, action: "SCMP_ACT_ALLOW",
                                        comment: "observed under \(abi) (\(recording.target))"))
        }
        let handOff = (recording.runtimeSetup ?? [:]).keys.filter { Self.runtimeHandOff.contains($0) }
            .filter { name in !(abis.first.map { recording.counts[$0]?[name] != nil } ?? false) }.sorted()
        if !handOff.isEmpty {
            entries.append(SyscallEntry(names: handOff, action: "SCMP_ACT_ALLOW",
                                        comment: "the container runtime's calls after it installs the filter, before the workload's exec"))
        }
        // Calls a libc tries first and falls back from only on ENOSYS: if not seen (an
        // existing filter may have answered them before sys_enter), answer ENOSYS as
        // Docker's default does, so pthread_create still falls back to clone.
        let seen = Set(recording.counts.values.flatMap(\.keys))
        let fallbacks = Self.enosysFallbacks.filter { !seen.contains($0) }
        if !fallbacks.isEmpty && defaultAction != "SCMP_ACT_ALLOW" {
            entries.append(SyscallEntry(names: fallbacks, action: "SCMP_ACT_ERRNO", errnoRet: 38,
                                        comment: "not seen: ENOSYS, so libc falls back (as Docker's default answers them)"))
        }
        let errno = defaultAction == "SCMP_ACT_ERRNO" ? defaultErrnoRet : nil
        return Profile(defaultAction: defaultAction, defaultErrnoRet: errno,
                       architectures: abis.isEmpty ? [Architecture.native.profileName] : abis, syscalls: entries)
    }
}
