import CBPF
import Foundation
import FilterCompiler
import SeccompProfile
import SyscallTable
import Synchronization
import XCTest
import SeccompABI

/// The compiler's layout rules, checked by running its output in the emulator
/// against what the rules mean (`Policy.decide`).
final class CompilerBehaviourTests: XCTestCase {
    func rule(_ name: String, _ action: SeccompAction, _ conditions: [ArgumentComparison] = []) -> PolicyRule {
        PolicyRule(syscall: name, action: action, conditions: conditions, entry: 0)
    }

    func run(_ program: Program, _ arch: Architecture, _ nr: UInt32, _ args: [UInt64] = []) throws -> Emulator.Outcome {
        try Emulator(program).run(SeccompData(nr: nr, arch: arch.auditArch, args: args))
    }

    /// The verification phase catches a program that differs from the plans in any one
    /// answer: every return of a compiled filter altered in turn (a call's action, an
    /// argument rule's action, the default, the stub), each is refused, naming the call.
    func testVerificationRefusesEveryAlteredReturn() throws {
        let open = ArgumentComparison(index: 1, op: .maskedEqual, value: 0o3, valueTwo: 0o2)
        let policy = Policy(defaultAction: .errno(1), architectures: [.x86_64, .x86, .x32],
                            rules: [rule("read", .allow), rule("openat", .errno(13), [open]), rule("openat", .allow),
                                    rule("clone", .allow, [ArgumentComparison(index: 0, op: .greaterThan, value: 1 << 40)])])
        let compiled = try FilterCompiler.compile(policy)
        XCTAssertNoThrow(try Verification.verify(compiled.program, plans: compiled.plans))
        var altered = 0
        for (i, instruction) in compiled.program.instructions.enumerated() where instruction.isReturn {
            var instructions = compiled.program.instructions
            instructions[i].k = instruction.k == SeccompAction.allow.returnValue ? SeccompAction.log.returnValue : SeccompAction.allow.returnValue
            XCTAssertThrowsError(try Verification.verify(Program(instructions), plans: compiled.plans), "return \(i) altered") { error in
                guard case CompileError.unverified(let what) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(what.contains("call") || what.contains("architecture"), what)
            }
            altered += 1
        }
        XCTAssertGreaterThanOrEqual(altered, 4)  // each distinct action is emitted once
    }

    /// The verification runs only where the plan or the program can change its answer (each
    /// compared constant, each named number, one either side): every jump constant of a
    /// compiled filter moved by one in turn, it refuses exactly the programs that a run on
    /// every number of every table (and the x32 half) finds different.
    func testVerificationAgreesWithARunOnEveryNumber() throws {
        let policy = Policy(defaultAction: .errno(1), architectures: [.x86_64, .x86, .x32],
                            rules: ["read", "write", "openat", "close", "mmap", "exit_group", "futex", "clone3"].map { rule($0, .allow) }
                                + [rule("kill", .errno(13)), rule("socket", .allow, [ArgumentComparison(index: 0, op: .equal, value: 1)])])
        let compiled = try FilterCompiler.compile(policy)
        func differs(_ program: Program) -> Bool {
            for plan in compiled.plans {
                let base = plan.architecture.numberBase
                for nr in base...(plan.table.highestNumber + 2) {
                    let expected = try? Emulator(compiled.program).run(SeccompData(nr: nr, arch: plan.architecture.auditArch)).action
                    let got = try? Emulator(program).run(SeccompData(nr: nr, arch: plan.architecture.auditArch)).action
                    if expected != got { return true }
                }
            }
            return false
        }
        var moved = 0, refused = 0
        for (i, instruction) in compiled.program.instructions.enumerated() where instruction.isConditionalJump {
            for delta in [1, -1] {
                var instructions = compiled.program.instructions
                instructions[i].k = UInt32(truncatingIfNeeded: Int64(instruction.k) + Int64(delta))
                let altered = Program(instructions)
                let verified = (try? Verification.verify(altered, plans: compiled.plans)) != nil
                if differs(altered) { XCTAssertFalse(verified, "jump \(i) moved by \(delta) changes answers, and passed") }
                if !verified { refused += 1 }
                moved += 1
            }
        }
        XCTAssertGreaterThan(moved, 20)
        XCTAssertGreaterThan(refused, moved / 2)
    }

    func testUncoveredArchitectureIsKilled() throws {
        let program = try FilterCompiler.compile(Policy(defaultAction: .allow, architectures: [.x86_64], rules: [])).program
        XCTAssertEqual(try run(program, .aarch64, 0).action, .killProcess)
        XCTAssertEqual(try run(program, .x86, 20).action, .killProcess)
        XCTAssertEqual(try run(program, .x86_64, 39).action, .allow)
    }

