import ArgumentParser
import CBPF
import SeccompABI
import FilterCompiler
import Foundation
import SeccompProfile
import SyscallTable

/// The target a profile is resolved for; shared by every subcommand.
struct TargetOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Architectures to cover, comma-separated (x86_64,x86,x32, aarch64, arm, riscv64, ...).",
        discussion: "Default: the profile's archMap entry for this machine, else its architectures, else this machine's."))
    var arch: String?

    @Option(name: .long, help: ArgumentHelp(
        "Capabilities the container has, comma-separated (CAP_SYS_ADMIN or sys_admin).",
        discussion: "Decides Docker's includes/excludes by caps. Default: Docker's default set. Give \"\" for none."))
    var caps: String?

    @Option(name: .long, help: "Kernel version for includes.minKernel, like 5.15. Default: the running kernel.")
    var kernel: String?

    @Flag(name: .long, help: "Treat unknown syscall names as errors instead of skipping them with a warning.")
    var strict = false

    func target() throws -> ResolutionTarget {
        var architectures: [Architecture]?
        if let arch {
            architectures = try arch.split(separator: ",").map { spelling in
                let s = spelling.trimmingCharacters(in: .whitespaces)
                guard let a = Architecture.named(s) else {
                    throw ToolError.badInput("--arch: unknown architecture \"\(s)\"; known: \(Architecture.all.filter(\.isEmitted).map(\.name).joined(separator: ", "))")
                }
                guard a.isEmitted else {
                    throw ToolError.badInput("--arch: seccomp-forge does not compile filters for \(a.name); it emits \(Architecture.all.filter(\.isEmitted).map(\.name).joined(separator: ", "))")
                }
                return a
            }
        }
        var capabilities = Capabilities.dockerDefault
        if let caps {
            capabilities = []
            for cap in caps.split(separator: ",") where !cap.trimmingCharacters(in: .whitespaces).isEmpty {
                let text = cap.trimmingCharacters(in: .whitespaces)
                guard let name = Capabilities.normalize(text) else {
                    throw ToolError.badInput("--caps: \"\(text)\" is not a capability name like CAP_SYS_ADMIN")
                }
                capabilities.insert(name)
            }
        }
        var version = KernelVersion.running ?? KernelVersion(major: 6, minor: 0)
        if let kernel {
            guard let parsed = KernelVersion(kernel) else {
                throw ToolError.badInput("--kernel: \"\(kernel)\" is not a kernel version like 5.15")
            }
            version = parsed
        }
        return ResolutionTarget(architectures: architectures, native: .native, capabilities: capabilities,
                                kernel: version, strict: strict)
    }

    /// Loads, validates and resolves a profile; warnings go to stderr.
    func policy(from path: String) throws -> Policy {
        let strict = self.strict
        return try policy(path: path) { () throws(ProfileLoadError) in try Profile.loadReporting(path: path, strict: strict) }
    }

    /// The same, for profile bytes already read (`path` names them in messages).
    func policy(from data: Data, source path: String) throws -> Policy {
        let strict = self.strict
        return try policy(path: path) { () throws(ProfileLoadError) in try Profile.decodeReporting(data, source: path, strict: strict) }
    }

    private func policy(path: String, load: () throws(ProfileLoadError) -> (profile: Profile, warnings: [String])) throws -> Policy {
        let target = try target()
        do {
            let (profile, readWarnings) = try load()
            let policy = try PolicyResolver.resolve(profile, for: target, source: path)
            for warning in readWarnings + policy.warnings {
                FileHandle.standardError.write(Data("seccomp-profile: warning: \(path): \(warning)\n".utf8))
            }
            return policy
        } catch {
            throw ToolError.badInput(error.description)
        }
    }

    func compiled(from path: String, frequencies: [String: Double]? = nil) throws -> CompiledFilter {
        let policy = try policy(from: path)
        do {
            return try FilterCompiler.compile(policy, frequencies: frequencies)
        } catch {
            throw ToolError.badInput("\(path): \(error.description)")
        }
    }
}

/// Writes an output file (see `OutputFile`: `-` is stdout, regular files atomically, devices in place).
func writeAtomically(_ data: Data, to path: String) throws {
    do {
        try OutputFile.write(data, to: path)
    } catch {
        throw ToolError(message: error.description, status: ToolError.outputFailed)
    }
}
