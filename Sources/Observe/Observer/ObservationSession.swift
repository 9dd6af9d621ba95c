import CObserver
import Foundation
import Recording


/// One observation from start to finish: attach before anything runs, start the
/// command (if any) inside a fresh cgroup, poll until the time is up, the
/// command tree has exited, or a signal arrives, then read everything gathered.
public final class ObservationSession {
    public struct Outcome {
        public var recordings: [Recording]
        /// The command's exit status as a shell reports it (128+N when killed by signal N).
        public var commandStatus: Int32?
        public var stoppedBySignal: Int32?
        public var seconds: Double
    }

    public struct Progress {
        public var seconds: Double
        public var calls: UInt64
        public var distinct: Int
        /// Names seen for the first time since the previous report.
        public var newNames: [String]
    }

    public let targets: [ObservationTarget]
    private let command: [String]?
    private let commandCgroup: CommandCgroup?
    private let observer: SyscallObserver

    public var attachPoint: String { observer.attachPoint }

    /// Resolves targets and attaches. `command` gets a fresh cgroup as an extra, first target.
    public init(cgroups: [String], pids: [Int32], command: [String]?) throws {
        installStopHandlers()
        var targets: [ObservationTarget] = []
        var commandCgroup: CommandCgroup?
        // Whatever fails below, the command's cgroup does not outlive it.
        var succeeded = false
        defer { if !succeeded { commandCgroup?.remove() } }
        if let command, !command.isEmpty {
            guard SyscallObserver.mayLoadTracingPrograms else {
                throw ObserverError("observing syscalls loads an eBPF program: run as root (sudo), or with CAP_BPF and CAP_PERFMON",
                                    kind: .notPermitted)
            }
            let cg = try CommandCgroup()
            commandCgroup = cg
            targets.append(.cgroup(cg.cgroup))
        }
        for path in cgroups {
            do { targets.append(.cgroup(try CgroupV2.at(path))) } catch {
                throw ObserverError("--cgroup \(path): \(error.description)", kind: .badRequest)
            }
        }
        for pid in pids {
            // kill(0) and kill(-1) address process groups and every process: never a target.
            guard pid > 0 else { throw ObserverError("--pid \(pid): not a process id (give a positive pid)", kind: .badRequest) }
            guard kill(pid, 0) == 0 || errno == EPERM else { throw ObserverError("--pid \(pid): no such process", kind: .badRequest) }
            if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Tgid:") }),
               let tgid = Int32(line.dropFirst(5).trimmingCharacters(in: .whitespaces)), tgid != pid {
                throw ObserverError("--pid \(pid): a thread of process \(tgid); give --pid \(tgid) (a process and all its threads)", kind: .badRequest)
            }
            targets.append(.processTree(pid: pid))
        }
        guard !targets.isEmpty else { throw ObserverError("nothing to observe: give --cgroup, --pid or -- COMMAND", kind: .badRequest) }
        guard targets.count <= Int(SF_MAX_TARGETS) else {
            throw ObserverError("\(targets.count) targets: one observer takes at most \(SF_MAX_TARGETS) (a cgroup covers everything below it: observe a common parent)", kind: .badRequest)
        }
        self.targets = targets
        self.command = command
        self.commandCgroup = commandCgroup
        self.observer = try SyscallObserver(targets: targets)
        succeeded = true
    }

    /// Target processes already under a seccomp filter (`Seccomp: 2` in /proc/PID/status):
    /// calls their filter rejects never reach sys_enter, so they cannot be recorded.
    public var alreadyFiltered: [Int32] {
        var pids: [Int32] = []
        for target in targets {
            switch target {
            case .processTree(let pid): pids += SyscallObserver.threadGroupAndDescendants(of: pid)
            case .cgroup(let c):
                let procs = (try? String(contentsOfFile: c.path + "/cgroup.procs", encoding: .utf8)) ?? ""
                pids += procs.split(separator: "\n").compactMap { Int32($0) }
            }
        }
        return pids.filter { pid in
            ((try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? "")
                .split(separator: "\n").contains { $0.hasPrefix("Seccomp:") && $0.hasSuffix("2") }
        }
    }

    /// Runs until `duration` (seconds) passes, the command tree exits, or SIGINT, SIGTERM or
    /// SIGHUP (a closed terminal) arrives. Those signals are caught from the session's creation
    /// on, and stay caught afterwards, so no signal between set-up and the end — writing the
    /// files included — loses what was gathered or leaves the command's cgroup behind.
    /// Send the command's standard output to standard error (stdout then carries only a report, such as --json's).
    public var commandOutputToStderr = false

    /// Gives up before running: unloads the programs and removes the command's cgroup
    /// (a process that exits right after, with exit(), runs no deinitializers).
    public func abandon() {
        observer.close()
        commandCgroup?.remove()
    }

    public func run(duration: Double?, progressEvery: Double = 0.5, progress: ((Progress) -> Void)? = nil) throws -> Outcome {
        let start = Date()
        var child: pid_t?
        if let command, let commandCgroup {
            child = try commandCgroup.spawn(command, stdout: commandOutputToStderr ? STDERR_FILENO : -1)
        }
        var childStatus: Int32?
        var lastReport = 0.0
        var lastTreeCheck = 0.0
        var seen: Set<String> = []
        while true {
            let elapsed = Date().timeIntervalSince(start)
            if let pid = child, childStatus == nil {
                var status: Int32 = 0
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid { childStatus = Self.shellStatus(status) }
            }
            if stopSignal != 0 { break }
            if let duration, elapsed >= duration { break }
            if child != nil, childStatus != nil, !(commandCgroup?.cgroup.isPopulated ?? false) { break }
            // Only process trees, and all gone: nothing more can be seen.
            if command == nil, elapsed - lastTreeCheck >= 0.25,
               targets.allSatisfy({ if case .processTree = $0 { return true }; return false }) {
                lastTreeCheck = elapsed
                if observer.processTreesGone { break }
            }
            if let progress, elapsed - lastReport >= progressEvery {
                lastReport = elapsed
                let now = try observer.snapshot(seconds: elapsed)
                let names = Set(now.flatMap { $0.counts.values.flatMap(\.keys) })
                progress(Progress(seconds: elapsed, calls: now.reduce(0) { $0 + $1.totalCalls },
                                  distinct: names.count, newNames: names.subtracting(seen).sorted()))
                seen.formUnion(names)
            }
            usleep(20_000)
        }
        let seconds = Date().timeIntervalSince(start)
        // Read once nothing can change the counters any more, not key by key while targets run.
        observer.detach()
        var recordings = try observer.snapshot(seconds: seconds)
        observer.close()
        if let command, !recordings.isEmpty {
            recordings[0].target = "command:" + command.joined(separator: " ")
        }
        // A command still running (duration or signal) is ended with its cgroup.
        commandCgroup?.remove()
        if let pid = child, childStatus == nil {
            var status: Int32 = 0
            if waitpid(pid, &status, 0) == pid { childStatus = Self.shellStatus(status) }
        }
        return Outcome(recordings: recordings, commandStatus: childStatus,
                       stoppedBySignal: stopSignal == 0 ? nil : stopSignal, seconds: seconds)
    }

    static func shellStatus(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
