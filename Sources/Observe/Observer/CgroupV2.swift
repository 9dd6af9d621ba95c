import Foundation

/// A directory in the cgroup v2 hierarchy, as the kernel identifies it.
public struct CgroupV2: Sendable, Equatable {
    /// Absolute path, symlinks resolved.
    public var path: String
    /// The cgroup id: the kernfs node id, which is the directory's inode number.
    public var id: UInt64
    /// Depth below the hierarchy's root (the root is 0).
    public var level: UInt32

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case noHierarchy
        case missing(String)
        case notV2(String, mount: String)

        public var description: String {
            switch self {
            case .noHierarchy:
                return "no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)"
            case .missing(let path):
                return "cgroup \(path) does not exist"
            case .notV2(let path, let mount):
                return "\(path) is not in the cgroup v2 hierarchy; on this machine it is mounted at \(mount)"
            }
        }
    }

    /// Where cgroup2 is mounted: /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones.
    public static func mountPoint() throws(Failure) -> String {
        guard let first = mountPoints().first else { throw .noHierarchy }
        return first
    }

    /// Every cgroup2 mount point (a container may mount its own view, rooted at its cgroup namespace).
    static func mountPoints() -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            // ... mount-point ... - fstype source options
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { return nil }
            let fields = halves[0].split(separator: " ")
            return fields.count > 4 ? String(fields[4]) : nil
        }
    }

    /// The cgroup at `path` (absolute, or relative to the v2 mount point).
    /// The level is the depth below the mount; inside a cgroup namespace the kernel's is deeper
    /// by the namespace root's (the eBPF side matches ids on its way up, so either is right).
    public static func at(_ path: String) throws(Failure) -> CgroupV2 {
        let first = try mountPoint()
        let absolute = path.hasPrefix("/") ? path : first + "/" + path
        guard let resolved = realpath(absolute, nil) else { throw .missing(path) }
        let real = String(cString: resolved)
        free(resolved)
        guard let mount = mountPoints().filter({ real == $0 || real.hasPrefix($0 == "/" ? "/" : $0 + "/") }).max(by: { $0.count < $1.count }) else {
            throw .notV2(path, mount: first)
        }
        var info = stat()
        guard stat(real, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { throw .missing(path) }
        let level = real == mount ? 0 : UInt32(real.dropFirst(mount.count).split(separator: "/").count)
        return CgroupV2(path: real, id: UInt64(info.st_ino), level: level)
    }

    /// Whether any process is still in this cgroup or below it.
    public var isPopulated: Bool {
        guard let events = try? String(contentsOfFile: path + "/cgroup.events", encoding: .utf8) else { return false }
        return events.split(separator: "\n").contains("populated 1")
    }
}
