import ArgumentParser
import Foundation
import Recording
import SeccompProfile
import SyscallTable

/// `seccomp-profile merge`: recordings from any runs and hosts into one profile,
/// counts summed, with how many recordings saw each call.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge recordings (NAME.recording.json) into one profile, with coverage per syscall.",
        discussion: """
        Counts are summed; each syscall's coverage is the number of recordings that saw it
        (as security-profiles-operator's syscall coverage), printed and kept in the merged
        recording. The profile allows every call any recording saw.

        Examples: seccomp-profile merge host1/web.recording.json host2/web.recording.json -o web.seccomp.json
                  seccomp-profile merge runs/*.recording.json -o app.seccomp.json --recording app.recording.json
        """)

    @Argument(help: "Recordings to merge.") var recordings: [String]
    @Option(name: .shortAndLong, help: "Where to write the profile (default: standard output).") var output: String?
    @Option(name: .long, help: "Where to write the merged recording (counts, coverage, seconds observed).") var recording: String?
    @Option(name: .long, help: "The profile's action for calls no recording saw.") var defaultAction = "SCMP_ACT_ERRNO"

    func run() throws {
        guard !recordings.isEmpty else { throw ToolError.badInput("merge: give at least one recording") }
        let loaded = try recordings.map(RecordingFile.load)
        var merged = loaded[0]
        merged.target = Set(loaded.map(\.target)).sorted().joined(separator: ", ")
        for other in loaded.dropFirst() { merged.merge(other) }
        var coverage: [String: [String: Int]] = [:]
        for one in loaded {
            for (abi, calls) in one.counts {
                for name in calls.keys { coverage[abi, default: [:]][name, default: 0] += 1 }
            }
        }
        merged.coverage = coverage
        merged.recordings = loaded.count
        let profile = ProfileGenerator.profile(from: merged, defaultAction: defaultAction)
        if let output { try writeAtomically(profile.encoded(), to: output) } else { FileHandle.standardOutput.write(profile.encoded()) }
        if let recording { try writeAtomically(merged.encoded(), to: recording) }
        let partial = coverage.flatMap { abi, names in names.filter { $0.value < loaded.count }.map { "\($0.key) (\(abi)) \($0.value)/\(loaded.count)" } }.sorted()
        FileHandle.standardError.write(Data("merged \(loaded.count) recording(s), \(String(format: "%.1f", merged.seconds)) s observed: \(merged.distinctSyscalls) syscall(s), \(merged.totalCalls) calls; seen in every recording: \(merged.distinctSyscalls - partial.count)\n".utf8))
        for line in partial { FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
    }
}

/// `seccomp-profile diff`: what one profile or recording allows that another does not.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Syscalls added and removed between two profiles or recordings, per architecture.",
        discussion: """
        Each side is a profile (what it allows, with or without argument conditions) or a
        recording (what was seen, with counts). With --fail-on-new, exit 1 when NEW needs
        calls OLD lacks: a CI step that fails the build on new syscalls.

        Example: seccomp-observe -o new.seccomp.json -- make test
                 seccomp-profile diff app.seccomp.json new.seccomp.json --fail-on-new
        """)

    @Argument(help: "The old profile or recording.") var old: String
    @Argument(help: "The new profile or recording.") var new: String
    @Flag(name: .long, help: "Exit 1 if NEW has calls OLD lacks.") var failOnNew = false
    @OptionGroup var target: TargetOptions

    func run() throws {
        let before = try calls(old), after = try calls(new)
        var added = 0, removed = 0
        for abi in Set(before.keys).union(after.keys).sorted() {
            let a = before[abi] ?? [:], b = after[abi] ?? [:]
            for name in Set(b.keys).subtracting(a.keys).sorted() {
                print("+ \(name) \(abi)\(b[name]!.map { " (\($0) calls)" } ?? "")")
                added += 1
            }
            for name in Set(a.keys).subtracting(b.keys).sorted() {
                print("- \(name) \(abi)\(a[name]!.map { " (\($0) calls)" } ?? "")")
                removed += 1
            }
        }
        FileHandle.standardError.write(Data("\(added) added, \(removed) removed\n".utf8))
        if failOnNew && added > 0 {
            FileHandle.standardError.write(Data("seccomp-profile: \(new) needs \(added) syscall(s) \(old) does not allow\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Per ABI, the calls a file allows (a profile) or saw (a recording, with counts).
    func calls(_ path: String) throws -> [String: [String: UInt64?]] {
        if let recording = try? RecordingFile.load(path) {
            return recording.counts.mapValues { $0.mapValues { Optional($0) } }
        }
        let policy = try target.policy(from: path)
        var out: [String: [String: UInt64?]] = [:]
        for arch in policy.architectures {
            for entry in SyscallTable.forArchitecture(arch).entries {
                let allows: Bool
                switch policy.decision(for: entry.name, on: arch) {
                case .fixed(let action, _): allows = !action.isDeny && action != .userNotification
                case .byArguments: allows = true  // allowed for some arguments
                }
                if allows { out[arch.profileName, default: [:]][entry.name] = .some(nil) }
            }
        }
        return out
    }
}

enum RecordingFile {
    static func load(_ path: String) throws -> Recording {
        guard let data = FileManager.default.contents(atPath: path) else { throw ToolError.badInput("\(path): cannot be read") }
        let recording: Recording
        do { recording = try JSONDecoder().decode(Recording.self, from: data) } catch {
            throw ToolError.badInput("\(path): not a seccomp-forge recording (\(error))")
        }
        guard recording.format == Recording.formatName else {
            throw ToolError.badInput("\(path): recording format \"\(recording.format)\", this tool reads \(Recording.formatName)")
        }
        return recording
    }
}
