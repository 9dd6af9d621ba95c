import FilterCache
import CBPF
import SeccompABI
import CSandbox
import SyscallTable
#if canImport(Glibc)
import Glibc
#endif

/// What both modes do with the command while it runs: pass signals on (a
/// terminal's Ctrl-C reached it already), and give up waiting on a second
/// SIGTERM/SIGINT, killing the command: the sandbox always yields.
struct SignalRelay {
    let signals: Int32
    private var stops = 0

    init(signals: Int32) { self.signals = signals }

    /// Handles one pending signal; true when the supervisor should stop waiting.
    mutating func relay(to pid: pid_t, alive: Bool) -> Bool {
        var fromKernel = false
        let signal = sf_signals_read(signals, &fromKernel)
        guard signal > 0 else { return false }
        if signal == SIGTERM || signal == SIGINT || signal == SIGHUP { stops += 1 }
        if !alive { return stops > 0 }
        if stops > 1 {
            kill(pid, SIGKILL)
            return false
        }
        if !fromKernel { kill(pid, signal) }
        return false
    }
}

/// The call a record or notification names, as users read it: `ptrace`, `socketcall (x86)`, `#500`.
enum CallName {
    /// The ABI and the bare name (x32 is the x86_64 audit arch with the 0x40000000 bit).
    static func resolve(nr: UInt32, arch auditArch: UInt32) -> (Architecture, String) {
        var arch = Architecture.all.first { $0.auditArch == auditArch && !$0.isX32 && $0.isEmitted } ?? .native
        if arch == .x86_64, nr & X32.syscallBit != 0 { arch = .x32 }
        return (arch, SyscallTable.forArchitecture(arch).name(of: nr) ?? "#\(nr & ~arch.numberBase)")
    }

    /// The ABI and the name as printed: the ABI added unless it is the native one.
    static func of(nr: UInt32, arch auditArch: UInt32) -> (Architecture, String) {
        let (arch, name) = resolve(nr: nr, arch: auditArch)
        return (arch, name + (arch == .native ? "" : " (\(arch.name))"))
    }
}

/// Enforce mode: the kernel alone applies the profile (the filter returns its own
/// actions). This process only waits for the command and reads the kernel's audit
/// records of what the filter did, to name the call that was stopped.
final class Enforcer {
    let label: String
    let launch: sf_launch
    let log: KernelLog?
    let logError: Int32
    let options: Sandbox.Options
    let program: Program
    let tree: ProcessTree?
    private var killRecord: SeccompRecord?
    private var reported: Set<String> = []
    private var recordsSeen = 0

    init(label: String, launch: sf_launch, kernelLog: Result<KernelLog, KernelLog.OpenFailure>?, tree: ProcessTree?,
         options: Sandbox.Options, program: Program) {
        self.label = label
        self.tree = tree
        tree?.root(launch.pid)
        self.launch = launch
        self.options = options
        self.program = program
        switch kernelLog {
        case .success(let log): (self.log, self.logError) = (log, 0)
        case .failure(let failure): (self.log, self.logError) = (nil, failure.code)
        case nil: (self.log, self.logError) = (nil, 0)
        }
    }

