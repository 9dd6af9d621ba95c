import Foundation
import Recording
import SeccompProfile

/// The seed workflow: `seccomp-profile --trace /usr/bin/myapp -- --some-args`.
///
/// The observing is seccomp-observe's (the eBPF side, which links libbpf): this tool
/// runs it on the command, then prints what it saw and keeps the profile and the
/// recording here as PROGRAM.seccomp.json and PROGRAM.recording.json. seccomp-observe
/// is looked for beside this binary, then on PATH (SECCOMP_FORGE_OBSERVE_TOOL overrides).
enum Trace {
    static func run(program: String, arguments: [String]) throws {
        let command = [program] + arguments
        let name = URL(fileURLWithPath: program).lastPathComponent
        let path = name + ".seccomp.json"
        guard let observer = observeTool() else {
            throw ToolError(message: "--trace needs seccomp-observe, beside this binary or on PATH (or set SECCOMP_FORGE_OBSERVE_TOOL)", status: 69)
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("seccomp-profile-trace-\(getpid())").path
        do { try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: false) } catch {
            throw ToolError(message: "--trace: cannot make \(scratch) (\(error.localizedDescription))", status: ToolError.outputFailed)
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        FileHandle.standardError.write(Data("Tracing syscalls of \(command.joined(separator: " "))...\n".utf8))
        let observed = scratch + "/" + path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: observer)
        process.arguments = ["--quiet", "-o", observed, "--"] + command
        do { try process.run() } catch {
            throw ToolError(message: "--trace: cannot run \(observer) (\(error.localizedDescription))", status: 69)
        }
        // Ctrl-C reaches the command through seccomp-observe, which still writes what it saw.
        signal(SIGINT, SIG_IGN)
        process.waitUntilExit()
        let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        let recordingPath = RecordingFiles.recordingPath(forProfile: observed)
        guard let profileBytes = FileManager.default.contents(atPath: observed),
              let recordingBytes = FileManager.default.contents(atPath: recordingPath),
              let recording = try? JSONDecoder().decode(Recording.self, from: recordingBytes) else {
            // seccomp-observe has said why, in one line; its status is the answer (2, 69, 77, 126, 127...).
            throw ToolError(message: "--trace: nothing was recorded for \(name)", status: status == 0 ? 1 : status)
        }
        print("Observed syscalls:")
        for call in Set(recording.counts.values.flatMap(\.keys)).sorted() { print("  \(call)") }
        do {
            try OutputFile.write(profileBytes, to: path)
            try OutputFile.write(recordingBytes, to: RecordingFiles.recordingPath(forProfile: path))
        } catch {
            throw ToolError(message: "\(error)", status: ToolError.outputFailed)
        }
        print("Saved profile to \(path)")
        if status != 0 {
            FileHandle.standardError.write(Data("seccomp-profile: \(name) exited with status \(status)\n".utf8))
        }
    }

    /// seccomp-observe: SECCOMP_FORGE_OBSERVE_TOOL, else beside this binary, else on PATH.
    static func observeTool() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["SECCOMP_FORGE_OBSERVE_TOOL"], !explicit.isEmpty { return explicit }
        let here = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
        let candidates = [here] + (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        return candidates.map { $0 + "/seccomp-observe" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
