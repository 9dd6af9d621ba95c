import ArgumentParser
import CBPF
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
                    filters by name only: rules with argument conditions are listed
                    as comments, and the call is left to the default.

        Examples: seccomp-profile convert myapp.seccomp.json --to kubernetes --name myapp
                  seccomp-profile convert myapp.seccomp.json --to systemd >> myapp.service
        """)

    enum Target: String, ExpressibleByArgument, CaseIterable { case kubernetes, systemd }

    @Argument(help: "The profile (OCI/Docker seccomp JSON).") var profile: String
    @Option(name: .long, help: "kubernetes or systemd.") var to: Target
    @Option(name: .long, help: "metadata.name of the Kubernetes resource (default: the file's name).") var name: String?
    @Option(name: .long, help: "metadata.namespace of the Kubernetes resource.") var namespace: String?
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
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

    /// The resource, built as plain values and serialised by Yams.
    func kubernetes(_ p: Profile) throws -> String {
        let base = URL(fileURLWithPath: profile).lastPathComponent
        var resourceName = name ?? base.replacingOccurrences(of: ".seccomp.json", with: "").replacingOccurrences(of: ".json", with: "")
        resourceName = String(resourceName.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "-" })
        var spec: [String: Any] = ["defaultAction": p.defaultAction]
        if let errno = p.defaultErrnoRet { spec["defaultErrnoRet"] = Int(errno) }
        // archMap is Docker's; the resource takes the architectures it expands to on this host.
        let architectures = p.architectures ?? (try? PolicyResolver.resolve(p, for: target.target(), source: profile).architectures.map(\.profileName))
        if let architectures, !architectures.isEmpty { spec["architectures"] = architectures.compactMap { Architecture.named($0)?.profileName } }
        if let flags = p.flags, !flags.isEmpty { spec["flags"] = flags }
        if let path = p.listenerPath { spec["listenerPath"] = path }
        if let meta = p.listenerMetadata { spec["listenerMetadata"] = meta }
        var syscalls: [[String: Any]] = []
        let resolved = try target.policy(from: profile)
        // Includes and excludes are Docker's: emit the entries that apply to this target.
        let applying = Set(resolved.rules.map(\.entry))
        for (i, entry) in (p.syscalls ?? []).enumerated() where applying.contains(i) || (entry.includes == nil && entry.excludes == nil) {
            let names = entry.allNames.filter(SyscallTable.isKnownAnywhere)
            guard !names.isEmpty else { continue }
            var item: [String: Any] = ["action": entry.action, "names": names]
            if let errno = entry.errnoRet { item["errnoRet"] = Int(errno) }
            if let args = entry.args, !args.isEmpty {
                item["args"] = args.map { a -> [String: Any] in
                    var arg: [String: Any] = ["index": Int(a.index), "value": a.value, "op": a.op]
                    if let two = a.valueTwo { arg["valueTwo"] = two }
                    return arg
                }
            }
            syscalls.append(item)
        }
        if !syscalls.isEmpty { spec["syscalls"] = syscalls }
        var metadata: [String: Any] = ["name": resourceName]
        if let namespace { metadata["namespace"] = namespace }
        let resource: [String: Any] = [
            "apiVersion": "security-profiles-operator.x-k8s.io/v1beta1",
            "kind": "SeccompProfile",
            "metadata": metadata,
            "spec": spec,
        ]
        return try Yams.dump(object: resource, sortKeys: true)
    }

    /// systemd's vocabulary: an allow list when the default denies, a deny list otherwise.
    func systemd(_ p: Profile) throws -> String {
        let policy = try target.policy(from: profile)
        var lines = ["# Generated by seccomp-profile from \(URL(fileURLWithPath: profile).lastPathComponent)"]
        let systemdArch: [String: String] = ["x86_64": "x86-64", "x86": "x86", "x32": "x32", "aarch64": "arm64", "arm": "arm",
                                             "riscv64": "riscv64", "ppc64le": "ppc64-le", "mipsel": "mips-le", "mipsel64": "mips64-le",
                                             "mipsel64n32": "mips64-le-n32"]
        lines.append("SystemCallArchitectures=" + policy.architectures.compactMap { systemdArch[$0.name] }.joined(separator: " "))
        let conditional = policy.rules.filter { !$0.conditions.isEmpty }
        for rule in conditional {
            lines.append("# \(rule.syscall): \(rule.conditions.map(\.description).joined(separator: " && ")) -> \(rule.action) (syscalls[\(rule.entry)]): systemd cannot check arguments; left to the default")
        }
        let unconditional = policy.rules.filter { $0.conditions.isEmpty }
        func errnoName(_ e: UInt16) -> String { ErrnoName.of(Int32(e)) }
        switch policy.defaultAction {
        case .allow, .log:
            // Deny list, each with its errno where it has one (systemd 247 or later).
            var seen: Set<String> = []
            let denied = unconditional.filter { $0.action.isDeny && seen.insert($0.syscall).inserted }.map { rule -> String in
                if case .errno(let e) = rule.action { return "\(rule.syscall):\(errnoName(e))" }
                return rule.syscall
            }
            if !denied.isEmpty { lines.append("SystemCallFilter=~" + denied.joined(separator: " ")) }
        default:
            let allowed = Set(unconditional.filter { !$0.action.isDeny }.map(\.syscall)).sorted()
            lines.append("SystemCallFilter=" + allowed.joined(separator: " "))
            if case .errno(let e) = policy.defaultAction {
                lines.append("SystemCallErrorNumber=" + errnoName(e))
            } else {
                lines.append("# default \(policy.defaultAction): systemd kills the process (SIGSYS) on a call outside the list")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
