import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How every tool writes an output file: `-` is standard output; a regular file (or a
/// path that does not exist yet) is replaced atomically — readers see the old content
/// or the new, never half — through a symbolic link to its target; anything else (a
/// device such as /dev/null, a FIFO, a socket) is written in place, never replaced.
public enum OutputFile {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func write(_ data: Data, to path: String) throws(Failure) {
        if path == "-" {
            FileHandle.standardOutput.write(data)
            return
        }
        var target = path
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
            target = resolved.hasPrefix("/") ? resolved : (path as NSString).deletingLastPathComponent + "/" + resolved
        }
        var info = stat()
        if stat(target, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            if (info.st_mode & S_IFMT) == S_IFDIR { throw Failure(description: "cannot write \(path): is a directory") }
            let fd = open(target, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written != data.count { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
            return
        }
        do {
            try data.write(to: URL(fileURLWithPath: target), options: .atomic)
        } catch {
            throw Failure(description: "cannot write \(path): \((error as NSError).localizedDescription)")
        }
    }
}
