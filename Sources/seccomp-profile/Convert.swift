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
        if let flags = p.flags { spec["flags"] = flags }  // [] too: it means "not even SPEC_ALLOW" to runc
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
    /// systemd filters by name only, kills processes (never threads), logs nothing and
    /// has one errno for everything outside an allow list: whatever the profile says
    /// beyond that is a reason to refuse (exit 2), each named, unless --lossy, which
    /// writes the nearest unit with every difference in a comment and on stderr.
    func systemd(_ p: Profile) throws -> String {
        let policy = try target.policy(from: profile)
        var lines = ["# Generated by seccomp-profile from \(URL(fileURLWithPath: profile).lastPathComponent)"]
        var differences: [String] = []
        let systemdArch: [String: String] = ["x86_64": "x86-64", "x86": "x86", "x32": "x32", "aarch64": "arm64", "arm": "arm",
                                             "riscv64": "riscv64", "ppc64le": "ppc64-le", "mipsel": "mips-le", "mipsel64": "mips64-le",
                                             "mipsel64n32": "mips64-le-n32"]
        for arch in policy.architectures where systemdArch[arch.name] == nil {
            differences.append("architecture \(arch.name): systemd has no name for it")
        }
        lines.append("SystemCallArchitectures=" + policy.architectures.compactMap { systemdArch[$0.name] }.joined(separator: " "))
        func errnoName(_ e: UInt16) -> String { ErrnoName.of(Int32(e)) }
        func source(_ decision: Policy.CallDecision) -> String {
            switch decision {
            case .fixed(_, let rule?): return "syscalls[\(rule.entry)]"
            case .fixed: return "default"
            case .byArguments(let rules, _): return Set(rules.map { "syscalls[\($0.entry)]" }).sorted().joined(separator: ", ")
            }
        }
        // Every name any covered table knows, decided per architecture by the policy's one decision function.
        let names = Set(policy.architectures.flatMap { SyscallTable.forArchitecture($0).entries.map(\.name) }).sorted()
        var fixed: [String: SeccompAction] = [:]
        var stubbed: [String] = []
        for name in names {
            let decisions = policy.architectures.filter { SyscallTable.forArchitecture($0).number(of: name) != nil }
                .map { policy.decision(for: name, on: $0) }
            if let conditional = decisions.first(where: { $0.fixedAction == nil }), case .byArguments(let rules, let otherwise) = conditional {
                let conditions = rules.map { "\($0.conditions.map(\.description).joined(separator: " && ")) -> \($0.action)" }.joined(separator: "; ")
                differences.append("\(name) (\(source(conditional))): decided by arguments (\(conditions); else \(otherwise)); systemd filters by name only")
                continue
            }
            // runc's ENOSYS stub is runc's, not the profile's: systemd gives such calls the default (noted below).
            let isStub: (Policy.CallDecision) -> Bool = { if case .fixed(.errno(38), nil) = $0 { return policy.defaultAction != .errno(38) }; return false }
            if decisions.contains(where: isStub) { stubbed.append(name) }
            let actions = Set(decisions.map { isStub($0) ? policy.defaultAction : $0.fixedAction! })
            guard actions.count <= 1, let action = actions.first else {
                if actions.count > 1 { differences.append("\(name): differs by architecture (\(actions.map(\.description).sorted().joined(separator: ", "))); systemd has one answer") }
                continue
            }
            fixed[name] = action
        }
        switch policy.defaultAction {
        case .allow, .log:
            if policy.defaultAction == .log { differences.append("defaultAction SCMP_ACT_LOG: systemd allows without logging") }
            var denied: [String] = []
            for (name, action) in fixed.sorted(by: { $0.key < $1.key }) where action != policy.defaultAction {
                switch action {
                case .errno(let e): denied.append("\(name):\(errnoName(e))")
                case .killProcess: denied.append(name)
                case .allow where policy.defaultAction == .log: break
                default: differences.append("\(name): \(action); systemd can only fail a call with an errno or kill the process")
                }
            }
            if !denied.isEmpty { lines.append("SystemCallFilter=~" + denied.joined(separator: " ")) }
        case .errno, .killProcess:
            var allowed: [String] = []
            for (name, action) in fixed.sorted(by: { $0.key < $1.key }) where action != policy.defaultAction {
                switch action {
                case .allow: allowed.append(name)
                case .log:
                    allowed.append(name)
                    differences.append("\(name): SCMP_ACT_LOG; systemd allows it without logging")
                default:
                    differences.append("\(name): \(action), not the default \(policy.defaultAction); systemd answers everything outside its list alike")
                }
            }
            lines.append("SystemCallFilter=" + allowed.joined(separator: " "))
            if case .errno(let e) = policy.defaultAction {
                lines.append("SystemCallErrorNumber=" + errnoName(e))
            } else {
                lines.append("# default KILL_PROCESS: systemd kills the process (SIGSYS) on a call outside the list")
            }
            if !stubbed.isEmpty {
                lines.append("# \(stubbed.count) calls newer than the profile get ENOSYS under runc (its stub), \(policy.defaultAction) here: \(stubbed.prefix(12).joined(separator: " "))\(stubbed.count > 12 ? " ..." : "")")
            }
        default:
            differences.append("defaultAction \(policy.defaultAction): systemd can only fail a call with an errno or kill the process")
        }
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
