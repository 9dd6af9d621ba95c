import ArgumentParser
import CVersion
import Foundation

/// `seccomp-profile`: read, check, explain and compile OCI/Docker seccomp profiles.
@main
struct SeccompProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seccomp-profile",
        abstract: "Compile OCI/Docker seccomp profiles into classic-BPF filters, and explain them.",
        discussion: """
        A profile is the JSON that runc, crun, Docker, Podman and Kubernetes read
        (defaultAction, architectures or archMap, syscalls with names, action and
        args). seccomp-profile resolves it for a target (architectures, capabilities,
        kernel version), compiles it with its own compiler, and shows what the kernel
        will do with each call.

        Examples:
          seccomp-profile validate docker-default.json
          seccomp-profile check docker-default.json ptrace mount clone
          seccomp-profile explain docker-default.json --syscall personality --args 8
          seccomp-profile compile docker-default.json -o filter.bpf
          seccomp-profile stats docker-default.json
          sudo seccomp-profile --trace /usr/bin/myapp -- --some-args   (writes myapp.seccomp.json)

        Exit status: 0 success; 1 `check --expect-allowed` found a denied call;
        2 bad input (profile, arguments); 3 output could not be written.
        """,
        version: "seccomp-profile " + String(cString: sf_version()),
        // Each subcommand names itself: a name derived from its type costs a runtime
        // conformance scan at every launch.
        subcommands: [Compile.self, Check.self, Explain.self, Validate.self, Stats.self, Convert.self, Merge.self, Diff.self, Harvest.self,
                      PrepareSandbox.self, AddCalls.self]
    )

    @Option(name: .long, help: ArgumentHelp(
        "Run this program, record its syscalls with eBPF, and save PROGRAM.seccomp.json here (root).",
        discussion: "Arguments for the program follow --. The recording is seccomp-observe's (beside this binary or on PATH; SECCOMP_FORGE_OBSERVE_TOOL overrides), which also takes cgroups, pids and durations."))
    var trace: String?

    @Argument(parsing: .postTerminator, help: "With --trace: the program's arguments.")
    var traceArguments: [String] = []

    func run() throws {
        guard let trace else { throw CleanExit.helpRequest(self) }
        try Trace.run(program: trace, arguments: traceArguments)
    }

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ToolError {
            FileHandle.standardError.write(Data("seccomp-profile: \(error.message)\n".utf8))
            Foundation.exit(error.status)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            // Argument errors: one line, with where to look, and the bad-input status.
            let first = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let text = first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first
            FileHandle.standardError.write(Data("seccomp-profile: \(text) (see seccomp-profile --help)\n".utf8))
            Foundation.exit(ToolError.badInput)
        }
    }
}

/// A failure the tool reports in one line on stderr, with its exit status.
struct ToolError: Error {
    static let badInput: Int32 = 2
    static let outputFailed: Int32 = 3

    var message: String
    var status: Int32

    static func badInput(_ message: String) -> ToolError { ToolError(message: message, status: badInput) }
}
