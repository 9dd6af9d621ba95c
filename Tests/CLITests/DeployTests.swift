import Foundation
import XCTest
import Yams

/// The shipped deployment files: the systemd unit passes systemd's own check (with the
/// built binary in place of the installed one), and the Kubernetes manifest is a DaemonSet
/// with what the agent needs and nothing more.
final class DeployTests: XCTestCase {
    let deploy = ToolProcess.packageRoot.appendingPathComponent("deploy")

    func testSystemdUnitVerifies() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            throw XCTSkip("no systemd-analyze here to check the unit with")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let unit = try String(contentsOf: deploy.appendingPathComponent("systemd/seccomp-forge-agent.service"), encoding: .utf8)
        XCTAssertTrue(unit.contains("ExecStart=/usr/local/bin/seccomp-observe --all"))
        let local = scratch.appendingPathComponent("seccomp-forge-agent.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/seccomp-observe", with: ToolProcess.binary("seccomp-observe"))
            .write(to: local, atomically: true, encoding: .utf8)
        let result = try ToolProcess.run("/usr/bin/systemd-analyze", ["verify", local.path], in: scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stderr.contains(local.lastPathComponent), result.stderr)
    }

    func testDaemonSetCarriesWhatTheAgentNeeds() throws {
        let text = try String(contentsOf: deploy.appendingPathComponent("kubernetes/seccomp-forge-agent.yaml"), encoding: .utf8)
        let documents = try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
        let kinds = documents.compactMap { $0["kind"] as? String }
        XCTAssertEqual(Set(kinds), ["Namespace", "DaemonSet", "Service", "ServiceMonitor"])
        let daemonSet = try XCTUnwrap(documents.first { $0["kind"] as? String == "DaemonSet" })
        let pod = try XCTUnwrap(((daemonSet["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        XCTAssertEqual(pod["hostPID"] as? Bool, true)
        let container = try XCTUnwrap((pod["containers"] as? [[String: Any]])?.first)
        let args = container["args"] as? [String] ?? []
        XCTAssertTrue(args.contains("--all") && args.contains("--listen"), "\(args)")
        let security = try XCTUnwrap(container["securityContext"] as? [String: Any])
        XCTAssertEqual(security["privileged"] as? Bool, false)
        let capabilities = security["capabilities"] as? [String: Any]
        XCTAssertEqual(Set(capabilities?["add"] as? [String] ?? []), ["BPF", "PERFMON", "DAC_READ_SEARCH"])
        XCTAssertEqual(capabilities?["drop"] as? [String], ["ALL"])
        let mounts = (container["volumeMounts"] as? [[String: Any]] ?? []).compactMap { $0["mountPath"] as? String }
        for path in ["/sys/fs/cgroup", "/sys/kernel/btf"] { XCTAssertTrue(mounts.contains(path), "\(mounts)") }
    }
}
