import CBPF
import FilterCache
import SeccompABI
import XCTest

/// The entry seccomp-sandbox reads from a cache directory or from seccomp-profile: every
/// field round-trips, and anything but a whole, current entry is refused, never trusted.
final class FilterCacheEntryTests: XCTestCase {
    let entry = FilterCacheEntry(key: Array(0..<32), program: Program([.loadWord(4), .returns(0x7fff_0000)]),
                                 execOpened: Program([.returns(0x7fff_0000)]), architectures: ["x86_64", "x86", "x32"],
                                 listenerPath: "/run/agent.sock", listenerMetadata: "app=web", flags: 1 << 2)

    func testEveryFieldRoundTrips() {
        XCTAssertEqual(FilterCacheEntry(bytes: entry.bytes), entry)
    }

    func testEveryTruncationIsRefused() {
        let bytes = entry.bytes
        for length in 0..<bytes.count {
            XCTAssertNil(FilterCacheEntry(bytes: Array(bytes.prefix(length))), "truncated to \(length) of \(bytes.count) bytes")
        }
        XCTAssertNil(FilterCacheEntry(bytes: bytes + [0]), "a trailing byte")
    }

    func testAnotherFormatVersionIsRefused() {
        var bytes = entry.bytes
        XCTAssertEqual(Array(bytes.prefix(4)), Array("SFC\(FilterCacheEntry.formatVersion)".utf8))
        bytes[3] = UInt8(ascii: "3")
        XCTAssertNil(FilterCacheEntry(bytes: bytes))
        XCTAssertTrue(FilterCacheEntry.keyDomain.elementsEqual("seccomp-forge filter cache \(FilterCacheEntry.formatVersion)".utf8))
    }

    /// Lengths that point past the end, a program whose size is not whole instructions, an
    /// empty program, a flags field of the wrong size: refused.
    func testLyingLengthsAreRefused() {
        func field(_ bytes: [UInt8]) -> [UInt8] { le(UInt32(bytes.count)) + bytes }
        func le(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
        let head = FilterCacheEntry.magic + [UInt8](repeating: 7, count: 32)
        let ret: [UInt8] = [0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]
        let rest = field([]) + field([]) + field([]) + field([]) + field(le(0))
        XCTAssertNotNil(FilterCacheEntry(bytes: head + field(ret) + rest))
        XCTAssertNil(FilterCacheEntry(bytes: head + le(0xffff_ffff) + ret + rest))
        XCTAssertNil(FilterCacheEntry(bytes: head + field(Array(ret.prefix(7))) + rest))
        XCTAssertNil(FilterCacheEntry(bytes: head + field([]) + rest))
        XCTAssertNil(FilterCacheEntry(bytes: head + field(ret) + field([]) + field([]) + field([]) + field([]) + field([1, 2])))
    }

    private func entryOf(instructions: Int, execOpened: Int = 0) -> FilterCacheEntry {
        let allow = Instruction.returns(SeccompAction.allow.returnValue)
        return FilterCacheEntry(key: [UInt8](repeating: 0xab, count: 32), program: Program(Array(repeating: allow, count: instructions)),
                                execOpened: Program(Array(repeating: allow, count: execOpened)),
                                architectures: ["x86_64", "x86"], listenerPath: "/run/agent.sock", listenerMetadata: "id=1", flags: 6)
    }

    func testTheKernelsLongestProgramIsRead() {
        XCTAssertNotNil(FilterCacheEntry(bytes: entryOf(instructions: BPF.maxInstructions, execOpened: BPF.maxInstructions).bytes))
    }

    /// The launcher hands the program to the kernel with a 16-bit length: an entry of 70,000
    /// instructions (planted in the cache, or from a hostile SECCOMP_FORGE_PROFILE_TOOL) trapped
    /// seccomp-sandbox. No real entry is longer than the kernel's limit; a longer one is refused
    /// like any malformed entry (fuzz/corpus/cache-entry/too-long-program.filter is such an entry).
    func testProgramsLongerThanTheKernelLoadsAreRefused() {
        XCTAssertNil(FilterCacheEntry(bytes: entryOf(instructions: BPF.maxInstructions + 1).bytes))
        XCTAssertNil(FilterCacheEntry(bytes: entryOf(instructions: 70_000).bytes))
        XCTAssertNil(FilterCacheEntry(bytes: entryOf(instructions: 1, execOpened: 70_000).bytes))
    }
}
