import CBPF

/// A compiled filter as seccomp-profile hands it to seccomp-sandbox: the program
/// and what the launcher must know about it, in a small binary file. Kept here,
/// free of Foundation, so the sandbox's launch path needs neither JSON nor Foundation.
///
/// Layout (integers little-endian): "SFC" and the format version (`magic`), the 32-byte cache key, then six
/// length-prefixed fields (u32 count): the program (8 bytes per instruction),
/// the exec-opened variant (same), the architectures (comma-separated names),
/// the listener path and the listener metadata (UTF-8), and the seccomp(2)
/// filter flags (one u32). Anything else is rejected, as is a program (either
/// one) longer than the kernel loads (`BPF.maxInstructions`).
public struct FilterCacheEntry: Equatable, Sendable {
    /// The format's version: in the magic and in every cache key, so an entry written by
    /// another version is neither parsed nor looked up.
    public static let formatVersion = 4
    public static let magic: [UInt8] = Array("SFC\(formatVersion)".utf8)
    /// What a cache key's hash starts with (see `Sandbox`'s key: profile bytes, mode, machine, tools).
    public static let keyDomain: [UInt8] = Array("seccomp-forge filter cache \(formatVersion)".utf8)

    /// SHA-256 of what the filter was compiled from (profile bytes, mode, target, tools):
    /// the launcher loads an entry only if this equals the key it computed.
    public var key: [UInt8]
    /// What the profile says.
    public var program: Program
    /// The same filter with execve and execveat allowed, for complain mode's launch (empty if not asked for).
    public var execOpened: Program
    /// The architectures covered, by name (x86_64, x86, x32...).
    public var architectures: [String]
    /// The profile's listenerPath and listenerMetadata (SCMP_ACT_NOTIFY's agent), empty if none.
    public var listenerPath: String
    public var listenerMetadata: String
    /// SECCOMP_FILTER_FLAG_* bits the profile asks for (LOG, SPEC_ALLOW, WAIT_KILLABLE_RECV), as runc sets them.
    public var flags: UInt32

    public init(key: [UInt8] = [UInt8](repeating: 0, count: 32), program: Program, execOpened: Program = Program([]),
                architectures: [String] = [], listenerPath: String = "", listenerMetadata: String = "", flags: UInt32 = 0) {
        self.key = key
        self.program = program
        self.execOpened = execOpened
        self.architectures = architectures
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
        self.flags = flags
    }

    public var bytes: [UInt8] {
        var out = Self.magic + key
        for field in [program.rawBytes, execOpened.rawBytes, Array(architectures.joined(separator: ",").utf8),
                      Array(listenerPath.utf8), Array(listenerMetadata.utf8), Self.word(flags)] {
            out += Self.word(UInt32(field.count)) + field
        }
        return out
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count >= 36, bytes[0..<4].elementsEqual(Self.magic) else { return nil }
        // The six fields as ranges of `bytes` (nothing copied until all six are in bounds).
        var at = 36
        func field() -> Range<Int>? {
            guard bytes.count - at >= 4 else { return nil }
            let count = Int(Self.read(bytes, at))
            at += 4
            guard bytes.count - at >= count else { return nil }
            defer { at += count }
            return at..<(at + count)
        }
        guard let programField = field(), let execOpenedField = field(), let architecturesField = field(),
              let listenerPathField = field(), let metadataField = field(), let flagsField = field(),
              at == bytes.count, flagsField.count == 4,
              let program = try? Program(rawBytes: Array(bytes[programField])), !program.instructions.isEmpty,
              let execOpened = try? Program(rawBytes: Array(bytes[execOpenedField])),
              program.count <= BPF.maxInstructions, execOpened.count <= BPF.maxInstructions else { return nil }
        // Comma-separated names, empty ones skipped (as split(separator:) does), without an array of substrings.
        let names = String(decoding: bytes[architecturesField], as: UTF8.self)
        var architectures: [String] = []
        var start = names.startIndex
        for index in names.indices where names[index] == "," {
            if start < index { architectures.append(String(names[start..<index])) }
            start = names.index(after: index)
        }
        if start < names.endIndex { architectures.append(String(names[start...])) }
        self.init(key: Array(bytes[4..<36]), program: program, execOpened: execOpened,
                  architectures: architectures, listenerPath: String(decoding: bytes[listenerPathField], as: UTF8.self),
                  listenerMetadata: String(decoding: bytes[metadataField], as: UTF8.self),
                  flags: UInt32(bytes[flagsField.lowerBound]) | UInt32(bytes[flagsField.lowerBound + 1]) << 8
                      | UInt32(bytes[flagsField.lowerBound + 2]) << 16 | UInt32(bytes[flagsField.lowerBound + 3]) << 24)
    }

    static func word(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
    static func read(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}