    /// Returns the command's exit status (128+N for a signal N; 159 for the kernel's SIGSYS).
    func supervise(signals: Int32) -> Int32 {
        var relay = SignalRelay(signals: signals)
        while true {
            let events = sf_wait(launch.pidfd, -1, signals, log?.fd ?? -1, tree?.fd ?? -1, -1)
            if events < 0 && events != -EINTR { break }
            if events > 0 && events & Int32(SF_PROC_EVENTS) != 0 { tree?.update() }
            if events > 0 && events & Int32(SF_KERNEL_LOG) != 0 { readRecords() }
            if events > 0 && events & Int32(SF_SIGNAL) != 0 { _ = relay.relay(to: launch.pid, alive: true) }
            if events > 0 && events & Int32(SF_EXITED) != 0 { break }
        }
        var status: Int32 = 0
        while waitpid(launch.pid, &status, 0) < 0 && errno == EINTR {}
        close(launch.pidfd)
        let signal = status & 0x7f
        if signal == SIGSYS {
            // The kernel's records come through its audit thread, a moment after the kill.
            waitForRecords(until: { self.killRecord != nil }, milliseconds: 500)
            reportKill()
        } else if options.verbose && log != nil {
            waitForRecords(until: { false }, milliseconds: 30)
        }
        if options.verbose && recordsSeen >= 10 && log?.source == .kmsg {
            System.writeError("[\(label)] note: the kernel logs at most 10 such records every 5 s (printk_ratelimit); --mode complain lists every call")
        }
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private func waitForRecords(until done: () -> Bool, milliseconds: Int32) {
        guard let log else { return }
        var left = milliseconds
        while !done() && left > 0 {
            let events = sf_wait(-1, -1, -1, log.fd, -1, 10)
            if events > 0 { readRecords() } else { left -= 10 }
        }
    }

    private func readRecords() {
        guard let log else { return }
        for record in log.drain() where belongsToCommand(record.pid) {
            recordsSeen += 1
            let action = SeccompAction(returnValue: record.code)
            // The record carries the action, not its data: the errno is the filter's answer for that call.
            let errnoValue = errnoFor(record)
            let (_, name) = CallName.of(nr: record.syscall, arch: record.arch)
            let who = record.pid == launch.pid ? label : record.comm
            switch action {
            case .killProcess, .killThread:
                if record.pid == launch.pid && killRecord == nil { killRecord = record; continue }
                report("[\(who)] Killed: syscall \(name) blocked by seccomp filter\(action == .killThread ? " (thread)" : "")", once: false)
            case .trap:
                if record.pid == launch.pid && killRecord == nil { killRecord = record }
                if options.verbose { report("[\(who)] Trapped: syscall \(name) (SIGSYS delivered by seccomp filter)", once: true) }
            case .errno:
                let errno = errnoValue.map { ErrnoName.of(Int32($0)) } ?? "an errno"
                let text = errno.first?.isNumber == true ? "errno " + errno : errno
                if options.verbose { report("[\(who)] Denied: syscall \(name) (\(text))", once: true) }
            case .log:
                if options.verbose { report("[\(who)] Logged: syscall \(name)", once: true) }
            case .trace:
                if options.verbose { report("[\(who)] Traced: syscall \(name) (ENOSYS without a tracer)", once: true) }
            default:
                break
            }
        }
    }

    /// The errno the filter answers this call with: its answer with zero arguments, or
    /// the only errno the filter ever returns; nil if the arguments decide.
    private func errnoFor(_ record: SeccompRecord) -> UInt32? {
        let data = SeccompData(nr: record.syscall, arch: record.arch, instructionPointer: 0, args: [0, 0, 0, 0, 0, 0])
        if case .errno(let e)? = try? Emulator(program).run(data).action { return UInt32(e) }
        let values = Set(program.instructions.compactMap { insn -> UInt32? in
            guard insn.code == BPF.ret | BPF.k, case .errno(let e) = SeccompAction(returnValue: insn.k) else { return nil }
            return UInt32(e)
        })
        return values.count == 1 ? values.first : nil
    }

    /// The kill of the command itself, named from the kernel's record when there is one.
    private func reportKill() {
        if let record = killRecord {
            let (_, name) = CallName.of(nr: record.syscall, arch: record.arch)
            let action = SeccompAction(returnValue: record.code)
            if action == .trap {
                report("[\(label)] Killed: syscall \(name) trapped by seccomp filter (SIGSYS not handled)", once: false)
            } else {
                report("[\(label)] Killed: syscall \(name) blocked by seccomp filter\(action == .killThread ? " (thread)" : "")", once: false)
            }
            return
        }
        let why: String
        if log == nil {
            why = "the kernel's record of the call cannot be read here (/dev/kmsg: \(System.errorText(logError))): run as root, or with --mode complain, to name it"
        } else {
            why = "the kernel wrote no record of the call (an audit daemon takes the records: see ausearch -m SECCOMP; or its log rate limit dropped it): run with --mode complain to name it"
        }
        report("[\(label)] Killed by seccomp filter (SIGSYS): \(why)", once: false)
    }

    /// The command, or a process it started: from the kernel's fork events, else
    /// (events lost, or no CAP_NET_ADMIN) through the parent chain in /proc.
    private func belongsToCommand(_ pid: Int32) -> Bool {
        if let tree {
            tree.update()
            if tree.contains(pid) { return true }
            if tree.complete { return false }
        }
        var current = pid
        for _ in 0..<64 {
            if current == launch.pid { return true }
            if current <= 1 { return false }
            guard let parent = Self.parent(of: current) else { return false }
            current = parent
        }
        return false
    }

    private static func parent(of pid: Int32) -> Int32? {
        guard let bytes = System.read("/proc/\(pid)/stat"), let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 2)...].split(separator: UInt8(ascii: " "), maxSplits: 3)
        guard fields.count >= 2 else { return nil }
        return Int32(String(decoding: fields[1], as: UTF8.self))
    }

    private func report(_ text: String, once: Bool) {
        if once {
            guard reported.insert(text).inserted else { return }
        }
        System.writeError(text)
    }
}

/// Complain mode: every outcome but ALLOW comes to this process as a notification,
/// is recorded as what the profile would have done, and the call is let through.
/// Runs until no process holds the filter (background processes are recorded too).
final class Complainer {
    let label: String
    let emulator: Emulator
    let options: Sandbox.Options
    /// Calls the profile would have denied, by ABI and name, with counts.
    private(set) var wouldDeny: [String: [String: Int]] = [:]

    init(label: String, real: Program, options: Sandbox.Options) {
        self.label = label
        self.emulator = Emulator(real)
        self.options = options
    }

