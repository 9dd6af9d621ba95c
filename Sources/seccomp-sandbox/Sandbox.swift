import CBPF
import CSandbox
import FilterCompiler
import Foundation
import SeccompProfile
import SyscallTable

/// One confined run: resolve and compile the profile, launch, answer notifications.
final class Sandbox {
    let options: Options
    let label: String

    init(options: Options) {
        self.options = options
        self.label = options.command.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "sandbox"
    }

    func run() throws -> Int32 {
        let profilePath = try locateProfile()
        // Enforce mode reuses a filter compiled earlier from the same profile bytes.
        let cache = options.mode == .enforce && !options.printFilter && !options.dryRun
            ? FileManager.default.contents(atPath: profilePath).flatMap { FilterCache(profileBytes: [UInt8]($0)) } : nil
        var compiled = cache?.load()
        var profile: Profile?
        var resolved: Policy?
        if compiled == nil {
            let loaded: Profile
            do { loaded = try Profile.load(path: profilePath) } catch { throw Failure(message: error.description) }
            profile = loaded
            let policy: Policy
            do {
                policy = try PolicyResolver.resolve(loaded, for: ResolutionTarget(kernel: KernelVersion.running ?? KernelVersion(major: 6, minor: 0)),
                                                    source: profilePath)
            } catch {
                throw Failure(message: error.description)
            }
            for warning in policy.warnings { report("warning: \(profilePath): \(warning)") }
            resolved = policy
            let program = try compile(policy).program
            if options.printFilter {
                print(Disassembler(program).listing(), terminator: "")
                return 0
            }
            let entry = FilterCache.Entry(program: program, allowsExec: allowsExec(policy))
            if options.dryRun {
                print("\(profilePath): \(program.count) instructions for \(policy.architectures.map(\.name).joined(separator: ", ")); the command would run under it")
                return 0
            }
            cache?.store(entry)
            compiled = entry
        }
        // The real filter: what the profile says. The supervisor runs it on every notified call.
        let real = compiled!
        if options.mode == .enforce, !real.allowsExec {
            throw Failure(message: "\(profilePath): profile does not allow execve: the command could never start")
        }
        let (path, argv) = try resolveCommand()
        // Same decisions, but the outcomes to report come back to us as notifications
        // (in complain mode, every outcome but ALLOW). The launch itself must pass
        // unasked, so complain mode lets execve through where the profile would not.
        var base = real.program
        var preDenied: [String] = []
        if options.mode == .complain, !real.allowsExec, let policy = resolved {
            var opened = policy
            opened.rules = ["execve", "execveat"].map { PolicyRule(syscall: $0, action: .allow, entry: -1) } + policy.rules
            base = try compile(opened).program
            preDenied = ["execve"]
        }
        let notify = SeccompAction.userNotification.returnValue
        let kernelProgram = base.mappingReturns { value in
            let action = SeccompAction(returnValue: value)
            if options.mode == .complain { return action == .allow ? value : notify }
            return Self.isReported(action) ? notify : value
        }
        var launch = sf_launch()
        var rc = start(path: path, argv: argv, program: kernelProgram, listener: true, into: &launch)
        if rc == 0, launch.install_errno != 0 {
            // The kernel refused the listener: fall back to the plain filter.
            var status: Int32 = 0
            waitpid(launch.pid, &status, 0)
            report("note: the kernel refused a seccomp listener (\(String(cString: strerror(launch.install_errno)))): running the plain filter; blocked calls will not be named")
            if options.mode == .complain { throw Failure(message: "complain mode needs a seccomp listener (Linux 5.5 or later)") }
            rc = start(path: path, argv: argv, program: real.program, listener: false, into: &launch)
        }
        guard rc == 0 else { throw Failure(message: "cannot start \(options.command[0]): \(String(cString: strerror(-rc)))") }
        if launch.exec_errno != 0 {
            var status: Int32 = 0
            waitpid(launch.pid, &status, 0)
            let missing = launch.exec_errno == ENOENT
            throw Failure(message: "\(path): \(missing ? "command not found" : String(cString: strerror(launch.exec_errno)))", status: missing ? 127 : 126)
        }
        if launch.install_errno != 0 {
            var status: Int32 = 0
            waitpid(launch.pid, &status, 0)
            throw Failure(message: "installing the seccomp filter failed: \(String(cString: strerror(launch.install_errno)))")
        }
        let supervisor = Supervisor(label: label, real: real.program, options: options)
        for name in preDenied { supervisor.noteWouldDeny(name, abi: .native) }
        let status = supervisor.supervise(launch)
        if options.mode == .complain, let profile {
            try supervisor.finishComplaining(profile: profile)
        }
        return status
    }

    /// Kill and errno outcomes are answered here, so they can be named.
    static func isReported(_ action: SeccompAction) -> Bool {
        switch action {
        case .killProcess, .killThread, .errno: return true
        default: return false
        }
    }

    private func start(path: String, argv: [String], program: Program, listener: Bool, into launch: inout sf_launch) -> Int32 {
        let insns = program.instructions.map { sf_filter_insn(code: $0.code, jt: $0.jt, jf: $0.jf, k: $0.k) }
        var cArgv = argv.map { strdup($0) } + [nil]
        defer { cArgv.forEach { free($0) } }
        return insns.withUnsafeBufferPointer { buffer in
            sf_launch(path, &cArgv, environ, buffer.baseAddress, UInt16(buffer.count), listener, &launch)
        }
    }

    private func compile(_ policy: Policy) throws -> CompiledFilter {
        do { return try FilterCompiler.compile(policy) } catch { throw Failure(message: error.description) }
    }

    private func allowsExec(_ policy: Policy) -> Bool {
        // ALLOW or LOG: anything else would stop, or wait on, the launch's own execve.
        ["execve", "execveat"].contains { [.allow, .log].contains(policy.decide(syscall: $0, args: [], on: .native).action) }
    }

    /// A file path, or the name of a bundled profile.
    private func locateProfile() throws -> String {
        var candidates = [options.profile]
        if !options.profile.contains("/") {
            let name = options.profile.hasSuffix(".json") ? options.profile : options.profile + ".json"
            if let dir = ProcessInfo.processInfo.environment["SECCOMP_FORGE_PROFILES"] { candidates.append(dir + "/" + name) }
            // Beside an installed binary (../share/seccomp-forge/profiles) or in the checkout it was built in.
            var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            candidates.append(dir.appendingPathComponent("../share/seccomp-forge/profiles/" + name).standardized.path)
            for _ in 0..<4 {
                dir = dir.deletingLastPathComponent()
                candidates.append(dir.appendingPathComponent("profiles/" + name).path)
            }
        }
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw Failure(message: "\(options.profile): no such profile file, and no bundled profile of that name")
        }
        return path
    }

    /// The command's path (searched in PATH like a shell) and its arguments.
    private func resolveCommand() throws -> (String, [String]) {
        let name = options.command[0]
        var candidates: [String] = []
        if name.contains("/") {
            candidates = [name]
        } else {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            candidates = path.split(separator: ":").map { "\($0)/\(name)" }
        }
        var found: String?
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate) {
            if access(candidate, X_OK) == 0 { return (candidate, options.command) }
            found = candidate
        }
        if let found { throw Failure(message: "\(found): permission denied (not executable)", status: 126) }
        throw Failure(message: "\(name): command not found", status: 127)
    }

    private func report(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
