/// A compiled filter as seccomp-profile hands it to seccomp-sandbox: the program
/// and what the launcher must know about it, in a small binary file. Kept here,
/// free of Foundation, so the sandbox's launch path needs neither JSON nor Foundation.
public struct FilterCacheEntry: Equatable, Sendable {
    public static let magic: [UInt8] = Array("SFC2".utf8)

    /// What the profile says.
    public var program: Program
    /// The profile lets the launch's own execve through (ALLOW or LOG).
    public var allowsExec: Bool
    /// The same filter with execve and execveat allowed, for complain mode's launch (empty if not needed).
    public var execOpened: Program
    /// The architectures covered, by name (x86_64, x86, x32...).
    public var architectures: [String]

    public init(program: Program, allowsExec: Bool, execOpened: Program = Program([]), architectures: [String] = []) {
        self.program = program
        self.allowsExec = allowsExec
        self.execOpened = execOpened
        self.architectures = architectures
    }

    public var bytes: [UInt8] {
        let names = Array(architectures.joined(separator: ",").utf8)
        var out = Self.magic
        out.append(allowsExec ? 1 : 0)
        out += Self.word(UInt32(program.count)) + Self.word(UInt32(execOpened.count)) + Self.word(UInt32(names.count))
        out += program.rawBytes + execOpened.rawBytes + names
        return out
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count >= 17, Array(bytes[0..<4]) == Self.magic else { return nil }
        let count = Int(Self.read(bytes, 5)), opened = Int(Self.read(bytes, 9)), names = Int(Self.read(bytes, 13))
        let programEnd = 17 + count * 8, openedEnd = programEnd + opened * 8
        guard bytes.count == openedEnd + names,
              let program = try? Program(rawBytes: Array(bytes[17..<programEnd])),
              let execOpened = try? Program(rawBytes: Array(bytes[programEnd..<openedEnd])) else { return nil }
        let list = String(decoding: bytes[openedEnd...], as: UTF8.self).split(separator: ",").map(String.init)
        self.init(program: program, allowsExec: bytes[4] == 1, execOpened: execOpened, architectures: list)
    }

    static func word(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
    static func read(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}
