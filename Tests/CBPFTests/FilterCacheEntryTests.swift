import CBPF
import XCTest

/// The cache entry seccomp-sandbox reads from its cache directory or from seccomp-profile:
/// bytes that may be corrupt or hostile, refused (nil) unless they are a whole entry.
final class FilterCacheEntryTests: XCTestCase {
    private func entry(instructions: Int, execOpened: Int = 0) -> FilterCacheEntry {
        let allow = Instruction.returns(SeccompAction.allow.returnValue)
        return FilterCacheEntry(key: [UInt8](repeating: 0xab, count: 32), program: Program(Array(repeating: allow, count: instructions)),
                                execOpened: Program(Array(repeating: allow, count: execOpened)),
                                architectures: ["x86_64", "x86"], listenerPath: "/run/agent.sock", listenerMetadata: "id=1", flags: 6)
    }

    func testAnEntryReadsBackAsWritten() {
        let written = entry(instructions: 3, execOpened: 2)
        XCTAssertEqual(FilterCacheEntry(bytes: written.bytes), written)
    }

    func testTruncatedOrExtendedEntriesAreRefused() {
        let bytes = entry(instructions: 3).bytes
        for length in [0, 4, 35, 36, 40, bytes.count - 1] {
            XCTAssertNil(FilterCacheEntry(bytes: Array(bytes.prefix(length))), "\(length) bytes")
        }
        XCTAssertNil(FilterCacheEntry(bytes: bytes + [0]))
    }

    func testTheKernelsLongestProgramIsRead() {
        XCTAssertNotNil(FilterCacheEntry(bytes: entry(instructions: BPF.maxInstructions, execOpened: BPF.maxInstructions).bytes))
    }

    /// The launcher hands the program to the kernel with a 16-bit length: an entry of 70,000
    /// instructions (planted in the cache, or from a hostile SECCOMP_FORGE_PROFILE_TOOL) trapped
    /// seccomp-sandbox. No real entry is longer than the kernel's limit; a longer one is refused
    /// like any malformed entry (fuzz/corpus/cache-entry/too-long-program.filter is such an entry).
    func testProgramsLongerThanTheKernelLoadsAreRefused() {
        XCTAssertNil(FilterCacheEntry(bytes: entry(instructions: BPF.maxInstructions + 1).bytes))
        XCTAssertNil(FilterCacheEntry(bytes: entry(instructions: 70_000).bytes))
        XCTAssertNil(FilterCacheEntry(bytes: entry(instructions: 1, execOpened: 70_000).bytes))
    }
}
