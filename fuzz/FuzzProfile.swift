// libFuzzer target: a seccomp profile as untrusted bytes, read the way every tool
// reads one: decode (JSONBounds, the Go-compatible key pass, the Codable model),
// validate, resolve for a few targets, and compile what resolves: the compiler's
// verification phase checks every program against the policy, so a compiler bug
// is a crash here. A thrown error is an answer; a trap, a crash, an ASan report
// or an unverified program is a bug.
import FilterCompiler
import Foundation
import SeccompABI
import SeccompProfile
import SyscallTable

private let targets: [ResolutionTarget] = [
    ResolutionTarget(),
    ResolutionTarget(native: .aarch64, capabilities: ["CAP_SYS_ADMIN"], kernel: KernelVersion(major: 4, minor: 8), strict: true),
    ResolutionTarget(architectures: [.x86_64, .x86, .x32], native: .x86_64, capabilities: [], kernel: KernelVersion(major: 6, minor: 18)),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    // Both readings: warnings (the default) and strict (findings are errors).
    _ = try? Profile.decodeReporting(bytes, source: "fuzz.json", strict: true)
    guard let (profile, _) = try? Profile.decodeReporting(bytes, source: "fuzz.json") else { return 0 }
    _ = ProfileValidator.validate(profile)
    for target in targets {
        guard let policy = try? PolicyResolver.resolve(profile, for: target, source: "fuzz.json") else { continue }
        do { _ = try FilterCompiler.compile(policy) } catch {
            if case .unverified(let what) = error { fatalError("the compiler's program differs from the policy: \(what)") }
        }
    }
    // What the tools write back must read back as the same profile.
    let again = try? Profile.decode(profile.encoded(), source: "encoded.json")
    check(again == profile, "a decoded profile does not survive encode → decode")
    return 0
}

/// A broken invariant, reported with its message (precondition drops it in an -O build).
private func check(_ condition: Bool, _ message: String) {
    if !condition { fatalError(message) }
}
