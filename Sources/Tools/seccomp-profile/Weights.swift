import ArgumentParser
import Foundation
import Recording
import SyscallTable

/// `--weights REC`: a recording whose counts order the filter's search (the calls made
/// most often reach their verdict in the fewest instructions) and weight its measurement.
struct WeightsOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A recording (NAME.recording.json) whose counts weight the filter.",
        discussion: "The calls made most often get the shortest paths; stats also reports instructions per call weighted by these counts."))
    var weights: String?

    /// The recording, read and checked, or nil without --weights.
    func recording() throws -> Recording? {
        guard let weights else { return nil }
        guard let data = FileManager.default.contents(atPath: weights) else {
            throw ToolError.badInput("--weights \(weights): cannot read the file (\(String(cString: strerror(errno))))")
        }
        let recording: Recording
        do { recording = try JSONDecoder().decode(Recording.self, from: data) } catch {
            throw ToolError.badInput("--weights \(weights): not a seccomp-forge recording (\(Self.reason(error)))")
        }
        guard recording.format == Recording.formatName else {
            throw ToolError.badInput("--weights \(weights): format \"\(recording.format)\", expected \"\(Recording.formatName)\"")
        }
        guard recording.totalCalls > 0 else { throw ToolError.badInput("--weights \(weights): the recording has no calls") }
        return recording
    }

    /// Calls per syscall name over every ABI: the compiler's search weights.
    func frequencies() throws -> [String: Double]? {
        guard let recording = try recording() else { return nil }
        var result: [String: Double] = [:]
        for calls in recording.counts.values { for (name, n) in calls { result[name, default: 0] += Double(n) } }
        return result
    }

    static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\" at \(path(context))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.debugDescription) at \(path(context))"
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription
        default:
            return "\(error)"
        }
    }

    static func path(_ context: DecodingError.Context) -> String {
        "$" + context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
}
