import CBPF
import FilterCache
import SeccompABI
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

/// One confined run: read the profile once, find its compiled filter (cached, or
/// from seccomp-profile), check the command can start under it, launch, report.
public final class Sandbox {
    let options: Options
    let label: String

    public init(options: Options) {
        self.options = options
        self.label = options.command.first.map(System.lastComponent) ?? "sandbox"
    }

    public func run() throws -> Int32 {
        let profilePath = try locateProfile()
        // Read once: these bytes are hashed, compiled and (complain mode) updated.
        guard let profileBytes = System.read(profilePath) else {
            throw Sandbox.Failure(message: "\(profilePath): cannot be read (\(System.errorText(errno)))")
        }
        let entry = try compiledFilter(profilePath, profileBytes)
        if options.printFilter {
            System.writeOutput(Disassembler(entry.program).listing())
            return 0
        }
        let notifies = entry.program.instructions.contains { $0.code == BPF.ret | BPF.k && SeccompAction(returnValue: $0.k) == .userNotification }
        if notifies && entry.listenerPath.isEmpty && options.mode == .enforce {
            throw Sandbox.Failure(message: "\(profilePath): SCMP_ACT_NOTIFY needs a listenerPath (the agent that answers those calls); runc refuses such a profile too")
        }
        if let update = options.update { try checkWritable(update) }
        let command = options.command.isEmpty ? nil : try CommandToRun(resolving: options.command)
        defer { command?.release() }
        let complain = options.mode == .complain
        // Complain mode's launch starts from the variant that lets execve through: the
        // listener that would otherwise be asked about it is ours, and we are waiting
        // for the launch to finish.
        let kernelProgram = complain ? entry.execOpened.mappingReturns { value in
            SeccompAction(returnValue: value) == .allow ? value : SeccompAction.userNotification.returnValue
        } : entry.program
        // What the profile itself answers to the launch's execve: enforce mode refuses a launch
        // it would stop; complain mode lets it through and records it (below).
        let startOutcome = command?.startOutcome(entry.program)
        var launchVia = LaunchCall.execve
        if let command, let startOutcome, !complain {
            switch startOutcome {
            case .allowed(let call): launchVia = call
            case .refused(let action):
                throw Sandbox.Failure(message: "\(profilePath): \(command.path) could never start: the filter answers its execve (and execveat) with \(Self.describe(action))")
            }
        }
        if options.dryRun {
            let what = command == nil ? "" : "; \(command!.path) would start under it (\(launchVia == .execveat ? "through execveat" : "execve"))"
            System.writeOutput("\(profilePath): \(entry.program.count) instructions for \(entry.architectures.joined(separator: ", "))\(what)\n")
            return 0
        }
        guard let command else { return 0 }
        // Nothing here is worth reading or writing for the confined command: no ptrace,
        // no /proc/PID/mem, no pidfd_getfd of our descriptors by a same-user process.
        sf_make_undumpable()

        // The profile's flags as runc sets them (SPEC_ALLOW unless it gives "flags"; LOG; WAIT_KILLABLE_RECV).
        var flags = FilterFlags(rawValue: entry.flags)
        if complain || notifies { flags.insert(.newListener) }
        if options.verbose && !complain { flags.insert(.log) }
        let kernelLog = complain ? nil : KernelLog.open()
        // Which records are the command's: its forks, as the kernel reports them (root).
        let tree: ProcessTree? = if case .success = kernelLog { ProcessTree() } else { nil }
        // From here on a Ctrl-C or a kill reaches the command, not this supervisor,
        // which outlives it to report (and, in complain mode, to write what it learned).
        let signals = sf_signals_open()
        var launch = sf_launch()
        var rc = command.launch(kernelProgram, flags: flags.rawValue, via: launchVia, into: &launch)
        if rc == 0, launch.install_errno == EINVAL, options.verbose, !FilterFlags(rawValue: entry.flags).contains(.log) {
            // A kernel without SECCOMP_FILTER_FLAG_LOG (before 4.14): run without naming errno outcomes.
            reap(launch)
            System.writeError("seccomp-sandbox: note: this kernel has no SECCOMP_FILTER_FLAG_LOG; --verbose cannot name errno outcomes")
            flags.remove(.log)
            rc = command.launch(kernelProgram, flags: flags.rawValue, via: launchVia, into: &launch)
        }
        guard rc == 0 else { throw Sandbox.Failure(message: "cannot start \(options.command[0]): \(System.errorText(-rc))") }
        if launch.install_errno != 0 {
            reap(launch)
            let need = complain ? " (complain mode needs a seccomp listener: Linux 5.5 or later)" : ""
            throw Sandbox.Failure(message: "installing the seccomp filter failed: \(System.errorText(launch.install_errno))\(need)")
        }
        if launch.exec_errno != 0 {
            reap(launch)
            let missing = launch.exec_errno == ENOENT
            throw Sandbox.Failure(message: "\(command.path): \(missing ? "command not found" : System.errorText(launch.exec_errno))", status: missing ? 127 : 126)
        }
        if complain {
            let supervisor = Complainer(label: label, real: entry.program, options: options)
            if case .refused(let action)? = startOutcome {
                supervisor.noteWouldDeny("execve", abi: .native, action: action)
            }
            let status = supervisor.supervise(launch, signals: signals)
            try supervisor.finish(profilePath: profilePath, profileBytes: profileBytes)
            return status
        }
        if launch.listener >= 0 {
            // SCMP_ACT_NOTIFY: the agent at listenerPath answers; we keep no copy.
            let rc = handOver(launch, entry: entry)
            close(launch.listener)
            launch.listener = -1
            if rc != 0 {
                kill(launch.pid, SIGKILL)
                reap(launch)
                throw Sandbox.Failure(message: "\(profilePath): cannot hand the seccomp listener to \(entry.listenerPath): \(System.errorText(-rc))")
            }
        }
        return Enforcer(label: label, launch: launch, kernelLog: kernelLog, tree: tree, options: options, program: entry.program).supervise(signals: signals)
    }

