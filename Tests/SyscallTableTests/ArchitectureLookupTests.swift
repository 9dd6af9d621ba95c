import SyscallTable
import XCTest

final class ArchitectureLookupTests: XCTestCase {
    func testProfileSpellingsFindTheirArchitecture() {
        XCTAssertEqual(Architecture.named("SCMP_ARCH_X86_64")?.name, "x86_64")
        XCTAssertEqual(Architecture.named("SCMP_ARCH_X86")?.name, "x86")
        XCTAssertEqual(Architecture.named("SCMP_ARCH_X32")?.name, "x32")
        XCTAssertEqual(Architecture.named("SCMP_ARCH_AARCH64")?.name, "aarch64")
        XCTAssertEqual(Architecture.named("SCMP_ARCH_ARM")?.name, "arm")
        XCTAssertEqual(Architecture.named("SCMP_ARCH_RISCV64")?.name, "riscv64")
    }

    func testGoSpellingsFindTheirArchitecture() {
        XCTAssertEqual(Architecture.named("amd64")?.name, "x86_64")
        XCTAssertEqual(Architecture.named("386")?.name, "x86")
        XCTAssertEqual(Architecture.named("arm64")?.name, "aarch64")
        XCTAssertEqual(Architecture.named("amd64p32")?.name, "x32")
    }

    func testShortAndUnameSpellingsFindTheirArchitecture() {
        XCTAssertEqual(Architecture.named("x86")?.name, "x86")
        XCTAssertEqual(Architecture.named("i386")?.name, "x86")
        XCTAssertEqual(Architecture.named("i686")?.name, "x86")
        XCTAssertEqual(Architecture.named("x86_64")?.name, "x86_64")
        XCTAssertEqual(Architecture.named("aarch64")?.name, "aarch64")
    }

    func testLookupIgnoresCase() {
        XCTAssertEqual(Architecture.named("scmp_arch_x86_64")?.name, "x86_64")
        XCTAssertEqual(Architecture.named("AMD64")?.name, "x86_64")
        XCTAssertEqual(Architecture.named("Arm64")?.name, "aarch64")
        XCTAssertEqual(Architecture.named("I386")?.name, "x86")
    }

    func testUnknownSpellingsFindNothing() {
        XCTAssertNil(Architecture.named(""))
        XCTAssertNil(Architecture.named("SCMP_ARCH_VAX"))
        XCTAssertNil(Architecture.named("x86_65"))
    }

    func testProfileNameIsTheScmpSpelling() {
        XCTAssertEqual(Architecture.x86_64.profileName, "SCMP_ARCH_X86_64")
        XCTAssertEqual(Architecture.x86.profileName, "SCMP_ARCH_X86")
        XCTAssertEqual(Architecture.aarch64.profileName, "SCMP_ARCH_AARCH64")
    }

    func testEverySpellingOfEveryArchitectureLeadsBackToIt() {
        for arch in Architecture.all {
            XCTAssertTrue(arch.profileName.hasPrefix("SCMP_ARCH_"), arch.name)
            for spelling in arch.spellings {
                XCTAssertEqual(Architecture.named(spelling), arch, "\(spelling) should name \(arch.name)")
            }
        }
    }

    func testAuditArchValuesMatchLinuxAuditHeader() {
        XCTAssertEqual(Architecture.x86_64.auditArch, 0xC000_003E)
        XCTAssertEqual(Architecture.x86.auditArch, 0x4000_0003)
        XCTAssertEqual(Architecture.aarch64.auditArch, 0xC000_00B7)
        XCTAssertEqual(Architecture.arm.auditArch, 0x4000_0028)
        XCTAssertEqual(Architecture.named("riscv64")?.auditArch, 0xC000_00F3)
    }

    // x32 tasks are reported under AUDIT_ARCH_X86_64; only the 0x40000000 bit
    // in the syscall number tells them apart.
    func testX32SharesX86_64AuditArchButHasANumberBase() {
        XCTAssertEqual(Architecture.x32.auditArch, Architecture.x86_64.auditArch)
        XCTAssertEqual(Architecture.x32.numberBase, 0x4000_0000)
        XCTAssertEqual(Architecture.x86_64.numberBase, 0)
        XCTAssertTrue(Architecture.x32.isX32)
        XCTAssertFalse(Architecture.x86_64.isX32)
        XCTAssertNotEqual(Architecture.x32, Architecture.x86_64)
    }

    func testAuditArchValuesAreUniqueExceptForX32() {
        var seen: [UInt32: String] = [:]
        for arch in Architecture.all where !arch.isX32 {
            XCTAssertNil(seen[arch.auditArch], "\(arch.name) and \(seen[arch.auditArch] ?? "") share an AUDIT_ARCH")
            seen[arch.auditArch] = arch.name
        }
    }

    func testThirtyTwoBitArgumentAbisCompareLowHalfOnly() {
        XCTAssertTrue(Architecture.x86.comparesLowHalfOnly)
        XCTAssertTrue(Architecture.x32.comparesLowHalfOnly)
        XCTAssertTrue(Architecture.arm.comparesLowHalfOnly)
        XCTAssertFalse(Architecture.x86_64.comparesLowHalfOnly)
        XCTAssertFalse(Architecture.aarch64.comparesLowHalfOnly)
    }

    func testWordSizeAndByteOrder() {
        XCTAssertTrue(Architecture.x86_64.is64Bit)
        XCTAssertFalse(Architecture.x86.is64Bit)
        XCTAssertFalse(Architecture.arm.is64Bit)
        XCTAssertTrue(Architecture.aarch64.isLittleEndian)
        XCTAssertEqual(Architecture.named("s390x")?.isLittleEndian, false)
    }

    func testMainArchitecturesAreEmitted() {
        for arch in [Architecture.x86_64, .x86, .x32, .aarch64, .arm] {
            XCTAssertTrue(arch.isEmitted, arch.name)
        }
    }

    func testNativeIsAnEmittedArchitecture() {
        XCTAssertTrue(Architecture.native.isEmitted)
        #if arch(x86_64)
        XCTAssertEqual(Architecture.native, .x86_64)
        #elseif arch(arm64)
        XCTAssertEqual(Architecture.native, .aarch64)
        #endif
    }
}