    func testX32CallsAreKilledUnlessX32IsCovered() throws {
        let getpid32 = SyscallTable.forArchitecture(.x32).number(of: "getpid")!
        let without = try FilterCompiler.compile(Policy(defaultAction: .errno(1), architectures: [.x86_64], rules: [rule("getpid", .allow)])).program
        XCTAssertEqual(try run(without, .x86_64, getpid32).action, .killProcess)
        let with = try FilterCompiler.compile(Policy(defaultAction: .errno(1), architectures: [.x86_64, .x32], rules: [rule("getpid", .allow)])).program
        XCTAssertEqual(try run(with, .x32, getpid32).action, .allow)
        XCTAssertEqual(try run(with, .x86_64, 39).action, .allow)
        XCTAssertEqual(try run(with, .x32, SyscallTable.forArchitecture(.x32).number(of: "read")!).action, .errno(1))
        // Above the highest x32 number the profile names: runc's ENOSYS stub.
        XCTAssertEqual(try run(with, .x32, SyscallTable.forArchitecture(.x32).number(of: "getuid")!).action, .errno(38))
    }

    /// runc's stub: with a denying default, every number above the highest one the
    /// profile names gets ENOSYS, rules or not; no stub for a permissive default, for
    /// ERRNO(ENOSYS) as the default, or for a profile that names nothing.
    func testNumbersAboveTheHighestNamedCallGetENOSYSOnlyWhenTheDefaultDenies() throws {
        let table = SyscallTable.forArchitecture(.x86_64)
        let clone = table.number(of: "clone")!, clone3 = table.number(of: "clone3")!
        let named = [rule("clone", .allow), rule("read", .errno(1))]
        let denying = try FilterCompiler.compile(Policy(defaultAction: .killProcess, architectures: [.x86_64], rules: named)).program
        XCTAssertEqual(try run(denying, .x86_64, clone).action, .allow)
        XCTAssertEqual(try run(denying, .x86_64, clone + 1).action, .errno(38))
        XCTAssertEqual(try run(denying, .x86_64, clone3).action, .errno(38))
        XCTAssertEqual(try run(denying, .x86_64, table.highestNumber + 1).action, .errno(38))
        XCTAssertEqual(try run(denying, .x86_64, 0x3fff_ffff).action, .errno(38))
        XCTAssertEqual(try run(denying, .x86_64, clone - 1).action, .killProcess)
        let nothingNamed = try FilterCompiler.compile(Policy(defaultAction: .killProcess, architectures: [.x86_64], rules: [])).program
        XCTAssertEqual(try run(nothingNamed, .x86_64, table.highestNumber + 1).action, .killProcess)
        let enosys = try FilterCompiler.compile(Policy(defaultAction: .errno(38), architectures: [.x86_64], rules: named)).program
        XCTAssertEqual(try run(enosys, .x86_64, clone3).action, .errno(38))
        let logging = try FilterCompiler.compile(Policy(defaultAction: .log, architectures: [.x86_64], rules: named)).program
        XCTAssertEqual(try run(logging, .x86_64, clone3).action, .log)
        XCTAssertEqual(try run(logging, .x86_64, table.highestNumber + 1).action, .log)
    }

    func testAllowedCallsWithoutArgumentChecksReadOnlyNrAndArch() throws {
        let policy = Policy(defaultAction: .errno(1), architectures: [.x86_64, .x86], rules: [
            rule("read", .allow), rule("write", .allow),
            rule("personality", .allow, [ArgumentComparison(index: 0, op: .equal, value: 8)]),
        ])
        let program = try FilterCompiler.compile(policy).program
        for arch in [Architecture.x86_64, .x86] {
            let table = SyscallTable.forArchitecture(arch)
            XCTAssertFalse(try run(program, arch, table.number(of: "read")!).readBeyondNrAndArch)
            XCTAssertTrue(try run(program, arch, table.number(of: "personality")!, [8]).readBeyondNrAndArch)
        }
    }

    /// A 64-bit argument is compared in two halves: values that differ only in the
    /// high half must not be confused on x86_64; on i386 only the low half exists.
    func testHighHalfDecidesOnX86_64AndIsIgnoredOnX86() throws {
        let policy = Policy(defaultAction: .errno(1), architectures: [.x86_64, .x86], rules: [
            rule("personality", .allow, [ArgumentComparison(index: 0, op: .equal, value: 8)]),
            rule("socket", .allow, [ArgumentComparison(index: 0, op: .greaterThan, value: 40)]),
        ])
        let program = try FilterCompiler.compile(policy).program
        let personality64 = SyscallTable.forArchitecture(.x86_64).number(of: "personality")!
        XCTAssertEqual(try run(program, .x86_64, personality64, [8]).action, .allow)
        XCTAssertEqual(try run(program, .x86_64, personality64, [0x1_0000_0008]).action, .errno(1))
        let socket64 = SyscallTable.forArchitecture(.x86_64).number(of: "socket")!
        XCTAssertEqual(try run(program, .x86_64, socket64, [0x1_0000_0000]).action, .allow)
        XCTAssertEqual(try run(program, .x86_64, socket64, [40]).action, .errno(1))
        let personality32 = SyscallTable.forArchitecture(.x86).number(of: "personality")!
        XCTAssertEqual(try run(program, .x86, personality32, [8]).action, .allow)
        XCTAssertEqual(try run(program, .x86, personality32, [0x1_0000_0008]).action, .allow)
    }

