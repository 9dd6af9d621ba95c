import Foundation
import Observer
import Workloads
import Recording
import SeccompProfile

/// `seccomp-observe oci-hook`: a drop-in for oci-seccomp-bpf-hook. Podman (or runc, from
/// config.json) runs it with the container's OCI state on standard input:
///
/// - at `prestart` (or `createRuntime`), for a container annotated
///   `io.containers.trace-syscall=[if:BASE;]of:OUT`, it starts an observer of the container's
///   cgroup in the background — before the workload's first call; the runtime's own set-up is
///   kept apart — and returns once the eBPF program is attached;
/// - when the container's cgroup empties (or at `poststop`, which carries no pid: the observer
///   is found by the container id), the observer writes OUT: the calls seen, or with `if:` the
///   base profile with the calls it does not name added (what the base blocks stays blocked).
///
/// A hook failure must never keep a container from starting or stopping: whatever goes wrong
/// is logged (to standard error, which the runtime keeps, and the observer's log file) and the
/// hook exits 0.
public enum OCIHook {
    static let annotation = "io.containers.trace-syscall"
    static var stateDirectory: String {
        ProcessInfo.processInfo.environment["SECCOMP_FORGE_HOOK_STATE"] ?? "/run/seccomp-forge/oci-hook"
    }

    struct Request {
        var output: String
        var base: String?
    }

    /// One call of the hook (the OCI state on standard input): always 0 — a failure is
    /// logged and the container goes on untraced.
    public static func runHook() -> Int32 {
        do { try hook() } catch { log("seccomp-observe oci-hook: \(error); the container goes on untraced") }
        return 0
    }

    static func log(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// `if:PATH;of:PATH` in any order; `of:` is required.
    static func parse(_ value: String) throws -> Request {
        var output: String?, base: String?
        for part in value.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            if part.hasPrefix("of:") { output = String(part.dropFirst(3)) }
            else if part.hasPrefix("if:") { base = String(part.dropFirst(3)) }
            else { throw ObserverError("\(annotation)=\"\(value)\": \"\(part)\" is neither if:PATH nor of:PATH", kind: .badRequest) }
        }
        guard let output, output.hasPrefix("/") else {
            throw ObserverError("\(annotation)=\"\(value)\": give of:/absolute/path for the profile", kind: .badRequest)
        }
        if let base, !base.hasPrefix("/") {
            throw ObserverError("\(annotation)=\"\(value)\": if: needs an absolute path", kind: .badRequest)
        }
        return Request(output: output, base: base)
    }

