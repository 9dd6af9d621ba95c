import FilterCache
import SeccompABI
#if canImport(Glibc)
import Glibc
#endif

/// Compiled filters kept between launches, trusted only when nothing but this
/// user could have put them there and they say they were compiled from exactly
/// the bytes we hold:
///
/// - the directory is opened with O_NOFOLLOW and must be owned by the effective
///   user and writable by nobody else; the default one lives under a base
///   ($XDG_CACHE_HOME, else $HOME/.cache) that must itself belong to that user
///   (root run with another user's HOME gets no cache, not theirs);
/// - an entry is read through that directory's fd, with the same owner and mode
///   checks, and must carry the key (SHA-256) we computed for this launch;
/// - entries are written 0600 to a fresh temporary name, then renamed.
///
/// Any doubt means no cache: the profile is compiled in memory for this launch.
final class CacheDirectory {
    let directory: Int32
    let path: String

    private init(directory: Int32, path: String) {
        self.directory = directory
        self.path = path
    }

    deinit { close(directory) }

    /// The cache directory to use, or nil (with SECCOMP_FORGE_NO_CACHE, without a
    /// HOME of this user's, or when the directory fails a check).
    static func open() -> CacheDirectory? {
        if System.environment("SECCOMP_FORGE_NO_CACHE") != nil { return nil }
        let path: String
        let explicit = System.environment("SECCOMP_FORGE_CACHE").flatMap { $0.isEmpty ? nil : $0 }
        if let explicit {
            path = explicit
        } else {
            let base: String
            if let xdg = System.environment("XDG_CACHE_HOME"), xdg.hasPrefix("/") {
                guard ownedByUs(xdg) else { return nil }
                base = xdg
            } else if let home = System.environment("HOME"), home.hasPrefix("/"), home != "/" {
                guard ownedByUs(home) else { return nil }
                base = home + "/.cache"
                mkdir(base, 0o700)
                guard ownedByUs(base) else { return nil }
            } else {
                return nil
            }
            path = base + "/seccomp-forge"
        }
        if mkdir(path, 0o700) != 0 && errno == ENOENT && explicit != nil {
            // A SECCOMP_FORGE_CACHE whose parents are missing: made first (as the default base is).
            System.makeDirectories(System.directory(of: path), mode: 0o700)
            mkdir(path, 0o700)
        }
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else {
            close(fd)
            return nil
        }
        return CacheDirectory(directory: fd, path: path)
    }

    private static func ownedByUs(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR && info.st_uid == geteuid()
    }

    static func name(for key: [UInt8]) -> String { SHA256.hex(key) + ".filter" }

    /// The entry stored under `key`, if it passes every check.
    func load(key: [UInt8]) -> FilterCacheEntry? {
        let fd = openat(directory, Self.name(for: key), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid(),
              info.st_mode & 0o022 == 0, info.st_size < 16 << 20,
              let bytes = System.readAll(fd), let entry = FilterCacheEntry(bytes: bytes), entry.key == key else { return nil }
        return entry
    }

    /// Stores an entry (best effort: a launch never fails for want of a cache).
    func store(_ entry: FilterCacheEntry) {
        let name = Self.name(for: entry.key)
        let temporary = ".\(name).\(getpid()).tmp"
        let fd = openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let bytes = entry.bytes
        let written = fchmod(fd, 0o600) == 0 && bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
        close(fd)
        if !written || renameat(directory, temporary, directory, name) != 0 {
            unlinkat(directory, temporary, 0)
        }
    }
}
