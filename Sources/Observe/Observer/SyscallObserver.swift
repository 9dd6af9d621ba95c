import CObserver
import Foundation
import Recording
import SyscallTable

/// What to observe.
public enum ObservationTarget: Sendable, Equatable, CustomStringConvertible {
    case cgroup(CgroupV2)
    /// A process, its threads, and the children it forks after observation starts.
    case processTree(pid: Int32)

    public var description: String {
        switch self {
        case .cgroup(let c): return "cgroup:\(c.path)"
        case .processTree(let pid): return "pid:\(pid)"
        }
    }
}

/// What went wrong, as a value: the library says what and why; the command-line
/// tool alone decides the wording around it and the exit status (see ObserveCommand).
public struct ObserverError: Error, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// A target, output or argument the caller gave is wrong.
        case badRequest
        /// The caller lacks the privileges (root, or CAP_BPF and CAP_PERFMON).
        case notPermitted
        /// The kernel lacks a feature (BTF, a program type, a tracepoint); `errno` from the kernel.
        case unsupported(errno: Int32)
        /// The command to launch: not found (ENOENT) or not executable.
        case commandFailed(errno: Int32)
        /// Nothing was observed for a target.
        case nothingObserved
        /// Anything else (I/O, a failed map read); `errno` when there is one.
        case failed(errno: Int32?)
    }

    public var description: String
    public var kind: Kind
    /// libbpf's own messages (the verifier's log among them), for --verbose.
    public var log: String?

    public init(_ description: String, kind: Kind = .failed(errno: nil), log: String? = nil) {
        self.description = description
        self.kind = kind
        self.log = log
    }
}

/// The loaded eBPF counter: attached from `init` until `close()` or deinit.
/// Owns the kernel objects (program, links, maps); nothing outlives it.
public final class SyscallObserver {
    public let targets: [ObservationTarget]
    private var handle: OpaquePointer?
    private var counts = [UInt64](repeating: 0, count: Int(SF_MAX_TARGETS) * Int(SF_ABIS) * Int(SF_SLOTS))
    private var lost = [UInt64](repeating: 0, count: Int(SF_MAX_TARGETS) * Int(SF_LOST_KINDS))

    /// The ABIs of the counter's slots, in slot order: this machine's native ABI, then
    /// the compat ABIs its kernel runs (bpf/syscount.bpf.c's `abi_of` fills them in
    /// this order). Another architecture is a row here and a block there.
    public static let abis: [Architecture] = abis(machine: KernelRelease.machine)

    static func abis(machine: String) -> [Architecture] {
        switch machine {
        case "x86_64": return [.x86_64, .x86, .x32]
        case "aarch64", "arm64": return [.aarch64, .arm]
        default: return [Architecture.named(machine) ?? .native]
        }
    }

