import Foundation
import XCTest
import TestSupport

/// Start-up is part of the product: the tools users run in loops (seccomp-sandbox,
/// seccomp-profile) are static executables (no dynamic loader, no shared libraries to map
/// and relocate at each launch), and the launcher carries neither Foundation nor JSON code.
/// seccomp-observe, whose every run loads an eBPF program, links libc and libcurl (for its
/// metrics server's dependency) as shared libraries, the Swift runtime statically.
/// Read from the built binaries' ELF headers.
final class LinkageTests: XCTestCase {
    struct NotELF64: Error { let path: String }

    struct ELFImage {
        let bytes: [UInt8]
        /// p_type of every program header.
        let segmentTypes: [Int]

        init(path: String) throws {
            bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            guard bytes.count > 0x40, bytes.starts(with: [0x7f, 0x45, 0x4c, 0x46]), bytes[4] == 2 else {
                throw NotELF64(path: path)
            }
            let b = bytes
            func field(_ at: Int, _ size: Int) -> Int { (0..<size).reduce(0) { $0 | Int(b[at + $1]) << (8 * $1) } }
            let phoff = field(0x20, 8), phentsize = field(0x36, 2), phnum = field(0x38, 2)
            segmentTypes = (0..<phnum).map { field(phoff + $0 * phentsize, 4) }
        }

        static let interpreter = 3, dynamic = 2
        func contains(_ text: String) -> Bool { bytes.firstRange(of: Array(text.utf8)) != nil }
    }

    func testObserverLinksNoSwiftRuntimeDynamically() throws {
        let scratch = FileManager.default.temporaryDirectory
        let needed = try ToolProcess.run("/usr/bin/ldd", [ToolProcess.binary("seccomp-observe")], in: scratch)
        XCTAssertEqual(needed.status, 0, needed.stderr)
        XCTAssertTrue(needed.stdout.contains("libc.so"), needed.stdout)
        for library in ["libswiftCore", "libFoundation", "libdispatch", "libicu"] {
            XCTAssertFalse(needed.stdout.contains(library), "seccomp-observe loads \(library) at run time: \(needed.stdout)")
        }
    }

    func testEveryLoopedToolIsAStaticExecutable() throws {
        for tool in ["seccomp-sandbox", "seccomp-profile"] {
            let image = try ELFImage(path: ToolProcess.binary(tool))
            XCTAssertFalse(image.segmentTypes.isEmpty, tool)
            XCTAssertFalse(image.segmentTypes.contains(ELFImage.interpreter), "\(tool) asks for a dynamic loader (PT_INTERP)")
            XCTAssertFalse(image.segmentTypes.contains(ELFImage.dynamic), "\(tool) links shared libraries (PT_DYNAMIC)")
        }
    }

    func testLauncherCarriesNeitherFoundationNorJSON() throws {
        let launcher = try ELFImage(path: ToolProcess.binary("seccomp-sandbox"))
        // Mangled module prefixes: present in any binary that links these modules.
        for module in ["10Foundation", "FoundationEssentials", "JSONDecoder"] {
            XCTAssertFalse(launcher.contains(module), "seccomp-sandbox links \(module)")
        }
        // The same probe finds Foundation where it is linked, so its absence above means something.
        XCTAssertTrue(try ELFImage(path: ToolProcess.binary("seccomp-profile")).contains("10Foundation"))
    }
}
