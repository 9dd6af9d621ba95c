import Workloads
import Observer
import Foundation
import Recording
import SeccompProfile

/// seccomp-observe --all from start to finish: one eBPF program for every cgroup, read
/// every interval; each workload's recording and profile rewritten in the output directory
/// (atomically) with everything seen since the start, its replicas merged.
public final class WorkloadSession {
    public struct Report {
        public var workloads: Int
        public var files: [String]
        public var health: WorkloadObserver.Health
        public var liveCgroups: Int
        public var drainSeconds: Double
    }

    /// One replica of a workload (a container, a service): when it was first and last seen calling.
    struct Replica {
        var path: String
        var firstSeen: Date?
        var lastSeen: Date?
        var lastTotal: UInt64 = 0
    }

    public let observer: WorkloadObserver
    public let outputDirectory: String
    public let defaultAction: String
    let mount: String
    let start = Date()
    let host = ProcessInfo.processInfo.hostName
    /// cgroup id → path below the mount.
    var paths: [UInt64: String] = [:]
    var identities: [String: WorkloadIdentity] = [:]
    /// Replicas by identity name, then by replica key (container id, else cgroup path).
    var replicas: [String: [String: Replica]] = [:]
    /// Live cgroups: whose replica they are, and their counts at the last read. A container's
    /// own sub-cgroups are the same replica; their counts add up.
    var liveKey: [UInt64: (identity: String, key: String)] = [:]
    var liveCounts: [UInt64: WorkloadObserver.CgroupCounts] = [:]
    /// This read's assignment of cgroups named by their path alone.
    var pathAssigned: [UInt64: (identity: String, key: String)] = [:]
    /// Removed cgroups' final counts, per identity and replica key.
    var drained: [String: [String: WorkloadObserver.CgroupCounts]] = [:]
    /// Calls in cgroups that were gone before they could be named.
    public private(set) var unnamedCalls: UInt64 = 0
    /// Containers the runtimes described while observing, by cgroup path: kept after the
    /// runtime deletes its state (a short container is gone before the next read).
    var states: [String: WorkloadIdentity.RuntimeState] = [:]
    var stateFilesRead: Set<String> = []
    let watcher = RuntimeStateWatcher()

