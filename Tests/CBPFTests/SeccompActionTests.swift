import CBPF
import XCTest
import SeccompABI

final class SeccompActionTests: XCTestCase {
    func testReturnValuesMatchLinuxSeccompHeader() {
        XCTAssertEqual(SeccompAction.killProcess.returnValue, 0x8000_0000)
        XCTAssertEqual(SeccompAction.killThread.returnValue, 0x0000_0000)
        XCTAssertEqual(SeccompAction.trap.returnValue, 0x0003_0000)
        XCTAssertEqual(SeccompAction.errno(1).returnValue, 0x0005_0001)
        XCTAssertEqual(SeccompAction.errno(38).returnValue, 0x0005_0026)
        XCTAssertEqual(SeccompAction.userNotification.returnValue, 0x7FC0_0000)
        XCTAssertEqual(SeccompAction.trace(7).returnValue, 0x7FF0_0007)
        XCTAssertEqual(SeccompAction.log.returnValue, 0x7FFC_0000)
        XCTAssertEqual(SeccompAction.allow.returnValue, 0x7FFF_0000)
    }

    func testDecodingInvertsReturnValue() {
        let actions: [SeccompAction] = [
            .killProcess, .killThread, .trap, .errno(0), .errno(1), .errno(4095), .userNotification,
            .trace(0), .trace(0xFFFF), .log, .allow,
        ]
        for action in actions {
            XCTAssertEqual(SeccompAction(returnValue: action.returnValue), action, "\(action)")
        }
    }

    func testDecodingKeepsErrnoAndTraceData() {
        XCTAssertEqual(SeccompAction(returnValue: 0x0005_0D0D), .errno(0x0D0D))
        XCTAssertEqual(SeccompAction(returnValue: 0x7FF0_1234), .trace(0x1234))
    }

    // The kernel treats an action it does not know as KILL_PROCESS.
    func testUnknownActionDecodesAsKillProcess() {
        XCTAssertEqual(SeccompAction(returnValue: 0x0001_0000), .killProcess)
        XCTAssertEqual(SeccompAction(returnValue: 0x0004_0000), .killProcess)
        XCTAssertEqual(SeccompAction(returnValue: 0x7FFE_0000), .killProcess)
        XCTAssertEqual(SeccompAction(returnValue: 0xFFFF_FFFF), .killProcess)
        XCTAssertEqual(SeccompAction(returnValue: 0x8000_0005), .killProcess)
    }

    func testRestrictivenessOrderFollowsTheKernel() {
        let ordered: [SeccompAction] = [
            .killProcess, .killThread, .trap, .errno(1), .userNotification, .trace(1), .log, .allow,
        ]
        for (stricter, looser) in zip(ordered, ordered.dropFirst()) {
            XCTAssertLessThan(stricter.restrictiveness, looser.restrictiveness, "\(stricter) vs \(looser)")
        }
        XCTAssertEqual(ordered.shuffled().sorted { $0.restrictiveness < $1.restrictiveness }, ordered)
    }

    func testDataBreaksTiesWithinAnAction() {
        XCTAssertLessThan(SeccompAction.errno(1).restrictiveness, SeccompAction.errno(2).restrictiveness)
        XCTAssertLessThan(SeccompAction.errno(0xFFFF).restrictiveness, SeccompAction.userNotification.restrictiveness)
        XCTAssertLessThan(SeccompAction.trap.restrictiveness, SeccompAction.errno(0).restrictiveness)
    }

    func testDenyingActions() {
        XCTAssertTrue(SeccompAction.killProcess.isDeny)
        XCTAssertTrue(SeccompAction.killThread.isDeny)
        XCTAssertTrue(SeccompAction.trap.isDeny)
        XCTAssertTrue(SeccompAction.errno(1).isDeny)
        XCTAssertFalse(SeccompAction.userNotification.isDeny)
        XCTAssertFalse(SeccompAction.trace(0).isDeny)
        XCTAssertFalse(SeccompAction.log.isDeny)
        XCTAssertFalse(SeccompAction.allow.isDeny)
    }

    func testDescriptions() {
        XCTAssertEqual(SeccompAction.allow.description, "ALLOW")
        XCTAssertEqual(SeccompAction.errno(1).description, "ERRNO(1)")
        XCTAssertEqual(SeccompAction.killProcess.description, "KILL_PROCESS")
        XCTAssertEqual(SeccompAction.killThread.description, "KILL_THREAD")
        XCTAssertEqual(SeccompAction.trace(3).description, "TRACE(3)")
        XCTAssertEqual(SeccompAction.userNotification.description, "USER_NOTIF")
    }
}
