extension Sandbox {
    /// A failure the sandbox reports in one line (empty: already reported), with its exit status.
    public struct Failure: Error {
        public var message: String
        public var status: Int32 = 125
        public init(message: String, status: Int32 = 125) {
            self.message = message
            self.status = status
        }
    }

    /// What a run is asked to do (seccomp-sandbox's command line).
    public struct Options: Sendable {
        public enum Mode: String, Sendable { case enforce, complain }

        public var profile = ""
        public var mode = Mode.enforce
        public var update: String?
        public var verbose = false
        public var printFilter = false
        public var dryRun = false
        public var command: [String] = []

        public init() {}
    }
}
