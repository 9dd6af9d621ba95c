import CBPF
import XCTest
import SeccompABI

final class RawEncodingTests: XCTestCase {
    func testOneInstructionEncodesAsLittleEndianSockFilter() {
        // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }
        let program = Program([Instruction(code: 0x0015, jt: 1, jf: 2, k: 0xC000_003E)])
        XCTAssertEqual(program.rawBytes, [0x15, 0x00, 0x01, 0x02, 0x3E, 0x00, 0x00, 0xC0])
    }

    func testHighByteOfCodeComesSecond() {
        let program = Program([Instruction(code: 0xABCD, jt: 0, jf: 0, k: 0x0102_0304)])
        XCTAssertEqual(program.rawBytes, [0xCD, 0xAB, 0x00, 0x00, 0x04, 0x03, 0x02, 0x01])
    }

    func testRawBytesRoundTrip() throws {
        let program = Program([
            .loadWord(SeccompDataLayout.arch),
            .jump(BPF.jeq, 0xC000_003E, jt: 0, jf: 3),
            .loadWord(SeccompDataLayout.nr),
            .jump(BPF.jgt, 0x3FFF_FFFF, jt: 1, jf: 0),
            .returns(SeccompAction.allow.returnValue),
            .returns(SeccompAction.errno(1).returnValue),
            Instruction(code: 0xFFFF, jt: 0xFF, jf: 0xFE, k: 0xFFFF_FFFF),
        ])
        let bytes = program.rawBytes
        XCTAssertEqual(bytes.count, program.count * 8)
        XCTAssertEqual(try Program(rawBytes: bytes), program)
    }

    func testEmptyImageIsAnEmptyProgram() throws {
        XCTAssertEqual(Program([]).rawBytes, [])
        XCTAssertEqual(try Program(rawBytes: []).count, 0)
    }

    func testSizeNotMultipleOf8IsRejected() {
        for size in [1, 7, 9, 15] {
            XCTAssertThrowsError(try Program(rawBytes: [UInt8](repeating: 0, count: size))) { error in
                XCTAssertEqual(error as? Program.DecodeError, .sizeNotMultipleOf8(size))
            }
        }
        XCTAssertEqual(Program.DecodeError.sizeNotMultipleOf8(7).description,
                       "7 bytes is not a whole number of 8-byte instructions")
    }

    func testInstructionHelpersBuildTheKernelOpcodes() {
        XCTAssertEqual(Instruction.loadWord(4).code, 0x20)   // BPF_LD|BPF_W|BPF_ABS
        XCTAssertEqual(Instruction.jump(BPF.jeq, 1, jt: 0, jf: 0).code, 0x15)
        XCTAssertEqual(Instruction.jump(BPF.jgt, 1, jt: 0, jf: 0).code, 0x25)
        XCTAssertEqual(Instruction.jump(BPF.jge, 1, jt: 0, jf: 0).code, 0x35)
        XCTAssertEqual(Instruction.jump(BPF.jset, 1, jt: 0, jf: 0).code, 0x45)
        XCTAssertEqual(Instruction.jumpAlways(2).code, 0x05)
        XCTAssertEqual(Instruction.andImmediate(0xff).code, 0x54)
        XCTAssertEqual(Instruction.returns(0).code, 0x06)
        XCTAssertTrue(Instruction.jump(BPF.jeq, 1, jt: 0, jf: 0).isConditionalJump)
        XCTAssertFalse(Instruction.jumpAlways(2).isConditionalJump)
        XCTAssertTrue(Instruction.returns(0).isReturn)
    }

    func testArgumentOffsetsFollowByteOrder() {
        XCTAssertEqual(SeccompDataLayout.argument(0, high: false), 16)
        XCTAssertEqual(SeccompDataLayout.argument(0, high: true), 20)
        XCTAssertEqual(SeccompDataLayout.argument(5, high: false), 56)
        XCTAssertEqual(SeccompDataLayout.argument(5, high: true), 60)
        XCTAssertEqual(SeccompDataLayout.argument(2, high: true, littleEndian: false), 32)
        XCTAssertEqual(SeccompDataLayout.argument(2, high: false, littleEndian: false), 36)
    }

    func testSeccompDataWordsAtEachOffset() {
        let data = SeccompData(nr: 7, arch: 0xC000_003E, instructionPointer: 0xAAAA_BBBB_CCCC_DDDD,
                               args: [0x1111_2222_3333_4444, 0, 0, 0, 0, 0x5555_6666_7777_8888])
        XCTAssertEqual(data.word(at: 0), 7)
        XCTAssertEqual(data.word(at: 4), 0xC000_003E)
        XCTAssertEqual(data.word(at: 8), 0xCCCC_DDDD)
        XCTAssertEqual(data.word(at: 12), 0xAAAA_BBBB)
        XCTAssertEqual(data.word(at: 16), 0x3333_4444)
        XCTAssertEqual(data.word(at: 20), 0x1111_2222)
        XCTAssertEqual(data.word(at: 56), 0x7777_8888)
        XCTAssertEqual(data.word(at: 60), 0x5555_6666)
        XCTAssertNil(data.word(at: 64))
        XCTAssertNil(data.word(at: 18))
        XCTAssertNil(data.word(at: 2))
    }

    func testSeccompDataKeepsSixArgumentsAndPadsWithZero() {
        let data = SeccompData(nr: 0, arch: 0, args: [1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual((0..<6).map(data.argument), [1, 2, 3, 4, 5, 6])
        let short = SeccompData(nr: 0, arch: 0, args: [9])
        XCTAssertEqual((0..<6).map(short.argument), [9, 0, 0, 0, 0, 0])
        XCTAssertEqual(short, SeccompData(nr: 0, arch: 0, args: [9, 0]))
        XCTAssertNotEqual(short, SeccompData(nr: 0, arch: 0, args: [9, 0, 0, 0, 0, 1]))
    }
}
