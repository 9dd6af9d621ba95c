import SeccompProfile
import XCTest

final class KernelVersionTests: XCTestCase {
    func testParsesReleaseWithSuffix() throws {
        let v = try XCTUnwrap(KernelVersion("6.18.44-fc-v595"))
        XCTAssertEqual([v.major, v.minor, v.patch], [6, 18, 44])
        XCTAssertEqual(v.description, "6.18.44")
    }

    func testParsesMajorMinor() throws {
        let v = try XCTUnwrap(KernelVersion("4.8"))
        XCTAssertEqual([v.major, v.minor, v.patch], [4, 8, 0])
        XCTAssertEqual(v.description, "4.8")
        XCTAssertEqual(KernelVersion("5.15.0-91-generic"), KernelVersion(major: 5, minor: 15))
    }

    func testRejectsWhatIsNotAVersion() {
        XCTAssertNil(KernelVersion("abc"))
        XCTAssertNil(KernelVersion(""))
        XCTAssertNil(KernelVersion("4"))
        XCTAssertNil(KernelVersion("4."))
        XCTAssertNil(KernelVersion("1.2.3.4"))
        XCTAssertNil(KernelVersion("v4.8"))
    }

    func testOrderingIsNumericNotLexical() throws {
        let v4_7 = try XCTUnwrap(KernelVersion("4.7")), v4_8 = try XCTUnwrap(KernelVersion("4.8"))
        let v4_10 = try XCTUnwrap(KernelVersion("4.10")), v4_8_1 = try XCTUnwrap(KernelVersion("4.8.1"))
        let v5_0 = try XCTUnwrap(KernelVersion("5.0"))
        XCTAssertLessThan(v4_7, v4_8)
        XCTAssertLessThan(v4_8, v4_8_1)
        XCTAssertLessThan(v4_8_1, v4_10)
        XCTAssertLessThan(v4_10, v5_0)
        XCTAssertEqual(KernelVersion("4.8.0"), v4_8)
        XCTAssertFalse(v4_8 < v4_8)
    }
}

final class CapabilitiesTests: XCTestCase {
    func testNormalizeAddsPrefixAndUppercases() {
        XCTAssertEqual(Capabilities.normalize("sys_admin"), "CAP_SYS_ADMIN")
        XCTAssertEqual(Capabilities.normalize("SYS_ADMIN"), "CAP_SYS_ADMIN")
        XCTAssertEqual(Capabilities.normalize("CAP_SYS_ADMIN"), "CAP_SYS_ADMIN")
        XCTAssertEqual(Capabilities.normalize("cap_sys_ptrace"), "CAP_SYS_PTRACE")
    }

    func testNormalizeRejectsNonNames() {
        XCTAssertNil(Capabilities.normalize(""))
        XCTAssertNil(Capabilities.normalize("CAP_"))
        XCTAssertNil(Capabilities.normalize("sys admin"))
        XCTAssertNil(Capabilities.normalize("CAP_SYS-ADMIN"))
    }

    func testDockerDefaultSetIsNormalized() {
        XCTAssertEqual(Capabilities.dockerDefault.count, 14)
        XCTAssertTrue(Capabilities.dockerDefault.contains("CAP_NET_RAW"))
        XCTAssertFalse(Capabilities.dockerDefault.contains("CAP_SYS_ADMIN"))
        XCTAssertFalse(Capabilities.dockerDefault.contains("CAP_SYS_PTRACE"))
        for cap in Capabilities.dockerDefault {
            XCTAssertEqual(Capabilities.normalize(cap), cap)
        }
    }
}
