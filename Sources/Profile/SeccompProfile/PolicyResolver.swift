import SeccompABI
import SyscallTable

/// What a profile is resolved for: the machine and container it will run in.
public struct ResolutionTarget: Sendable {
    /// Architectures the filter must cover; nil means "as the profile says" (archMap
    /// expanded for `native`, else `architectures`, else `native` alone).
    public var architectures: [Architecture]?
    /// The host architecture: the one `archMap` expands and `includes.arches` tests.
    public var native: Architecture
    public var capabilities: Set<String>
    public var kernel: KernelVersion
    /// Unknown syscall names are an error rather than a warning.
    public var strict: Bool

    public init(architectures: [Architecture]? = nil, native: Architecture = .native,
                capabilities: Set<String> = Capabilities.dockerDefault,
                kernel: KernelVersion = KernelVersion(major: 6, minor: 0), strict: Bool = false) {
        self.architectures = architectures
        self.native = native
        self.capabilities = capabilities
        self.kernel = kernel
        self.strict = strict
    }
}

/// Turns a profile into the concrete rules for one target, as Docker and runc do.
public enum PolicyResolver {
    public static func resolve(_ profile: Profile, for target: ResolutionTarget, source: String) throws(ProfileLoadError) -> Policy {
        var problems = ProfileValidator.validate(profile)
        guard problems.isEmpty else { throw ProfileLoadError(source: source, problems: problems) }
        var warnings: [String] = []
        if profile.isUnconfined {
            warnings.append("the profile is empty: Docker runs such a container with no seccomp filter; this filter allows every call on every architecture")
            var policy = Policy(defaultAction: .allow, architectures: resolveArchitectures(profile, target: target, warnings: &warnings),
                                rules: [], warnings: warnings)
            policy.unconfined = true
            return policy
        }
        let defaultAction = ProfileValidator.action(profile.defaultAction, errno: profile.defaultErrnoRet)!

        let architectures = resolveArchitectures(profile, target: target, warnings: &warnings)
        var rules: [PolicyRule] = []
        var named: Set<String> = []
        for (i, entry) in (profile.syscalls ?? []).enumerated() {
            if entry.allNames.isEmpty {
                warnings.append("syscalls[\(i)]: no syscall names, so the entry does nothing (as in Docker)")
                continue
            }
            guard applies(entry, to: target) else { continue }
            let action = ProfileValidator.action(entry.action, errno: entry.errnoRet)!
            let conditions = (entry.args ?? []).map {
                ArgumentComparison(index: Int($0.index), op: ComparisonOperator(rawValue: $0.op)!,
                                   value: $0.value, valueTwo: $0.valueTwo ?? 0)
            }
            // runc and crun: a repeated argument index turns the entry into one rule per condition (OR).
            let indices = conditions.map(\.index)
            let conditionSets = Set(indices).count < indices.count ? conditions.map { [$0] } : [conditions]
            for (j, name) in entry.allNames.enumerated() {
                let namePath = entry.names == nil ? "syscalls[\(i)].name" : "syscalls[\(i)].names[\(j)]"
                guard SyscallTable.isKnownAnywhere(name) else {
                    let message = "unknown syscall \"\(name)\""
                    if target.strict {
                        problems.append(ProfileError(namePath, message))
                    } else {
                        warnings.append("\(namePath): \(message), skipped")
                    }
                    continue
                }
                named.insert(name)
                // A rule that does what the default does changes nothing (libseccomp refuses it).
                guard action != defaultAction else { continue }
                for set in conditionSets {
                    rules.append(PolicyRule(syscall: name, action: action, conditions: set, entry: i))
                }
            }
        }
        if !problems.isEmpty { throw ProfileLoadError(source: source, problems: problems) }
        if architectures.isEmpty {
            throw ProfileLoadError(source: source, problems: [ProfileError("architectures", "no architecture left that seccomp-forge can compile for")])
        }
        var policy = Policy(defaultAction: defaultAction, architectures: architectures, rules: rules, warnings: warnings,
                            listenerPath: profile.listenerPath.flatMap { $0.isEmpty ? nil : $0 }, listenerMetadata: profile.listenerMetadata,
                            namedSyscalls: named)
        if let flags = profile.flags { policy.filterFlags = flags }
        return policy
    }

    static func resolveArchitectures(_ profile: Profile, target: ResolutionTarget, warnings: inout [String]) -> [Architecture] {
        var chosen: [Architecture]
        if let explicit = target.architectures {
            chosen = explicit
        } else if let group = (profile.archMap ?? []).first(where: { Architecture.named($0.architecture) == target.native }) {
            chosen = [target.native] + (group.subArchitectures ?? []).compactMap(Architecture.named)
        } else if let listed = profile.architectures, !listed.isEmpty {
            chosen = listed.compactMap(Architecture.named)
        } else {
            chosen = [target.native]
        }
        var unique: [Architecture] = []
        for arch in chosen where !unique.contains(arch) {
            if arch.isEmitted {
                unique.append(arch)
            } else {
                warnings.append("architecture \(arch.name): seccomp-forge does not compile filters for it, skipped")
            }
        }
        return unique
    }

    /// Docker's `includes`/`excludes`: every included capability present, the native
    /// architecture listed, the kernel new enough; none of the excluded ones.
    static func applies(_ entry: SyscallEntry, to target: ResolutionTarget) -> Bool {
        let caps = Set(target.capabilities.compactMap(Capabilities.normalize))
        func matchesNative(_ spellings: [String]) -> Bool {
            spellings.contains { Architecture.named($0) == target.native }
        }
        if let include = entry.includes {
            if let arches = include.arches, !arches.isEmpty, !matchesNative(arches) { return false }
            if let needed = include.caps, !needed.isEmpty,
               !needed.allSatisfy({ Capabilities.normalize($0).map(caps.contains) ?? false }) { return false }
            if let minimum = include.minKernel.flatMap(KernelVersion.init), target.kernel < minimum { return false }
        }
        if let exclude = entry.excludes {
            if let arches = exclude.arches, matchesNative(arches) { return false }
            if let caps2 = exclude.caps, caps2.contains(where: { Capabilities.normalize($0).map(caps.contains) ?? false }) {
                return false
            }
            if let minimum = exclude.minKernel.flatMap(KernelVersion.init), target.kernel >= minimum { return false }
        }
        return true
    }
}