    /// Hundreds of distinct outcomes push shared returns and subtrees beyond the
    /// 255-instruction reach of a conditional jump; the layout must still be exact.
    func testLongJumpsAreBridged() throws {
        var rules: [PolicyRule] = []
        let table = SyscallTable.forArchitecture(.x86_64)
        for (i, entry) in table.entries.enumerated() {
            let action: SeccompAction = .errno(UInt16(1 + i % 3))
            if i % 4 == 0 {
                rules.append(rule(entry.name, action, [ArgumentComparison(index: i % 6, op: .lessThan, value: UInt64(i) << 20)]))
            } else {
                rules.append(rule(entry.name, i % 2 == 0 ? .allow : action))
            }
        }
        let policy = Policy(defaultAction: .killProcess, architectures: [.x86_64], rules: rules)
        let program = try FilterCompiler.compile(policy).program
        let farJumps = program.instructions.enumerated().filter { pc, ins in
            ins.code == BPF.jmp | BPF.ja && ins.k > 255
        }
        XCTAssertGreaterThan(program.count, 600)
        XCTAssertFalse(farJumps.isEmpty, "this profile is meant to need ja bridges")
        for entry in table.entries {
            for args in [[UInt64](), [0, 0, 0, 0, 0, 0], [UInt64](repeating: 1 << 40, count: 6)] {
                let got = try run(program, .x86_64, entry.number, args).action
                XCTAssertEqual(got, policy.decide(syscall: entry.name, args: args).action, entry.name)
            }
        }
    }

    func testFilterLongerThanTheKernelLimitIsAnError() throws {
        var rules: [PolicyRule] = []
        for arch in [Architecture.x86_64, .x86, .x32] {
            for (i, entry) in SyscallTable.forArchitecture(arch).entries.enumerated() {
                for k in 0..<3 {
                    rules.append(rule(entry.name, .errno(UInt16(i % 50 + 1)), [ArgumentComparison(index: k, op: .equal, value: UInt64(i * 7 + k) << 33 | 5)]))
                }
            }
        }
        let policy = Policy(defaultAction: .allow, architectures: [.x86_64, .x86, .x32], rules: rules)
        XCTAssertThrowsError(try FilterCompiler.compile(policy)) { error in
            guard case CompileError.tooLong(let n) = error else { return XCTFail("\(error)") }
            XCTAssertGreaterThan(n, BPF.maxInstructions)
            XCTAssertTrue("\(error)".contains("the kernel accepts at most 4096"))
        }
    }

    func testDisassemblyNamesArchitecturesFieldsAndActions() throws {
        let program = try FilterCompiler.compile(Policy(defaultAction: .errno(1), architectures: [.x86_64],
                                                        rules: [rule("getpid", .allow)])).program
        let listing = Disassembler(program).listing()
        XCTAssertTrue(listing.hasPrefix(" line  CODE  JT   JF      K\n"), listing)
        XCTAssertTrue(listing.contains("A = arch"), listing)
        XCTAssertTrue(listing.contains("ARCH_X86_64"), listing)
        XCTAssertTrue(listing.contains("A = sys_number"), listing)
        XCTAssertTrue(listing.contains("return ALLOW"), listing)
        XCTAssertTrue(listing.contains("return ERRNO(1)"), listing)
        XCTAssertTrue(listing.contains("return KILL_PROCESS"), listing)
    }

    /// Compiles running at once in one process each share nodes in a table of their own:
    /// the programs are the ones each compile makes alone.
    func testConcurrentCompilesMakeTheProgramsEachMakesAlone() throws {
        var generator = SeededGenerator(seed: 2026_12_04)
        let target = ResolutionTarget(architectures: [.x86_64, .x86, .x32], native: .x86_64, kernel: KernelVersion(major: 6, minor: 18))
        let policies = try (0..<16).map { round in
            try PolicyResolver.resolve(RandomProfile.make(using: &generator), for: target, source: "random profile \(round)")
        }
        let alone = try policies.map { try FilterCompiler.compile($0).program.instructions }
        let together = Mutex<[(Int, [Instruction]?)]>([])
        DispatchQueue.concurrentPerform(iterations: policies.count * 4) { i in
            let program = try? FilterCompiler.compile(policies[i % policies.count]).program.instructions
            together.withLock { $0.append((i % policies.count, program)) }
        }
        let results = together.withLock { $0 }
        XCTAssertEqual(results.count, policies.count * 4)
        for (i, program) in results {
            XCTAssertEqual(program, alone[i], "random profile \(i), compiled beside others")
        }
    }
}
