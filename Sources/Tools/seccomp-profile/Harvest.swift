import ArgumentParser
import Foundation
import Workloads
import Recording
import SeccompProfile
import SyscallTable

/// `seccomp-profile harvest`: each workload's fleet-wide profile from what the agents
/// (`seccomp-observe --all --listen` or `--textfile`) reported to Prometheus.
struct Harvest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harvest",
        abstract: "Write each workload's profile from what a fleet's agents reported to Prometheus.",
        discussion: """
        Asks the Prometheus HTTP API (three queries, whatever the fleet's size) for
        seccomp_forge_syscalls_total over the window: per workload, ABI and syscall,
        the calls counted (summed over hosts, each host's highest value in the window)
        and on how many hosts (instances) it was seen, out of every host that
        reported anything. Writes WORKLOAD.seccomp.json (allowing what any host saw)
        and WORKLOAD.recording.json (counts, and coverage: seen on n of m hosts) per
        workload; with --to kubernetes, a security-profiles-operator SeccompProfile
        (WORKLOAD.yaml) instead of the OCI profile.

        Examples:
          seccomp-profile harvest --prometheus http://prometheus:9090 --workload web --since 30d
          seccomp-profile harvest --prometheus http://127.0.0.1:9090 --all -o profiles/ --to kubernetes

        Plain HTTP only (put a TLS-terminating proxy in front, or run it next to
        Prometheus). Exit status: 0; 1 no data for a workload; 2 bad arguments;
        69 Prometheus unreachable or answering with an error.
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case oci, kubernetes }

    @Option(name: .long, help: "The Prometheus server, like http://127.0.0.1:9090 (a path prefix is kept).")
    var prometheus: String

    @Option(name: .long, help: "A workload to harvest, as the agents name it (repeatable).")
    var workload: [String] = []

    @Flag(name: .long, help: "Harvest every workload the window holds.")
    var all = false

    @Option(name: .long, help: "How far back to look: 30d, 12h, 90m, 2w.")
    var since = "30d"

    @Option(name: [.customShort("o"), .long], help: "The directory the files go to (default: the current directory).")
    var outDir = "."

    @Option(name: .long, help: "oci (default): WORKLOAD.seccomp.json; kubernetes: a SeccompProfile resource, WORKLOAD.yaml.")
    var to: Format = .oci

    @Option(name: .long, help: "metadata.namespace of the Kubernetes resources.")
    var namespace: String?

    @Option(name: .long, help: "The profiles' action for calls no host made (default SCMP_ACT_ERRNO, with EPERM).")
    var defaultAction = "SCMP_ACT_ERRNO"

    static let unreachable: Int32 = 69
    static let noData: Int32 = 1

    func run() throws {
        guard all != !workload.isEmpty else {
            throw ToolError.badInput(all ? "give --all or --workload, not both" : "give --workload NAME (repeatable) or --all")
        }
        guard ProfileValidator.actionNames.contains(defaultAction), defaultAction != "SCMP_ACT_ALLOW" else {
            throw ToolError.badInput("--default-action: \"\(defaultAction)\" is not a denying action")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outDir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ToolError.badInput("-o \(outDir): no such directory")
        }
        let started = Date()
        let (recordings, hosts): ([String: Recording], Int)
        do {
            (recordings, hosts) = try FleetHarvest(prometheus: prometheus, window: since).recordings(of: workload)
        } catch {
            throw ToolError(message: error.description, status: error.kind == .badRequest ? ToolError.badInput : Self.unreachable)
        }
        let missing = workload.filter { recordings[$0] == nil }
        for (name, recording) in recordings.sorted(by: { $0.key < $1.key }) {
            let file = WorkloadIdentity.sanitize(name)  // the agents' names already are file-safe
            let profilePath = outDir + "/" + file + ".seccomp.json"
            do {
                try RecordingFiles.write(recording, profilePath: profilePath, defaultAction: defaultAction)
            } catch {
                throw ToolError(message: "\(error)", status: ToolError.outputFailed)
            }
            var written = profilePath
            if to == .kubernetes {
                let yamlPath = outDir + "/" + file + ".yaml"
                var arguments = [profilePath, "--to", "kubernetes", "--name", file, "-o", yamlPath]
                if let namespace { arguments += ["--namespace", namespace] }
                let convert = try Convert.parse(arguments)
                try convert.run()
                try? FileManager.default.removeItem(atPath: profilePath)
                written = yamlPath
            }
            let calls = recording.counts.values.reduce(0) { $0 + $1.count }
            FileHandle.standardError.write(Data("\(name): \(calls) syscalls, seen on \(FleetHarvest.hostsSeen(recording)) of \(hosts) hosts → \(written)\n".utf8))
        }
        FileHandle.standardError.write(Data(String(format: "harvested %d workloads from %d hosts in %.2f s\n", recordings.count, hosts,
                                                   Date().timeIntervalSince(started)).utf8))
        if recordings.isEmpty || !missing.isEmpty {
            let what = missing.isEmpty ? "any workload" : missing.joined(separator: ", ")
            throw ToolError(message: "no \(AgentSeries.syscalls) series for \(what) in the last \(since) at \(prometheus)", status: Self.noData)
        }
    }
}
