import Foundation

/// The files an observation writes, one pair per target: named after the command, the
/// cgroup or the process, made unique, and checked writable before observing starts.
public enum TargetNames {
    /// Refuses an output that cannot be written (its directory missing or not writable, or a directory itself).
    public static func checkWritable(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw ObserverError("-o \(path): is a directory", kind: .badRequest) }
            if !FileManager.default.isWritableFile(atPath: path) && access(path, W_OK) != 0 {
                throw ObserverError("-o \(path): not writable (\(String(cString: strerror(errno))))", kind: .badRequest)
            }
        }
        let directory = (path as NSString).deletingLastPathComponent
        let dir = directory.isEmpty ? "." : directory
        if access(dir, W_OK | X_OK) != 0 {
            throw ObserverError("-o \(path): cannot write in \(dir) (\(String(cString: strerror(errno))))", kind: .badRequest)
        }
    }

    /// Output names that differ: where two targets' last path components are equal,
    /// both grow by their parent directories until they differ (a/x, b/x → a-x, b-x).
    public static func unique(_ parts: [[String]]) -> [String] {
        var depth = parts.map { _ in 1 }
        for _ in 0..<16 {
            let names = zip(parts, depth).map { p, d in p.suffix(d).joined(separator: "-") }
            var clashes = false
            for (i, name) in names.enumerated() where names.filter({ $0 == name }).count > 1 {
                if depth[i] < parts[i].count { depth[i] += 1; clashes = true }
            }
            if !clashes { break }
        }
        var names = zip(parts, depth).map { p, d in p.suffix(d).joined(separator: "-") }
        // Still equal (the same path twice): number them.
        for i in names.indices where names[..<i].contains(names[i]) { names[i] += "-\(i + 1)" }
        return names
    }

    /// A target's name, as path components from the outermost to the last (the last alone is the default name).
    public static func parts(of target: ObservationTarget, index: Int, command: [String]) -> [String] {
        if index == 0, let first = command.first { return [URL(fileURLWithPath: first).lastPathComponent] }
        switch target {
        case .cgroup(let c): return c.path.split(separator: "/").map(String.init)
        case .processTree(let pid):
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            return ["\(comm ?? "pid")-\(pid)"]
        }
    }
}
