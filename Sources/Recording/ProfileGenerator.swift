import SeccompProfile
import SyscallTable

/// Turns a recording into the profile that allows exactly what was seen.
public enum ProfileGenerator {
    /// Calls with an older fallback that libc uses only on ENOSYS (Docker's default answers clone3 so).
    public static let enosysFallbacks = ["clone3"]

    /// The runtime's calls a profile allows when the observation did not see the runtime install
    /// a filter (the container ran unconfined): what runc 1.1.5 calls between installing the
    /// filter and executing the workload with no-new-privileges, runc's own default (measured under
    /// an SCMP_ACT_LOG profile: close, openat, write, fstatfs, epoll_ctl, getdents64, getppid,
    /// rt_sigreturn, execve), plus the calls its Go runtime may make at any moment — those of them
    /// the runtime was seen making. When the runtime did install one (podman's and Docker's default
    /// profiles), the calls it made under it are known exactly (`runtimeHandOff`) and are allowed
    /// instead: under podman, which leaves no-new-privileges off, runc installs the filter before
    /// dropping privileges, and then also calls read, setuid, setgid, setgroups, capget, capset,
    /// faccessat2 and chdir.
    public static let runtimeHandOff: Set<String> = [
        "execve", "execveat", "close", "close_range", "openat", "read", "write", "fstatfs", "epoll_ctl", "epoll_pwait",
        "getdents64", "getppid", "rt_sigreturn", "rt_sigprocmask", "futex", "nanosleep", "sched_yield", "tgkill", "getpid",
        "gettid", "fcntl", "newfstatat", "fstat", "exit", "exit_group",
    ]

    /// The runtime's calls the profile must allow: those it made under the filter it installed,
    /// else those of its set-up in the fallback list.
    public static func handOffCalls(of recording: Recording) -> Set<String> {
        if let exact = recording.runtimeHandOff, !exact.isEmpty { return Set(exact.keys) }
        return Set((recording.runtimeSetup ?? [:]).keys.filter { runtimeHandOff.contains($0) })
    }

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
        let handOff = handOffCalls(of: recording)
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

    /// A base profile with what a recording saw added (`if:` of podman's trace-syscall
    /// annotation): every base entry is kept as it is, so what the base blocks stays blocked;
    /// calls the base does not name at all are allowed in one new entry; the recording's ABIs
    /// join the base's architectures.
    public static func profile(from recording: Recording, base: Profile) -> Profile {
        var merged = base
        let named = Set((base.syscalls ?? []).flatMap(\.allNames))
        let seen = Set(recording.counts.values.flatMap(\.keys))
            .union(handOffCalls(of: recording))
        let added = seen.subtracting(named).sorted()
        if !added.isEmpty {
            merged.syscalls = (base.syscalls ?? []) + [SyscallEntry(names: added, action: "SCMP_ACT_ALLOW",
                                                                   comment: "observed (\(recording.target)), not named by the base profile")]
        }
        if var architectures = base.architectures, base.archMap == nil {
            let order = Architecture.all.map(\.profileName)
            for abi in recording.counts.keys where !(recording.counts[abi]?.isEmpty ?? true) && !architectures.contains(abi) {
                architectures.append(abi)
            }
            merged.architectures = architectures.sorted { (order.firstIndex(of: $0) ?? .max) < (order.firstIndex(of: $1) ?? .max) }
        }
        return merged
    }
}
