import CBPF
import CSandbox
import SyscallTable
#if canImport(Glibc)
import Glibc
#endif

/// seccomp-profile, the tool that reads JSON and compiles: beside this binary, or as told.
enum ProfileTool {
    static var path: String {
        System.environment("SECCOMP_FORGE_PROFILE_TOOL") ?? System.executableDirectory + "/seccomp-profile"
    }
}

/// One confined run: find the compiled filter (cached, or from seccomp-profile),
/// launch, answer notifications.
final class Sandbox {
    let options: Options
    let label: String

    init(options: Options) {
        self.options = options
        self.label = options.command.first.map(System.lastComponent) ?? "sandbox"
    }

    func run() throws -> Int32 {
        let profilePath = try locateProfile()
        let entry = try compiledFilter(profilePath)
        if options.printFilter {
            System.writeOutput(Disassembler(entry.program).listing())
            return 0
        }
        if options.dryRun {
            System.writeOutput("\(profilePath): \(entry.program.count) instructions for \(entry.architectures.joined(separator: ", ")); the command would run under it\n")
            return 0
        }
        if options.mode == .enforce, !entry.allowsExec {
            throw Failure(message: "\(profilePath): profile does not allow execve: the command could never start")
        }
        let (path, argv) = try resolveCommand()
        // Same decisions, but the outcomes to report come back to us as notifications
        // (in complain mode, every outcome but ALLOW). The launch itself must pass
        // unasked, so complain mode starts from a variant that lets execve through.
        let complain = options.mode == .complain
        let base = complain && !entry.allowsExec ? entry.execOpened : entry.program
        let notify = SeccompAction.userNotification.returnValue
        let kernelProgram = base.mappingReturns { value in
            let action = SeccompAction(returnValue: value)
            if complain { return action == .allow ? value : notify }
            return Self.isReported(action) ? notify : value
        }
        // From here on a Ctrl-C or a kill reaches the command, not this supervisor,
        // which outlives it to report (and, in complain mode, to write what it learned).
        let signals = sf_signals_open()
        var launch = sf_launch()
        var rc = start(path: path, argv: argv, program: kernelProgram, listener: true, into: &launch)
        if rc == 0, launch.install_errno != 0 {
            // The kernel refused the listener: fall back to the plain filter.
            var status: Int32 = 0
            waitpid(launch.pid, &status, 0)
            if complain { throw Failure(message: "complain mode needs a seccomp listener (Linux 5.5 or later): \(System.errorText(launch.install_errno))") }
            System.writeError("seccomp-sandbox: note: the kernel refused a seccomp listener (\(System.errorText(launch.install_errno))): running the plain filter; blocked calls will not be named")
            rc = start(path: path, argv: argv, program: entry.program, listener: false, into: &launch)
        }
        guard rc == 0 else { throw Failure(message: "cannot start \(options.command[0]): \(System.errorText(-rc))") }
        if launch.install_errno != 0 {
            var status: Int32 = 0
            waitpid(launch.pid, &status, 0)
            throw Failure(message: "installing the seccomp filter failed: \(System.errorText(launch.install_errno))")
        }
        if launch.exec_errno != 0 {
            var status: Int32 = 0
            waitpid(launch.pid, &status, 0)
            let missing = launch.exec_errno == ENOENT
            throw Failure(message: "\(path): \(missing ? "command not found" : System.errorText(launch.exec_errno))", status: missing ? 127 : 126)
        }
        let supervisor = Supervisor(label: label, real: entry.program, options: options)
        if complain && !entry.allowsExec { supervisor.noteWouldDeny("execve", abi: .native) }
        let status = supervisor.supervise(launch, signals: signals)
        if complain { try supervisor.finishComplaining(profilePath: profilePath) }
        return status
    }

    /// Kill and errno outcomes are answered here, so they can be named.
    static func isReported(_ action: SeccompAction) -> Bool {
        switch action {
        case .killProcess, .killThread, .errno: return true
        default: return false
        }
    }

