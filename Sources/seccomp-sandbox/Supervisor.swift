import CBPF
import CSandbox
import SyscallTable
#if canImport(Glibc)
import Glibc
#endif

/// Answers the confined command's notifications until it exits.
final class Supervisor {
    let label: String
    let emulator: Emulator
    let options: Options
    /// Complain mode: calls the profile would have denied, by ABI and name, with counts.
    private(set) var wouldDeny: [String: [String: Int]] = [:]
    private var reportedKill = false

    init(label: String, real: Program, options: Options) {
        self.label = label
        self.emulator = Emulator(real)
        self.options = options
    }

    /// Returns the command's exit status (128+N for a signal). Signals for this
    /// process (`signals`, a signalfd, or -1) are passed on to the command.
    func supervise(_ launch: sf_launch, signals: Int32) -> Int32 {
        while true {
            let event = sf_wait(launch.pidfd, launch.listener, signals, -1)
            if event == 3 {
                var fromKernel = false
                let signal = sf_signals_read(signals, &fromKernel)
                // A terminal's signal went to the whole process group: the command has it already.
                if signal > 0 && !fromKernel { kill(launch.pid, signal) }
                continue
            }
            if event == 2 {
                var note = sf_notification()
                if sf_notify_receive(launch.listener, &note) == 0 { answer(note, listener: launch.listener) }
                continue
            }
            if event == 1 || (event < 0 && event != -EINTR) { break }
        }
        var status: Int32 = 0
        while waitpid(launch.pid, &status, 0) < 0 && errno == EINTR {}
        if launch.listener >= 0 { close(launch.listener) }
        if launch.pidfd >= 0 { close(launch.pidfd) }
        let signal = status & 0x7f
        if signal == SIGSYS && !reportedKill {
            // The kernel killed it without asking us: an architecture the profile does not cover.
            report("[\(label)] Killed by seccomp filter (SIGSYS): a call from an architecture the profile does not cover")
        }
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private func answer(_ note: sf_notification, listener: Int32) {
        let data = SeccompData(nr: UInt32(bitPattern: note.nr), arch: note.arch, instructionPointer: note.ip,
                               args: [note.args.0, note.args.1, note.args.2, note.args.3, note.args.4, note.args.5])
        let action = (try? emulator.run(data).action) ?? .killProcess
        let (abi, name) = Self.name(of: data)
        if options.mode == .complain {
            if action.isDeny {
                let first = wouldDeny[abi.profileName]?[name] == nil
                wouldDeny[abi.profileName, default: [:]][name, default: 0] += 1
                if first { report("[\(label)] Would deny: syscall \(name)\(abi == .native ? "" : " (\(abi.name))") (\(action))") }
            }
            _ = sf_notify_respond(listener, note.id, 0, true)
            return
        }
        switch action {
        case .errno(let e):
            if options.verbose {
                let errno = ErrnoName.of(Int32(e))
                report("[\(label)] Denied: syscall \(name)\(abi == .native ? "" : " (\(abi.name))") (\(errno.first?.isNumber == true ? "errno " + errno : errno))")
            }
            _ = sf_notify_respond(listener, note.id, Int32(e), false)
        case .killProcess, .killThread:
            report("[\(label)] Killed: syscall \(name)\(abi == .native ? "" : " (\(abi.name))") blocked by seccomp filter")
            reportedKill = true
            kill(pid_t(note.pid), SIGSYS)  // the whole process, as SECCOMP_RET_KILL_PROCESS does
            _ = sf_notify_respond(listener, note.id, EPERM, false)
        default:
            // Not a reported outcome (the kernel filter and this one disagree): let the kernel's answer stand.
            _ = sf_notify_respond(listener, note.id, 0, action == .allow || action == .log)
        }
    }

    /// Records a call the profile would deny that never reached the listener.
    func noteWouldDeny(_ name: String, abi: Architecture) {
        wouldDeny[abi.profileName, default: [:]][name, default: 0] += 1
        report("[\(label)] Would deny: syscall \(name) (the launch let it through)")
    }

    /// The ABI and syscall name of a call (`#N` for numbers no table names).
    static func name(of data: SeccompData) -> (Architecture, String) {
        var arch = Architecture.all.first { $0.auditArch == data.arch && !$0.isX32 && $0.isEmitted } ?? .native
        if arch == .x86_64, data.nr & 0x4000_0000 != 0 { arch = .x32 }
        let table = SyscallTable.forArchitecture(arch)
        return (arch, table.name(of: data.nr) ?? "#\(data.nr & ~arch.numberBase)")
    }

    /// Complain mode's closing summary, and `--update` (profile editing is
    /// seccomp-profile's: this launcher carries no JSON code).
    func finishComplaining(profilePath: String) throws {
        let total = wouldDeny.values.reduce(0) { $0 + $1.count }
        if total == 0 {
            report("[\(label)] complain mode: the profile allowed every call")
        } else {
            report("[\(label)] complain mode: \(total) syscall(s) the profile would deny:")
            for (abi, calls) in wouldDeny.sorted(by: { $0.key < $1.key }) {
                for (name, count) in calls.sorted(by: { $0.key < $1.key }) {
                    report("  \(name) \(abi) \(count)")
                }
            }
        }
        guard let update = options.update else { return }
        var arguments = [ProfileTool.path, "add-calls", profilePath, "-o", update]
        for (abi, calls) in wouldDeny.sorted(by: { $0.key < $1.key }) where !calls.isEmpty {
            arguments += ["--calls", abi + ":" + calls.keys.sorted().joined(separator: ",")]
        }
        guard System.run(arguments) == 0 else { throw Failure(message: "", status: 125) }
        report("[\(label)] wrote \(update) with \(total) syscall(s) added")
    }

    private func report(_ text: String) {
        System.writeError(text)
    }
}
