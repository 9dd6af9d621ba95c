import Sandbox
import XCTest

/// The kernel's seccomp audit records (type 1326) as /dev/kmsg prints them: parsed into the
/// call that was stopped, and anything else refused.
final class SeccompRecordTests: XCTestCase {
    func testAKillIsParsed() throws {
        let line = #"6,1234,5678,-;audit: type=1326 audit(1733270000.123:45): auid=0 uid=0 gid=0 ses=1 subj=unconfined pid=3533 comm="python3" exe="/usr/bin/python3.11" sig=31 arch=c000003e syscall=101 compat=0 ip=0x7f0 code=0x80000000"#
        let record = try XCTUnwrap(SeccompRecord(kmsgLine: line[...]))
        XCTAssertEqual(record, SeccompRecord(pid: 3533, comm: "python3", arch: 0xc000_003e, syscall: 101, code: 0x8000_0000))
    }

    func testAnErrnoKeepsOnlyTheAction() throws {
        let line = #"audit: type=1326 audit(1.2:3): pid=9 comm="sh" arch=40000003 syscall=21 compat=1 ip=0x1 code=0x50001"#
        let record = try XCTUnwrap(SeccompRecord(kmsgLine: line[...]))
        XCTAssertEqual(record.code, 0x0005_0000)
        XCTAssertEqual(record.arch, 0x4000_0003)
    }

    /// A name with a space or a quote is printed in hex, unquoted.
    func testAHexCommIsDecoded() throws {
        let line = "audit: type=1326 audit(1.2:3): pid=9 comm=6D7920617070 arch=c000003e syscall=0 code=0x0"
        XCTAssertEqual(try XCTUnwrap(SeccompRecord(kmsgLine: line[...])).comm, "my app")
    }

    func testOtherLinesAreRefused() {
        for line in ["", "audit: type=1300 pid=1 arch=c000003e syscall=1 code=0x0", "type=1326 ", "type=1326 pid=x arch=c000003e syscall=1 code=0x0",
                     "type=1326 pid=1 arch=zz syscall=1 code=0x0", "type=1326 pid=1 arch=c000003e syscall=1 code=80000000",
                     "type=1326 pid=1 comm=\"unterminated arch=c000003e syscall=1 code=0x0", "type=1326 ===== \"\"\" "] {
            XCTAssertNil(SeccompRecord(kmsgLine: line[...]), line)
        }
    }
}