    private func reap(_ launch: sf_launch) {
        var status: Int32 = 0
        while waitpid(launch.pid, &status, 0) < 0 && errno == EINTR {}
        if launch.pidfd >= 0 { close(launch.pidfd) }
        if launch.listener >= 0 { close(launch.listener) }
    }

    /// runc's message to a seccomp agent: the container-process state, as JSON.
    private func handOver(_ launch: sf_launch, entry: FilterCacheEntry) -> Int32 {
        var cwd = [CChar](repeating: 0, count: 4096)
        let bundle = getcwd(&cwd, cwd.count) != nil ? String(decoding: cwd.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/"
        let id = "seccomp-sandbox-\(launch.pid)"
        let state = #"{"ociVersion":"1.0.2","fds":["seccompFd"],"pid":\#(launch.pid),"metadata":\#(JSONText.quote(entry.listenerMetadata)),"state":{"ociVersion":"1.0.2","id":\#(JSONText.quote(id)),"status":"running","pid":\#(launch.pid),"bundle":\#(JSONText.quote(bundle)),"annotations":{"org.seccomp-forge.command":\#(JSONText.quote(options.command.joined(separator: " ")))}}}"#
        let bytes = Array(state.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { sf_hand_over_listener(entry.listenerPath, $0.baseAddress, $0.count, launch.listener) }
        }
    }

    static func describe(_ action: SeccompAction) -> String {
        switch action {
        case .errno(let e): return "ERRNO(\(ErrnoName.of(Int32(e))))"
        case .trace: return "TRACE (ENOSYS without a tracer)"
        case .userNotification: return "NOTIFY (nothing could answer the launch's own call)"
        default: return "\(action)"
        }
    }

    private func checkWritable(_ path: String) throws {
        let directory = System.directory(of: path)
        if System.isDirectory(path) { throw Sandbox.Failure(message: "--update \(path): is a directory") }
        if access(directory, W_OK | X_OK) != 0 {
            throw Sandbox.Failure(message: "--update \(path): cannot write in \(directory) (\(System.errorText(errno)))")
        }
    }

    /// The compiled filter for exactly the bytes read from the profile: from the cache
    /// when an entry for those bytes (and this mode, machine and tools) passes every
    /// check, else compiled by seccomp-profile from the same bytes, passed in memory.
    private func compiledFilter(_ profilePath: String, _ profileBytes: [UInt8]) throws -> FilterCacheEntry {
        let tool = ProfileTool.path
        let key = cacheKey(profileBytes, tool: tool)
        let cache = CacheDirectory.open()
        if let entry = cache?.load(key: key) { return entry }

        let input = System.memoryFile(profileBytes), output = sf_memfd("filter")
        defer { if input >= 0 { close(input) }; if output >= 0 { close(output) } }
        guard input >= 0, output >= 0 else { throw Sandbox.Failure(message: "cannot pass the profile to \(tool): \(System.errorText(errno))") }
        var arguments = [tool, "prepare-sandbox", "-", "--name", profilePath, "--out", "-", "--key", SHA256.hex(key)]
        if options.mode == .complain { arguments.append("--open-exec") }
        let status = System.run(arguments, stdin: input, stdout: output)
        if status == -1 { throw Sandbox.Failure(message: "cannot run \(tool) to compile the profile (set SECCOMP_FORGE_PROFILE_TOOL)") }
        // seccomp-profile has already said what is wrong with the profile, in one line.
        guard status == 0 else { throw Sandbox.Failure(message: "", status: 125) }
        lseek(output, 0, SEEK_SET)
        guard let bytes = System.readAll(output), let entry = FilterCacheEntry(bytes: bytes), entry.key == key else {
            throw Sandbox.Failure(message: "\(tool) returned no usable filter for \(profilePath)")
        }
        cache?.store(entry)
        return entry
    }

    /// SHA-256 of the profile's bytes, the mode, this machine (architecture, kernel
    /// release) and both binaries (device, inode, size, mtime): a rebuilt tool or an
    /// edited profile never meets a stale entry.
    private func cacheKey(_ profileBytes: [UInt8], tool: String) -> [UInt8] {
        var hash = SHA256()
        hash.updateField(FilterCacheEntry.keyDomain)
        hash.updateField(profileBytes)
        hash.updateField(Array((options.mode.rawValue + " " + Architecture.native.name).utf8))
        var name = utsname()
        uname(&name)
        withUnsafeBytes(of: &name.release) { hash.updateField(Array($0.prefix(while: { $0 != 0 }))) }
        for binary in ["/proc/self/exe", tool] {
            var info = stat()
            guard stat(binary, &info) == 0 else { hash.updateField([]); continue }
            var identity = (UInt64(info.st_dev), UInt64(info.st_ino), Int64(info.st_size), Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec))
            withUnsafeBytes(of: &identity) { hash.updateField(Array($0)) }
        }
        return hash.finish()
    }

