import Foundation
import SeccompProfile
import SyscallTable

/// What an observation saw: for one target, how many times each syscall was
/// made under each ABI. Counts survive into the file so recordings from many
/// runs and machines can be merged, and filters ordered by frequency.
public struct Recording: Codable, Equatable, Sendable {
    public static let formatName = "seccomp-forge-recording/1"

    /// Always `formatName`: lets readers refuse files they do not understand.
    public var format: String
    /// What was observed: `cgroup:/sys/fs/cgroup/...`, `pid:1234`, or `command:ls -l /`.
    public var target: String
    /// Counts by ABI profile name (`SCMP_ARCH_X86_64`) then by syscall name.
    public var counts: [String: [String: UInt64]]
    /// Numbers the kernel reported that no table names, by ABI: `"#1000": 3`.
    public var unnamed: [String: [String: UInt64]]
    /// Calls that could not be counted, and why; zero in a complete recording.
    public var lost: Lost
    public var seconds: Double
    public var kernel: String
    public var runs: Int
    /// After `seccomp-profile merge`: in how many of the merged recordings each
    /// (ABI, syscall) was seen, and how many recordings there were.
    public var coverage: [String: [String: Int]]?
    public var recordings: Int?
    /// seccomp-observe --all: the host, the workload's identity and labels, and when
    /// it was first and last seen making calls (ISO 8601, UTC).
    public var host: String?
    public var workload: [String: String]?
    public var firstSeen: String?
    public var lastSeen: String?
    /// Calls a container runtime (runc's init, crun) made in the workload's cgroup before
    /// it executed the workload: its set-up, kept apart and not allowed by the profile,
    /// except the hand-off calls it makes after installing the filter (ProfileGenerator).
    public var runtimeSetup: [String: UInt64]?
    /// Calls the runtime made after installing the container's filter and before executing the
    /// workload: they run under the filter, so the profile allows them.
    public var runtimeHandOff: [String: UInt64]?
    /// What the calls whose arguments decide what they do were made with
    /// (`RecordedArguments`), by ABI, then syscall, then argument position ("0", "1").
    /// nil in recordings made before arguments were recorded: their profiles fall back to
    /// the baseline's argument rules for those calls.
    public var arguments: [String: [String: [String: ArgumentValues]]]?

    public struct Lost: Codable, Equatable, Sendable {
        /// Calls with a number beyond the counter table.
        public var beyondTable: UInt64
        /// Processes of a process-tree target that the kernel map could not hold.
        public var untrackedProcesses: UInt64
        /// Calls of tasks more than 32 cgroup levels below a cgroup target: not checked, not counted.
        public var tooDeep: UInt64
        /// Calls anywhere on the host that the kernel did not run the counting program for (a
        /// recursion miss: the program already running on that CPU). Not attributable: any of
        /// them may have been this target's, so a nonzero figure means the counts may be short.
        public var skippedByKernel: UInt64

        public init(beyondTable: UInt64 = 0, untrackedProcesses: UInt64 = 0, tooDeep: UInt64 = 0, skippedByKernel: UInt64 = 0) {
            self.beyondTable = beyondTable
            self.untrackedProcesses = untrackedProcesses
            self.tooDeep = tooDeep
            self.skippedByKernel = skippedByKernel
        }

        public var isZero: Bool { beyondTable == 0 && untrackedProcesses == 0 && tooDeep == 0 && skippedByKernel == 0 }

