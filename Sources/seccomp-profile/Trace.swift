import Foundation
import Observer
import Recording

/// The seed workflow: `seccomp-profile --trace /usr/bin/myapp -- --some-args`.
enum Trace {
    static func run(program: String, arguments: [String]) throws {
        let command = [program] + arguments
        let name = URL(fileURLWithPath: program).lastPathComponent
        let path = name + ".seccomp.json"
        FileHandle.standardError.write(Data("Tracing syscalls of \(command.joined(separator: " "))...\n".utf8))
        let outcome: ObservationSession.Outcome
        do {
            let session = try ObservationSession(cgroups: [], pids: [], command: command)
            outcome = try session.run(duration: nil)
        } catch let error as ObserverError {
            // The same statuses as seccomp-observe's.
            let status: Int32
            switch error.kind {
            case .badRequest: status = 2
            case .notPermitted: status = 77
            case .unsupported: status = 69
            case .commandFailed(let errno): status = errno == ENOENT ? 127 : 126
            case .nothingObserved, .failed: status = 1
            }
            throw ToolError(message: error.description, status: status)
        }
        let recording = outcome.recordings[0]
        let names = Set(recording.counts.values.flatMap(\.keys)).sorted()
        print("Observed syscalls:")
        for name in names { print("  \(name)") }
        do { try RecordingFiles.write(recording, profilePath: path) } catch {
            throw ToolError(message: "\(error)", status: ToolError.outputFailed)
        }
        print("Saved profile to \(path)")
        if let status = outcome.commandStatus, status != 0 {
            FileHandle.standardError.write(Data("seccomp-profile: \(name) exited with status \(status)\n".utf8))
        }
    }
}