    static func hook() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let state = try? JSONDecoder().decode(State.self, from: input) else {
            throw ObserverError("standard input is not an OCI state (JSON with id, pid, annotations)", kind: .badRequest)
        }
        guard let id = state.id, !id.isEmpty, !id.contains("/"), id != "." && id != ".." else {
            throw ObserverError("the OCI state has no usable container id", kind: .badRequest)
        }
        guard let value = state.annotations?[annotation] else { return }  // not traced: nothing to do
        let request = try parse(value)
        if let pid = state.pid, pid > 0, state.status != "stopped" {
            try start(id: id, pid: pid, request: request)
        } else {
            waitForObserver(id: id)
        }
    }

    /// The OCI runtime state a hook gets on standard input (runtime-spec's state.json): the
    /// fields the hook uses; any other field, or a missing one, is not an error.
    struct State: Decodable {
        var id: String?
        var pid: Int32?
        var status: String?
        var annotations: [String: String]?
    }

    /// The container's cgroup v2 directory, from its init's /proc/PID/cgroup.
    static func cgroup(of pid: Int32) throws -> String {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else {
            throw ObserverError("cannot read the cgroup of the container's process \(pid)", kind: .failed(errno: errno))
        }
        let relative = String(line.dropFirst(3))
        let mount: String
        do { mount = try CgroupV2.mountPoint() } catch { throw ObserverError(error.description, kind: .unsupported(errno: ENOENT)) }
        return mount + (relative == "/" ? "" : relative)
    }

    /// Starts the observer in the background and returns once its program is attached.
    static func start(id: String, pid: Int32, request: Request) throws {
        let directory = (request.output as NSString).deletingLastPathComponent
        guard access(directory.isEmpty ? "/" : directory, W_OK | X_OK) == 0 else {
            throw ObserverError("of:\(request.output): cannot write in \(directory) (\(String(cString: strerror(errno))))", kind: .badRequest)
        }
        if let base = request.base {
            do { _ = try Profile.load(path: base) } catch { throw ObserverError("if:\(base): \(error.description)", kind: .badRequest) }
        }
        let cgroupPath = try cgroup(of: pid)
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let ready = stateDirectory + "/\(id).ready"
        unlink(ready)
        let logPath = stateDirectory + "/\(id).log"
        FileManager.default.createFile(atPath: logPath, contents: nil, attributes: [.posixPermissions: 0o600])
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let observer = Process()
        observer.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        observer.arguments = ["oci-hook", "--serve", id, cgroupPath, request.output, request.base ?? ""]
        observer.standardInput = FileHandle.nullDevice
        observer.standardOutput = logHandle
        observer.standardError = logHandle
        try observer.run()
        // Attached, or failed: either way the container goes on.
        let attached = waitUntil(seconds: 20) { FileManager.default.fileExists(atPath: ready) || !observer.isRunning }
        if !attached || !FileManager.default.fileExists(atPath: ready) {
            let why = (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? "no word from it"
            throw ObserverError("the observer for \(id) did not start (\(why))")
        }
    }

    /// poststop: the container has stopped; give its observer time to write.
    static func waitForObserver(id: String) {
        let pidFile = stateDirectory + "/\(id).pid"
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        // Done when its pid file is gone (removed after OUT is written) or it is: it may stay a
        // zombie for a while, its parent being the runtime (a subreaper) that is running this hook.
        let finished = { !FileManager.default.fileExists(atPath: pidFile) || kill(pid, 0) != 0 || isZombie(pid) }
        if !waitUntil(seconds: 5, finished) {
            kill(pid, SIGTERM)  // still waiting for a cgroup that does not empty: end it, it writes what it has
            _ = waitUntil(seconds: 25, finished)
        }
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    @discardableResult
    static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// The background observer: until the container's cgroup empties (or SIGTERM), then OUT.
    public static func serve(_ arguments: [String]) -> Int32 {
        guard arguments.count == 4 else { log("oci-hook --serve: ID CGROUP OUT BASE expected"); return 2 }
        let (id, cgroupPath, output, base) = (arguments[0], arguments[1], arguments[2], arguments[3].isEmpty ? nil : arguments[3])
        setsid()
        let pidFile = stateDirectory + "/\(id).pid"
        let work = stateDirectory + "/\(id).d"
        defer {
            for path in [pidFile, stateDirectory + "/\(id).ready"] { unlink(path) }
            try? FileManager.default.removeItem(atPath: work)
        }
        do {
            try "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let session = try WorkloadSession(outputDirectory: work, maxWorkloads: 64, root: cgroupPath)
            FileManager.default.createFile(atPath: stateDirectory + "/\(id).ready", contents: nil)
            log("observing \(cgroupPath) for container \(id)")
            let events = cgroupPath + "/cgroup.events"
            _ = try session.run(duration: nil, interval: 3600, until: {
                // The container's processes are gone: the cgroup is empty or removed.
                guard let text = try? String(contentsOfFile: events, encoding: .utf8) else { return true }
                return text.contains("populated 0")
            })
            var recording = Recording(target: "container:\(id)", kernel: "")
            var seen = false
            for name in session.workloadNames {
                guard let part = session.recording(of: name) else { continue }
                if !seen { recording = part; recording.target = "container:\(id)"; seen = true } else { recording.merge(part) }
            }
            recording.coverage = nil
            recording.recordings = nil
            guard seen, recording.totalCalls > 0 else {
                log("no calls observed for container \(id): no profile written to \(output)")
                return 1
            }
            let profile: Profile
            if let base {
                profile = ProfileGenerator.profile(from: recording, base: try Profile.load(path: base))
            } else {
                profile = ProfileGenerator.profile(from: recording)
            }
            try OutputFile.write(profile.encoded(), to: output)
            log("wrote \(output): \(Set(recording.counts.values.flatMap(\.keys)).count) syscalls of container \(id)")
            unlink(stateDirectory + "/\(id).log")  // kept only when something went wrong
            return 0
        } catch {
            log("oci-hook: \(error)")
            return 1
        }
    }
}
