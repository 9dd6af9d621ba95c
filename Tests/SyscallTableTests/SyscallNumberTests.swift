import SyscallTable
import XCTest

final class SyscallNumberTests: XCTestCase {
    private let x86_64 = SyscallTable.forArchitecture(.x86_64)
    private let x86 = SyscallTable.forArchitecture(.x86)
    private let x32 = SyscallTable.forArchitecture(.x32)
    private let aarch64 = SyscallTable.forArchitecture(.aarch64)
    private let arm = SyscallTable.forArchitecture(.arm)

    func testKnownX86_64Numbers() {
        XCTAssertEqual(x86_64.number(of: "read"), 0)
        XCTAssertEqual(x86_64.number(of: "getpid"), 39)
        XCTAssertEqual(x86_64.number(of: "ptrace"), 101)
        XCTAssertEqual(x86_64.number(of: "arch_prctl"), 158)
    }

    func testKnownX86Numbers() {
        XCTAssertEqual(x86.number(of: "getpid"), 20)
        XCTAssertEqual(x86.number(of: "socketcall"), 102)
        XCTAssertEqual(x86.number(of: "read"), 3)
        XCTAssertEqual(x86.number(of: "ptrace"), 26)
    }

    func testKnownAarch64Numbers() {
        XCTAssertEqual(aarch64.number(of: "getpid"), 172)
        XCTAssertEqual(aarch64.number(of: "read"), 63)
    }

    func testX32NumbersCarryTheX32Bit() {
        XCTAssertEqual(x32.number(of: "ptrace"), 0x4000_0000 + 521)
        XCTAssertEqual(x32.number(of: "read"), 0x4000_0000)
        XCTAssertEqual(x32.number(of: "getpid"), 0x4000_0000 + 39)
        XCTAssertFalse(x32.entries.isEmpty)
        for entry in x32.entries {
            XCTAssertEqual(entry.number & 0x4000_0000, 0x4000_0000, "x32 \(entry.name) = \(entry.number)")
        }
    }

    func testNumberAndNameAreInverse() {
        XCTAssertEqual(x86_64.name(of: 39), "getpid")
        XCTAssertEqual(x86.name(of: 102), "socketcall")
        XCTAssertEqual(x32.name(of: 0x4000_0000 + 521), "ptrace")
        XCTAssertNil(x32.name(of: 521), "x32 numbers without the x32 bit are not x32 numbers")
        for table in [x86_64, x86, x32, aarch64, arm] {
            for entry in table.entries {
                XCTAssertEqual(table.number(of: entry.name), entry.number)
                XCTAssertEqual(table.name(of: entry.number), entry.name)
            }
        }
    }

    func testEntriesAscendByNumberAndEndAtHighestNumber() {
        for table in [x86_64, x86, x32, aarch64, arm] {
            let numbers = table.entries.map(\.number)
            XCTAssertEqual(numbers, numbers.sorted(), table.architecture.name)
            XCTAssertEqual(Set(numbers).count, numbers.count, "\(table.architecture.name) has a duplicate number")
            XCTAssertEqual(table.highestNumber, numbers.last)
        }
    }

    func testTableKnowsItsArchitecture() {
        XCTAssertEqual(x86.architecture, .x86)
        XCTAssertEqual(x32.architecture, .x32)
    }

    func testNamesPresentOnOneArchitectureOnly() {
        XCTAssertNotNil(x86.number(of: "chown32"))
        XCTAssertNil(x86_64.number(of: "chown32"))
        XCTAssertNil(aarch64.number(of: "chown32"))
        XCTAssertNotNil(x86.number(of: "socketcall"))
        XCTAssertNil(x86_64.number(of: "socketcall"))
        // aarch64 never had the old open(2).
        XCTAssertNotNil(x86_64.number(of: "open"))
        XCTAssertNil(aarch64.number(of: "open"))
    }

    func testIsKnownAnywhere() {
        XCTAssertTrue(SyscallTable.isKnownAnywhere("read"))
        XCTAssertTrue(SyscallTable.isKnownAnywhere("chown32"), "known on x86 only, still a syscall")
        XCTAssertTrue(SyscallTable.isKnownAnywhere("riscv_flush_icache"))
        XCTAssertFalse(SyscallTable.isKnownAnywhere("reed"))
        XCTAssertFalse(SyscallTable.isKnownAnywhere(""))
        XCTAssertFalse(SyscallTable.isKnownAnywhere("READ"), "names are case-sensitive")
    }

    func testEveryArchitectureHasATable() {
        for arch in Architecture.all {
            let table = SyscallTable.forArchitecture(arch)
            XCTAssertEqual(table.architecture, arch)
            XCTAssertGreaterThan(table.entries.count, 200, arch.name)
        }
    }

    func testSourceVersionIsRecorded() {
        XCTAssertFalse(SyscallTable.sourceVersion.isEmpty)
    }
}