    /// What loading any of the eBPF programs needs: the privileges, and the kernel's BTF.
    static func checkCanLoad() throws {
        guard mayLoadTracingPrograms else {
            throw ObserverError("observing syscalls loads an eBPF program: run as root (sudo), or with CAP_BPF and CAP_PERFMON",
                                kind: .notPermitted)
        }
        guard FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") else {
            throw ObserverError("this kernel has no BTF (/sys/kernel/btf/vmlinux): build it with CONFIG_DEBUG_INFO_BTF=y",
                                kind: .unsupported(errno: ENOENT))
        }
    }

    public init(targets: [ObservationTarget]) throws {
        try Self.checkCanLoad()
        self.targets = targets
        var ids: [UInt64] = []
        var levels: [UInt32] = []
        for target in targets {
            switch target {
            case .cgroup(let c):
                ids.append(c.id)
                levels.append(c.level)
            case .processTree:
                ids.append(0)
                levels.append(0)
            }
        }
        var error = [CChar](repeating: 0, count: 512)
        var handle: OpaquePointer?
        let rc = sf_observer_open(&handle, ids, levels, UInt32(targets.count), &error, error.count)
        guard rc == 0, let handle else {
            let message = String(decoding: error.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let kind: ObserverError.Kind = -rc == EPERM ? .notPermitted : -rc == EINVAL && message.contains("targets") ? .badRequest : .unsupported(errno: -rc)
            throw ObserverError(message.isEmpty ? "could not start the eBPF observer: \(String(cString: strerror(-rc)))" : message,
                                kind: kind, log: Self.libbpfLog())
        }
        self.handle = handle
        for (i, target) in targets.enumerated() {
            if case .processTree(let pid) = target {
                guard kill(pid, 0) == 0 || errno == EPERM else {
                    close()
                    throw ObserverError("no process with pid \(pid)", kind: .badRequest)
                }
                // The fork hook is attached already: a process forked by one that is in the
                // map is added by the kernel. One forked by a process still waiting here to be
                // added would be missed, so scan again until a pass finds nobody new.
                var added: Set<Int32> = []
                for _ in 0..<100 {
                    let found = Set(Self.threadGroupAndDescendants(of: pid)).subtracting(added)
                    if found.isEmpty { break }
                    for tgid in found { _ = sf_observer_add_process(handle, UInt32(tgid), UInt32(i)) }
                    added.formUnion(found)
                }
            }
        }
    }

    deinit { close() }

    /// Root, or the two capabilities tracing programs need (CAP_BPF 39, CAP_PERFMON 38) in the effective set.
    public static var mayLoadTracingPrograms: Bool {
        if geteuid() == 0 { return true }
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let bits = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return bits & (1 << 39) != 0 && bits & (1 << 38) != 0
    }

    /// What libbpf said while loading (the verifier's log when a program was refused).
    static func libbpfLog() -> String? {
        var buffer = [CChar](repeating: 0, count: 65536)
        let n = sf_observer_log(&buffer, buffer.count)
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Which attach point carries the program: `tp_btf` normally, `raw_tp` where BTF programs are refused.
    public var attachPoint: String {
        guard let handle else { return "closed" }
        return sf_observer_attach_kind(handle) == SF_ATTACH_TP_BTF ? "tp_btf/sys_enter" : "raw_tp/sys_enter"
    }

    /// Whether every process-tree target's tree is gone (false when there are none).
    public var processTreesGone: Bool {
        guard let handle else { return true }
        let trees = targets.enumerated().filter { if case .processTree = $0.element { return true }; return false }
        guard !trees.isEmpty else { return false }
        return trees.allSatisfy { sf_observer_tracked(handle, UInt32($0.offset)) == 0 }
    }

    /// Stops counting; the counters keep their values for a final, consistent `snapshot`.
    public func detach() {
        if let handle { sf_observer_detach(handle) }
    }

    /// Detaches and unloads; safe to call twice.
    public func close() {
        if let handle { sf_observer_close(handle) }
        handle = nil
    }

    /// The counts so far, one recording per target.
    public func snapshot(seconds: Double) throws -> [Recording] {
        guard let handle else { throw ObserverError("observer is closed") }
        let rc = sf_observer_read(handle, &counts, &lost)
        guard rc == 0 else { throw ObserverError("reading the counters failed: \(String(cString: strerror(-rc)))", kind: .failed(errno: -rc)) }
        let kernel = KernelRelease.current
        let skipped = sf_observer_skipped(handle)
        return targets.enumerated().map { index, target in
            var recording = Recording(target: target.description, seconds: seconds, kernel: kernel)
            for (abiIndex, abi) in Self.abis.prefix(Int(SF_ABIS)).enumerated() {
                let table = SyscallTable.forArchitecture(abi)
                let base = (index * Int(SF_ABIS) + abiIndex) * Int(SF_SLOTS)
                for nr in 0..<Int(SF_SLOTS) where counts[base + nr] > 0 {
                    let number = UInt32(nr) + abi.numberBase
                    if let name = table.name(of: number) {
                        recording.counts[abi.profileName, default: [:]][name] = counts[base + nr]
                    } else {
                        recording.unnamed[abi.profileName, default: [:]]["#\(nr)"] = counts[base + nr]
                    }
                }
            }
            let lostBase = index * Int(SF_LOST_KINDS)
            recording.lost = .init(beyondTable: lost[lostBase + Int(SF_LOST_BEYOND_TABLE)],
                                   untrackedProcesses: lost[lostBase + Int(SF_LOST_UNTRACKED)],
                                   tooDeep: lost[lostBase + Int(SF_LOST_TOO_DEEP)],
                                   skippedByKernel: skipped)
            return recording
        }
    }

    /// A process's thread group and every process already descended from it (from /proc).
    static func threadGroupAndDescendants(of pid: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let p = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(p) }
        }
        var result: [Int32] = []
        var queue = [pid]
        while let next = queue.popLast() {
            result.append(next)
            queue += children[next] ?? []
        }
        return result
    }
}

public enum KernelRelease {
    public static var current: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    /// `uname -m`: the machine the kernel runs as (x86_64, aarch64, ...).
    public static var machine: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}
