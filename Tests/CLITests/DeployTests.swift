import Foundation
import XCTest
import Yams
import TestSupport

/// The shipped deployment files: the systemd unit passes systemd's own check (with the
/// built binary in place of the installed one), and the Kubernetes manifest is a DaemonSet
/// with what the agent needs and nothing more. And what `make install` lays out: the tools,
/// bundled profiles, man pages that render and name every subcommand and option, and shell
/// completions that the shells load.
final class DeployTests: XCTestCase {
    let deploy = TestEnvironment.packageRoot.appendingPathComponent("deploy")

    func testSystemdUnitVerifies() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            throw XCTSkip("no systemd-analyze here to check the unit with")
        }
        let scratch = try TestEnvironment.makeScratch("unit")
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

    // MARK: make install

    static let tools = ["seccomp-profile", "seccomp-observe", "seccomp-sandbox"]

    /// `make install-built` (make install without its build: this test run holds the build
    /// directory) with the tools SECCOMP_FORGE_BIN points to, into a scratch DESTDIR with
    /// PREFIX=/usr; the scratch directory goes when the test ends, failed or not. Returns
    /// DESTDIR/usr. make, man (man-db, groff-base), python3 and the generate-manual that
    /// make test builds are needed: missing in CI, a failure; elsewhere a skip.
    func install() throws -> URL {
        let bin = URL(fileURLWithPath: ToolProcess.binary("seccomp-profile")).deletingLastPathComponent()
        var missing: [String] = []
        for tool in ["make", "python3", "gzip", "bash"] where Self.which(tool) == nil { missing.append(tool) }
        if Self.which("man") == nil { missing.append("man (make deps installs man-db and groff-base)") }
        let generator = bin.appendingPathComponent("generate-manual").path
        if !FileManager.default.isExecutableFile(atPath: generator) { missing.append("\(generator) (make manual-tool builds it)") }
        if !missing.isEmpty {
            let reason = "missing for make install: " + missing.joined(separator: ", ")
            try TestEnvironment.unavailable(reason)
        }
        let scratch = try TestEnvironment.makeScratch("install")
        addTeardownBlock { try? FileManager.default.removeItem(at: scratch) }
        let destdir = scratch.appendingPathComponent("root")
        // A make above this test (make test) leaves its flags and level in the environment.
        let result = try ToolProcess.run(Self.which("make")!, [
            "-C", TestEnvironment.packageRoot.path, "--no-print-directory", "install-built",
            "RELEASE=\(bin.path)", "BUILD=\(scratch.appendingPathComponent("build").path)",
            "DESTDIR=\(destdir.path)", "PREFIX=/usr",
        ], in: scratch, environment: ["MAKEFLAGS": "", "MFLAGS": "", "MAKELEVEL": ""])
        guard result.status == 0 else { throw InstallFailed(output: result.stdout + result.stderr) }
        return destdir.appendingPathComponent("usr")
    }

    func testMakeInstallLaysOutEveryFile() throws {
        let usr = try install()
        let manager = FileManager.default
        for tool in Self.tools {
            XCTAssertTrue(manager.isExecutableFile(atPath: usr.appendingPathComponent("bin/\(tool)").path), tool)
            XCTAssertNotNil(Self.manPage(tool, in: usr), "no man1/\(tool).1*")
            for path in ["share/bash-completion/completions/\(tool)", "share/zsh/site-functions/_\(tool)",
                         "share/fish/vendor_completions.d/\(tool).fish"] {
                let size = (try? manager.attributesOfItem(atPath: usr.appendingPathComponent(path).path)[.size]) as? Int
                XCTAssertGreaterThan(size ?? 0, 0, "\(path) missing or empty")
            }
        }
        XCTAssertTrue(manager.fileExists(atPath: usr.appendingPathComponent("share/seccomp-forge/profiles/container-default.json").path))
        let unit = try String(contentsOf: usr.appendingPathComponent("lib/systemd/system/seccomp-forge-agent.service"), encoding: .utf8)
        XCTAssertTrue(unit.contains("ExecStart=/usr/bin/seccomp-observe --all"), unit)
        let hook = usr.deletingLastPathComponent().appendingPathComponent("etc/containers/oci/hooks.d/seccomp-forge-trace.json")
        XCTAssertTrue(try String(contentsOf: hook, encoding: .utf8).contains("/usr/bin/seccomp-observe"))
        // The installed sandbox finds a bundled profile by name (beside it in share/), and
        // compiles with the seccomp-profile beside it.
        let run = try ToolProcess.run(usr.appendingPathComponent("bin/seccomp-sandbox").path,
                                      ["--profile", "container-default", "--dry-run"], in: usr,
                                      environment: ["SECCOMP_FORGE_NO_CACHE": "1"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains(usr.appendingPathComponent("share/seccomp-forge/profiles/container-default.json").path), run.stdout)
    }

    /// Each page renders with `man -l` without a warning; the ArgumentParser tools' pages name
    /// every subcommand their --help lists (and none it hides) and every long option; the
    /// hand-written seccomp-sandbox(1) every option, environment variable and exit status
    /// its --help gives.
    func testInstalledManPagesRenderAndMatchTheHelp() throws {
        let usr = try install()
        var pages: [String: String] = [:]
        for tool in Self.tools {
            let page = try XCTUnwrap(Self.manPage(tool, in: usr), "no man1/\(tool).1*")
            let rendered = try ToolProcess.run(Self.which("man")!, ["--warnings", "-l", page.path], in: usr,
                                               environment: ["MANWIDTH": "200", "LC_ALL": "C", "MANPAGER": "cat", "PAGER": "cat"])
            XCTAssertEqual(rendered.status, 0, rendered.stderr)
            XCTAssertEqual(rendered.stderr, "", "\(tool)(1) warnings")
            XCTAssertTrue(rendered.stdout.contains("NAME") && rendered.stdout.contains(tool), rendered.stdout)
            pages[tool] = rendered.stdout
        }
        for tool in ["seccomp-profile", "seccomp-observe"] {
            let text = try XCTUnwrap(pages[tool])
            let dump = try ToolProcess.run(ToolProcess.binary(tool), ["--experimental-dump-help"], in: usr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
            let command = try XCTUnwrap(json["command"] as? [String: Any])
            var shown: [String] = [], hidden: [String] = [], options: Set<String> = []
            func walk(_ command: [String: Any]) {
                for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["shouldDisplay"] as? Bool != false {
                    for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                        options.insert("--" + (name["name"] as? String ?? ""))
                    }
                }
                for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                    let name = sub["commandName"] as? String ?? ""
                    if sub["shouldDisplay"] as? Bool == false { hidden.append(name) } else { shown.append(name); walk(sub) }
                }
            }
            walk(command)
            let words = Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," }).map(String.init))
            for name in shown { XCTAssertTrue(words.contains(name), "\(tool)(1) lacks the subcommand \(name)") }
            for name in hidden { XCTAssertFalse(words.contains(name), "\(tool)(1) shows the hidden subcommand \(name)") }
            for option in options { XCTAssertTrue(text.contains(option), "\(tool)(1) lacks \(option)") }
            XCTAssertFalse(options.isEmpty)
        }
        XCTAssertTrue(pages["seccomp-profile"]!.contains("compile"))
        // seccomp-observe's one subcommand is dispatched before ArgumentParser: its page names it.
        XCTAssertTrue(pages["seccomp-observe"]!.contains("seccomp-observe oci-hook"))

        let sandbox = try XCTUnwrap(pages["seccomp-sandbox"])
        let help = try ToolProcess.run(ToolProcess.binary("seccomp-sandbox"), ["--help"], in: usr).stdout
        func all(_ pattern: String, in text: String) throws -> Set<String> {
            let regex = try NSRegularExpression(pattern: pattern)
            return Set(regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) })
        }
        let helpOptions = try all("(?<![\\w-])--[a-z][a-z-]*", in: help)
        XCTAssertTrue(helpOptions.isSuperset(of: ["--profile", "--mode", "--update", "--verbose", "--print-filter", "--dry-run", "--version"]), "\(helpOptions)")
        for option in helpOptions.union(["--help"]) {
            XCTAssertTrue(sandbox.contains(option), "seccomp-sandbox(1) lacks \(option)")
        }
        for mode in ["enforce", "complain"] { XCTAssertTrue(sandbox.contains("--mode \(mode)"), mode) }
        let variables = try all("SECCOMP_FORGE_[A-Z_]+", in: help)
        XCTAssertEqual(variables.count, 4, "\(variables)")
        for variable in variables { XCTAssertTrue(sandbox.contains(variable), "seccomp-sandbox(1) lacks \(variable)") }
        for status in ["125", "126", "127", "159", "128+N"] {
            XCTAssertTrue(help.contains(status))
            XCTAssertTrue(sandbox.contains(status), "seccomp-sandbox(1) lacks exit status \(status)")
        }
        for section in ["SYNOPSIS", "OPTIONS", "ENVIRONMENT", "EXIT STATUS", "EXAMPLES"] { XCTAssertTrue(sandbox.contains(section), section) }
    }

    /// The bash scripts load in a plain `bash -c` (no bash-completion package), register with
    /// `complete -p`, and answer: seccomp-profile's subcommands, seccomp-sandbox's modes and the
    /// bundled profile installed beside it.
    func testInstalledBashCompletionsLoadAndAnswer() throws {
        let usr = try install()
        let completions = usr.appendingPathComponent("share/bash-completion/completions")
        let script = """
        for tool in \(Self.tools.joined(separator: " ")); do
            source "\(completions.path)/$tool" || exit 10
            complete -p "$tool" || exit 11
        done
        answer() {
            local function; function=$(complete -p "$1" | sed -E 's/.* -F ([^ ]+) .*/\\1/')
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
            "$function" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
            echo "$*: ${COMPREPLY[*]}"
        }
        answer seccomp-profile com
        answer seccomp-profile ''
        answer seccomp-observe --dur
        answer seccomp-sandbox --mode ''
        answer seccomp-sandbox --profile cont
        answer seccomp-sandbox --print
        """
        let result = try ToolProcess.run("/bin/bash", ["-c", script], in: usr,
                                         environment: ["PATH": usr.appendingPathComponent("bin").path + ":/usr/bin:/bin"], directory: usr)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        for tool in Self.tools { XCTAssertTrue(lines.contains { $0.hasPrefix("complete ") && $0.hasSuffix(" \(tool)") }, result.stdout) }
        func answer(_ line: String) -> Set<String> {
            Set((lines.first { $0.hasPrefix(line + ": ") } ?? "").dropFirst(line.count + 2).split(separator: " ").map(String.init))
        }
        XCTAssertEqual(answer("seccomp-profile com"), ["compile"], result.stdout)
        XCTAssertTrue(answer("seccomp-profile ").isSuperset(of: ["compile", "check", "explain", "validate", "merge", "diff", "harvest"]), result.stdout)
        XCTAssertFalse(answer("seccomp-profile ").contains("add-calls"), result.stdout)
        XCTAssertEqual(answer("seccomp-observe --dur"), ["--duration"], result.stdout)
        XCTAssertEqual(answer("seccomp-sandbox --mode "), ["enforce", "complain"], result.stdout)
        XCTAssertEqual(answer("seccomp-sandbox --profile cont"), ["container-default"], result.stdout)
        XCTAssertEqual(answer("seccomp-sandbox --print"), ["--print-filter"], result.stdout)
    }

    /// zsh -n and fish -n on the installed zsh and fish scripts (make deps installs both shells).
    func testInstalledZshAndFishCompletionsParse() throws {
        let zsh = Self.which("zsh"), fish = Self.which("fish")
        guard let zsh, let fish else { try TestEnvironment.unavailable("zsh and fish are needed to check their completions (make deps installs them)") }
        let usr = try install()
        for tool in Self.tools {
            let zshFile = usr.appendingPathComponent("share/zsh/site-functions/_\(tool)")
            XCTAssertTrue(try String(contentsOf: zshFile, encoding: .utf8).hasPrefix("#compdef \(tool)"), zshFile.path)
            let zshCheck = try ToolProcess.run(zsh, ["-n", zshFile.path], in: usr)
            XCTAssertEqual(zshCheck.status, 0, "\(zshFile.path): \(zshCheck.stderr)")
            let fishFile = usr.appendingPathComponent("share/fish/vendor_completions.d/\(tool).fish")
            let fishCheck = try ToolProcess.run(fish, ["--no-config", "-n", fishFile.path], in: usr)
            XCTAssertEqual(fishCheck.status, 0, "\(fishFile.path): \(fishCheck.stderr)")
        }
    }

    struct InstallFailed: Error, CustomStringConvertible {
        var output: String
        var description: String { "make install-built failed:\n" + output }
    }

    /// TOOL.1 or TOOL.1.gz in DESTDIR/usr/share/man/man1.
    static func manPage(_ tool: String, in usr: URL) -> URL? {
        let man1 = usr.appendingPathComponent("share/man/man1")
        return ["\(tool).1", "\(tool).1.gz"].map { man1.appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// The first NAME on PATH.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
