import SeccompProfile
import SyscallTable
import SeccompABI

/// Turns a recording into the profile that allows exactly what was seen.
public enum ProfileGenerator {
    /// Calls with an older fallback that libc uses only on ENOSYS (Docker's default answers clone3 so).
    public static let enosysFallbacks = ["clone3"]

    /// Calls the kernel has a task make on its own: the return from a signal handler and the
    /// restart of a call a signal interrupted. A run that happened to catch no signal does not
    /// show them, yet denying them turns the first signal into a crash (SIGSEGV: the handler
    /// cannot return), so every generated profile allows them, as Docker's default does.
    public static let signalReturns = ["rt_sigreturn", "restart_syscall"]

    /// The runtime's calls a profile allows when the observation did not see the runtime install
    /// a filter (the container ran unconfined): what runc 1.1.5 calls between installing the
    /// filter and executing the workload with no-new-privileges, runc's own default (measured under
    /// an SCMP_ACT_LOG profile: close, openat, write, fstatfs, epoll_ctl, getdents64, getppid,
    /// rt_sigreturn, execve) — those of them the runtime was seen making. When the runtime did
    /// install one (podman's and Docker's default profiles), the calls it made under it are known
    /// exactly (`runtimeHandOff`) and are allowed instead: under podman, which leaves
    /// no-new-privileges off, runc installs the filter before dropping privileges, and then also
    /// calls read, setuid, setgid, setgroups, capget, capset, faccessat2 and chdir.
    public static let runtimeHandOffFallback: Set<String> = [
        "execve", "execveat", "close", "close_range", "openat", "read", "write", "fstatfs", "epoll_ctl",
        "getdents64", "getppid", "fcntl", "newfstatat", "fstat",
    ]

    /// What a runtime written in Go (runc) may call at any moment, from any of its threads, whatever
    /// it is doing: the scheduler, the garbage collector, signal handling. One run's hand-off need
    /// not show them all (which thread runs when is chance), so those of them the runtime was seen
    /// making at all are allowed too.
    public static let runtimeAnyTime: Set<String> = [
        "futex", "nanosleep", "clock_nanosleep", "sched_yield", "tgkill", "getpid", "gettid", "rt_sigprocmask",
        "rt_sigreturn", "rt_sigaction", "sigaltstack", "mmap", "munmap", "madvise", "mprotect", "clone",
        "epoll_pwait", "epoll_ctl", "getrandom", "exit", "exit_group",
    ]

    /// The runtime's calls the profile must allow: those it made under the filter it installed
    /// (else those of its set-up in the fallback list), and its any-time calls.
    public static func handOffCalls(of recording: Recording) -> Set<String> {
        let setup = Set((recording.runtimeSetup ?? [:]).keys).union((recording.runtimeHandOff ?? [:]).keys)
        let anyTime = setup.intersection(runtimeAnyTime)
        if let exact = recording.runtimeHandOff, !exact.isEmpty { return Set(exact.keys).union(anyTime) }
        return setup.intersection(runtimeHandOffFallback).union(anyTime)
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
        let seenNative = { (name: String) in abis.first.map { recording.counts[$0]?[name] != nil } ?? false }
        let handOff = handOffCalls(of: recording).filter { !seenNative($0) }
        if !handOff.isEmpty {
            entries.append(SyscallEntry(names: handOff.sorted(), action: "SCMP_ACT_ALLOW",
                                        comment: "the container runtime's calls after it installs the filter, before the workload's exec"))
        }
        let returns = signalReturns.filter { !seenNative($0) && !handOff.contains($0) }
        if !returns.isEmpty {
            entries.append(SyscallEntry(names: returns, action: "SCMP_ACT_ALLOW",
                                        comment: "the kernel's own: returning from a signal handler, restarting an interrupted call"))
        }
        // Calls a libc tries first and falls back from only on ENOSYS: if not seen (an
        // existing filter may have answered them before sys_enter), answer ENOSYS as
        // Docker's default does, so pthread_create still falls back to clone.
        let seen = Set(recording.counts.values.flatMap(\.keys))
        let fallbacks = Self.enosysFallbacks.filter { !seen.contains($0) }
        if !fallbacks.isEmpty && defaultAction != "SCMP_ACT_ALLOW" {
            entries.append(SyscallEntry(names: fallbacks, action: "SCMP_ACT_ERRNO", errnoRet: UInt64(ErrnoNumber.enosys),
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
            .union(handOffCalls(of: recording)).union(signalReturns)
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