    /// Returns the main command's exit status (128+N for a signal).
    func supervise(_ launch: sf_launch, signals: Int32) -> Int32 {
        var relay = SignalRelay(signals: signals)
        var status: Int32 = 0
        var exited = false
        var pidfd = launch.pidfd
        while true {
            let events = sf_wait(pidfd, launch.listener, signals, -1, -1, -1)
            if events < 0 {
                if events == -EINTR { continue }
                break
            }
            if events & Int32(SF_NOTIFICATION) != 0 {
                var note = sf_notification()
                if sf_notify_receive(launch.listener, &note) == 0 { answer(note, listener: launch.listener) }
                continue
            }
            if events & Int32(SF_SIGNAL) != 0, relay.relay(to: launch.pid, alive: !exited) { break }
            if events & Int32(SF_EXITED) != 0 && !exited {
                while waitpid(launch.pid, &status, 0) < 0 && errno == EINTR {}
                exited = true
                close(pidfd)
                pidfd = -1
            }
            // Every process holding the filter is gone.
            if events & Int32(SF_LISTENER_GONE) != 0 { break }
        }
        if !exited { while waitpid(launch.pid, &status, 0) < 0 && errno == EINTR {} }
        if pidfd >= 0 { close(pidfd) }
        close(launch.listener)
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private func answer(_ note: sf_notification, listener: Int32) {
        let data = SeccompData(nr: UInt32(bitPattern: note.nr), arch: note.arch, instructionPointer: note.ip,
                               args: [note.args.0, note.args.1, note.args.2, note.args.3, note.args.4, note.args.5])
        let action = (try? emulator.run(data).action) ?? .killProcess
        if action.isDeny { record(data, action: action) }
        _ = sf_notify_respond(listener, note.id, 0, true)
    }

    private func record(_ data: SeccompData, action: SeccompAction) {
        let (arch, name) = CallName.resolve(nr: data.nr, arch: data.arch)
        let first = wouldDeny[arch.profileName]?[name] == nil
        wouldDeny[arch.profileName, default: [:]][name, default: 0] += 1
        if first { System.writeError("[\(label)] Would deny: syscall \(name)\(arch == .native ? "" : " (\(arch.name))") (\(action))") }
    }

    /// Records a call the profile would deny that never reached the listener.
    func noteWouldDeny(_ name: String, abi: Architecture, action: SeccompAction) {
        wouldDeny[abi.profileName, default: [:]][name, default: 0] += 1
        System.writeError("[\(label)] Would deny: syscall \(name) (\(action); the launch let it through)")
    }

    /// The closing summary, and `--update` (profile editing is seccomp-profile's:
    /// this launcher carries no JSON code).
    func finish(profilePath: String, profileBytes: [UInt8]) throws {
        let total = wouldDeny.values.reduce(0) { $0 + $1.count }
        if total == 0 {
            System.writeError("[\(label)] complain mode: the profile allowed every call")
        } else {
            System.writeError("[\(label)] complain mode: \(total) syscall(s) the profile would deny:")
            for (abi, calls) in wouldDeny.sorted(by: { $0.key < $1.key }) {
                for (name, count) in calls.sorted(by: { $0.key < $1.key }) {
                    System.writeError("  \(name) \(abi) \(count)")
                }
            }
        }
        guard let update = options.update else { return }
        // The bytes the filter was compiled from, not whatever the file holds now.
        var arguments = [ProfileTool.path, "add-calls", "-", "--name", profilePath, "-o", update]
        for (abi, calls) in wouldDeny.sorted(by: { $0.key < $1.key }) where !calls.isEmpty {
            arguments += ["--calls", abi + ":" + calls.keys.sorted().joined(separator: ",")]
        }
        let input = System.memoryFile(profileBytes)
        defer { if input >= 0 { close(input) } }
        guard input >= 0, System.run(arguments, stdin: input) == 0 else { throw Sandbox.Failure(message: "", status: 125) }
        System.writeError("[\(label)] wrote \(update) with \(total) syscall(s) added")
    }
}

/// The command's processes as the kernel reports their forks (the process-events
/// connector): exact even for a process that exited and was reaped before its
/// record was read.
final class ProcessTree {
    let fd: Int32
    /// The command's own process, and the processes it started (a set only once it forks:
    /// a command that never forks costs no hashing).
    private var leader: Int32 = 0
    private var descendants: Set<Int32> = []
    /// False once events were lost (the socket overflowed).
    private(set) var complete = true

    init?() {
        let fd = sf_proc_events_open()
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    func root(_ pid: Int32) { leader = pid }

    func contains(_ pid: Int32) -> Bool { pid == leader || (!descendants.isEmpty && descendants.contains(pid)) }

    /// Takes in the forks reported since the last call.
    func update() {
        withUnsafeTemporaryAllocation(of: sf_fork.self, capacity: 256) { forks in
            while true {
                let n = sf_proc_events_read(fd, forks.baseAddress, Int32(forks.count))
                if n < 0 {
                    if n == -ENOBUFS { complete = false; continue }
                    return
                }
                for fork in forks.prefix(Int(n)) where contains(fork.parent) { descendants.insert(fork.child) }
                if n < forks.count { return }
            }
        }
    }
}