        enum CodingKeys: String, CodingKey { case beyondTable, untrackedProcesses, tooDeep, skippedByKernel }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            beyondTable = try c.decode(UInt64.self, forKey: .beyondTable)
            untrackedProcesses = try c.decode(UInt64.self, forKey: .untrackedProcesses)
            // Recordings written before this field existed have none.
            tooDeep = try c.decodeIfPresent(UInt64.self, forKey: .tooDeep) ?? 0
            skippedByKernel = try c.decodeIfPresent(UInt64.self, forKey: .skippedByKernel) ?? 0
        }
    }

    public init(target: String, counts: [String: [String: UInt64]] = [:], unnamed: [String: [String: UInt64]] = [:],
                lost: Lost = Lost(), seconds: Double = 0, kernel: String = "", runs: Int = 1) {
        self.format = Self.formatName
        self.target = target
        self.counts = counts
        self.unnamed = unnamed
        self.lost = lost
        self.seconds = seconds
        self.kernel = kernel
        self.runs = runs
    }

    /// Total calls counted.
    public var totalCalls: UInt64 { counts.values.reduce(0) { $0 + $1.values.reduce(0, +) } }

    /// Distinct (ABI, syscall) pairs seen.
    public var distinctSyscalls: Int { counts.values.reduce(0) { $0 + $1.count } }

    /// Adds another recording's counts to this one (runs, machines).
    public mutating func merge(_ other: Recording) {
        for (abi, calls) in other.counts {
            for (name, n) in calls { counts[abi, default: [:]][name, default: 0] += n }
        }
        for (abi, calls) in other.unnamed {
            for (name, n) in calls { unnamed[abi, default: [:]][name, default: 0] += n }
        }
        lost.beyondTable += other.lost.beyondTable
        lost.untrackedProcesses += other.lost.untrackedProcesses
        lost.tooDeep += other.lost.tooDeep
        lost.skippedByKernel += other.lost.skippedByKernel
        if let setup = other.runtimeSetup {
            for (name, n) in setup { runtimeSetup = runtimeSetup ?? [:]; runtimeSetup![name, default: 0] += n }
        }
        if let handOff = other.runtimeHandOff {
            for (name, n) in handOff { runtimeHandOff = runtimeHandOff ?? [:]; runtimeHandOff![name, default: 0] += n }
        }
        if let theirs = other.arguments {
            var mine = arguments ?? [:]
            for (abi, calls) in theirs {
                for (name, args) in calls {
                    for (key, seen) in args { mine[abi, default: [:]][name, default: [:]][key, default: ArgumentValues()].merge(seen) }
                }
            }
            arguments = mine
        }
        firstSeen = [firstSeen, other.firstSeen].compactMap { $0 }.min()
        lastSeen = [lastSeen, other.lastSeen].compactMap { $0 }.max()
        seconds += other.seconds
        runs += other.runs
    }

    public func encoded() -> Data { JSONFile.encode(self) }

    /// What one ABI's calls of `syscall` were made with, by argument position (nil: not recorded).
    public func argumentValues(abi: String, syscall: String) -> [String: ArgumentValues]? {
        arguments?[abi]?[syscall]
    }

    /// Adds what one call (or many) of `syscall` under `abi` were made with.
    public mutating func record(_ seen: ArgumentValues, abi: String, syscall: String, key: String) {
        var all = arguments ?? [:]
        all[abi, default: [:]][syscall, default: [:]][key, default: ArgumentValues()].merge(seen)
        arguments = all
    }
}

/// What the calls of one syscall passed in one recorded argument: for a flags argument the
/// union of the bits seen, for an enumeration each value with how many calls passed it; and
/// how many calls could not be recorded (the set was full, or clone3's struct could not be
/// read). A nonzero `unrecorded` means the values are incomplete: the generator then writes
/// no argument rule from them.
public struct ArgumentValues: Codable, Equatable, Sendable {
    public var bits: UInt64?
    public var values: [UInt64: UInt64]?
    public var unrecorded: UInt64

    public init(bits: UInt64? = nil, values: [UInt64: UInt64]? = nil, unrecorded: UInt64 = 0) {
        self.bits = bits
        self.values = values
        self.unrecorded = unrecorded
    }

    public var isComplete: Bool { unrecorded == 0 }

    public mutating func merge(_ other: ArgumentValues) {
        if let b = other.bits { bits = (bits ?? 0) | b }
        if let v = other.values {
            var mine = values ?? [:]
            for (value, n) in v { mine[value, default: 0] += n }
            values = mine
        }
        unrecorded += other.unrecorded
    }

    enum CodingKeys: String, CodingKey { case bits, values, unrecorded }

    // Values as hexadecimal strings ("0x5401"): ioctl requests and flags read as the
    // headers write them, and no JSON reader rounds a 64-bit value.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        unrecorded = try c.decodeIfPresent(UInt64.self, forKey: .unrecorded) ?? 0
        if let text = try c.decodeIfPresent(String.self, forKey: .bits) {
            guard let b = Self.number(text) else {
                throw DecodingError.dataCorruptedError(forKey: .bits, in: c, debugDescription: "\"\(text)\" is not a number (0x...)")
            }
            bits = b
        }
        if let table = try c.decodeIfPresent([String: UInt64].self, forKey: .values) {
            var parsed: [UInt64: UInt64] = [:]
            for (text, n) in table {
                guard let value = Self.number(text) else {
                    throw DecodingError.dataCorrupted(DecodingError.Context(
                        codingPath: c.codingPath + [CodingKeys.values], debugDescription: "\"\(text)\" is not a number (0x...)"))
                }
                parsed[value, default: 0] += n
            }
            values = parsed
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let bits { try c.encode(Self.hex(bits), forKey: .bits) }
        if let values {
            try c.encode(Dictionary(uniqueKeysWithValues: values.map { (Self.hex($0.key), $0.value) }), forKey: .values)
        }
        if unrecorded != 0 { try c.encode(unrecorded, forKey: .unrecorded) }
    }

    public static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    /// "0x5401" or "21505".
    public static func number(_ text: String) -> UInt64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text)
    }
}
