import Foundation
import Synchronization

/// The signal that asked an observation to stop (SIGINT, SIGTERM, SIGHUP), 0 until one does:
/// stored by the handlers (a lock-free atomic store is async-signal-safe), read by the
/// polling loops. Signals are delivered to the process, so this is the process's one flag.
private let caughtStopSignal = Atomic<Int32>(0)

public var stopSignal: Int32 { caughtStopSignal.load(ordering: .relaxed) }

/// Catches the stop signals from now on (and keeps catching them: no signal between set-up
/// and the last file written loses what was gathered).
public func installStopHandlers() {
    caughtStopSignal.store(0, ordering: .relaxed)
    for stop in [SIGINT, SIGTERM, SIGHUP] { signal(stop) { caughtStopSignal.store($0, ordering: .relaxed) } }
}