    /// The compiled filter for this profile: from the cache when the profile's bytes,
    /// the target and the tools are unchanged, else compiled by seccomp-profile.
    private func compiledFilter(_ profilePath: String) throws -> FilterCacheEntry {
        guard let profileBytes = System.read(profilePath) else {
            throw Failure(message: "\(profilePath): cannot be read (\(System.errorText(errno)))")
        }
        let tool = ProfileTool.path
        let directory = cacheDirectory()
        let entryPath = (directory ?? "/tmp") + "/" + cacheKey(profileBytes, tool: tool) + (directory == nil ? ".\(getpid()).filter" : ".filter")
        if directory != nil, let bytes = System.read(entryPath), let entry = FilterCacheEntry(bytes: bytes) {
            return entry
        }
        if let directory { System.makeDirectories(directory) }
        var arguments = [tool, "prepare-sandbox", profilePath, "--out", entryPath]
        if options.mode == .complain { arguments.append("--open-exec") }
        let status = System.run(arguments)
        if status == -1 { throw Failure(message: "cannot run \(tool) to compile the profile (set SECCOMP_FORGE_PROFILE_TOOL)") }
        // seccomp-profile has already said what is wrong with the profile, in one line.
        guard status == 0 else { throw Failure(message: "", status: 125) }
        defer { if directory == nil { unlink(entryPath) } }
        guard let bytes = System.read(entryPath), let entry = FilterCacheEntry(bytes: bytes) else {
            throw Failure(message: "\(tool) wrote no usable filter to \(entryPath)")
        }
        return entry
    }

    private func cacheDirectory() -> String? {
        if System.environment("SECCOMP_FORGE_NO_CACHE") != nil { return nil }
        if let dir = System.environment("SECCOMP_FORGE_CACHE"), !dir.isEmpty { return dir }
        if let xdg = System.environment("XDG_CACHE_HOME"), !xdg.isEmpty { return xdg + "/seccomp-forge" }
        if let home = System.environment("HOME"), !home.isEmpty { return home + "/.cache/seccomp-forge" }
        return nil
    }

    /// The profile's bytes, the mode, this machine (architecture, kernel release) and
    /// both binaries (size, mtime): a rebuilt tool or an edited profile never meets a stale entry.
    private func cacheKey(_ profileBytes: [UInt8], tool: String) -> String {
        var hash = FNV1a()
        hash.add(Array("seccomp-forge filter cache 2".utf8))
        hash.add(profileBytes)
        hash.add(Array((options.mode.rawValue + Architecture.native.name).utf8))
        var name = utsname()
        uname(&name)
        withUnsafeBytes(of: &name.release) { hash.add(Array($0.prefix(while: { $0 != 0 }))) }
        for binary in ["/proc/self/exe", tool] {
            var info = stat()
            if stat(binary, &info) == 0 {
                withUnsafeBytes(of: info.st_size) { hash.add(Array($0)) }
                withUnsafeBytes(of: info.st_mtim) { hash.add(Array($0)) }
            }
        }
        return String(hash.value, radix: 16)
    }

    private func start(path: String, argv: [String], program: Program, listener: Bool, into launch: inout sf_launch) -> Int32 {
        let insns = program.instructions.map { sf_filter_insn(code: $0.code, jt: $0.jt, jf: $0.jf, k: $0.k) }
        var cArgv = argv.map { strdup($0) } + [nil]
        defer { cArgv.forEach { free($0) } }
        return insns.withUnsafeBufferPointer { buffer in
            sf_launch(path, &cArgv, environ, buffer.baseAddress, UInt16(buffer.count), listener, &launch)
        }
    }

    /// A file path, or the name of a bundled profile.
    private func locateProfile() throws -> String {
        var candidates = [options.profile]
        if !options.profile.contains("/") {
            let name = options.profile.hasSuffix(".json") ? options.profile : options.profile + ".json"
            if let dir = System.environment("SECCOMP_FORGE_PROFILES") { candidates.append(dir + "/" + name) }
            // Beside an installed binary (../share/seccomp-forge/profiles) or in the checkout it was built in.
            var dir = System.executableDirectory
            candidates.append(System.directory(of: dir) + "/share/seccomp-forge/profiles/" + name)
            for _ in 0..<4 {
                dir = System.directory(of: dir)
                candidates.append(dir + "/profiles/" + name)
            }
        }
        guard let path = candidates.first(where: { System.exists($0) && !System.isDirectory($0) }) else {
            throw Failure(message: "\(options.profile): no such profile file, and no bundled profile of that name")
        }
        return path
    }

    /// The command's path (searched in PATH like a shell) and its arguments.
    private func resolveCommand() throws -> (String, [String]) {
        let name = options.command[0]
        let candidates = name.contains("/") ? [name]
            : (System.environment("PATH") ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
        var found: String?
        for candidate in candidates where System.exists(candidate) && !System.isDirectory(candidate) {
            if access(candidate, X_OK) == 0 { return (candidate, options.command) }
            found = candidate
        }
        if let found { throw Failure(message: "\(found): permission denied (not executable)", status: 126) }
        throw Failure(message: "\(name): command not found", status: 127)
    }
}
