import ArgumentParser
import Foundation
import SeccompProfile

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a profile and report every problem, one per line.",
        discussion: "Example: seccomp-profile validate myapp.seccomp.json")

    @Argument(help: "The profile (OCI/Docker seccomp JSON).")
    var profile: String

    @OptionGroup var target: TargetOptions

    func run() throws {
        let profileValue: Profile
        do {
            profileValue = try Profile.load(path: profile)
        } catch {
            throw ToolError.badInput(error.description)
        }
        let problems = ProfileValidator.validate(profileValue)
        if !problems.isEmpty {
            for problem in problems.dropLast() {
                FileHandle.standardError.write(Data("seccomp-profile: \(profile): \(problem)\n".utf8))
            }
            throw ToolError.badInput("\(profile): \(problems.last!)")
        }
        let policy = try target.policy(from: profile)
        let entries = profileValue.syscalls?.count ?? 0
        let names = Set(policy.rules.map(\.syscall)).count
        print("\(profile): valid: \(entries) syscall entries; for \(policy.architectures.map(\.name).joined(separator: ", ")): \(policy.rules.count) rules over \(names) syscalls, default \(policy.defaultAction)")
    }
}
