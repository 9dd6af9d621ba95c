import Foundation
import Recording
import SyscallTable

/// The series the agents expose (`seccomp-observe --all --listen/--textfile`) and harvest reads.
public enum AgentSeries {
    /// Calls per workload, ABI and syscall, since the agent started (a counter).
    public static let syscalls = "seccomp_forge_syscalls_total"
    /// Calls the agent could not count, by reason.
    public static let uncounted = "seccomp_forge_uncounted_calls_total"
}

/// A failure of a harvest, by what the caller should make of it.
public struct HarvestError: Error, CustomStringConvertible {
    public enum Kind: Sendable { case badRequest, unreachable, noData }
    public var kind: Kind
    public var description: String
    public init(_ description: String, kind: Kind) {
        self.description = description
        self.kind = kind
    }
}

/// Each workload's fleet-wide recording from what the agents reported to Prometheus: three
/// instant queries, whatever the fleet's size — per workload, ABI and syscall, the calls
/// counted (summed over hosts, each host's highest value in the window), on how many hosts
/// it was seen, and how many hosts reported anything.
public struct FleetHarvest {
    public let api: PrometheusAPI
    /// A Prometheus range like 30d, 12h, 90m.
    public let window: String

    public init(prometheus: String, window: String) throws(HarvestError) {
        guard window.range(of: #"^[0-9]+(ms|s|m|h|d|w|y)$"#, options: .regularExpression) != nil else {
            throw HarvestError("--since: \"\(window)\" is not a window like 30d, 12h or 90m", kind: .badRequest)
        }
        api = try PrometheusAPI(base: prometheus)
        self.window = window
    }

    /// The recordings of `workloads` (every workload when empty), by workload name, and the fleet's host count.
    public func recordings(of workloads: [String]) throws(HarvestError) -> (recordings: [String: Recording], hosts: Int) {
        let selector = workloads.isEmpty ? "" : "{workload=~\"\(workloads.map(Self.regexQuoted).joined(separator: "|"))\"}"
        let series = "max_over_time(\(AgentSeries.syscalls)\(selector)[\(window)])"
        let sums = try api.vector("sum by (workload, arch, syscall) (\(series))")
        let seenOn = try api.vector("count by (workload, arch, syscall) (\(series) > 0)")
        let fleet = try api.vector("count(count by (instance) (max_over_time(\(AgentSeries.syscalls)[\(window)])))")
        let hosts = Int(fleet.first?.value ?? 0)
        var recordings: [String: Recording] = [:]
        let seconds = DurationText.seconds(parsing: window) ?? 0
        for sample in sums {
            guard let name = sample.labels["workload"], let arch = sample.labels["arch"], let syscall = sample.labels["syscall"] else { continue }
            let abi = Architecture.named(arch)?.profileName ?? arch
            var recording = recordings[name] ?? Recording(target: "harvest:\(name)", seconds: seconds)
            recording.counts[abi, default: [:]][syscall] = UInt64(max(0, sample.value.rounded()))
            recording.recordings = hosts
            recording.coverage = recording.coverage ?? [:]
            recordings[name] = recording
        }
        for sample in seenOn {
            guard let name = sample.labels["workload"], let arch = sample.labels["arch"], let syscall = sample.labels["syscall"] else { continue }
            let abi = Architecture.named(arch)?.profileName ?? arch
            recordings[name]?.coverage?[abi, default: [:]][syscall] = Int(sample.value)
        }
        for (name, var recording) in recordings {
            recording.workload = ["workload": name, "hosts": "\(Self.hostsSeen(recording)) of \(hosts)", "prometheus": api.base, "window": window]
            recordings[name] = recording
        }
        return (recordings, hosts)
    }

    /// On how many hosts a harvested workload was seen (its most widely seen call's count).
    public static func hostsSeen(_ recording: Recording) -> Int {
        recording.coverage?.values.flatMap(\.values).max() ?? 0
    }

    /// A name as a PromQL regular expression matching exactly it (inside a double-quoted string).
    public static func regexQuoted(_ name: String) -> String {
        var out = ""
        for c in name {
            if "\\.^$|?*+()[]{}".contains(c) { out += "\\\\" }
            if c == "\"" { out += "\\" }
            out.append(c)
        }
        return out
    }
}
