import CObserver
import Foundation

/// A fresh cgroup for one command: created before the command starts, so the
/// counter sees its very first call (the execve), and removed afterwards.
public final class CommandCgroup {
    public let cgroup: CgroupV2
    private var removed = false

    /// Creates `seccomp-forge-<pid>-<n>` under the v2 root (or `parent`).
    public init(parent: String? = nil) throws {
        let mount: String
        do { mount = try CgroupV2.mountPoint() } catch { throw ObserverError(error.description, kind: .unsupported(errno: ENOENT)) }
        let base = parent ?? mount
        var path = ""
        for n in 0..<1000 {
            path = "\(base)/seccomp-forge-\(getpid())-\(n)"
            if mkdir(path, 0o755) == 0 { break }
            guard errno == EEXIST else {
                throw ObserverError("cannot create cgroup \(path): \(String(cString: strerror(errno)))", kind: .notPermitted)
            }
        }
        do { cgroup = try CgroupV2.at(path) } catch {
            rmdir(path)
            throw ObserverError(error.description)
        }
    }

    deinit { remove() }

    /// Starts the command inside the cgroup, its standard output on `stdout` when given. Returns its pid.
    public func spawn(_ arguments: [String], stdout: Int32 = -1) throws -> pid_t {
        let procs = open(cgroup.path + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
        guard procs >= 0 else { throw ObserverError("cannot open \(cgroup.path)/cgroup.procs: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(procs) }
        var cArguments = arguments.map { strdup($0) }
        cArguments.append(nil)
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        var execErrno: Int32 = 0
        let rc = sf_spawn_in_cgroup(cArguments, procs, stdout, &pid, &execErrno)
        guard rc == 0 else { throw ObserverError("cannot start \(arguments[0]): \(String(cString: strerror(-rc)))") }
        if execErrno != 0 {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            let why = execErrno == ENOENT ? "command not found" : String(cString: strerror(execErrno))
            throw ObserverError("\(arguments[0]): \(why)", kind: .commandFailed(errno: execErrno))
        }
        return pid
    }

    /// Kills whatever is left in the cgroup and removes it; safe to call twice.
    public func remove() {
        guard !removed else { return }
        removed = true
        if cgroup.isPopulated {
            // cgroup.kill (Linux ≥ 5.14) ends every process below; then wait for them to go.
            let fd = open(cgroup.path + "/cgroup.kill", O_WRONLY)
            if fd >= 0 {
                _ = write(fd, "1", 1)
                Glibc.close(fd)
            }
            for _ in 0..<200 where cgroup.isPopulated { usleep(10_000) }
        }
        rmdir(cgroup.path)
    }
}
