import Foundation
import XCTest
import Yams
import TestSupport

/// `seccomp-profile convert`: the Kubernetes resource has every field the
/// security-profiles-operator's schema requires and means the same filter; the
/// systemd lines use systemd's vocabulary.
final class ConvertTests: XCTestCase {
    static let dockerDefault = TestEnvironment.packageRoot.appendingPathComponent("corpus/docker/default.json").path
    /// The operator's enum of architectures (SeccompProfile v1beta1 spec.architectures).
    static let operatorArchitectures: Set<String> = [
        "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",
        "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
        "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC",
        "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    ]
    static let operatorActions: Set<String> = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try TestEnvironment.makeScratch("convert")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func tool(_ arguments: [String]) throws -> ToolProcess.Result {
        let result = try ToolProcess.run(ToolProcess.binary("seccomp-profile"), arguments, in: scratch)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result
    }

    func testKubernetesResourceHasTheSchemasRequiredFieldsAndTheSameMeaning() throws {
        let yaml = try tool(["convert", Self.dockerDefault, "--to", "kubernetes", "--name", "docker-default", "--namespace", "security"]).stdout
        let resource = try XCTUnwrap(try Yams.load(yaml: yaml) as? [String: Any])
        XCTAssertEqual(resource["apiVersion"] as? String, "security-profiles-operator.x-k8s.io/v1beta1")
        XCTAssertEqual(resource["kind"] as? String, "SeccompProfile")
        let metadata = try XCTUnwrap(resource["metadata"] as? [String: Any])
        XCTAssertEqual(metadata["name"] as? String, "docker-default")
        XCTAssertEqual(metadata["namespace"] as? String, "security")
        let spec = try XCTUnwrap(resource["spec"] as? [String: Any])
        XCTAssertTrue(Self.operatorActions.contains(try XCTUnwrap(spec["defaultAction"] as? String)))
        let architectures = try XCTUnwrap(spec["architectures"] as? [String])
        XCTAssertEqual(architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        XCTAssertTrue(Set(architectures).isSubset(of: Self.operatorArchitectures))
        let syscalls = try XCTUnwrap(spec["syscalls"] as? [[String: Any]])
        XCTAssertFalse(syscalls.isEmpty)
        for item in syscalls {
            XCTAssertTrue(Self.operatorActions.contains(try XCTUnwrap(item["action"] as? String)))
            XCTAssertFalse(try XCTUnwrap(item["names"] as? [String]).isEmpty)
            for arg in item["args"] as? [[String: Any]] ?? [] {
                XCTAssertNotNil(arg["index"] as? Int)
                XCTAssertNotNil(arg["op"] as? String)
            }
        }
        // The spec is a seccomp profile: compiled, it is the same filter as the original's.
        let specJSON = scratch.appendingPathComponent("spec.json")
        try JSONSerialization.data(withJSONObject: spec).write(to: specJSON)
        let original = scratch.appendingPathComponent("a.bpf").path, converted = scratch.appendingPathComponent("b.bpf").path
        _ = try tool(["compile", Self.dockerDefault, "--arch", "x86_64,x86,x32", "-o", original])
        _ = try tool(["compile", specJSON.path, "--arch", "x86_64,x86,x32", "-o", converted])
        XCTAssertEqual(FileManager.default.contents(atPath: original), FileManager.default.contents(atPath: converted))
    }

    func testSystemdLinesUseSystemdsVocabulary() throws {
        let baseline = try tool(["convert", TestEnvironment.packageRoot.appendingPathComponent("profiles/container-default.json").path, "--to", "systemd"]).stdout
        let lines = baseline.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("SystemCallArchitectures=x86-64") }, baseline)
        let deny = try XCTUnwrap(lines.first { $0.hasPrefix("SystemCallFilter=~") })
        XCTAssertTrue(deny.contains("reboot:EPERM") && deny.contains("kexec_load:EPERM") && deny.contains("ptrace:EPERM"), String(deny))
    }

    /// Docker's default checks clone, socket and personality arguments: systemd cannot, so the
    /// conversion is refused with each reason; --lossy writes the nearest unit and lists them.
    func testSystemdRefusesWhatItCannotSayAndLossyListsIt() throws {
        let refused = try ToolProcess.run(ToolProcess.binary("seccomp-profile"), ["convert", Self.dockerDefault, "--to", "systemd"], in: scratch)
        XCTAssertEqual(refused.status, 2)
        XCTAssertEqual(refused.stdout, "")
        XCTAssertTrue(refused.stderr.contains("cannot express in systemd: personality (syscalls["), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("cannot express in systemd: clone ("), refused.stderr)
        let lossy = try ToolProcess.run(ToolProcess.binary("seccomp-profile"), ["convert", Self.dockerDefault, "--to", "systemd", "--lossy"], in: scratch)
        XCTAssertEqual(lossy.status, 0, lossy.stderr)
        let lines = lossy.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("SystemCallArchitectures=x86-64 x86 x32"), lossy.stdout)
        let filter = try XCTUnwrap(lines.first { $0.hasPrefix("SystemCallFilter=") })
        let allowed = Set(filter.dropFirst("SystemCallFilter=".count).split(separator: " ").map(String.init))
        XCTAssertTrue(allowed.isSuperset(of: ["read", "write", "execve", "exit_group"]))
        XCTAssertFalse(allowed.contains("reboot"))
        XCTAssertTrue(lines.contains("SystemCallErrorNumber=EPERM"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("# NOT EXPRESSED: personality (syscalls[") }, lossy.stdout)
        XCTAssertTrue(lossy.stderr.contains("warning:"), lossy.stderr)
        // A LOG default would make the unit unconfined without a word: refused.
        let log = scratch.appendingPathComponent("log.json")
        try Data(#"{"defaultAction":"SCMP_ACT_LOG","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO"}]}"#.utf8).write(to: log)
        let logged = try ToolProcess.run(ToolProcess.binary("seccomp-profile"), ["convert", log.path, "--to", "systemd"], in: scratch)
        XCTAssertEqual(logged.status, 2)
        XCTAssertTrue(logged.stderr.contains("defaultAction SCMP_ACT_LOG: systemd allows without logging"), logged.stderr)
    }
}
