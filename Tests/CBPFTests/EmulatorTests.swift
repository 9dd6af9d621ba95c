import CBPF
import XCTest
import SeccompABI

final class EmulatorTests: XCTestCase {
    private let auditArchX86_64: UInt32 = 0xC000_003E
    private let allow = SeccompAction.allow.returnValue
    private let eperm = SeccompAction.errno(1).returnValue
    private let retA = Instruction(code: BPF.ret | BPF.a, k: 0)

    private func run(_ instructions: [Instruction], _ data: SeccompData, recordPath: Bool = false) throws -> Emulator.Outcome {
        try Emulator(Program(instructions)).run(data, recordPath: recordPath)
    }

    /// `ld [offset]; ret A`: the word the filter sees at `offset`.
    private func load(_ offset: UInt32, from data: SeccompData) throws -> UInt32 {
        try run([.loadWord(offset), retA], data).returnValue
    }

    func testLoadsNrAndArch() throws {
        let data = SeccompData(nr: 39, arch: auditArchX86_64)
        XCTAssertEqual(try load(SeccompDataLayout.nr, from: data), 39)
        XCTAssertEqual(try load(SeccompDataLayout.arch, from: data), auditArchX86_64)
    }

    func testLoadsLowAndHighHalvesOfArguments() throws {
        let data = SeccompData(nr: 0, arch: 0, args: [0, 0x1122_3344_5566_7788, 0, 0, 0, 0xFFFF_FFFF_0000_0001])
        XCTAssertEqual(try load(SeccompDataLayout.argument(1, high: false), from: data), 0x5566_7788)
        XCTAssertEqual(try load(SeccompDataLayout.argument(1, high: true), from: data), 0x1122_3344)
        XCTAssertEqual(try load(SeccompDataLayout.argument(5, high: false), from: data), 1)
        XCTAssertEqual(try load(SeccompDataLayout.argument(5, high: true), from: data), 0xFFFF_FFFF)
        XCTAssertEqual(try load(SeccompDataLayout.argument(0, high: true), from: data), 0)
    }

    func testLoadsInstructionPointerHalves() throws {
        let data = SeccompData(nr: 0, arch: 0, instructionPointer: 0x0000_7FFF_DEAD_BEEF)
        XCTAssertEqual(try load(8, from: data), 0xDEAD_BEEF)
        XCTAssertEqual(try load(12, from: data), 0x7FFF)
    }

    func testArchCheckThenSyscallMatch() throws {
        // if arch != x86_64 kill; if nr == getpid allow; else EPERM
        let program: [Instruction] = [
            .loadWord(SeccompDataLayout.arch),
            .jump(BPF.jeq, auditArchX86_64, jt: 1, jf: 0),
            .returns(SeccompAction.killProcess.returnValue),
            .loadWord(SeccompDataLayout.nr),
            .jump(BPF.jeq, 39, jt: 0, jf: 1),
            .returns(allow),
            .returns(eperm),
        ]
        XCTAssertEqual(try run(program, SeccompData(nr: 39, arch: auditArchX86_64)).action, .allow)
        XCTAssertEqual(try run(program, SeccompData(nr: 40, arch: auditArchX86_64)).action, .errno(1))
        XCTAssertEqual(try run(program, SeccompData(nr: 39, arch: 0x4000_0003)).action, .killProcess)
    }

    /// Runs `ld nr; <op> k, jt 1, jf 0; ret 1; ret 2` and says whether the branch was taken.
    private func taken(_ op: UInt16, _ k: UInt32, nr: UInt32) throws -> Bool {
        let program: [Instruction] = [
            .loadWord(SeccompDataLayout.nr),
            .jump(op, k, jt: 1, jf: 0),
            .returns(1),
            .returns(2),
        ]
        return try run(program, SeccompData(nr: nr, arch: 0)).returnValue == 2
    }

    func testJeq() throws {
        XCTAssertTrue(try taken(BPF.jeq, 5, nr: 5))
        XCTAssertFalse(try taken(BPF.jeq, 5, nr: 6))
    }

    func testJgtIsStrictAndUnsigned() throws {
        XCTAssertTrue(try taken(BPF.jgt, 5, nr: 6))
        XCTAssertFalse(try taken(BPF.jgt, 5, nr: 5))
        XCTAssertFalse(try taken(BPF.jgt, 5, nr: 4))
        XCTAssertTrue(try taken(BPF.jgt, 5, nr: 0x8000_0000), "comparisons are unsigned")
    }

    func testJge() throws {
        XCTAssertTrue(try taken(BPF.jge, 5, nr: 5))
        XCTAssertTrue(try taken(BPF.jge, 5, nr: 6))
        XCTAssertFalse(try taken(BPF.jge, 5, nr: 4))
    }

    func testJsetTestsAnyCommonBit() throws {
        XCTAssertTrue(try taken(BPF.jset, 0b1010, nr: 0b0010))
        XCTAssertTrue(try taken(BPF.jset, 0x4000_0000, nr: 0x4000_0209))
        XCTAssertFalse(try taken(BPF.jset, 0b1010, nr: 0b0101))
        XCTAssertFalse(try taken(BPF.jset, 0, nr: 0xFFFF_FFFF))
    }

    func testJfOffsetIsFollowedWhenNotTaken() throws {
        let program: [Instruction] = [
            .loadWord(SeccompDataLayout.nr),
            .jump(BPF.jeq, 1, jt: 0, jf: 2),
            .returns(10),
            .returns(11),
            .returns(12),
        ]
        XCTAssertEqual(try run(program, SeccompData(nr: 1, arch: 0)).returnValue, 10)
        XCTAssertEqual(try run(program, SeccompData(nr: 2, arch: 0)).returnValue, 12)
    }

