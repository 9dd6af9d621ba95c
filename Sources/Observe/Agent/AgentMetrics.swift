import FlyingFox
import Foundation
import Observer
import Workloads
import Prometheus
import Recording
import SyscallTable

/// The agent's observations as Prometheus metrics, for a fleet's Prometheus to scrape
/// (`--listen`) or node_exporter's textfile collector to pass on (`--textfile`).
///
/// One series per workload, ABI and syscall seen — no pid, container id or pod uid in the
/// labels, so replicas and restarts do not multiply series — plus the agent's own health.
public final class AgentMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    private let lock = NSLock()
    /// Each series' counter and the total it was last brought to.
    private var syscalls: [String: (counter: Counter, total: UInt64)] = [:]
    private var uncounted: [String: (counter: Counter, total: UInt64)] = [:]
    private let workloads: Gauge
    private let cgroups: Gauge
    private let slots: Gauge
    private let mapBytes: Gauge
    private let drainSeconds: Gauge
    private let lastDrain: Gauge

    public init(slots slotCount: Int, mapBytes bytes: UInt64) {
        workloads = registry.makeGauge(name: "seccomp_forge_workloads", help: "Workloads the agent has recorded calls for.")
        cgroups = registry.makeGauge(name: "seccomp_forge_cgroups", help: "Cgroups holding a counter slot at the last read.")
        slots = registry.makeGauge(name: "seccomp_forge_slots", help: "Counter slots the eBPF program was loaded with (--max-workloads).")
        mapBytes = registry.makeGauge(name: "seccomp_forge_map_bytes", help: "Kernel memory the eBPF maps were sized for.")
        drainSeconds = registry.makeGauge(name: "seccomp_forge_drain_seconds", help: "How long the last read of the counters took.")
        lastDrain = registry.makeGauge(name: "seccomp_forge_last_drain_timestamp_seconds", help: "When the counters were last read (Unix time).")
        slots.set(Double(slotCount))
        mapBytes.set(Double(bytes))
    }

    /// Brings every series to the session's totals (counters only grow: a total that shrank,
    /// a cgroup renamed to another workload, leaves its series where it was).
    public func update(from session: WorkloadSession, report: WorkloadSession.Report) {
        lock.lock()
        defer { lock.unlock() }
        for name in session.workloadNames {
            guard let recording = session.recording(of: name) else { continue }
            for (abi, calls) in recording.counts {
                let arch = Architecture.named(abi)?.name ?? abi
                for (syscall, total) in calls {
                    let key = name + "\u{0}" + arch + "\u{0}" + syscall
                    var entry = syscalls[key] ?? (registry.makeCounter(
                        name: AgentSeries.syscalls, labels: [("workload", name), ("arch", arch), ("syscall", syscall)],
                        help: "System calls made by a workload, per ABI and syscall, since the agent started."), 0)
                    if total > entry.total {
                        entry.counter.increment(by: Int64(clamping: total - entry.total))
                        entry.total = total
                    }
                    syscalls[key] = entry
                }
            }
        }
        let health = report.health
        for (reason, total) in [("no_slot", health.noSlot), ("beyond_table", health.beyondTable),
                                ("unnamed_cgroup", session.unnamedCalls), ("skipped_by_kernel", health.skipped)] {
            var entry = uncounted[reason] ?? (registry.makeCounter(
                name: AgentSeries.uncounted, labels: [("reason", reason)],
                help: "Calls the agent could not count: no free slot, a number beyond the table, a cgroup gone before it was named, a program run the kernel skipped."), 0)
            if total > entry.total {
                entry.counter.increment(by: Int64(clamping: total - entry.total))
                entry.total = total
            }
            uncounted[reason] = entry
        }
        workloads.set(Double(report.workloads))
        cgroups.set(Double(report.liveCgroups))
        drainSeconds.set(report.drainSeconds)
        lastDrain.set(Date().timeIntervalSince1970)
    }

    /// The exposition, in Prometheus' text format.
    public func exposition() -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return registry.emitToBuffer()
    }

    /// Writes DIR/seccomp_forge.prom for node_exporter's textfile collector: to a temporary
    /// name it ignores (not *.prom), then renamed, so it never reads half a file.
    public func writeTextfile(directory: String) throws {
        let target = directory + "/seccomp_forge.prom"
        let temporary = directory + "/.seccomp_forge.prom.\(getpid()).tmp"
        let bytes = exposition()
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: 0o644]) else {
            throw ObserverError("--textfile \(directory): cannot write \(temporary) (\(String(cString: strerror(errno))))", kind: .failed(errno: errno))
        }
        guard rename(temporary, target) == 0 else {
            let e = errno
            unlink(temporary)
            throw ObserverError("--textfile \(directory): cannot rename into \(target) (\(String(cString: strerror(e))))", kind: .failed(errno: e))
        }
    }

    /// Serves GET /metrics on `address` (`HOST:PORT`, `:PORT`, `[V6]:PORT`) from a background
    /// task; returns once the socket listens, or throws if it cannot (a port in use).
    public func serve(on address: String) throws -> HTTPServer {
        let server = try Self.makeServer(address)
        let failure = Failure()
        let ready = DispatchSemaphore(value: 0)
        Task.detached {
            await server.appendRoute("GET /metrics") { [self] _ in
                var headers = HTTPHeaders()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return HTTPResponse(statusCode: .ok, headers: headers, body: Data(self.exposition()))
            }
            do { try await server.run() } catch {
                failure.set("\(error)")
                ready.signal()
            }
        }
        Task.detached {
            do { try await server.waitUntilListening(timeout: 10) } catch { failure.set("\(error)") }
            ready.signal()
        }
        ready.wait()
        if let message = failure.get() {
            throw ObserverError("--listen \(address): cannot listen (\(message))", kind: .badRequest)
        }
        return server
    }

    static func makeServer(_ address: String) throws -> HTTPServer {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw ObserverError("--listen \(address): give HOST:PORT or :PORT (e.g. :9750 or 127.0.0.1:9750)", kind: .badRequest)
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        do {
            // Every address (IPv6 and IPv4) when no host is given.
            if host.isEmpty { return HTTPServer(address: .inet6(port: port), timeout: 15, logger: .disabled) }
            if host.contains(":") { return HTTPServer(address: try .inet6(ip6: host, port: port), timeout: 15, logger: .disabled) }
            return HTTPServer(address: try .inet(ip4: host == "localhost" ? "127.0.0.1" : host, port: port), timeout: 15, logger: .disabled)
        } catch {
            throw ObserverError("--listen \(address): \"\(host)\" is not an IP address", kind: .badRequest)
        }
    }

    /// A message set from another task.
    final class Failure: @unchecked Sendable {
        private let lock = NSLock()
        private var message: String?
        func set(_ text: String) { lock.lock(); if message == nil { message = text }; lock.unlock() }
        func get() -> String? { lock.lock(); defer { lock.unlock() }; return message }
    }
}