    /// A file path (anything with a slash), or the name of a bundled profile, which
    /// never resolves to a file in the current directory.
    private func locateProfile() throws -> String {
        if options.profile.contains("/") {
            guard System.exists(options.profile) else { throw Sandbox.Failure(message: "\(options.profile): no such profile file") }
            guard !System.isDirectory(options.profile) else { throw Sandbox.Failure(message: "\(options.profile): is a directory, not a profile") }
            return options.profile
        }
        let name = options.profile.hasSuffix(".json") ? options.profile : options.profile + ".json"
        var candidates: [String] = []
        if let dir = System.environment("SECCOMP_FORGE_PROFILES") { candidates.append(dir + "/" + name) }
        // Beside an installed binary (../share/seccomp-forge/profiles) or in the checkout it was built in.
        var dir = System.executableDirectory
        candidates.append(System.directory(of: dir) + "/share/seccomp-forge/profiles/" + name)
        for _ in 0..<4 {
            dir = System.directory(of: dir)
            candidates.append(dir + "/profiles/" + name)
        }
        if let path = candidates.first(where: { System.exists($0) && !System.isDirectory($0) }) { return path }
        let local = System.exists(options.profile) ? "; for the file here, say ./\(options.profile)" : ""
        throw Sandbox.Failure(message: "\(options.profile): no bundled profile of that name\(local)")
    }
}

