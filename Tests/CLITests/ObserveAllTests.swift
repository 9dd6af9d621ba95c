import Foundation
import XCTest
import TestSupport

/// `seccomp-observe --all` on the real kernel with real containers: runc runs busybox
/// containers in systemd-style and cgroupfs-style cgroups, a service runs in its unit's
/// cgroup; each is found and named as its runtime names it, two replicas of one image
/// merge (coverage 2/2), runc's own set-up stays out of the profile, and the profile
/// runs the workload under runc and under seccomp-sandbox.
final class ObserveAllTests: XCTestCase {
    static var helpers: String { TestEnvironment.helpers }
    var scratch: URL!
    var made: [String] = []  // cgroup directories this test made, removed at the end (innermost first)
    let mount = "/sys/fs/cgroup/unified"
    let tag = String(UUID().uuidString.prefix(8)).lowercased()

    override func setUpWithError() throws {
        let mount = self.mount
        try ToolProcess.requireKernelTest(rootFor: "--all needs root", tools: ["/usr/sbin/runc", "/usr/bin/busybox"],
                                          install: "make deps installs runc and busybox-static",
                                          more: { FileManager.default.fileExists(atPath: mount + "/cgroup.procs") ? nil : "no cgroup v2 at \(mount)" })
        scratch = try TestEnvironment.makeScratch("all")
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("out"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for dir in made.reversed() { rmdir(mount + dir) }
        TestEnvironment.removeScratch(scratch)
    }

    /// A cgroup directory (and its parents) below the mount, remembered for removal.
    func makeCgroup(_ path: String) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(mount + current, 0o755) == 0 { made.append(current) }
        }
    }

    /// A busybox bundle running `script` (or `args`), in `cgroupsPath`, with the image annotation given.
    func bundle(_ name: String, script: String, args: [String]? = nil, cgroupsPath: String, image: String, seccomp: [String: Any]? = nil) throws -> URL {
        let dir = scratch.appendingPathComponent(name)
        let bin = dir.appendingPathComponent("rootfs/bin")
        if !FileManager.default.fileExists(atPath: bin.path) {
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            for sub in ["proc", "dev", "sys", "tmp"] {
                try FileManager.default.createDirectory(at: dir.appendingPathComponent("rootfs/" + sub), withIntermediateDirectories: true)
            }
            try FileManager.default.copyItem(atPath: "/usr/bin/busybox", toPath: bin.appendingPathComponent("busybox").path)
            for applet in ["sh", "echo", "mkdir", "cat"] {
                try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent(applet).path, withDestinationPath: "busybox")
            }
            let spec = try ToolProcess.run("/usr/sbin/runc", ["spec"], in: scratch, directory: dir)
            XCTAssertEqual(spec.status, 0, spec.stderr)
        }
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("rootfs/tmp/made"))
        let configURL = dir.appendingPathComponent("config.json")
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        var process = try XCTUnwrap(config["process"] as? [String: Any])
        process["terminal"] = false
        process["args"] = args ?? ["/bin/sh", "-c", script]
        config["process"] = process
        var root = try XCTUnwrap(config["root"] as? [String: Any])
        root["readonly"] = false
        config["root"] = root
        var linux = try XCTUnwrap(config["linux"] as? [String: Any])
        linux["cgroupsPath"] = cgroupsPath
        linux["seccomp"] = seccomp
        config["linux"] = linux
        config["annotations"] = ["org.opencontainers.image.ref.name": image]
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        return dir
    }

    func runc(_ bundle: URL, id: String) throws -> ToolProcess.Result {
        try ToolProcess.run("/usr/sbin/runc", ["run", "-b", bundle.path, id], in: scratch)
    }

    func testContainersAndServicesAreFoundNamedAndMergedAndTheirProfileRunsThem() throws {
        let out = scratch.appendingPathComponent("out")
        let (observer, _, err) = try ToolProcess.start(ToolProcess.binary("seccomp-observe"),
                                                       ["--all", "--out-dir", out.path, "--interval", "1s", "--duration", "120s"], in: scratch)
        defer { if observer.isRunning { kill(observer.processIdentifier, SIGKILL) } }
        XCTAssertTrue(ToolProcess.waitUntil(seconds: 10) { ToolProcess.file(err, contains: "Observing every cgroup") },
                      (try? String(contentsOf: err, encoding: .utf8)) ?? "")

        // Two replicas of one image: a systemd-style scope and a cgroupfs-style directory.
        let image = "sf-test-app-\(tag)"
        let script = "echo hello from busybox; mkdir /tmp/made && echo made"
        let idA = String(repeating: "a", count: 56) + tag, idB = String(repeating: "b", count: 56) + tag
        let scopeParent = "/sf-test-\(tag).slice"
        makeCgroup(scopeParent)
        made.append("\(scopeParent)/docker-\(idA).scope")
        made.append("/sf-test-\(tag)-docker/\(idB)")
        made.insert("/sf-test-\(tag)-docker", at: made.count - 1)
        let a = try bundle("a", script: script, cgroupsPath: "\(scopeParent)/docker-\(idA).scope", image: image)
        let b = try bundle("b", script: script, cgroupsPath: "/sf-test-\(tag)-docker/\(idB)", image: image)
        let ranA = try runc(a, id: "sf-a-\(tag)")
        let ranB = try runc(b, id: "sf-b-\(tag)")
        XCTAssertEqual(ranA.stdout, "hello from busybox\nmade\n", ranA.stderr)
        XCTAssertEqual(ranB.stdout, "hello from busybox\nmade\n", ranB.stderr)

        // A workload whose binary is named like a runtime ("runc": a nested runtime, a CI
        // image running `runc --version`) is still the workload once runc's init executed it.
        let namedImage = "sf-test-named-runc-\(tag)"
        let idN = String(repeating: "c", count: 56) + tag
        made.append("\(scopeParent)/docker-\(idN).scope")
        let n = try bundle("n", script: "", args: ["/bin/runc", "getppid", "getppid", "getppid"], cgroupsPath: "\(scopeParent)/docker-\(idN).scope", image: namedImage)
        try FileManager.default.copyItem(atPath: Self.helpers + "/syscall-probe", toPath: n.appendingPathComponent("rootfs/bin/runc").path)
        let ranN = try runc(n, id: "sf-n-\(tag)")
        XCTAssertEqual(ranN.status, 0, ranN.stderr)

        // A service in its unit's cgroup, as systemd places it.
        let unit = "sf-test-\(tag).service"
        makeCgroup("/sf-test-\(tag)-system.slice/\(unit)")
        let service = Process()
        service.executableURL = URL(fileURLWithPath: "/bin/sh")
        service.arguments = ["-c", "echo $$ > \(mount)/sf-test-\(tag)-system.slice/\(unit)/cgroup.procs && exec \(Self.helpers)/call-n-times getppid 41"]
        try service.run()
        service.waitUntilExit()

        // Every removal drained: wait for a read after the containers and the service are gone.
        usleep(2_500_000)
        kill(observer.processIdentifier, SIGINT)
        observer.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        XCTAssertEqual(observer.terminationStatus, 0, stderr)

        // The service: its unit's name, exact counts.
        let serviceRecording = try readJSON(out.appendingPathComponent("\(unit).recording.json"))
        XCTAssertEqual(counts(serviceRecording)["getppid"], 41)
        XCTAssertEqual((serviceRecording["workload"] as? [String: String])?["kind"], "systemd")

        // The workload named runc: its calls are the workload's, not the runtime's.
        let named = try readJSON(out.appendingPathComponent("\(namedImage).recording.json"))
        XCTAssertEqual(counts(named)["getppid"], 3, "\(named)")

        // The two containers: one workload named by its image, coverage 2/2.
        let recording = try readJSON(out.appendingPathComponent("\(image).recording.json"))
        XCTAssertEqual(recording["recordings"] as? Int, 2, "\(recording)")
        let coverage = (recording["coverage"] as? [String: [String: Int]])?["SCMP_ARCH_X86_64"] ?? [:]
        XCTAssertEqual(coverage["mkdir"], 2, "\(coverage)")
        XCTAssertEqual(counts(recording)["mkdir"], 2)
        XCTAssertEqual(counts(recording)["execve"], nil, "the workload's exec is the runtime's call: \(counts(recording))")
        let cgroups = (recording["workload"] as? [String: String])?["cgroups"] ?? ""
        XCTAssertTrue(cgroups.contains("docker-\(idA).scope") && cgroups.contains(idB), cgroups)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("docker-\(idA.prefix(12)).recording.json").path))

        // runc's set-up is seen and kept apart: in runtimeSetup, not in the profile.
        let setup = (recording["runtimeSetup"] as? [String: Int]) ?? [:]
        for call in ["pivot_root", "sethostname", "mount"] { XCTAssertNotNil(setup[call], "\(call) not seen in runc's set-up: \(setup)") }
        let profile = try readJSON(out.appendingPathComponent("\(image).seccomp.json"))
        let allowed = Set(((profile["syscalls"] as? [[String: Any]]) ?? []).filter { ($0["action"] as? String) == "SCMP_ACT_ALLOW" }
            .flatMap { ($0["names"] as? [String]) ?? [] })
        for call in ["pivot_root", "sethostname", "mount", "capset", "unshare", "setns", "chroot"] {
            XCTAssertFalse(allowed.contains(call), "runc's set-up call \(call) is in the workload's profile: counts \(counts(recording)), set-up \(setup)")
        }
        XCTAssertTrue(allowed.contains("execve"), "the hand-off exec must be allowed")

        // The profile runs the workload under runc...
        let confined = try bundle("a", script: script, cgroupsPath: "\(scopeParent)/docker-\(idA).scope", image: image, seccomp: profile)
        let underRunc = try runc(confined, id: "sf-c-\(tag)")
        XCTAssertEqual(underRunc.status, 0, underRunc.stderr)
        XCTAssertEqual(underRunc.stdout, "hello from busybox\nmade\n", underRunc.stderr)
        // ... and under seccomp-sandbox (busybox on the host, its own directory).
        let place = scratch.appendingPathComponent("sandboxed").path
        let underSandbox = try ToolProcess.run(ToolProcess.binary("seccomp-sandbox"),
                                               ["--profile", out.appendingPathComponent("\(image).seccomp.json").path, "--",
                                                "/usr/bin/busybox", "sh", "-c", "echo hello from busybox; mkdir \(place) && echo made"],
                                               in: scratch, environment: ["SECCOMP_FORGE_NO_CACHE": "1"])
        XCTAssertEqual(underSandbox.status, 0, underSandbox.stderr)
        XCTAssertEqual(underSandbox.stdout, "hello from busybox\nmade\n", underSandbox.stderr)
    }

    /// Slots come back: with 6 slots, 12 cgroups made, used and removed one after another are
    /// each counted exactly (calls through the vsyscall page included), and nothing is reported lost. With 1 slot (the root cgroup's, or
    /// whichever runs first), the other cgroups' calls are reported as overflow, never dropped silently.
    func testSlotsOfRemovedCgroupsAreReusedAndOverflowIsReported() throws {
        let out = scratch.appendingPathComponent("out")
        let (observer, _, err) = try ToolProcess.start(ToolProcess.binary("seccomp-observe"),
                                                       ["--all", "--out-dir", out.path, "--interval", "100ms", "--max-workloads", "6"], in: scratch)
        defer { if observer.isRunning { kill(observer.processIdentifier, SIGKILL) } }
        XCTAssertTrue(ToolProcess.waitUntil(seconds: 10) { ToolProcess.file(err, contains: "Observing every cgroup") })
        let parent = "/sf-test-\(tag)-churn"
        makeCgroup(parent)
        for i in 0..<12 {
            let dir = "\(parent)/c\(i)"
            XCTAssertEqual(mkdir(mount + dir, 0o755), 0)
            let work = Process()
            work.executableURL = URL(fileURLWithPath: "/bin/sh")
            // Calls through the vsyscall page too: counted from the emulation's tracepoint.
            work.arguments = ["-c", "echo $$ > \(mount + dir)/cgroup.procs && \(Self.helpers)/call-n-times getppid \(7 + i) && exec \(Self.helpers)/vsyscall \(1 + i)"]
            try work.run()
            work.waitUntilExit()
            XCTAssertEqual(work.terminationStatus, 0, "\(dir): the probes failed")
            XCTAssertTrue(ToolProcess.waitUntil(seconds: 2) { rmdir(mount + dir) == 0 })
            usleep(400_000) // a read in between: the slot goes back
        }
        kill(observer.processIdentifier, SIGINT)
        observer.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        XCTAssertEqual(observer.terminationStatus, 0, stderr)
        XCTAssertFalse(stderr.contains("not counted"), stderr)
        for i in 0..<12 {
            let name = "cgroup-sf-test-\(tag)-churn-c\(i)"
            let recording = try readJSON(out.appendingPathComponent("\(name).recording.json"))
            XCTAssertEqual(counts(recording)["getppid"], 7 + i, name)
            XCTAssertEqual(counts(recording)["time"], 1 + i, name)
        }

        // One slot for the whole host: the rest is overflow, and said so.
        let tight = scratch.appendingPathComponent("tight")
        try FileManager.default.createDirectory(at: tight, withIntermediateDirectories: true)
        let (second, _, err2) = try ToolProcess.start(ToolProcess.binary("seccomp-observe"),
                                                      ["--all", "--out-dir", tight.path, "--max-workloads", "1", "--duration", "3s"], in: scratch)
        XCTAssertTrue(ToolProcess.waitUntil(seconds: 10) { ToolProcess.file(err2, contains: "Observing every cgroup") })
        makeCgroup("\(parent)/a")
        makeCgroup("\(parent)/b")
        for dir in ["a", "b"] {
            let work = Process()
            work.executableURL = URL(fileURLWithPath: "/bin/sh")
            work.arguments = ["-c", "echo $$ > \(mount)\(parent)/\(dir)/cgroup.procs && exec \(Self.helpers)/call-n-times getppid 100"]
            try work.run()
            work.waitUntilExit()
        }
        second.waitUntilExit()
        let report = (try? String(contentsOf: err2, encoding: .utf8)) ?? ""
        XCTAssertEqual(second.terminationStatus, 0, report)
        XCTAssertTrue(report.contains("calls of cgroups that found every slot taken"), report)
    }

    func readJSON(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], url.path)
    }

    func counts(_ recording: [String: Any]) -> [String: Int] {
        ((recording["counts"] as? [String: [String: Int]]) ?? [:])["SCMP_ARCH_X86_64"] ?? [:]
    }
}
