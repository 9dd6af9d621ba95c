import Foundation

/// Tells, as soon as a runtime writes it, each container state file under the runtimes'
/// state directories (inotify): a container that lives a few milliseconds is deleted with
/// its state long before the next periodic read, and its name would be lost.
public final class RuntimeStateWatcher {
    private let fd: Int32
    /// Watch descriptor → directory and its depth below a state root (-1: a root's parent,
    /// watched until the root appears).
    private var watched: [Int32: (path: String, depth: Int)] = [:]
    private var watchedPaths: Set<String> = []
    public let roots: [String]

    public init(roots: [String] = WorkloadIdentity.stateRoots) {
        self.roots = roots
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        addRoots()
    }

    deinit { if fd >= 0 { close(fd) } }

    private func watch(_ path: String, depth: Int) {
        guard fd >= 0, !watchedPaths.contains(path) else { return }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR)
        let wd = inotify_add_watch(fd, path, mask)
        guard wd >= 0 else { return }
        watched[wd] = (path, depth)
        watchedPaths.insert(path)
    }

    /// Watches each root (and the directories already in it), or its parent until it exists.
    private func addRoots() {
        for root in roots {
            if FileManager.default.fileExists(atPath: root) {
                watch(root, depth: 0)
                for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
                    watch(root + "/" + entry, depth: 1)
                    for inner in (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + entry)) ?? [] {
                        watch(root + "/" + entry + "/" + inner, depth: 2)
                    }
                }
            } else {
                let parent = (root as NSString).deletingLastPathComponent
                if FileManager.default.fileExists(atPath: parent) { watch(parent, depth: -1) }
            }
        }
    }

    /// Waits up to `milliseconds` for state files to be written; returns their paths.
    public func wait(milliseconds: Int32) -> [String] {
        guard fd >= 0 else {
            usleep(useconds_t(milliseconds) * 1000)
            return []
        }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, milliseconds) > 0 else { return [] }
        var files: [String] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= n {
                let (wd, mask, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let nameBytes = buffer[(offset + header)..<min(n, offset + header + length)].prefix { $0 != 0 }
                let name = String(decoding: nameBytes, as: UTF8.self)
                offset += header + length
                guard let (dir, depth) = watched[wd] else { continue }
                if mask & UInt32(IN_IGNORED) != 0 {
                    // The directory is gone (a deleted container): a new one of that name is watched afresh.
                    watched[wd] = nil
                    watchedPaths.remove(dir)
                    continue
                }
                if depth < 0 {
                    addRoots()
                    continue
                }
                let path = dir + "/" + name
                if name == "state.json" {
                    files.append(path)
                } else if mask & UInt32(IN_ISDIR) != 0, depth < 2 {
                    watch(path, depth: depth + 1)
                    // Written before the watch was in place?
                    if FileManager.default.fileExists(atPath: path + "/state.json") { files.append(path + "/state.json") }
                }
            }
        }
        return files
    }
}
