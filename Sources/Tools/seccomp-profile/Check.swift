import ArgumentParser
import CBPF
import SeccompABI
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
            // One decision per architecture, from the policy's decision function; shown once when they agree.
            let described = filter.plans.filter { $0.table.number(of: name) != nil }.map { plan -> (String, String) in
                Self.describe(policy.decision(for: name, on: plan.architecture), default: policy.defaultAction)
            }
            let action: String, why: String
            if let first = described.first, described.allSatisfy({ $0 == first }) {
                (action, why) = first
            } else if described.isEmpty {
                (action, why) = (policy.defaultAction.description, "default")
            } else {
                let arches = filter.plans.filter { $0.table.number(of: name) != nil }.map(\.architecture.name)
                action = "per-arch"
                why = zip(arches, described).map { "\($0): \($1.0) (\($1.1))" }.joined(separator: "; ")
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

    static func describe(_ decision: Policy.CallDecision, default defaultAction: SeccompAction) -> (String, String) {
        switch decision {
        case .fixed(let action, let rule?):
            let via = rule.via.map { " (\($0) through the multiplexer)" } ?? ""
            return (action.description, "syscalls[\(rule.entry)]\(via)")
        case .fixed(let action, nil):
            return (action.description, action == defaultAction ? "default" : "above the profile's highest call: runc's ENOSYS stub")
        case .byArguments(let rules, let otherwise):
            return ("args", rules.map { "syscalls[\($0.entry)]: \($0.conditions.map(\.description).joined(separator: " && ")) -> \($0.action)" }
                .joined(separator: "; ") + "; else \(otherwise)")
        }
    }
}
