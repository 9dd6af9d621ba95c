import ArgumentParser
import FilterCompiler
import Foundation

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Measure the compiled filter: length, instructions per syscall, cacheable calls.",
        discussion: """
        For each architecture, runs the filter on every syscall number (arguments zero)
        and reports the mean and largest number of instructions executed, the longest
        possible path (argument checks included), and how many allowed syscalls the
        kernel's action cache can skip the filter for.

        Example: seccomp-profile stats docker-default.json --numbers 0-462
        """)

    @Argument(help: "The profile (OCI/Docker seccomp JSON).")
    var profile: String

    @OptionGroup var target: TargetOptions

    @Option(name: .long, help: "Syscall numbers to measure, like 0-462. Default: 0 to the highest known.")
    var numbers: String?

    @OptionGroup var weights: WeightsOption

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        var range: ClosedRange<UInt32>?
        if let numbers {
            let parts = numbers.split(separator: "-").map { UInt32($0) }
            guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo <= hi else {
                throw ToolError.badInput("--numbers: \"\(numbers)\" is not a range like 0-462")
            }
            range = lo...hi
        }
        let filter = try target.compiled(from: profile)
        let stats = filter.plans.map {
            FilterAnalysis.stats(of: filter.program, architecture: $0.architecture, numbers: range, plan: $0)
        }
        // With --weights: instructions per call as the recording made them, for this filter and
        // for the one compiled with those weights.
        var weighted: [(arch: String, plain: Double, compiled: Double, length: Int)] = []
        if let recording = try weights.recording() {
            let tuned = try target.compiled(from: profile, frequencies: try weights.frequencies())
            for plan in filter.plans {
                guard let calls = recording.counts[plan.architecture.profileName], !calls.isEmpty,
                      let plain = FilterAnalysis.weightedMeanInstructions(of: filter.program, architecture: plan.architecture, counts: calls),
                      let compiled = FilterAnalysis.weightedMeanInstructions(of: tuned.program, architecture: plan.architecture, counts: calls)
                else { continue }
                weighted.append((plan.architecture.name, plain, compiled, tuned.program.count))
            }
        }
        if json {
            var rows: [String] = []
            for s in stats {
                rows.append("""
                {"architecture":"\(s.architecture.name)","numbers":"\(s.numbers.lowerBound - s.architecture.numberBase)-\(s.numbers.upperBound - s.architecture.numberBase)","meanInstructions":\(String(format: "%.3f", s.meanInstructions)),"maxInstructions":\(s.maxInstructionsMeasured),"longestPath":\(s.longestPath),"knownSyscalls":\(s.knownSyscalls),"allowedWithoutArguments":\(s.allowedWithoutArguments),"cacheable":\(s.cacheable),"argumentChecked":\(s.argumentChecked)}
                """)
            }
            let w = weighted.map { "{\"architecture\":\"\($0.arch)\",\"weightedMeanInstructions\":\(String(format: "%.3f", $0.plain)),\"weightedMeanInstructionsCompiledWithWeights\":\(String(format: "%.3f", $0.compiled)),\"lengthCompiledWithWeights\":\($0.length)}" }
            print("{\"length\":\(filter.program.count),\"architectures\":[\(rows.joined(separator: ","))],\"weighted\":[\(w.joined(separator: ","))]}")
            return
        }
        print("\(profile): \(filter.program.count) instructions for \(filter.policy.architectures.map(\.name).joined(separator: ", "))")
        print("arch      numbers      mean  max  longest-path  allowed  cacheable  arg-checked")
        for s in stats {
            let lo = s.numbers.lowerBound - s.architecture.numberBase, hi = s.numbers.upperBound - s.architecture.numberBase
            let cols = [
                s.architecture.name.padding(toLength: 9, withPad: " ", startingAt: 0),
                "\(lo)-\(hi)".padding(toLength: 10, withPad: " ", startingAt: 0),
                String(format: "%6.2f", s.meanInstructions),
                String(format: "%4d", s.maxInstructionsMeasured),
                String(format: "%13d", s.longestPath),
                String(format: "%8d", s.allowedWithoutArguments),
                String(format: "%10d", s.cacheable),
                String(format: "%12d", s.argumentChecked),
            ]
            print(cols.joined(separator: " "))
        }
        for w in weighted {
            print(String(format: "%@ weighted by %@: %.2f instructions per call; %.2f compiled with those weights (%d instructions)",
                         w.arch, weights.weights ?? "", w.plain, w.compiled, w.length))
        }
    }
}
