import CSHA256

/// SHA-256 (FIPS 180-4), for the filter cache's keys: a launcher that loads a
/// cached filter must know it was compiled from exactly these profile bytes.
/// Written here so the launcher links no crypto library (start-up time), and
/// hashed in place (no buffer copied or allocated per block): every launch
/// hashes its profile.
public struct SHA256: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
    /// A partial block (the first `pendingCount` bytes), until 64 bytes complete it.
    private var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var pendingCount = 0
    private var length: UInt64 = 0

    /// Whether this CPU has the SHA extensions (worked out once; never changes).
    public static let cpuExtensionsAvailable = sf_sha256_blocks_available()

    /// The CPU's SHA extensions compress the blocks where it has them (the same digest).
    private let usesCPUExtensions: Bool

    /// `cpuExtensions: false` keeps to the portable rounds (to check one against the other).
    public init(cpuExtensions: Bool = true) {
        usesCPUExtensions = cpuExtensions && Self.cpuExtensionsAvailable
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        var offset = 0
        if pendingCount > 0 {
            let take = min(64 - pendingCount, bytes.count)
            let count = pendingCount
            withUnsafeMutableBytes(of: &pending) { block in
                for i in 0..<take { block[count + i] = bytes[i] }
            }
            pendingCount += take
            offset = take
            guard pendingCount == 64 else { return }
            let block = pending
            withUnsafeBytes(of: block) { compress($0.baseAddress!, blocks: 1) }
            pendingCount = 0
        }
        guard let base = bytes.baseAddress else { return }
        let whole = (bytes.count - offset) / 64
        if whole > 0 {
            compress(base + offset, blocks: whole)
            offset += 64 * whole
        }
        let rest = bytes.count - offset
        if rest > 0 {
            withUnsafeMutableBytes(of: &pending) { block in
                for i in 0..<rest { block[i] = bytes[offset + i] }
            }
            pendingCount = rest
        }
    }

    /// Adds a field so that ("ab","c") and ("a","bc") differ: its length, then its bytes.
    public mutating func updateField(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { updateField($0) }
    }

    public mutating func updateField(_ bytes: UnsafeRawBufferPointer) {
        var size = UInt64(bytes.count).bigEndian
        withUnsafeBytes(of: &size) { update($0) }
        update(bytes)
    }

    public func finish() -> [UInt8] {
        var copy = self
        let bits = length &* 8
        // 0x80, zeros up to 56 bytes into a block, then the length in bits (big-endian).
        var padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0x80, 0, 0, 0, 0, 0, 0, 0, 0)
        let zeros = (pendingCount < 56 ? 56 : 120) - pendingCount
        withUnsafeBytes(of: &padding) { copy.update(UnsafeRawBufferPointer(rebasing: $0[0..<zeros])) }
        var big = bits.bigEndian
        withUnsafeBytes(of: &big) { copy.update($0) }
        let s = copy.state
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in [s.0, s.1, s.2, s.3, s.4, s.5, s.6, s.7] {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return digest
    }

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = SHA256()
        digest.update(bytes)
        return digest.finish()
    }

    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The digest `hex` spelled: exactly 64 hex digits, else nil.
    public static func digest(hex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        // Hex digits only: UInt8(_:radix:) would take "+1".
        guard digits.count == 64, digits.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        var out: [UInt8] = []
        for at in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: digits[at..<at + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }

    /// `blocks` 64-byte blocks at `data`.
    private mutating func compress(_ data: UnsafeRawPointer, blocks: Int) {
        if usesCPUExtensions {
            withUnsafeMutableBytes(of: &state) { words in
                sf_sha256_blocks(words.baseAddress!.assumingMemoryBound(to: UInt32.self), data.assumingMemoryBound(to: UInt8.self), blocks)
            }
            return
        }
        for i in 0..<blocks { compress(data + 64 * i) }
    }

    /// One 64-byte block at `block`.
    private mutating func compress(_ block: UnsafeRawPointer) {
        let s = state
        let result = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w -> (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) in
            for i in 0..<16 { w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            for i in 16..<64 {
                let s0 = rotate(w[i - 15], 7) ^ rotate(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotate(w[i - 2], 17) ^ rotate(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            // The round constants, from the C side (written once, for both sets of rounds).
            let k = sf_sha256_constants()!
            var (a, b, c, d, e, f, g, h) = s
            for i in 0..<64 {
                let t1 = h &+ (rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
                let t2 = (rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
                (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            return (a, b, c, d, e, f, g, h)
        }
        state = (s.0 &+ result.0, s.1 &+ result.1, s.2 &+ result.2, s.3 &+ result.3,
                 s.4 &+ result.4, s.5 &+ result.5, s.6 &+ result.6, s.7 &+ result.7)
    }

    @inline(__always)
    private func rotate(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
}
