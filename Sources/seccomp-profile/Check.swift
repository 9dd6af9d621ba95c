import ArgumentParser
import CBPF
import FilterCompiler
import Foundation
import SeccompProfile
import SyscallTable

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "The audit table: each syscall's number per architecture, action, and why.",
        discussion: """
        Lists the named syscalls (or every syscall known on the covered architectures):
        its number on each architecture ("-" where it does not exist), what the filter
        does with it, and which rule decided (the profile's syscalls[N]) or "default".
        Argument-checked calls list their conditions.

        Example: seccomp-profile check docker-default.json ptrace mount personality
                 seccomp-profile check myapp.json read write --expect-allowed
        """)

    @Argument(help: "The profile (OCI/Docker seccomp JSON).")
    var profile: String

    @Argument(help: "Syscall names to show. Default: all.")
    var syscalls: [String] = []

    @OptionGroup var target: TargetOptions

    @Flag(name: .long, help: "Exit 1 if any named syscall is not allowed unconditionally on every covered architecture.")
    var expectAllowed = false

    func run() throws {
        let filter = try target.compiled(from: profile)
        let policy = filter.policy
        let tables = filter.plans.map(\.table)
        var names = syscalls
        if names.isEmpty {
            names = Array(Set(tables.flatMap { $0.entries.map(\.name) })).sorted()
        }
        for name in names where !SyscallTable.isKnownAnywhere(name) {
            throw ToolError.badInput("unknown syscall \"\(name)\"")
        }
        let header = ["syscall"] + filter.plans.map(\.architecture.name) + ["action", "why"]
        var rows: [[String]] = [header]
        var denied: [String] = []
        for name in names {
            let numbers = tables.map { t in t.number(of: name).map { String($0 - t.architecture.numberBase) } ?? "-" }
            let rules = policy.rules.filter { $0.syscall == name }
            let action: String, why: String
            if let unconditional = rules.first(where: { $0.conditions.isEmpty }) {
                action = unconditional.action.description
                why = "syscalls[\(unconditional.entry)]"
            } else if !rules.isEmpty {
                action = "args"
                why = rules.map { "syscalls[\($0.entry)]: \($0.conditions.map(\.description).joined(separator: " && ")) -> \($0.action)" }
                    .joined(separator: "; ") + "; else \(policy.defaultAction)"
            } else {
                action = policy.defaultAction.description
                why = "default"
            }
            let existsEverywhere = !numbers.contains("-")
            if action != "ALLOW" || !existsEverywhere { denied.append(name) }
            rows.append([name] + numbers + [action, why])
        }
        let widths = (0..<header.count - 1).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows {
            let padded = row.enumerated().map { c, cell in c < widths.count ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) : cell }
            print(padded.joined(separator: "  "))
        }
        if expectAllowed && !denied.isEmpty {
            FileHandle.standardError.write(Data("seccomp-profile: not allowed everywhere: \(denied.joined(separator: ", "))\n".utf8))
            throw ExitCode(1)
        }
    }
}
