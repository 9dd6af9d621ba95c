import CObserver
import Foundation
import Recording
import SyscallTable

/// Every cgroup on the host at once (seccomp-observe --all): the eBPF side gives each
/// cgroup a slot when one of its tasks first runs; this side names the cgroups,
/// groups them into workloads, drains the slots of removed cgroups and gives them back.
public final class WorkloadObserver {
    /// One cgroup's counts: per ABI profile name then syscall name, and the runtime's set-up.
    public struct CgroupCounts: Equatable {
        public var counts: [String: [String: UInt64]] = [:]
        public var unnamed: [String: [String: UInt64]] = [:]
        public var runtimeSetup: [String: UInt64] = [:]
        /// What the runtime called after installing the container's filter, before the exec.
        public var runtimeHandOff: [String: UInt64] = [:]
        public var isEmpty: Bool { counts.isEmpty && unnamed.isEmpty && runtimeSetup.isEmpty && runtimeHandOff.isEmpty }
        public var total: UInt64 {
            counts.values.reduce(0) { $0 + $1.values.reduce(0, +) } + runtimeSetup.values.reduce(0, +) + runtimeHandOff.values.reduce(0, +)
        }
        public init() {}
    }

    /// What could not be counted or kept, since the start.
    public struct Health: Equatable {
        /// Calls of cgroups that found every slot taken (raise --max-workloads).
        public var noSlot: UInt64
        public var beyondTable: UInt64
        /// Removed cgroups whose release the kernel's queue could not hold (their slot is reclaimed by a rescan).
        public var goneDropped: UInt64
        /// Verdicts worked out for tasks too far below --cgroup-root to check (their calls are not counted).
        public var tooDeep: UInt64
        /// Calls the kernel did not run the counting program for (recursion misses): not attributable.
        public var skipped: UInt64 = 0
    }

    private var handle: OpaquePointer?
    public let slots: Int
    /// Kernel memory the maps were sized for.
    public let mapBytes: UInt64

    public init(maxWorkloads: Int, root: CgroupV2? = nil) throws {
        try SyscallObserver.checkCanLoad()
        guard maxWorkloads > 0, maxWorkloads <= 1 << 16 else {
            throw ObserverError("--max-workloads \(maxWorkloads): give 1 to 65536", kind: .badRequest)
        }
        var error = [CChar](repeating: 0, count: 512)
        var handle: OpaquePointer?
        let rc = sf_workloads_open(&handle, UInt32(maxWorkloads), root?.id ?? 0, &error, error.count)
        guard rc == 0, let handle else {
            let message = String(decoding: error.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ObserverError(message.isEmpty ? "could not start the eBPF observer: \(String(cString: strerror(-rc)))" : message,
                                kind: -rc == EPERM ? .notPermitted : .unsupported(errno: -rc), log: SyscallObserver.libbpfLog())
        }
        self.handle = handle
        slots = Int(sf_workloads_slot_count(handle))
        mapBytes = sf_workloads_map_bytes(handle)
    }

    deinit { close() }

    public func detach() { if let handle { sf_workloads_detach(handle) } }

    public func close() {
        if let handle { sf_workloads_close(handle) }
        handle = nil
    }

    /// Every cgroup holding a slot: cgroup id → slot.
    public func liveSlots() throws -> [UInt64: Int] {
        guard let handle else { throw ObserverError("observer is closed") }
        var ids = [UInt64](repeating: 0, count: slots)
        var slotNumbers = [UInt32](repeating: 0, count: slots)
        let n = sf_workloads_slots(handle, &ids, &slotNumbers, UInt32(slots))
        guard n >= 0 else { throw ObserverError("reading the slot map failed: \(String(cString: strerror(-n)))", kind: .failed(errno: -n)) }
        var result: [UInt64: Int] = [:]
        for i in 0..<Int(n) { result[ids[i]] = Int(slotNumbers[i]) }
        return result
    }

    /// The counts of one slot, read in place.
    public func counts(slot: Int) -> CgroupCounts {
        var result = CgroupCounts()
        guard let handle, let base = sf_workloads_counts(handle) else { return result }
        let abis = SyscallObserver.abis
        for row in 0..<Int(SF_ALL_ROWS) {
            let start = (slot * Int(SF_ALL_ROWS) + row) * Int(SF_SLOTS)
            let isHandOff = row == Int(SF_ALL_HANDOFF_ROW)
            let isRuntime = row == Int(SF_ALL_RUNTIME_ROW) || isHandOff
            guard isRuntime || row < abis.count else { continue }
            let abi = isRuntime ? abis[0] : abis[row]
            let table = SyscallTable.forArchitecture(abi)
            for nr in 0..<Int(SF_SLOTS) {
                let n = base[start + nr]
                guard n > 0 else { continue }
                let name = table.name(of: UInt32(nr) + abi.numberBase)
                if isHandOff {
                    result.runtimeHandOff[name ?? "#\(nr)", default: 0] += n
                } else if isRuntime {
                    result.runtimeSetup[name ?? "#\(nr)", default: 0] += n
                } else if let name {
                    result.counts[abi.profileName, default: [:]][name] = n
                } else {
                    result.unnamed[abi.profileName, default: [:]]["#\(nr)"] = n
                }
            }
        }
        return result
    }

    /// The next removed cgroup waiting to be drained, if any.
    public func nextGone() -> UInt64? {
        guard let handle else { return nil }
        var id: UInt64 = 0
        return sf_workloads_next_gone(handle, &id) == 0 ? id : nil
    }

    /// The path the kernel gave when the cgroup was made during the observation.
    public func recordedPath(of id: UInt64) -> String? {
        guard let handle else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(SF_ALL_PATH_MAX) + 1)
        guard sf_workloads_name(handle, id, &buffer, buffer.count) == 0 else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Gives a drained cgroup's slot back (its counters zeroed).
    public func release(id: UInt64, slot: Int) {
        if let handle { _ = sf_workloads_release(handle, id, UInt32(slot)) }
    }

    public func health() -> Health {
        var values = [UInt64](repeating: 0, count: Int(SF_ALL_HEALTH))
        if let handle { _ = sf_workloads_health(handle, &values) }
        return Health(noSlot: values[Int(SF_ALL_NO_SLOT)], beyondTable: values[Int(SF_ALL_BEYOND_TABLE)],
                      goneDropped: values[Int(SF_ALL_GONE_DROPPED)], tooDeep: values[Int(SF_ALL_TOO_DEEP)],
                      skipped: handle.map { sf_workloads_skipped($0) } ?? 0)
    }
}
