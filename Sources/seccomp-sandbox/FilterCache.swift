import CBPF
import Foundation
import SyscallTable

/// Compiled filters kept on disk, so a launch with an unchanged profile skips
/// JSON decoding and compilation. The key covers the profile's bytes, the
/// target (architecture, kernel release) and this binary (size and mtime), so
/// a rebuilt tool or an edited profile never meets a stale entry. A cache that
/// cannot be read or written only costs the compile.
struct FilterCache {
    struct Entry {
        var program: Program
        var allowsExec: Bool
    }

    static let magic: [UInt8] = Array("SFC1".utf8)
    let directory: String
    let key: String

    init?(profileBytes: [UInt8]) {
        let env = ProcessInfo.processInfo.environment
        guard env["SECCOMP_FORGE_NO_CACHE"] == nil else { return nil }
        if let dir = env["SECCOMP_FORGE_CACHE"] {
            directory = dir
        } else if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty {
            directory = xdg + "/seccomp-forge"
        } else if let home = env["HOME"], !home.isEmpty {
            directory = home + "/.cache/seccomp-forge"
        } else {
            return nil
        }
        var hash = FNV1a()
        hash.add(Array("seccomp-forge filter cache 1".utf8))
        hash.add(profileBytes)
        hash.add(Array(Architecture.native.name.utf8))
        var name = utsname()
        uname(&name)
        withUnsafeBytes(of: &name.release) { hash.add(Array($0.prefix(while: { $0 != 0 }))) }
        var info = stat()
        if stat("/proc/self/exe", &info) == 0 {
            withUnsafeBytes(of: info.st_size) { hash.add(Array($0)) }
            withUnsafeBytes(of: info.st_mtim.tv_sec) { hash.add(Array($0)) }
            withUnsafeBytes(of: info.st_mtim.tv_nsec) { hash.add(Array($0)) }
        }
        key = String(hash.value, radix: 16)
    }

    var path: String { directory + "/" + key + ".filter" }

    func load() -> Entry? {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 12 else { return nil }
        let bytes = [UInt8](data)
        guard Array(bytes[0..<4]) == Self.magic else { return nil }
        let flags = bytes[4]
        let count = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard bytes.count == 12 + count * 8, let program = try? Program(rawBytes: Array(bytes[12...])) else { return nil }
        return Entry(program: program, allowsExec: flags & 1 != 0)
    }

    func store(_ entry: Entry) {
        var bytes = Self.magic + [entry.allowsExec ? 1 : 0, 0, 0, 0]
        let count = UInt32(entry.program.count)
        bytes += [UInt8(count & 0xff), UInt8(count >> 8 & 0xff), UInt8(count >> 16 & 0xff), UInt8(count >> 24)]
        bytes += entry.program.rawBytes
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// 64-bit FNV-1a: a cache key, not a security boundary (the entry is only ever
/// a filter this tool compiled).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: [UInt8]) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
        value ^= 0xff  // separates consecutive fields
        value &*= 0x0000_0100_0000_01b3
    }
}
