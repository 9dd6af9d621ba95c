import ArgumentParser
import CBPF
import SeccompABI
import FilterCompiler
import Foundation
import SeccompProfile
import SyscallTable

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Run one call through the compiled filter and show the path it takes.",
        discussion: """
        Emulates the filter on one call (architecture, syscall, arguments) and prints
        every instruction executed, the result, the instruction count, and the profile
        rule behind the result.

        Example: seccomp-profile explain docker-default.json --syscall personality --args 0x8
                 seccomp-profile explain docker-default.json --syscall socketcall --arch x86
        """)

    @Argument(help: "The profile (OCI/Docker seccomp JSON).")
    var profile: String

    @Option(name: .long, help: "The syscall, by name (or number with --arch).")
    var syscall: String

    @Option(name: .long, help: "Arguments, comma-separated, decimal or 0x-hex (missing ones are 0).")
    var args: String?

    @Option(name: .long, help: "The instruction pointer (decimal or 0x-hex).")
    var ip: String?

    @OptionGroup var target: TargetOptions

    func run() throws {
        let filter = try target.compiled(from: profile)
        // The architecture of the call: the first one --arch names, else the first covered.
        let archName = target.arch?.split(separator: ",").first.map(String.init)
        let arch = archName.flatMap(Architecture.named) ?? filter.policy.architectures[0]
        guard let plan = filter.plans.first(where: { $0.architecture == arch }) else {
            throw ToolError.badInput("--arch: \(arch.name) is not covered by this filter")
        }
        let table = plan.table
        let number: UInt32
        let name: String
        if let n = table.number(of: syscall) {
            (number, name) = (n, syscall)
        } else if let n = UInt32(syscall) {
            (number, name) = (n + arch.numberBase, table.name(of: n + arch.numberBase) ?? "#\(n)")
        } else if SyscallTable.isKnownAnywhere(syscall) {
            throw ToolError.badInput("--syscall: \(syscall) does not exist on \(arch.name)")
        } else {
            throw ToolError.badInput("--syscall: unknown syscall \"\(syscall)\"")
        }
        var values: [UInt64] = []
        for (i, text) in (args?.split(separator: ",", omittingEmptySubsequences: false) ?? []).enumerated() {
            guard i < 6, let v = parseNumber(String(text)) else {
                throw ToolError.badInput("--args: item \(i) \"\(text)\" is not a 64-bit number (six at most)")
            }
            values.append(v)
        }
        var ipValue: UInt64 = 0
        if let ip {
            guard let v = parseNumber(ip) else { throw ToolError.badInput("--ip: \"\(ip)\" is not a 64-bit number") }
            ipValue = v
        }
        let data = SeccompData(nr: number, arch: arch.auditArch, instructionPointer: ipValue, args: values)
        let outcome = try Emulator(filter.program).run(data, recordPath: true)
        let listing = Disassembler(filter.program).pseudoCode()
        let shownArgs = (values + Array(repeating: 0, count: 6 - values.count)).map { "0x" + String($0, radix: 16) }
        print("\(name) (nr \(number - arch.numberBase), \(arch.name), arch 0x\(String(arch.auditArch, radix: 16))) args [\(shownArgs.joined(separator: ", "))]")
        for pc in outcome.path {
            let ins = filter.program.instructions[pc]
            print(String(format: "  %04d: 0x%02x 0x%02x 0x%02x 0x%08x  ", pc, ins.code, ins.jt, ins.jf, ins.k) + listing[pc])
        }
        print("result: \(outcome.action) after \(outcome.executed) instructions")
        let decided = filter.policy.decide(syscall: name, args: values, on: arch)
        if let rule = decided.rule {
            let conditions = rule.conditions.isEmpty ? "" : " when " + rule.conditions.map(\.description).joined(separator: " && ")
            print("because: syscalls[\(rule.entry)] \(rule.action)\(conditions)")
        } else if number > table.highestNumber {
            print("because: above the highest \(arch.name) syscall (\(table.highestNumber - arch.numberBase)); a denying default returns ENOSYS there")
        } else {
            print("because: no rule matches; default action \(filter.policy.defaultAction)")
        }
    }

    private func parseNumber(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.hasPrefix("0x") { return UInt64(t.dropFirst(2), radix: 16) }
        if t.hasPrefix("-"), let negative = Int64(t) { return UInt64(bitPattern: negative) }
        return UInt64(t)
    }
}