    public init(outputDirectory: String, maxWorkloads: Int, root: String? = nil, defaultAction: String = "SCMP_ACT_ERRNO") throws {
        installStopHandlers()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outputDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ObserverError("--out-dir \(outputDirectory): no such directory", kind: .badRequest)
        }
        guard access(outputDirectory, W_OK | X_OK) == 0 else {
            throw ObserverError("--out-dir \(outputDirectory): not writable (\(String(cString: strerror(errno))))", kind: .badRequest)
        }
        do { mount = try CgroupV2.mountPoint() } catch {
            throw ObserverError(error.description, kind: .unsupported(errno: ENOENT))
        }
        self.outputDirectory = outputDirectory
        self.defaultAction = defaultAction
        var rootCgroup: CgroupV2?
        if let root {
            do { rootCgroup = try CgroupV2.at(root) } catch {
                throw ObserverError("--cgroup-root \(root): \(error.description)", kind: .badRequest)
            }
        }
        observer = try WorkloadObserver(maxWorkloads: maxWorkloads, root: rootCgroup)
        // Every cgroup there is now, named before any of them can go: one made later is named by
        // the kernel's mkdir event, so a cgroup that gets its first slot and is removed between
        // two reads is never anonymous.
        paths = Self.cgroupPaths(under: mount, from: rootCgroup.map { String($0.path.dropFirst(mount.count)) } ?? "")
    }

    /// Runs until `duration` passes or SIGINT/SIGTERM/SIGHUP; writes every `interval` and at the end.
    /// `until`: asked between reads; true ends the run too (the oci-hook's container has stopped).
    public func run(duration: Double?, interval: Double, until: (() -> Bool)? = nil, report: ((Report) -> Void)? = nil) throws -> Report {
        var nextWrite = interval
        while true {
            let elapsed = Date().timeIntervalSince(start)
            if stopSignal != 0 { break }
            if let duration, elapsed >= duration { break }
            if let until, until() { break }
            if elapsed >= nextWrite {
                let r = try drainAndWrite()
                report?(r)
                nextWrite = elapsed + interval
            }
            // Waiting is watching: a container's state is read the moment its runtime writes it.
            for file in watcher.wait(milliseconds: 50) {
                if let state = WorkloadIdentity.parseState(atPath: file, cgroupMount: mount) { states[state.cgroupPath] = state }
            }
        }
        // The final read once nothing counts any more.
        observer.detach()
        let final = try drainAndWrite()
        observer.close()
        return final
    }

    public var stoppedBySignal: Int32? { stopSignal == 0 ? nil : stopSignal }

    /// Every workload seen so far.
    public var workloadNames: [String] { replicas.keys.sorted() }

    /// Reads every slot, drains removed cgroups (their slots go back), writes each workload's files.
    public func drainAndWrite() throws -> Report {
        let now = Date()
        refreshStates()
        liveCounts = [:]
        pathAssigned = [:]
        var live = try observer.liveSlots()
        // Removed cgroups first: their final counts, then their slot is free again.
        while let id = observer.nextGone() {
            guard let slot = live.removeValue(forKey: id) else { continue }
            finish(id: id, slot: slot)
        }
        var unknown: [UInt64] = []
        for id in live.keys where paths[id] == nil {
            if let recorded = observer.recordedPath(of: id) { paths[id] = recorded } else { unknown.append(id) }
        }
        if !unknown.isEmpty { paths.merge(Self.cgroupPaths(under: mount)) { $1 } }
        for (id, slot) in live {
            guard paths[id] != nil else {
                // Neither made while observing nor in the tree now: gone, and its removal was
                // not queued. Its calls cannot be named; count them and take the slot back.
                unnamedCalls += observer.counts(slot: slot).total
                observer.release(id: id, slot: slot)
                continue
            }
            if !FileManager.default.fileExists(atPath: mount + (paths[id] ?? "")) && observer.recordedPath(of: id) == nil {
                finish(id: id, slot: slot)
                continue
            }
            update(id: id, counts: observer.counts(slot: slot))
        }
        markSeen(now: now)
        let files = try writeAll()
        return Report(workloads: replicas.count, files: files, health: observer.health(), liveCgroups: live.count,
                      drainSeconds: Date().timeIntervalSince(now))
    }

    /// Reads the state files that appeared since the last look (runc writes them whole, by rename).
    func refreshStates() {
        let files = WorkloadIdentity.stateFiles()
        for file in files where !stateFilesRead.contains(file) {
            if let state = WorkloadIdentity.parseState(atPath: file, cgroupMount: mount) { states[state.cgroupPath] = state }
        }
        stateFilesRead = Set(files)
    }

    /// A removed cgroup: its last counts kept with its replica, its slot given back.
    func finish(id: UInt64, slot: Int) {
        let counts = observer.counts(slot: slot)
        if paths[id] == nil { paths[id] = observer.recordedPath(of: id) }
        if let (identity, key) = assign(id: id) {
            drained[identity, default: [:]][key] = Self.sum(drained[identity]?[key], counts)
        } else if paths[id] == nil {
            unnamedCalls += counts.total
        }
        liveKey[id] = nil
        liveCounts[id] = nil
        pathAssigned[id] = nil
        paths[id] = nil
        observer.release(id: id, slot: slot)
    }

    func update(id: UInt64, counts: WorkloadObserver.CgroupCounts) {
        guard !counts.isEmpty, assign(id: id) != nil else { return }
        liveCounts[id] = counts
    }

    /// The workload and replica a cgroup belongs to (nil: not a workload, such as conmon).
    func assign(id: UInt64) -> (identity: String, key: String)? {
        if let known = liveKey[id] { return known }
        guard let path = paths[id], let identity = WorkloadIdentity.of(cgroupPath: path, states: states) else { return nil }
        identities[identity.name] = identity
        let key = identity.containerID ?? path
        if replicas[identity.name]?[key] == nil { replicas[identity.name, default: [:]][key] = Replica(path: path) }
        // Named by its path alone: asked again at the next read, since a runtime may not
        // have written the container's state yet when its cgroup first shows calls.
        if identity.kind != .cgroup { liveKey[id] = (identity.name, key) } else { pathAssigned[id] = (identity.name, key) }
        return (identity.name, key)
    }

    /// A replica's counts: its removed cgroups' plus its live ones'.
    func counts(identity: String, key: String) -> WorkloadObserver.CgroupCounts {
        var total = drained[identity]?[key] ?? WorkloadObserver.CgroupCounts()
        for (id, c) in liveCounts {
            guard let k = liveKey[id] ?? pathAssigned[id], k.identity == identity, k.key == key else { continue }
            total = Self.sum(total, c)
        }
        return total
    }

    /// Notes which replicas made calls since the last read.
    func markSeen(now: Date) {
        for (identity, keys) in replicas {
            for (key, var replica) in keys {
                let total = counts(identity: identity, key: key).total
                if total > replica.lastTotal {
                    replica.firstSeen = replica.firstSeen ?? now
                    replica.lastSeen = now
                    replica.lastTotal = total
                    replicas[identity]?[key] = replica
                }
            }
        }
    }

    static func sum(_ a: WorkloadObserver.CgroupCounts?, _ b: WorkloadObserver.CgroupCounts) -> WorkloadObserver.CgroupCounts {
        guard var result = a else { return b }
        for (abi, calls) in b.counts { for (name, n) in calls { result.counts[abi, default: [:]][name, default: 0] += n } }
        for (abi, calls) in b.unnamed { for (name, n) in calls { result.unnamed[abi, default: [:]][name, default: 0] += n } }
        for (name, n) in b.runtimeSetup { result.runtimeSetup[name, default: 0] += n }
        for (name, n) in b.runtimeHandOff { result.runtimeHandOff[name, default: 0] += n }
        return result
    }

    /// The recording of one workload: its replicas summed, coverage = in how many replicas each call was seen.
    public func recording(of identityName: String) -> Recording? {
        guard let all = replicas[identityName], let identity = identities[identityName] else { return nil }
        let seconds = (Date().timeIntervalSince(start) * 1000).rounded() / 1000
        var recording = Recording(target: "workload:\(identityName)", seconds: seconds, kernel: KernelRelease.current)
        var coverage: [String: [String: Int]] = [:]
        var setup: [String: UInt64] = [:]
        var handOff: [String: UInt64] = [:]
        var calling = 0
        for key in all.keys {
            let c = counts(identity: identityName, key: key)
            guard !c.isEmpty else { continue }
            calling += 1
            for (abi, calls) in c.counts {
                for (name, n) in calls {
                    recording.counts[abi, default: [:]][name, default: 0] += n
                    coverage[abi, default: [:]][name, default: 0] += 1
                }
            }
            for (abi, calls) in c.unnamed { for (name, n) in calls { recording.unnamed[abi, default: [:]][name, default: 0] += n } }
            for (name, n) in c.runtimeSetup { setup[name, default: 0] += n }
            for (name, n) in c.runtimeHandOff { handOff[name, default: 0] += n }
        }
        guard calling > 0 else { return nil }
        recording.coverage = coverage
        recording.recordings = calling
        recording.runtimeSetup = setup.isEmpty ? nil : setup
        recording.runtimeHandOff = handOff.isEmpty ? nil : handOff
        recording.host = host
        var labels = identity.labels
        labels["kind"] = identity.kind.rawValue
        labels["cgroups"] = all.values.map(\.path).sorted().joined(separator: " ")
        recording.workload = labels
        let iso = ISO8601DateFormatter()
        recording.firstSeen = all.values.compactMap(\.firstSeen).min().map { iso.string(from: $0) }
        recording.lastSeen = all.values.compactMap(\.lastSeen).max().map { iso.string(from: $0) }
        return recording
    }

    func writeAll() throws -> [String] {
        var written: [String] = []
        for name in replicas.keys.sorted() {
            guard let recording = recording(of: name), recording.totalCalls > 0 else { continue }
            let profilePath = outputDirectory + "/" + name + ".seccomp.json"
            do {
                written.append(try RecordingFiles.write(recording, profilePath: profilePath, defaultAction: defaultAction))
            } catch {
                throw ObserverError("\(error)")
            }
        }
        return written
    }

    /// Every cgroup under the mount: id (the directory's inode number) → path below the mount.
    static func cgroupPaths(under mount: String, from start: String = "") -> [UInt64: String] {
        var result: [UInt64: String] = [:]
        var queue = [start]
        while let relative = queue.popLast() {
            let full = mount + relative
            var st = stat()
            guard stat(full, &st) == 0 else { continue }
            result[UInt64(st.st_ino)] = relative.isEmpty ? "/" : relative
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: full) else { continue }
            for entry in entries {
                var child = stat()
                if lstat(full + "/" + entry, &child) == 0, (child.st_mode & S_IFMT) == S_IFDIR { queue.append(relative + "/" + entry) }
            }
        }
        return result
    }
}
