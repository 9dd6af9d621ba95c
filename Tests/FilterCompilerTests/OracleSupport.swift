import CBPF
import Foundation
import SeccompProfile
import SyscallTable
import XCTest
import TestSupport

/// Runs `scmp-oracle` (libseccomp, test-only) on a directive script and returns its output.
struct Oracle {
    let path: String

    /// The oracle built by `make helpers`; in CI its absence is a failure, elsewhere a skip.
    static func locate() throws -> Oracle {
        let path = TestEnvironment.helpers + "/scmp-oracle"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            let reason = "libseccomp oracle not built at \(path): run make helpers"
            if TestEnvironment.isCI { throw OracleFailure(message: "CI=true and " + reason) }
            throw XCTSkip(reason)
        }
        return Oracle(path: path)
    }

    func run(_ script: String) throws -> String {
        let dir = try TestEnvironment.makeScratch("oracle")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.txt")
        let output = dir.appendingPathComponent("out.txt")
        try Data(script.utf8).write(to: input)
        if let keep = ProcessInfo.processInfo.environment["SECCOMP_FORGE_KEEP_ORACLE_INPUT"] {
            try Data(script.utf8).write(to: URL(fileURLWithPath: keep))  // for replaying a failure by hand
        }
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: try Data(contentsOf: output), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            let kept = FileManager.default.temporaryDirectory.appendingPathComponent("oracle-failure.txt")
            try? Data(script.utf8).write(to: kept)
            throw OracleFailure(message: "scmp-oracle exited \(process.terminationStatus) (input kept at \(kept.path)): \(text.suffix(500))")
        }
        return text
    }

    /// Per architecture, the names whose number libseccomp does not know or knows
    /// differently (its table is older than ours): those numbers are judged by the rules.
    /// Also returns, per architecture, the names libseccomp has no number for (on i386 it
    /// routes socket and IPC calls through the multiplexers instead).
    func unjudgeable(on architectures: [Architecture]) throws -> (differ: [Architecture: Set<String>], absent: [Architecture: Set<String>]) {
        let names = Set(architectures.flatMap { SyscallTable.forArchitecture($0).entries.map(\.name) })
        var script = ""
        for arch in architectures {
            for name in names.sorted() {
                script += "resolve \(arch.name) \(name)\n"
            }
        }
        var result: [Architecture: Set<String>] = [:]
        var absent: [Architecture: Set<String>] = [:]
        for line in try run(script).split(separator: "\n") where line.hasPrefix("nr ") {
            let parts = line.split(separator: " ")
            guard parts.count == 4, let arch = Architecture.named(String(parts[1])), let nr = Int(parts[3]) else { continue }
            let name = String(parts[2])
            let ours = SyscallTable.forArchitecture(arch).number(of: name)
            if nr < 0 { absent[arch, default: []].insert(name) }
            if (nr < 0 && ours != nil) || (nr >= 0 && UInt32(nr) != ours) {
                result[arch, default: []].insert(name)
            }
        }
        return (result, absent)
    }
}

struct OracleFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Oracle spellings.
extension ComparisonOperator {
    var oracleName: String {
        switch self {
        case .notEqual: return "ne"
        case .lessThan: return "lt"
        case .lessOrEqual: return "le"
        case .equal: return "eq"
        case .greaterOrEqual: return "ge"
        case .greaterThan: return "gt"
        case .maskedEqual: return "masked_eq"
        }
    }
}

func hex32(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
func hex64(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

/// A small deterministic generator (SplitMix64), so a failing seed can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
