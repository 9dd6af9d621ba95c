import ArgumentParser
import Foundation
import SeccompProfile
import SyscallTable
import Yams

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write a profile as a Kubernetes SeccompProfile resource or as systemd unit settings.",
        discussion: """
        kubernetes: a SeccompProfile of the security-profiles-operator
                    (security-profiles-operator.x-k8s.io/v1beta1), YAML.
        systemd:    SystemCallFilter=, SystemCallErrorNumber= and
                    SystemCallArchitectures= lines for a [Service] section. systemd
                    filters by name only, kills processes (not threads) and does not
                    log: a profile that says more (argument conditions, LOG, TRAP,
                    several errnos in an allow list...) is refused with every reason
                    (exit 2); --lossy writes the nearest unit, each difference in a
                    comment and on stderr.

        Examples: seccomp-profile convert myapp.seccomp.json --to kubernetes --name myapp
                  seccomp-profile convert myapp.seccomp.json --to systemd >> myapp.service
        """)

    enum Target: String, ExpressibleByArgument, CaseIterable { case kubernetes, systemd }

    @Argument(help: "The profile (OCI/Docker seccomp JSON).") var profile: String
    @Option(name: .long, help: "kubernetes or systemd.") var to: Target
    @Option(name: .long, help: "metadata.name of the Kubernetes resource (default: the file's name).") var name: String?
    @Option(name: .long, help: "metadata.namespace of the Kubernetes resource.") var namespace: String?
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
    @Flag(name: .long, help: "systemd: write the nearest unit even where it cannot say what the profile says, listing each difference.") var lossy = false
    @OptionGroup var target: TargetOptions

    func run() throws {
        let loaded: Profile
        do { loaded = try Profile.load(path: profile) } catch { throw ToolError.badInput(error.description) }
        let problems = ProfileValidator.validate(loaded)
        if let first = problems.first { throw ToolError.badInput("\(profile): \(first)") }
        let text: String
        switch to {
        case .kubernetes: text = try kubernetes(loaded)
        case .systemd: text = try systemd(loaded)
        }
        if let output { try writeAtomically(Data(text.utf8), to: output) } else { print(text, terminator: "") }
    }

    /// The resource (SeccompProfile's Codable values), serialised by Yams with sorted keys.
    func kubernetes(_ p: Profile) throws -> String {
        let base = URL(fileURLWithPath: profile).lastPathComponent
        let resourceName = name ?? base.replacingOccurrences(of: ".seccomp.json", with: "").replacingOccurrences(of: ".json", with: "")
        let resource = KubernetesSeccompProfile(p, policy: try target.policy(from: profile), name: resourceName, namespace: namespace)
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = true
        return try encoder.encode(resource)
    }

    /// The unit lines (SeccompProfile's `SystemdSettings`): refused with every difference
    /// named (exit 2), unless --lossy, which writes them with each difference in a comment.
    func systemd(_ p: Profile) throws -> String {
        let settings = SystemdSettings(try target.policy(from: profile), source: URL(fileURLWithPath: profile).lastPathComponent)
        var lines = settings.lines
        let differences = settings.differences
        if !differences.isEmpty {
            guard lossy else {
                for difference in differences.dropLast() {
                    FileHandle.standardError.write(Data("seccomp-profile: \(profile): cannot express in systemd: \(difference)\n".utf8))
                }
                throw ToolError.badInput("\(profile): cannot express in systemd: \(differences.last!) (\(differences.count) difference(s); --lossy writes the nearest unit and lists them)")
            }
            for difference in differences {
                FileHandle.standardError.write(Data("seccomp-profile: warning: \(profile): not expressed in systemd: \(difference)\n".utf8))
                lines.append("# NOT EXPRESSED: \(difference)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
