import ArgumentParser
import CBPF
import SeccompABI
import FilterCache
import FilterCompiler
import Foundation
import SeccompProfile

/// `seccomp-profile prepare-sandbox`: compiles a profile for seccomp-sandbox (which
/// keeps JSON and Foundation off its launch path and asks this tool instead).
/// The launcher reads the profile once, hashes those bytes and passes the same
/// bytes on stdin, so the filter it caches is the one for the bytes it hashed.
struct PrepareSandbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare-sandbox",
        abstract: "Compile a profile into a seccomp-sandbox filter entry (used by seccomp-sandbox).",
        discussion: """
        Reads the profile from PROFILE, or from stdin when PROFILE is -, and writes a binary \
        entry (see Sources/Compile/FilterCache/FilterCacheEntry.swift) to --out (- for stdout): \
        the compiled filter, a variant with execve opened for complain mode (--open-exec), the \
        architectures, the profile's listenerPath and listenerMetadata, and --key, the SHA-256 \
        (hex) the caller computed for what it passed.
        """,
        shouldDisplay: false)

    @Argument(help: "The profile file, or - for stdin.") var profile: String
    @Option(name: .long, help: "The name to use for the profile in messages (with PROFILE -).") var name: String?
    @Option(name: .long, help: "Where to write the entry (- for stdout).") var out: String
    @Option(name: .long, help: "The cache key to record in the entry (64 hex digits).") var key: String?
    @Flag(name: .long, help: "Also compile a variant that lets execve and execveat through (complain mode).") var openExec = false

    func run() throws {
        let target = try TargetOptions.parse([])
        let source = name ?? (profile == "-" ? "<stdin>" : profile)
        let policy: Policy
        if profile == "-" {
            policy = try target.policy(from: FileHandle.standardInput.readDataToEndOfFile(), source: source)
        } else {
            policy = try target.policy(from: profile)
        }
        var keyBytes = [UInt8](repeating: 0, count: 32)
        if let key {
            guard let parsed = SHA256.digest(hex: key) else { throw ToolError.badInput("--key: \"\(key)\" is not 64 hex digits") }
            keyBytes = parsed
        }
        func compile(_ policy: Policy) throws -> Program {
            do { return try FilterCompiler.compile(policy).program } catch { throw ToolError.badInput("\(source): \(error.description)") }
        }
        var entry = FilterCacheEntry(key: keyBytes, program: try compile(policy), architectures: policy.architectures.map(\.name),
                                     listenerPath: policy.listenerPath ?? "", listenerMetadata: policy.listenerMetadata ?? "",
                                     flags: policy.filterFlagBits.rawValue)
        if openExec {
            var opened = policy
            opened.rules = ["execve", "execveat"].map { PolicyRule(syscall: $0, action: .allow, entry: -1) } + policy.rules
            entry.execOpened = try compile(opened)
        }
        if out == "-" {
            FileHandle.standardOutput.write(Data(entry.bytes))
        } else {
            try writeAtomically(Data(entry.bytes), to: out)
        }
    }
}

/// `seccomp-profile add-calls`: a profile plus ALLOW entries for calls a run needed
/// (seccomp-sandbox --mode complain --update).
struct AddCalls: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-calls", abstract: "Write PROFILE with an ALLOW entry for the given calls.", shouldDisplay: false)

    @Argument(help: "The profile file, or - for stdin.") var profile: String
    @Option(name: .long, help: "The name to use for the profile in messages (with PROFILE -).") var name: String?
    @Option(name: .long, help: "ABI and names, as ABI:name,name (repeatable).") var calls: [String] = []
    @Option(name: .long, help: "A comment for the added entries.") var comment = "added by seccomp-sandbox complain mode"
    @Option(name: .shortAndLong) var output: String

    func run() throws {
        var updated: Profile
        do {
            if profile == "-" {
                updated = try Profile.decode(FileHandle.standardInput.readDataToEndOfFile(), source: name ?? "<stdin>")
            } else {
                updated = try Profile.load(path: profile)
            }
        } catch { throw ToolError.badInput(error.description) }
        var architectures = updated.architectures ?? []
        for item in calls {
            let parts = item.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { throw ToolError.badInput("--calls: \"\(item)\" is not ABI:name,name") }
            let abi = String(parts[0])
            let names = parts[1].split(separator: ",").map(String.init).sorted()
            updated.syscalls = (updated.syscalls ?? []) + [SyscallEntry(names: names, action: "SCMP_ACT_ALLOW", comment: "\(comment) (\(abi))")]
            if updated.archMap == nil, !architectures.isEmpty, !architectures.contains(abi) { architectures.append(abi) }
        }
        if updated.archMap == nil, !architectures.isEmpty { updated.architectures = architectures }
        try writeAtomically(updated.encoded(), to: output)
    }
}
