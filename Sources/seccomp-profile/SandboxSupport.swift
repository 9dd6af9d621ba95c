import ArgumentParser
import CBPF
import FilterCompiler
import Foundation
import SeccompProfile

/// `seccomp-profile prepare-sandbox`: compiles a profile for seccomp-sandbox (which
/// keeps JSON and Foundation off its launch path and asks this tool instead).
struct PrepareSandbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare-sandbox", abstract: "Compile a profile into seccomp-sandbox's filter cache entry.",
        shouldDisplay: false)

    @Argument var profile: String
    @Option(name: .long, help: "Where to write the entry.") var out: String
    @Flag(name: .long, help: "Also compile a variant that lets execve through (complain mode).") var openExec = false

    func run() throws {
        let target = try TargetOptions.parse([])
        let policy = try target.policy(from: profile)
        let program: Program
        do { program = try FilterCompiler.compile(policy).program } catch { throw ToolError.badInput("\(profile): \(error.description)") }
        let allowsExec = ["execve", "execveat"].contains { [SeccompAction.allow, .log].contains(policy.decide(syscall: $0, args: [], on: .native).action) }
        var entry = FilterCacheEntry(program: program, allowsExec: allowsExec, architectures: policy.architectures.map(\.name))
        if openExec && !allowsExec {
            var opened = policy
            opened.rules = ["execve", "execveat"].map { PolicyRule(syscall: $0, action: .allow, entry: -1) } + policy.rules
            do { entry.execOpened = try FilterCompiler.compile(opened).program } catch { throw ToolError.badInput("\(profile): \(error.description)") }
        }
        try writeAtomically(Data(entry.bytes), to: out)
    }
}

/// `seccomp-profile add-calls`: a profile plus ALLOW entries for calls a run needed
/// (seccomp-sandbox --mode complain --update).
struct AddCalls: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-calls", abstract: "Write PROFILE with an ALLOW entry for the given calls.", shouldDisplay: false)

    @Argument var profile: String
    @Option(name: .long, help: "ABI and names, as ABI:name,name (repeatable).") var calls: [String] = []
    @Option(name: .long, help: "A comment for the added entries.") var comment = "added by seccomp-sandbox complain mode"
    @Option(name: .shortAndLong) var output: String

    func run() throws {
        var updated: Profile
        do { updated = try Profile.load(path: profile) } catch { throw ToolError.badInput(error.description) }
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
