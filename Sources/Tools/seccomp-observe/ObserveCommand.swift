import ArgumentParser
import CVersion
import Foundation
import CObserver
import FlyingFox
import Observer
import Agent
import Recording
import SeccompProfile

/// `seccomp-observe`: count the syscalls of a cgroup, a process tree or a command
/// with an eBPF program, and write the seccomp profile that allows exactly those.
@main
struct ObserveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seccomp-observe",
        abstract: "Record which syscalls a workload makes (eBPF, no ptrace) and write its seccomp profile.",
        discussion: """
        A CO-RE eBPF program on raw_syscalls/sys_enter counts every call of the
        targets in the kernel, per ABI (x86_64, i386 compat, x32), exactly. Writes,
        per target, NAME.seccomp.json (OCI/Docker profile: ALLOW what was seen,
        deny the rest) and NAME.recording.json (the counts, for merging runs).

        Examples:
          sudo seccomp-observe -- ls -l /
          sudo seccomp-observe --cgroup /sys/fs/cgroup/unified/myservice --duration 30s
          sudo seccomp-observe --pid 1234 --duration 5m -o myapp.seccomp.json
          sudo seccomp-observe --all --out-dir /var/lib/seccomp-forge --interval 60s

        --all observes every cgroup on the host with one program and names each
        workload as its runtime does (Docker, containerd/CRI, CRI-O, Podman, runc
        state and annotations, systemd units); replicas of one workload (same image,
        pod owner and container, unit) share one recording, with coverage. A
        container runtime's own set-up before the workload's exec (runc init, crun)
        is kept apart: not in the profile, listed as runtimeSetup in the recording.

        `seccomp-observe oci-hook` is a drop-in for podman's trace-syscall hook
        (io.containers.trace-syscall="[if:BASE;]of:OUT"; see seccomp-observe oci-hook --help).

        Ctrl-C (or SIGTERM) stops early; everything gathered is still written.
        Exit status: the command's own status when one is run; otherwise 0.
        2 bad arguments (targets and outputs are checked before observing), 69 the
        kernel lacks a feature (BTF, BPF), 77 not permitted (run as root), 1 nothing was
        observed for a target (no profile written for it) or another failure,
        126/127 command not executable/not found.
        """,
        version: "seccomp-observe " + String(cString: sf_version()),
        subcommands: [OCIHookCommand.self])

    @Option(name: .long, help: "A cgroup v2 directory to observe, with everything below it (repeatable).")
    var cgroup: [String] = []

    @Option(name: .long, help: "A process to observe, with its threads and the children it forks from now on (repeatable).")
    var pid: [Int32] = []

    @Flag(name: .long, help: "Observe every cgroup on the host, one workload per container or service (see below).")
    var all = false

    @Option(name: .long, help: "With --all: where each workload's NAME.seccomp.json and NAME.recording.json go (default: the current directory).")
    var outDir: String?

    @Option(name: .long, help: "With --all: how often the files are rewritten with everything seen so far (default 60s).")
    var interval = "60s"

    @Option(name: .long, help: "With --all: observe only the cgroups at or below this one (e.g. /sys/fs/cgroup/kubepods.slice).")
    var cgroupRoot: String?

    @Option(name: .long, help: "With --all: serve Prometheus metrics on HOST:PORT or :PORT at /metrics (seccomp_forge_syscalls_total{workload,arch,syscall} and the agent's health).")
    var listen: String?

    @Option(name: .long, help: "With --all: also write the metrics to DIR/seccomp_forge.prom at each read, for node_exporter's textfile collector.")
    var textfile: String?

    @Option(name: .long, help: "With --all: cgroups observed at once (slots of \(Int(SF_ALL_ROWS) * Int(SF_SLOTS) * 8 / 1024) KiB each; more are counted as overflow). Default 1024.")
    var maxWorkloads = 1024

    @Option(name: .long, help: "How long to observe: 500ms, 30s, 5m, 1h. Default: until the command exits, or Ctrl-C.")
    var duration: String?

    @Option(name: .shortAndLong, help: "Profile file, one per target in order (default NAME.seccomp.json in the current directory).")
    var output: [String] = []

    @Option(name: .long, help: "The profile's action for calls not seen (default SCMP_ACT_ERRNO, with EPERM).")
    var defaultAction = "SCMP_ACT_ERRNO"

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    @Flag(name: .long, help: "When the eBPF program cannot be loaded, also print libbpf's log (the verifier's included).")
    var verbose = false

    @Flag(name: .long, help: "Print a JSON summary on standard output (for scripts); the command's own output then goes to standard error.")
    var json = false

    @Argument(parsing: .postTerminator, help: "The command to launch and observe (after --).")
    var command: [String] = []

    static func main() {
        let parsed: ParsableCommand
        do { parsed = try parseAsRoot() } catch { exit(withArgumentError: error) }
        // The options as parsed, not as spelled: `-- cmd --verbose` is the command's argument.
        let verbose = (parsed as? ObserveCommand)?.verbose ?? false
        do {
            var command = parsed
            try command.run()
        } catch let error as ObserverError {
            FileHandle.standardError.write(Data("seccomp-observe: \(error.description)\n".utf8))
            if let log = error.log, verbose {
                FileHandle.standardError.write(Data("libbpf said:\n\(log)\n".utf8))
            } else if error.log != nil {
                FileHandle.standardError.write(Data("seccomp-observe: (--verbose shows libbpf's log, the verifier's included)\n".utf8))
            }
            Foundation.exit(Self.exitStatus(error.kind))
        } catch {
            exit(withArgumentError: error)
        }
    }

    /// --help and --version (status 0), an ExitCode, or an argument error in one line (2).
    static func exit(withArgumentError error: Error) -> Never {
        if let code = error as? ExitCode { Foundation.exit(code.rawValue) }
        if exitCode(for: error) == .success {
            print(fullMessage(for: error))
            Foundation.exit(0)
        }
        let first = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        FileHandle.standardError.write(Data("seccomp-observe: \(first.replacingOccurrences(of: "Error: ", with: "")) (see seccomp-observe --help)\n".utf8))
        Foundation.exit(2)
    }

    /// The one place library errors become exit statuses.
    static func exitStatus(_ kind: ObserverError.Kind) -> Int32 {
        switch kind {
        case .badRequest: return 2
        case .notPermitted: return 77
        case .unsupported: return 69
        case .commandFailed(let errno): return errno == ENOENT ? 127 : 126
        case .nothingObserved, .failed: return 1
        }
    }

    func run() throws {
        let seconds = try duration.map { text -> Double in
            guard let s = DurationText.seconds(parsing: text) else {
                throw ObserverError("--duration: \"\(text)\" is not a duration like 500ms, 30s, 5m or 1h", kind: .badRequest)
            }
            return s
        }
        guard ProfileValidator.actionNames.contains(defaultAction), defaultAction != "SCMP_ACT_ALLOW" else {
            throw ObserverError("--default-action: \"\(defaultAction)\" is not a denying action (SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, SCMP_ACT_LOG, ...)", kind: .badRequest)
        }
        if all {
            guard cgroup.isEmpty, pid.isEmpty, command.isEmpty, output.isEmpty else {
                throw ObserverError("--all observes every cgroup: give it without --cgroup, --pid, -o or a command", kind: .badRequest)
            }
            return try observeAll(seconds: seconds)
        }
        guard outDir == nil else { throw ObserverError("--out-dir goes with --all (use -o for one target)", kind: .badRequest) }
        for (flag, given) in [("--cgroup-root", cgroupRoot != nil), ("--listen", listen != nil), ("--textfile", textfile != nil)] where given {
            throw ObserverError("\(flag) goes with --all", kind: .badRequest)
        }
        let session = try ObservationSession(cgroups: cgroup, pids: pid, command: command.isEmpty ? nil : command)
        do {
            try observe(session, seconds: seconds)
        } catch {
            session.abandon()
            throw error
        }
    }

    private func observeAll(seconds: Double?) throws {
        guard let every = DurationText.seconds(parsing: interval) else {
            throw ObserverError("--interval: \"\(interval)\" is not a duration like 10s, 1m or 1h", kind: .badRequest)
        }
        if let textfile {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: textfile, isDirectory: &isDirectory), isDirectory.boolValue,
                  access(textfile, W_OK | X_OK) == 0 else {
                throw ObserverError("--textfile \(textfile): not a writable directory", kind: .badRequest)
            }
        }
        let session = try WorkloadSession(outputDirectory: outDir ?? ".", maxWorkloads: maxWorkloads, root: cgroupRoot, defaultAction: defaultAction)
        let metrics = listen != nil || textfile != nil ? AgentMetrics(slots: session.observer.slots, mapBytes: session.observer.mapBytes) : nil
        // Serves from a background task until the process ends.
        let server = try listen.flatMap { try metrics?.serve(on: $0) }
        if !quiet && !json {
            if let listen { note("Serving Prometheus metrics on http://\(listen)/metrics") }
            note("Observing every cgroup (\(session.observer.slots) slots, \(session.observer.mapBytes / 1024) KiB of maps); writing to \(outDir ?? ".") every \(interval)\(duration.map { " for \($0)" } ?? ", until Ctrl-C")...")
        }
        let report = try session.run(duration: seconds, interval: every, report: { r in
            if let metrics {
                metrics.update(from: session, report: r)
                if let textfile { try? metrics.writeTextfile(directory: textfile) }
            }
            if !quiet && !json {
                note("\(r.workloads) workloads, \(r.liveCgroups) cgroups, \(r.files.count) written (read in \(String(format: "%.1f", r.drainSeconds * 1000)) ms)")
            }
        })
        withExtendedLifetime(server) {}
        let health = report.health
        if let metrics {
            metrics.update(from: session, report: report)
            if let textfile { try metrics.writeTextfile(directory: textfile) }
        }
        if !quiet && !json {
            if let signal = session.stoppedBySignal { note("Stopped by signal \(signal); everything gathered is written.") }
            note("\(report.workloads) workloads; \(report.files.count) recordings and profiles in \(outDir ?? ".")")
        }
        if health.noSlot > 0 || health.beyondTable > 0 || health.goneDropped > 0 || session.unnamedCalls > 0 || health.skipped > 0, !quiet {
            note("warning: not counted: \(health.noSlot) calls of cgroups that found every slot taken (raise --max-workloads), \(health.beyondTable) calls with numbers beyond the table, \(session.unnamedCalls) calls of cgroups gone before they could be named, \(health.skipped) calls the kernel did not run the counting program for; \(health.goneDropped) removals missed")
        }
        if json {
            FileHandle.standardOutput.write(JSONFile.encode(AllSummary(workloads: report.workloads, files: report.files, noSlotCalls: health.noSlot,
                                                                        beyondTableCalls: health.beyondTable, unnamedCalls: session.unnamedCalls,
                                                                        skippedCalls: health.skipped)))
        }
    }

    struct AllSummary: Encodable {
        var workloads: Int
        var files: [String]
        var noSlotCalls: UInt64
        var beyondTableCalls: UInt64
        var unnamedCalls: UInt64
        var skippedCalls: UInt64
    }

    private func observe(_ session: ObservationSession, seconds: Double?) throws {
        // With --json, standard output carries the summary alone: the command's output goes to stderr.
        session.commandOutputToStderr = json
        let names = TargetNames.unique(session.targets.enumerated().map { i, target in TargetNames.parts(of: target, index: i, command: command) })
        guard output.isEmpty || output.count == names.count else {
            throw ObserverError("-o: \(output.count) file(s) for \(names.count) target(s); give one per target, in order", kind: .badRequest)
        }
        let profilePaths = output.isEmpty ? names.map { $0 + ".seccomp.json" } : output
        if Set(profilePaths).count < profilePaths.count {
            throw ObserverError("-o: two targets would write the same file; give one file per target", kind: .badRequest)
        }
        // Found now, not after the whole observation.
        for path in profilePaths + profilePaths.map(RecordingFiles.recordingPath(forProfile:)) {
            try TargetNames.checkWritable(path)
        }
        let interactive = isatty(STDERR_FILENO) != 0 && !quiet && !json
        let filtered = session.alreadyFiltered
        if !filtered.isEmpty && !quiet {
            note("warning: \(filtered.count) target process(es) already run under a seccomp filter (pid \(filtered.prefix(5).map(String.init).joined(separator: ", "))\(filtered.count > 5 ? ", ..." : "")): calls that filter rejects never reach the tracepoint and will be missing from the profile")
        }
        if !quiet && !json {
            let what = session.targets.map(\.description).joined(separator: ", ")
            note("Tracing syscalls of \(command.isEmpty ? what : command.joined(separator: " ")) (\(session.attachPoint))...")
        }
        let outcome = try session.run(duration: seconds, progress: interactive ? { p in
            let total = seconds.map { String(format: "/%gs", $0) } ?? ""
            var line = String(format: "\r\u{1b}[K[%.1fs%@] %llu calls, %d distinct", p.seconds, total, p.calls, p.distinct)
            if !p.newNames.isEmpty { line += "  new: " + p.newNames.prefix(8).joined(separator: " ") + (p.newNames.count > 8 ? " ..." : "") }
            FileHandle.standardError.write(Data(line.utf8))
        } : nil)
        if interactive { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
        if !quiet && !json, let signal = outcome.stoppedBySignal {
            note("Stopped by signal \(signal) after \(String(format: "%.1f", outcome.seconds))s; writing what was gathered.")
        } else if !quiet && !json, !command.isEmpty, let seconds, outcome.seconds >= seconds {
            note("The command was still running after --duration \(duration ?? ""); it was stopped.")
        }
        var summaries: [TargetSummary] = []
        var empty: [String] = []
        for (recording, path) in zip(outcome.recordings, profilePaths) {
            if recording.totalCalls == 0 {
                // A deny-all profile from nothing seen would break the workload: write none.
                empty.append(recording.target)
                continue
            }
            let recordingPath: String
            do { recordingPath = try RecordingFiles.write(recording, profilePath: path, defaultAction: defaultAction) } catch {
                throw ObserverError("\(error)")
            }
            let allNames = Set(recording.counts.values.flatMap(\.keys)).sorted()
            if !quiet && !json {
                note("Observed syscalls: \(allNames.joined(separator: " "))")
                if !recording.lost.isZero {
                    note("warning: not counted: \(recording.lost.beyondTable) calls with numbers beyond the counter table, \(recording.lost.untrackedProcesses) processes the tree map could not hold, \(recording.lost.tooDeep) calls of tasks more than 32 cgroup levels below the target, \(recording.lost.skippedByKernel) calls on the host the kernel did not run the counting program for (any may be the target's)")
                }
                note("Saved profile to \(path) (\(allNames.count) syscalls, \(recording.totalCalls) calls; counts in \(recordingPath))")
            }
            summaries.append(TargetSummary(target: recording.target, profile: path, recording: recordingPath, calls: recording.totalCalls,
                                           syscalls: allNames, lostCalls: recording.lost.beyondTable,
                                           untrackedProcesses: recording.lost.untrackedProcesses,
                                           skippedCalls: recording.lost.skippedByKernel))
        }
        if json {
            // Through Codable: a target or path with a quote or a backslash stays valid JSON.
            let summary = Summary(seconds: (outcome.seconds * 1000).rounded() / 1000, commandStatus: outcome.commandStatus, targets: summaries)
            FileHandle.standardOutput.write(JSONFile.encode(summary))
        }
        if !empty.isEmpty {
            throw ObserverError("no calls observed for \(empty.joined(separator: ", ")) in \(String(format: "%.1f", outcome.seconds))s, so no profile was written (was anything running there? a longer --duration?)", kind: .nothingObserved)
        }
        if let status = outcome.commandStatus, status != 0 { throw ExitCode(status) }
    }

    struct TargetSummary: Encodable {
        var target: String
        var profile: String
        var recording: String
        var calls: UInt64
        var syscalls: [String]
        var lostCalls: UInt64
        var untrackedProcesses: UInt64
        var skippedCalls: UInt64
    }

    struct Summary: Encodable {
        var seconds: Double
        var commandStatus: Int32?
        var targets: [TargetSummary]

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(commandStatus, forKey: .commandStatus)  // null, not absent, when no command ran
            try c.encode(targets, forKey: .targets)
        }

        enum CodingKeys: String, CodingKey { case seconds, commandStatus, targets }
    }

    private func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

}