    func testJumpAlwaysSkipsK() throws {
        let program: [Instruction] = [.jumpAlways(2), .returns(1), .returns(2), .returns(3)]
        XCTAssertEqual(try run(program, SeccompData(nr: 0, arch: 0)).returnValue, 3)
        XCTAssertEqual(try run([.jumpAlways(0), .returns(4)], SeccompData(nr: 0, arch: 0)).returnValue, 4)
    }

    func testAndMasksTheAccumulator() throws {
        let program: [Instruction] = [.loadWord(SeccompDataLayout.nr), .andImmediate(0x0000_FF0F), retA]
        XCTAssertEqual(try run(program, SeccompData(nr: 0x1234_5678, arch: 0)).returnValue, 0x0000_5608)
    }

    func testReturnAReturnsTheAccumulatorAsAnAction() throws {
        let program: [Instruction] = [.loadWord(SeccompDataLayout.argument(0, high: false)), retA]
        let outcome = try run(program, SeccompData(nr: 0, arch: 0, args: [UInt64(SeccompAction.errno(13).returnValue)]))
        XCTAssertEqual(outcome.returnValue, 0x0005_000D)
        XCTAssertEqual(outcome.action, .errno(13))
    }

    func testFallingOffTheEndThrows() {
        XCTAssertThrowsError(try run([.loadWord(0)], SeccompData(nr: 0, arch: 0))) { error in
            XCTAssertEqual(error as? Emulator.Fault, .fellOffEnd)
        }
        XCTAssertThrowsError(try run([], SeccompData(nr: 0, arch: 0))) { error in
            XCTAssertEqual(error as? Emulator.Fault, .fellOffEnd)
        }
        // A taken branch that lands past the last instruction.
        let program: [Instruction] = [.loadWord(0), .jump(BPF.jeq, 0, jt: 3, jf: 0), .returns(allow)]
        XCTAssertThrowsError(try run(program, SeccompData(nr: 0, arch: 0))) { error in
            XCTAssertEqual(error as? Emulator.Fault, .fellOffEnd)
        }
    }

    func testLoadOutsideSeccompDataThrows() {
        XCTAssertNoThrow(try run([.returns(allow), .loadWord(99)], SeccompData(nr: 0, arch: 0)),
                         "a bad load that never runs is no fault")
        XCTAssertThrowsError(try run([.loadWord(SeccompDataLayout.size), retA], SeccompData(nr: 0, arch: 0))) { error in
            XCTAssertEqual(error as? Emulator.Fault, .badLoad(pc: 0, offset: 64))
        }
        XCTAssertThrowsError(try run([.loadWord(0), .loadWord(18), retA], SeccompData(nr: 0, arch: 0))) { error in
            XCTAssertEqual(error as? Emulator.Fault, .badLoad(pc: 1, offset: 18), "unaligned loads are refused")
        }
    }

    func testDivisionByZeroThrows() {
        let div = Instruction(code: BPF.alu | BPF.div | BPF.k, k: 0)
        XCTAssertThrowsError(try run([div, retA], SeccompData(nr: 0, arch: 0))) { error in
            XCTAssertEqual(error as? Emulator.Fault, .divisionByZero(pc: 0))
        }
    }

    func testExecutedCountAndPath() throws {
        let program: [Instruction] = [
            .loadWord(SeccompDataLayout.nr),       // 0
            .jump(BPF.jeq, 1, jt: 2, jf: 0),      // 1
            .jump(BPF.jgt, 100, jt: 2, jf: 0),    // 2
            .returns(eperm),                      // 3
            .returns(allow),                      // 4
            .returns(SeccompAction.trap.returnValue), // 5
        ]
        let toAllow = try run(program, SeccompData(nr: 1, arch: 0), recordPath: true)
        XCTAssertEqual(toAllow.path, [0, 1, 4])
        XCTAssertEqual(toAllow.executed, 3)
        XCTAssertEqual(toAllow.action, .allow)

        let toTrap = try run(program, SeccompData(nr: 200, arch: 0), recordPath: true)
        XCTAssertEqual(toTrap.path, [0, 1, 2, 5])
        XCTAssertEqual(toTrap.executed, 4)

        let unrecorded = try run(program, SeccompData(nr: 50, arch: 0))
        XCTAssertEqual(unrecorded.path, [], "the path is only kept when asked for")
        XCTAssertEqual(unrecorded.executed, 4)
        XCTAssertEqual(unrecorded.action, .errno(1))
    }

    func testReadBeyondNrAndArchOnlyWhenArgumentsOrPointerAreLoaded() throws {
        let data = SeccompData(nr: 0, arch: 0)
        let nrAndArch = try run([.loadWord(0), .loadWord(4), .returns(allow)], data)
        XCTAssertFalse(nrAndArch.readBeyondNrAndArch)
        let argument = try run([.loadWord(0), .loadWord(SeccompDataLayout.argument(2, high: true)), .returns(allow)], data)
        XCTAssertTrue(argument.readBeyondNrAndArch)
        let pointer = try run([.loadWord(SeccompDataLayout.instructionPointer), .returns(allow)], data)
        XCTAssertTrue(pointer.readBeyondNrAndArch)
        // An argument load on a path not taken does not count.
        let skipped = try run([.jumpAlways(1), .loadWord(16), .returns(allow)], data)
        XCTAssertFalse(skipped.readBeyondNrAndArch)
    }
}
