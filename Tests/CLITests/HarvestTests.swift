import Foundation
import XCTest
import TestSupport

/// Fleet-wide harvesting through a real Prometheus: two agents (`seccomp-observe --all`)
/// in two network namespaces stand for two hosts, each observing its own workloads; a
/// Prometheus on loopback scrapes them (directly, and through node_exporter's textfile
/// collector), and `seccomp-profile harvest` writes each workload's profile: the union
/// of what the hosts saw, counts summed, coverage per host.
final class HarvestTests: XCTestCase {
    static var helpers: String { TestEnvironment.helpers }
    let mount = "/sys/fs/cgroup/unified"
    let tag = String(UUID().uuidString.prefix(6)).lowercased()
    var scratch: URL!
    var processes: [Process] = []
    var namespaces: [String] = []
    var cgroups: [String] = []

    override func setUpWithError() throws {
        try ToolProcess.requireKernelTest(rootFor: "network namespaces and --all need root",
                                          tools: ["/usr/bin/prometheus", "/usr/bin/prometheus-node-exporter", "/usr/sbin/ip", "/usr/bin/nsenter"],
                                          install: "make deps installs prometheus, prometheus-node-exporter and iproute2")
        scratch = try TestEnvironment.makeScratch("harvest")
    }

    override func tearDownWithError() throws {
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        for p in processes { p.waitUntilExit() }
        for ns in namespaces { _ = try? ToolProcess.run("/usr/sbin/ip", ["netns", "del", ns], in: scratch) }
        for dir in cgroups.reversed() { rmdir(mount + dir) }
        TestEnvironment.removeScratch(scratch)
    }

    @discardableResult
    func ip(_ arguments: [String]) throws -> ToolProcess.Result {
        let result = try ToolProcess.run("/usr/sbin/ip", arguments, in: scratch)
        XCTAssertEqual(result.status, 0, "ip \(arguments.joined(separator: " ")): \(result.stderr)")
        return result
    }

    /// A "host": a network namespace joined to this one by a veth pair, 10.231.N.2 inside.
    func makeHost(_ n: Int) throws -> (namespace: String, address: String) {
        let ns = "sf-h\(n)-\(tag)"
        try ip(["netns", "add", ns])
        namespaces.append(ns)
        let outside = "sfo\(n)\(tag)", inside = "sfi\(n)\(tag)"
        try ip(["link", "add", outside, "type", "veth", "peer", "name", inside])
        try ip(["link", "set", inside, "netns", ns])
        try ip(["addr", "add", "10.231.\(n).1/24", "dev", outside])
        try ip(["link", "set", outside, "up"])
        try ip(["-n", ns, "addr", "add", "10.231.\(n).2/24", "dev", inside])
        try ip(["-n", ns, "link", "set", inside, "up"])
        try ip(["-n", ns, "link", "set", "lo", "up"])
        return (ns, "10.231.\(n).2")
    }