/// `seccomp-observe oci-hook`: podman's trace-syscall hook (Agent's OCIHook does the work).
struct OCIHookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oci-hook",
        abstract: "Podman's and runc's trace-syscall hook: the OCI state on standard input (always exits 0).",
        discussion: """
        Records the system calls of a container annotated
          io.containers.trace-syscall="of:/path/out.json"                      write what the container called
          io.containers.trace-syscall="if:/path/base.json;of:/path/out.json"   add to a base profile
        as oci-seccomp-bpf-hook does: install the hook description
        (deploy/oci-hooks/seccomp-forge-trace.json, `make install`) in a hooks.d directory, then
          podman run --annotation io.containers.trace-syscall="of:/tmp/ls.json" IMAGE ls /
          podman run --security-opt seccomp=/tmp/ls.json IMAGE ls /
        Stages: prestart (or createRuntime) starts the observer; it writes OUT when the
        container's cgroup empties; poststop waits for that. The hook always exits 0: a
        failure is logged, and the container runs untraced.
        """)

    /// The background observer the hook starts: ID CGROUP OUT BASE (internal).
    @Option(name: .long, parsing: .upToNextOption, help: .hidden) var serve: [String] = []

    /// Whatever else a runtime passes (hook descriptions may add arguments): ignored, never an error.
    @Argument(parsing: .allUnrecognized, help: .hidden) var ignored: [String] = []

    func run() throws {
        throw ExitCode(serve.isEmpty ? OCIHook.runHook() : OCIHook.serve(serve))
    }
}
