import Foundation
import SeccompProfile

/// Where an observation's results go: `NAME.seccomp.json` (the profile) and
/// `NAME.recording.json` (the counts) side by side, each written atomically.
public enum RecordingFiles {
    /// The recording's path for a profile path: `x.seccomp.json` → `x.recording.json`.
    public static func recordingPath(forProfile path: String) -> String {
        let stem = path.hasSuffix(".seccomp.json") ? String(path.dropLast(".seccomp.json".count))
            : path.hasSuffix(".json") ? String(path.dropLast(5)) : path
        return stem + ".recording.json"
    }

    public struct WriteError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes the generated profile and the recording; returns the recording's path.
    @discardableResult
    public static func write(_ recording: Recording, profilePath: String, defaultAction: String = "SCMP_ACT_ERRNO") throws -> String {
        let profile = ProfileGenerator.profile(from: recording, defaultAction: defaultAction)
        let recordingPath = recordingPath(forProfile: profilePath)
        for (data, path) in [(profile.encoded(), profilePath), (recording.encoded(), recordingPath)] {
            do { try OutputFile.write(data, to: path) } catch {
                throw WriteError(description: error.description)
            }
        }
        return recordingPath
    }
}