    func makeCgroup(_ path: String) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(mount + current, 0o755) == 0 { cgroups.append(current) }
        }
    }

    func start(_ executable: String, _ arguments: [String], ready: String? = nil) throws -> (Process, URL) {
        let (process, _, err) = try ToolProcess.start(executable, arguments, in: scratch)
        processes.append(process)
        if let ready {
            XCTAssertTrue(ToolProcess.waitUntil(seconds: 20) { ToolProcess.file(err, contains: ready) },
                          "\(executable) did not start: \((try? String(contentsOf: err, encoding: .utf8)) ?? "")")
        }
        return (process, err)
    }

    func run(_ n: Int, calls syscall: String, in cgroup: String) throws {
        let work = Process()
        work.executableURL = URL(fileURLWithPath: "/bin/sh")
        work.arguments = ["-c", "echo $$ > \(mount + cgroup)/cgroup.procs && exec \(Self.helpers)/call-n-times \(syscall) \(n)"]
        try work.run()
        work.waitUntilExit()
        XCTAssertEqual(work.terminationStatus, 0)
    }

    func prometheus(port: Int, targets: [String]) throws {
        let config = scratch.appendingPathComponent("prometheus-\(port).yml")
        try """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: seccomp-forge
            static_configs:
              - targets: [\(targets.map { "'\($0)'" }.joined(separator: ", "))]
        """.write(to: config, atomically: true, encoding: .utf8)
        let data = scratch.appendingPathComponent("tsdb-\(port)")
        _ = try start("/usr/bin/prometheus", ["--config.file=\(config.path)", "--storage.tsdb.path=\(data.path)",
                                              "--web.listen-address=127.0.0.1:\(port)"], ready: "Server is ready to receive web requests")
    }

    func harvest(_ arguments: [String]) throws -> ToolProcess.Result {
        try ToolProcess.run(ToolProcess.binary("seccomp-profile"), ["harvest"] + arguments, in: scratch)
    }

    func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], url.path)
    }

    func counts(_ recording: [String: Any]) -> [String: Int] {
        ((recording["counts"] as? [String: [String: Int]]) ?? [:])["SCMP_ARCH_X86_64"] ?? [:]
    }

    func testTwoHostsHarvestedThroughPrometheusAndTheTextfileCollector() throws {
        let root = "/sf-harvest-\(tag)"
        var agentDirs: [URL] = []
        var endpoints: [String] = [], nodeEndpoints: [String] = []
        for n in 1...2 {
            let (ns, address) = try makeHost(n)
            makeCgroup("\(root)/h\(n)/web.service")
            let out = scratch.appendingPathComponent("agent\(n)"), textfile = scratch.appendingPathComponent("textfile\(n)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: textfile, withIntermediateDirectories: true)
            agentDirs.append(out)
            // nsenter joins the host's network namespace only (`ip netns exec` would also remount /sys, hiding the cgroup mount).
            _ = try start("/usr/bin/nsenter", ["--net=/run/netns/\(ns)", "--", ToolProcess.binary("seccomp-observe"), "--all",
                                           "--cgroup-root", "\(mount)\(root)/h\(n)", "--listen", "\(address):9750",
                                           "--textfile", textfile.path, "--out-dir", out.path, "--interval", "500ms"],
                          ready: "Observing every cgroup")
            _ = try start("/usr/bin/nsenter", ["--net=/run/netns/\(ns)", "--", "/usr/bin/prometheus-node-exporter", "--web.listen-address=\(address):9100",
                                           "--collector.disable-defaults", "--collector.textfile",
                                           "--collector.textfile.directory=\(textfile.path)"], ready: "Listening on")
            endpoints.append("\(address):9750")
            nodeEndpoints.append("\(address):9100")
        }
        // Host 1 runs web and batch; host 2 runs web only.
        makeCgroup("\(root)/h1/batch.service")
        try run(100, calls: "getppid", in: "\(root)/h1/web.service")
        try run(50, calls: "getppid", in: "\(root)/h2/web.service")
        try run(7, calls: "getpgrp", in: "\(root)/h1/batch.service")

        try prometheus(port: 19390, targets: endpoints)
        try prometheus(port: 19391, targets: nodeEndpoints)

        for (port, route) in [(19390, "agents' /metrics"), (19391, "node_exporter's textfile collector")] {
            let out = scratch.appendingPathComponent("harvest-\(port)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            // Wait for two scrapes of the settled counters.
            var last: ToolProcess.Result?
            let settled = ToolProcess.waitUntil(seconds: 40) {
                last = try? harvest(["--prometheus", "http://127.0.0.1:\(port)", "--all", "--since", "10m", "-o", out.path])
                // Read without asserting: a file not there yet is a reason to wait, not a failure.
                func peek(_ name: String) -> [String: Any]? {
                    (try? Data(contentsOf: out.appendingPathComponent(name))).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
                }
                guard last?.status == 0, let web = peek("web.service.recording.json"), let batch = peek("batch.service.recording.json") else { return false }
                return counts(web)["getppid"] == 150 && counts(batch)["getpgrp"] == 7
            }
            XCTAssertTrue(settled, "\(route): \(last?.stderr ?? "")")
            let web = try json(out.appendingPathComponent("web.service.recording.json"))
            let batch = try json(out.appendingPathComponent("batch.service.recording.json"))
            // The union of what the hosts recorded, counts summed: compare with the agents' own files.
            let hostWeb = try agentDirs.map { counts(try json($0.appendingPathComponent("web.service.recording.json"))) }
            var union: [String: Int] = [:]
            for host in hostWeb { for (call, n) in host { union[call, default: 0] += n } }
            XCTAssertEqual(counts(web), union, route)
            let coverage = (web["coverage"] as? [String: [String: Int]])?["SCMP_ARCH_X86_64"] ?? [:]
            XCTAssertEqual(coverage["getppid"], 2, route)
            XCTAssertEqual(web["recordings"] as? Int, 2, route)
            let batchCoverage = (batch["coverage"] as? [String: [String: Int]])?["SCMP_ARCH_X86_64"] ?? [:]
            XCTAssertEqual(batchCoverage["getpgrp"], 1, "seen on one host: 1/2 (\(route))")
            XCTAssertEqual(batch["recordings"] as? Int, 2, route)
        }

        // The harvested profile runs the workload under seccomp-sandbox.
        let profile = scratch.appendingPathComponent("harvest-19390/web.service.seccomp.json").path
        let confined = try ToolProcess.run(ToolProcess.binary("seccomp-sandbox"), ["--profile", profile, "--", Self.helpers + "/call-n-times", "getppid", "3"],
                                           in: scratch, environment: ["SECCOMP_FORGE_NO_CACHE": "1"])
        XCTAssertEqual(confined.status, 0, confined.stderr)

        // As security-profiles-operator resources; and a workload no host reported is an error.
        let k8s = scratch.appendingPathComponent("k8s")
        try FileManager.default.createDirectory(at: k8s, withIntermediateDirectories: true)
        let resources = try harvest(["--prometheus", "http://127.0.0.1:19390", "--workload", "web.service", "--since", "10m", "-o", k8s.path, "--to", "kubernetes"])
        XCTAssertEqual(resources.status, 0, resources.stderr)
        let yaml = try String(contentsOf: k8s.appendingPathComponent("web.service.yaml"), encoding: .utf8)
        XCTAssertTrue(yaml.contains("kind: SeccompProfile") && yaml.contains("getppid"), yaml)
        let none = try harvest(["--prometheus", "http://127.0.0.1:19390", "--workload", "nothing.service", "--since", "10m", "-o", k8s.path])
        XCTAssertEqual(none.status, 1, none.stderr)
        XCTAssertTrue(none.stderr.contains("no seccomp_forge_syscalls_total series for nothing.service"), none.stderr)
        let unreachable = try harvest(["--prometheus", "http://127.0.0.1:1", "--all", "-o", k8s.path])
        XCTAssertEqual(unreachable.status, 69, unreachable.stderr)
        XCTAssertTrue(unreachable.stderr.contains("cannot connect"), unreachable.stderr)
    }
}
