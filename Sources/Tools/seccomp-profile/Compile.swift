import ArgumentParser
import CBPF
import SeccompABI
import FilterCompiler
import Foundation

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile a profile into a seccomp cBPF filter.",
        discussion: """
        raw:    the little-endian struct sock_filter array, loadable as is
                (e.g. bwrap --seccomp 3 3<filter.bpf). The default with -o.
        disasm: seccomp-tools style listing (line CODE JT JF K, pseudo-C).
                The default on standard output.
        c:      a C initializer for struct sock_filter[].

        Example: seccomp-profile compile docker-default.json --arch x86_64,x86 -o filter.bpf
                 seccomp-profile compile myapp.seccomp.json --weights myapp.recording.json -o myapp.bpf
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case raw, disasm, c
    }

    @Argument(help: "The profile (OCI/Docker seccomp JSON).")
    var profile: String

    @OptionGroup var target: TargetOptions

    @OptionGroup var weights: WeightsOption

    @Option(name: .long, help: "Output format: raw, disasm or c.")
    var format: Format?

    @Option(name: .shortAndLong, help: "Write to this file (atomically) instead of standard output.")
    var output: String?

    func run() throws {
        let filter = try target.compiled(from: profile, frequencies: try weights.frequencies())
        let format = self.format ?? (output == nil ? .disasm : .raw)
        let data: Data
        switch format {
        case .raw:
            if output == nil && isatty(STDOUT_FILENO) != 0 {
                throw ToolError.badInput("--format raw writes binary: give -o FILE or redirect standard output")
            }
            data = Data(filter.program.rawBytes)
        case .disasm:
            data = Data(Disassembler(filter.program).listing().utf8)
        case .c:
            data = Data(Disassembler(filter.program).cArray().utf8)
        }
        if let output {
            try writeAtomically(data, to: output)
            let arches = filter.policy.architectures.map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("wrote \(output): \(filter.program.count) instructions (\(format.rawValue)) for \(arches)\n".utf8))
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
