#if canImport(Glibc)
import CVersion
import Glibc
import Sandbox
#endif

/// `seccomp-sandbox --profile P -- CMD ARGS`: runs a command under the filter our
/// compiler builds from a profile, and names the call whenever the filter stops it.
///
/// Enforce mode loads the profile's own actions into the kernel, as runc would:
/// the kernel alone kills, fails or allows each call, and this process only reads
/// the kernel's audit records to say which call it was. Complain mode (which
/// allows everything by design) keeps a seccomp listener to record what the
/// profile would have denied.
@main
enum SandboxCommand {
    static let usage = """
    usage: seccomp-sandbox --profile PROFILE [--mode enforce|complain] [--update FILE]
                           [--verbose] [--print-filter] [--dry-run] -- COMMAND [ARGS...]

    Runs COMMAND confined by a seccomp filter compiled from PROFILE (an OCI/Docker
    seccomp JSON file, or a bundled name such as container-default), and says which
    call the filter stopped:  [myapp] Killed: syscall ptrace blocked by seccomp filter

      --profile P       a profile file (a path: ./p.json), or a bundled name (container-default)
      --mode enforce    the profile as written, enforced by the kernel (default)
      --mode complain   allow everything the profile would deny, and list it with counts
      --update FILE     with complain mode: write the profile plus the calls it lacked
      --verbose         also report calls failed with an errno ([myapp] Denied: syscall mount (EPERM))
      --print-filter    print the compiled filter (disassembly) and exit
      --dry-run         check and compile the profile, and that COMMAND could start; run nothing
      --version         print the version and exit

    Examples:
      seccomp-sandbox --profile ./myapp.seccomp.json -- /usr/bin/myapp --serve
      seccomp-sandbox --profile container-default -- sh -c 'id; uname -a'
      seccomp-sandbox --profile ./myapp.seccomp.json --mode complain --update myapp.seccomp.json -- myapp

    Who decides: in enforce mode the kernel applies every action (KILL, ERRNO, TRAP,
    LOG, ALLOW) itself; no process of ours answers for a call, and the command's
    children stay confined after the sandbox exits. Naming the call comes from the
    kernel's audit records, which root can read; otherwise a kill is reported as
    "Killed by seccomp filter (SIGSYS)" with how to name it (root, or --mode complain).
    SCMP_ACT_NOTIFY needs the profile's listenerPath: the listener goes to the agent
    there, as runc sends it.

    Ctrl-C stops COMMAND, not the sandbox, which still prints its report and writes
    --update; a signal sent to the sandbox alone is passed on to COMMAND, and a
    second SIGTERM kills COMMAND.

    Environment: SECCOMP_FORGE_CACHE (filter cache directory; default
    $XDG_CACHE_HOME/seccomp-forge or ~/.cache/seccomp-forge), SECCOMP_FORGE_NO_CACHE,
    SECCOMP_FORGE_PROFILES (more bundled profiles), SECCOMP_FORGE_PROFILE_TOOL.

    Exit status: the command's own; 128+N when a signal N ended it (159: SIGSYS, a
    seccomp kill); 125 sandbox error (bad profile, filter refused, command could not
    start under the profile); 126 command not executable; 127 command not found.
    """

    /// Ends the process with `status`. Everything this tool prints goes out through write(2),
    /// nothing is buffered, so the exit handlers (the runtime's teardown, stdio's flush of
    /// nothing) would only delay the status the caller waits for: _exit(2).
    static func finish(_ status: Int32) -> Never {
        _exit(status)
    }

    static func main() {
        do {
            let options = try Sandbox.Options.parse(Array(CommandLine.arguments.dropFirst()))
            finish(try Sandbox(options: options).run())
        } catch let failure as Sandbox.Failure {
            if !failure.message.isEmpty { System.writeError("seccomp-sandbox: \(failure.message)") }
            finish(failure.status)
        } catch {
            System.writeError("seccomp-sandbox: \(error)")
            finish(125)
        }
    }
}

extension Sandbox.Options {
    static func parse(_ arguments: [String]) throws -> Sandbox.Options {
        var options = Sandbox.Options()
        var i = 0
        func value(_ flag: String) throws -> String {
            i += 1
            guard i < arguments.count else { throw Sandbox.Failure(message: "\(flag) needs a value (see --help)") }
            return arguments[i]
        }
        while i < arguments.count {
            let argument = arguments[i]
            switch argument {
            case "--": options.command = Array(arguments[(i + 1)...]); i = arguments.count; continue
            case "--profile", "-p": options.profile = try value(argument)
            case "--mode":
                let text = try value(argument)
                guard let mode = Sandbox.Options.Mode(rawValue: text) else { throw Sandbox.Failure(message: "--mode: \"\(text)\" is not enforce or complain") }
                options.mode = mode
            case "--update": options.update = try value(argument)
            case "--verbose", "-v": options.verbose = true
            case "--print-filter": options.printFilter = true
            case "--dry-run": options.dryRun = true
            case "--help", "-h":
                System.writeOutput(SandboxCommand.usage + "\n")
                SandboxCommand.finish(0)
            case "--version":
                System.writeOutput("seccomp-sandbox " + String(cString: sf_version()) + "\n")
                SandboxCommand.finish(0)
            default:
                if argument.hasPrefix("-") { throw Sandbox.Failure(message: "unknown option \(argument) (see --help)") }
                options.command = Array(arguments[i...])
                i = arguments.count
                continue
            }
            i += 1
        }
        guard !options.profile.isEmpty else { throw Sandbox.Failure(message: "no profile: give --profile FILE or a bundled name (see --help)") }
        if options.update != nil && options.mode != .complain { throw Sandbox.Failure(message: "--update records what complain mode saw: add --mode complain") }
        if options.command.isEmpty && !options.printFilter && !options.dryRun {
            throw Sandbox.Failure(message: "no command: give it after --, e.g. seccomp-sandbox --profile P -- /bin/true")
        }
        return options
    }
}
