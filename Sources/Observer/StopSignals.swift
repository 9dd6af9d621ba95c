import Foundation

/// The signal that asked an observation to stop (SIGINT, SIGTERM, SIGHUP), 0 until one does;
/// set by the handlers, read by the polling loops.
nonisolated(unsafe) var stopSignal: Int32 = 0

/// Catches the stop signals from now on (and keeps catching them: no signal between set-up
/// and the last file written loses what was gathered).
func installStopHandlers() {
    stopSignal = 0
    for stop in [SIGINT, SIGTERM, SIGHUP] { signal(stop) { stopSignal = $0 } }
}
