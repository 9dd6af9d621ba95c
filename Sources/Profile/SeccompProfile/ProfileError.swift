/// A problem with a profile, located by JSON path (`syscalls[3].args[0].index`).
public struct ProfileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// A profile that could not be used, with every problem found, and where it came from.
public struct ProfileLoadError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var problems: [ProfileError]

    public init(source: String, problems: [ProfileError]) {
        self.source = source
        self.problems = problems
    }

    /// One line: the file, then the first problem (and how many more).
    public var description: String {
        let first = problems.first.map(String.init(describing:)) ?? "invalid profile"
        let more = problems.count > 1 ? " (and \(problems.count - 1) more problem\(problems.count == 2 ? "" : "s"))" : ""
        return "\(source): \(first)\(more)"
    }
}
