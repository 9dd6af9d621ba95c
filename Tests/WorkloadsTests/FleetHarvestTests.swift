import Foundation
import Recording
import TestSupport
import Workloads
import XCTest

/// Harvest's pieces without a Prometheus: the API's answers, HTTP/1.1 framing, PromQL quoting,
/// the window, and runc's state as the agent reads it.
final class FleetHarvestTests: XCTestCase {
    let api = try! PrometheusAPI(base: "http://127.0.0.1:9090/prom")

    func testBaseURLIsTakenApart() throws {
        XCTAssertEqual(api.host, "127.0.0.1")
        XCTAssertEqual(api.port, 9090)
        XCTAssertEqual(api.prefix, "prom")
        let v6 = try PrometheusAPI(base: "http://[::1]:80")
        XCTAssertEqual(v6.host, "::1")
        for bad in ["https://x:9090", "http://:9090", "http://h:port"] {
            XCTAssertThrowsError(try PrometheusAPI(base: bad), bad) { XCTAssertEqual(($0 as? HarvestError)?.kind, .badRequest) }
        }
    }

    func testVectorSamplesAreDecoded() throws {
        let body = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"workload":"web","arch":"x86_64","syscall":"read"},"value":[1733270000.5,"42"]},{"metric":{},"value":[1,"NaN"]},{"metric":{"workload":"x"},"value":[1,"not a number"]}]}}"#
        let samples = try api.samples(from: Data(body.utf8), status: 200, query: "q")
        XCTAssertEqual(samples.count, 2)
        XCTAssertEqual(samples[0].labels, ["workload": "web", "arch": "x86_64", "syscall": "read"])
        XCTAssertEqual(samples[0].value, 42)
        XCTAssertTrue(samples[1].value.isNaN)
        // A scalar result is no vector: no samples, no error.
        XCTAssertEqual(try api.samples(from: Data(#"{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}"#.utf8), status: 200, query: "q").count, 0)
    }

    func testErrorsNameTheServerAndTheQuery() {
        XCTAssertThrowsError(try api.samples(from: Data(#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#.utf8), status: 400, query: "sum(")) {
            let error = $0 as! HarvestError
            XCTAssertEqual(error.kind, .unreachable)
            XCTAssertEqual(error.description, "--prometheus http://127.0.0.1:9090/prom: parse error at char 3 (query: sum()")
        }
        for garbage in ["<html>", "", "[]", #"{"data":1}"#] {
            XCTAssertThrowsError(try api.samples(from: Data(garbage.utf8), status: 200, query: "q"), garbage) {
                XCTAssertTrue(($0 as! HarvestError).description.contains("not the Prometheus API"))
            }
        }
    }

    /// Real HTTP/1.1 answers from a server on loopback (python3): chunked and sized bodies read
    /// whole, and a server that is not HTTP, hangs up early or never answers is an `unreachable`
    /// error naming why — never a hang past the timeout, never a crash.
    func testAnswersOverTheWire() throws {
        let scratch = try TestEnvironment.makeScratch("http")
        defer { TestEnvironment.removeScratch(scratch) }
        let script = scratch.appendingPathComponent("server.py")
        try #"""
        import socket, sys
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
        print(s.getsockname()[1], flush=True)
        body = b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{"workload":"w"},"value":[1,"7"]}]}}'
        for mode in sys.argv[1:]:
            c, _ = s.accept(); c.recv(65536)
            if mode == "chunked":
                chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i+9]), body[i:i+9]) for i in range(0, len(body), 9))
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
            elif mode == "sized":
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            elif mode == "garbage":
                c.sendall(b"SSH-2.0-OpenSSH\r\n\r\n")
            elif mode == "early":
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{")
            c.close()
        """#.write(to: script, atomically: true, encoding: .utf8)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = [script.path, "chunked", "sized", "garbage", "early"]
        let pipe = Pipe()
        server.standardOutput = pipe
        try server.run()
        defer { server.terminate() }
        let port = try XCTUnwrap(String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").first.flatMap { Int($0) })
        let api = try PrometheusAPI(base: "http://127.0.0.1:\(port)")
        for _ in ["chunked", "sized"] {
            let samples = try api.vector("q")
            XCTAssertEqual(samples.map(\.value), [7])
            XCTAssertEqual(samples.first?.labels, ["workload": "w"])
        }
        for expected in ["not an HTTP answer", "closed the connection before its answer ended"] {
            XCTAssertThrowsError(try api.vector("q")) {
                let error = $0 as! HarvestError
                XCTAssertEqual(error.kind, .unreachable)
                XCTAssertTrue(error.description.contains(expected), error.description)
            }
        }
        XCTAssertThrowsError(try PrometheusAPI(base: "http://127.0.0.1:1").vector("q")) {
            XCTAssertEqual(($0 as! HarvestError).description, "--prometheus http://127.0.0.1:1: cannot connect (Connection refused)")
        }
    }

    func testWorkloadNamesAreQuotedForPromQL() {
        XCTAssertEqual(FleetHarvest.regexQuoted("web"), "web")
        XCTAssertEqual(FleetHarvest.regexQuoted("docker-a.b"), #"docker-a\\.b"#)
        XCTAssertEqual(FleetHarvest.regexQuoted(#"x"y"#), #"x\"y"#)
        XCTAssertEqual(FleetHarvest.regexQuoted("a|b(c)"), #"a\\|b\\(c\\)"#)
    }

    func testWindowsAndDurations() throws {
        XCTAssertThrowsError(try FleetHarvest(prometheus: "http://h:1", window: "30 days")) { XCTAssertEqual(($0 as? HarvestError)?.kind, .badRequest) }
        XCTAssertEqual(try FleetHarvest(prometheus: "http://h:1", window: "30d").window, "30d")
        XCTAssertEqual(DurationText.seconds(parsing: "500ms"), 0.5)
        XCTAssertEqual(DurationText.seconds(parsing: "2w"), 1_209_600)
        XCTAssertEqual(DurationText.seconds(parsing: "90"), 90)
        for bad in ["", "0s", "-1m", "5x", "m"] { XCTAssertNil(DurationText.seconds(parsing: bad), bad) }
    }

    /// runc's state.json, decoded: the cgroup below the mount, the labels, and garbage refused.
    func testRuncStateIsRead() throws {
        let scratch = try TestEnvironment.makeScratch("state")
        defer { TestEnvironment.removeScratch(scratch) }
        let path = scratch.appendingPathComponent("state.json").path
        try #"{"id":"abc","init_process_pid":7,"cgroup_paths":{"":"/sys/fs/cgroup/unified/system.slice/docker-abc.scope"},"config":{"labels":["bundle=/b","io.kubernetes.pod.name=web-1"],"other":[1,2]}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let state = try XCTUnwrap(WorkloadIdentity.parseState(atPath: path, cgroupMount: "/sys/fs/cgroup/unified"))
        XCTAssertEqual(state.id, "abc")
        XCTAssertEqual(state.cgroupPath, "/system.slice/docker-abc.scope")
        XCTAssertEqual(state.labels, ["bundle": "/b", "io.kubernetes.pod.name": "web-1"])
        for garbage in ["", "[]", #"{"id":5}"#, #"{"cgroup_paths":{}}"#, String(repeating: "[", count: 100_000)] {
            try garbage.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertNil(WorkloadIdentity.parseState(atPath: path, cgroupMount: "/sys/fs/cgroup/unified"), garbage.prefix(20).description)
        }
    }
}
