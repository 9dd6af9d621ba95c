import CSandbox
#if canImport(Glibc)
import Glibc
#endif

/// The few operating-system calls the launcher needs, without Foundation: its
/// launch path loads nothing it does not use (start-up time is part of the product).
public enum System {
    public static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.append(0x0a)
        bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }

    public static func writeOutput(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// A whole file's bytes, or nil.
    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return readAll(fd)
    }

    /// Everything left to read from `fd`, or nil on an error (read through a buffer on
    /// the stack: no large allocation to fault in for a profile of a few kilobytes).
    static func readAll(_ fd: Int32) -> [UInt8]? {
        var result: [UInt8] = []
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size > 0, info.st_size < 64 << 20 { result.reserveCapacity(Int(info.st_size)) }
        let failed = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16384) { buffer -> Bool in
            while true {
                let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return n < 0 }
                result.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<n]))
            }
        }
        return failed ? nil : result
    }

    /// The last component of a path ("b" for "a/b" and "a/b/"; "/" stays "/").
    static func lastComponent(_ path: String) -> String {
        var end = path.endIndex
        while end > path.startIndex, path[path.index(before: end)] == "/" { end = path.index(before: end) }
        guard end > path.startIndex else { return path }
        let head = path[..<end]
        let start = head.lastIndex(of: "/").map { head.index(after: $0) } ?? head.startIndex
        return String(head[start...])
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// This executable's directory (for the bundled profiles and seccomp-profile beside it),
    /// read once.
    static let executableDirectory: String = {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
            let n = buffer.withMemoryRebound(to: CChar.self) { readlink("/proc/self/exe", $0.baseAddress!, $0.count - 1) }
            guard n > 0 else { return "." }
            return directory(of: String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self))
        }
    }()

    static func makeDirectories(_ path: String, mode: mode_t = 0o755) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            mkdir(current, mode)
        }
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Runs a program to completion with our stderr, and our stdin/stdout unless
    /// `stdin`/`stdout` name other fds; returns its exit status (-1 if it could not start).
    static func run(_ arguments: [String], stdin: Int32 = -1, stdout: Int32 = -1) -> Int32 {
        var pid: pid_t = 0
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin >= 0 { posix_spawn_file_actions_adddup2(&actions, stdin, 0) }
        if stdout >= 0 { posix_spawn_file_actions_adddup2(&actions, stdout, 1) }
        guard posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// An in-memory file holding `bytes`, positioned at its start (-1 with errno set on failure).
    static func memoryFile(_ bytes: [UInt8]) -> Int32 {
        let fd = sf_memfd("seccomp-forge")
        guard fd >= 0 else { errno = -fd; return -1 }
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            let e = errno
            close(fd)
            errno = e
            return -1
        }
        lseek(fd, 0, SEEK_SET)
        return fd
    }
}
