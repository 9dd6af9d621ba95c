import FilterCache
import Foundation
import XCTest

/// The filter cache's key function against FIPS 180-4's examples and coreutils' sha256sum.
final class SHA256Tests: XCTestCase {
    func testStandardVectors() {
        XCTAssertEqual(SHA256.hex(SHA256.hash([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(SHA256.hash(Array("abc".utf8))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000))),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length around the 55/56/64-byte padding boundaries, fed whole and in pieces.
    func testAgainstSha256sum() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum") else { throw XCTSkip("no sha256sum") }
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
            try Data(bytes).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            process.arguments = [file.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let expected = String(output.prefix(64))
            XCTAssertEqual(SHA256.hex(SHA256.hash(bytes)), expected, "length \(length)")
            var pieces = SHA256()
            for chunk in stride(from: 0, to: length, by: 13) { pieces.update(Array(bytes[chunk..<min(length, chunk + 13)])) }
            XCTAssertEqual(SHA256.hex(pieces.finish()), expected, "length \(length) in pieces")
        }
    }

    func testHexSpellingRoundTrips() {
        let digest = SHA256.hash(Array("abc".utf8))
        XCTAssertEqual(SHA256.digest(hex: SHA256.hex(digest)), digest)
        XCTAssertEqual(SHA256.digest(hex: SHA256.hex(digest).uppercased()), digest)
        for bad in ["", String(repeating: "a", count: 63), String(repeating: "g", count: 64), String(repeating: "a", count: 65), String(repeating: "+1", count: 32)] {
            XCTAssertNil(SHA256.digest(hex: bad), bad)
        }
    }
}