/// How the command is started: execve, or execveat when only that passes the filter.
enum LaunchCall { case execve, execveat }

/// The command's path and arguments as C strings, allocated once so the filter can
/// be evaluated on the very pointers the launch's execve will pass.
final class CommandToRun {
    let path: String
    private let cPath: UnsafeMutablePointer<CChar>
    /// argv for execve: a C string per argument, then NULL.
    private let argvBuffer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let argc: Int

    init(resolving command: [String]) throws {
        path = try Self.resolve(command[0])
        cPath = strdup(path)
        argc = command.count
        argvBuffer = .allocate(capacity: argc + 1)
        for (i, argument) in command.enumerated() { (argvBuffer + i).initialize(to: strdup(argument)) }
        (argvBuffer + argc).initialize(to: nil)
    }

    func release() {
        free(cPath)
        for i in 0..<argc { free(argvBuffer[i]) }
        argvBuffer.deallocate()
    }

    enum Outcome { case allowed(LaunchCall), refused(SeccompAction) }

    /// What `program` answers to the launch's own execve (then execveat), with the
    /// exact arguments it will see.
    func startOutcome(_ program: Program) -> Outcome {
        let emulator = Emulator(program)
        let arch = Architecture.native.auditArch
        let envp = UInt64(UInt(bitPattern: environ))
        let pathArg = UInt64(UInt(bitPattern: cPath)), argvArg = UInt64(UInt(bitPattern: argvBuffer))
        func answer(_ nr: Int32, _ args: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)) -> SeccompAction {
            var data = SeccompData(nr: UInt32(nr), arch: arch)
            data.args = args
            return (try? emulator.run(data).action) ?? .killProcess
        }
        let viaExecve = answer(Int32(SF_NR_EXECVE), (pathArg, argvArg, envp, 0, 0, 0))
        if viaExecve == .allow || viaExecve == .log { return .allowed(.execve) }
        let viaExecveat = answer(Int32(SF_NR_EXECVEAT), (UInt64(bitPattern: Int64(AT_FDCWD)), pathArg, argvArg, envp, 0, 0))
        if viaExecveat == .allow || viaExecveat == .log { return .allowed(.execveat) }
        return .refused(viaExecve)
    }

    func launch(_ program: Program, flags: UInt32, via call: LaunchCall, into launch: inout sf_launch) -> Int32 {
        let count = program.instructions.count
        let insns = UnsafeMutablePointer<sf_filter_insn>.allocate(capacity: max(count, 1))
        defer { insns.deallocate() }
        for (i, ins) in program.instructions.enumerated() {
            insns[i] = sf_filter_insn(code: ins.code, jt: ins.jt, jf: ins.jf, k: ins.k)
        }
        return sf_launch(cPath, argvBuffer, environ, insns, UInt16(count), flags, call == .execveat, &launch)
    }

    /// The command's path, searched in PATH like a shell.
    private static func resolve(_ name: String) throws -> String {
        let candidates = name.contains("/") ? [name]
            : (System.environment("PATH") ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
        var found: String?
        for candidate in candidates where System.exists(candidate) && !System.isDirectory(candidate) {
            if access(candidate, X_OK) == 0 { return candidate }
            found = candidate
        }
        if let found { throw Sandbox.Failure(message: "\(found): permission denied (not executable)", status: 126) }
        throw Sandbox.Failure(message: "\(name): command not found", status: 127)
    }
}

/// Just enough JSON to write a string for runc's agent message.
enum JSONText {
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
