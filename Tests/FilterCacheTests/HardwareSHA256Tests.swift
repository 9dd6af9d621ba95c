import FilterCache
import TestSupport
import XCTest

/// The cache key's SHA-256 on the CPU's SHA extensions (what every launch uses where the
/// CPU has them) against the portable Swift rounds: the same digest for every length from
/// 0 to 1,100 bytes, fed whole and in uneven pieces, and for a megabyte.
final class HardwareSHA256Tests: XCTestCase {
    func testTheSHAExtensionsGiveThePortableDigests() throws {
        guard SHA256.cpuExtensionsAvailable else {
            throw XCTSkip("this CPU has no SHA extensions: launches use the portable rounds, which SHA256Tests check")
        }
        var generator = SystemRandomNumberGenerator()
        let data = (0..<1_100).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for length in 0...data.count {
            let input = Array(data.prefix(length))
            var hardware = SHA256()
            var pieces = input[...]
            var step = 1
            while !pieces.isEmpty {
                hardware.update(Array(pieces.prefix(step)))
                pieces = pieces.dropFirst(step)
                step = step % 97 + 13
            }
            var portable = SHA256(cpuExtensions: false)
            portable.update(input)
            XCTAssertEqual(hardware.finish(), portable.finish(), "\(length) bytes")
        }
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        var hardware = SHA256()
        hardware.update(big)
        var portable = SHA256(cpuExtensions: false)
        portable.update(big)
        XCTAssertEqual(hardware.finish(), portable.finish())
    }
}
