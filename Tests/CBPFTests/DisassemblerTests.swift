import CBPF
import XCTest
import SeccompABI

final class DisassemblerTests: XCTestCase {
    private let auditArchX86_64: UInt32 = 0xC000_003E
    private let auditArchX86: UInt32 = 0x4000_0003

    /// The smallest useful filter: wrong architecture → EPERM, anything else allowed.
    private var tiny: Program {
        Program([
            .loadWord(SeccompDataLayout.arch),
            .jump(BPF.jeq, auditArchX86_64, jt: 0, jf: 2),
            .loadWord(SeccompDataLayout.nr),
            .returns(SeccompAction.allow.returnValue),
            .returns(SeccompAction.errno(1).returnValue),
        ])
    }

    func testPseudoCodeOfTinyProgram() {
        XCTAssertEqual(Disassembler(tiny).pseudoCode(), [
            "A = arch",
            "if (A != ARCH_X86_64) goto 0004",
            "A = sys_number",
            "return ALLOW",
            "return ERRNO(1)",
        ])
    }

    func testListingHasHeaderAndOneLinePerInstruction() {
        let lines = Disassembler(tiny).listing().split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 2 + 5 + 1, "header, five instructions, trailing newline")
        XCTAssertEqual(lines[0], " line  CODE  JT   JF      K")
        XCTAssertEqual(lines[1], "=================================")
        XCTAssertEqual(lines[2], " 0000: 0x20 0x00 0x00 0x00000004  A = arch")
        XCTAssertEqual(lines[3], " 0001: 0x15 0x00 0x02 0xc000003e  if (A != ARCH_X86_64) goto 0004")
        XCTAssertEqual(lines[6], " 0004: 0x06 0x00 0x00 0x00050001  return ERRNO(1)")
        XCTAssertEqual(lines[7], "")
    }

    func testCArrayHasOneInitializerPerInstruction() {
        let text = Disassembler(tiny).cArray(name: "f")
        XCTAssertTrue(text.contains("struct sock_filter f[] = {"))
        XCTAssertTrue(text.contains("\t{ 0x20, 0, 0, 0x00000004 }, /* 0000: A = arch */"))
        XCTAssertTrue(text.contains("\t{ 0x15, 0, 2, 0xc000003e }, /* 0001: if (A != ARCH_X86_64) goto 0004 */"))
        XCTAssertTrue(text.hasSuffix("};\n"))
    }

    func testSyscallNamesAppearAfterAnArchitectureCheck() {
        let program = Program([
            .loadWord(SeccompDataLayout.arch),
            .jump(BPF.jeq, auditArchX86_64, jt: 0, jf: 5),
            .loadWord(SeccompDataLayout.nr),
            .jump(BPF.jeq, 39, jt: 2, jf: 0),
            .jump(BPF.jeq, 0x4000_0000 + 521, jt: 2, jf: 1),
            .returns(SeccompAction.allow.returnValue),
            .returns(SeccompAction.errno(1).returnValue),
            .returns(SeccompAction.killProcess.returnValue),
        ])
        let lines = Disassembler(program).pseudoCode()
        XCTAssertEqual(lines[3], "if (A == getpid) goto 0006")
        // x32 numbers arrive under AUDIT_ARCH_X86_64 too.
        XCTAssertEqual(lines[4], "if (A == ptrace) goto 0007 else goto 0006")
        XCTAssertEqual(lines[7], "return KILL_PROCESS")
    }

    func testSyscallNamesFollowTheCheckedArchitecture() {
        let program = Program([
            .loadWord(SeccompDataLayout.arch),
            .jump(BPF.jeq, auditArchX86, jt: 0, jf: 3),
            .loadWord(SeccompDataLayout.nr),
            .jump(BPF.jeq, 102, jt: 1, jf: 0),
            .returns(SeccompAction.allow.returnValue),
            .returns(SeccompAction.trap.returnValue),
        ])
        let lines = Disassembler(program).pseudoCode()
        XCTAssertEqual(lines[1], "if (A != ARCH_X86) goto 0005")
        XCTAssertEqual(lines[3], "if (A == socketcall) goto 0005")
        XCTAssertEqual(lines[5], "return TRAP")
    }

    func testSyscallNumbersStayNumbersWithoutAnArchitectureCheck() {
        let program = Program([
            .loadWord(SeccompDataLayout.nr),
            .jump(BPF.jeq, 39, jt: 1, jf: 0),
            .jump(BPF.jgt, 0x4000_0000, jt: 0, jf: 1),
            .returns(SeccompAction.allow.returnValue),
            .returns(SeccompAction.killThread.returnValue),
        ])
        XCTAssertEqual(Disassembler(program).pseudoCode(), [
            "A = sys_number",
            "if (A == 39) goto 0003",
            "if (A <= 0x40000000) goto 0004",
            "return ALLOW",
            "return KILL",
        ])
    }

    func testArgumentLoadsMaskAndJumpsAreNamed() {
        let program = Program([
            .loadWord(SeccompDataLayout.argument(1, high: true)),
            .loadWord(SeccompDataLayout.argument(1, high: false)),
            .andImmediate(0xFF),
            .jump(BPF.jset, 8, jt: 0, jf: 1),
            .jumpAlways(0),
            Instruction(code: BPF.ret | BPF.a, k: 0),
        ])
        XCTAssertEqual(Disassembler(program).pseudoCode(), [
            "A = args[1] >> 32",
            "A = args[1]",
            "A &= 0x000000ff",
            "if (A !& 8) goto 0005",
            "goto 0005",
            "return A",
        ])
    }

    func testActionNames() {
        XCTAssertEqual(Disassembler.actionName(SeccompAction.killThread.returnValue), "KILL")
        XCTAssertEqual(Disassembler.actionName(SeccompAction.killProcess.returnValue), "KILL_PROCESS")
        XCTAssertEqual(Disassembler.actionName(0x7FF0_0002), "TRACE(2)")
        XCTAssertEqual(Disassembler.actionName(SeccompAction.log.returnValue), "LOG")
    }
}
