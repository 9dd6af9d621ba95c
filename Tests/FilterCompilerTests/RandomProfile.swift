import Foundation
import SeccompProfile
import SyscallTable

/// Random profiles for differential testing. Every action, every operator,
/// 64-bit values at the edges, repeated argument indices, overlapping rules
/// with one action, unconditional rules mixed with conditional ones. Conditional
/// rules for one syscall share an action: where they disagree and overlap,
/// libseccomp's answer depends on its tree layout, not on the profile. Errno values
/// stop at 4094: libseccomp 2.5.4 refuses 4095 (the kernel accepts it).
enum RandomProfile {
    static let names: [String] = {
        let all = Set([Architecture.x86_64, .x86, .x32].flatMap { SyscallTable.forArchitecture($0).entries.map(\.name) })
        return all.sorted()
    }()

    static let ruleActions = ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                              "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"]
    static let defaultActions = ["SCMP_ACT_ERRNO", "SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", "SCMP_ACT_KILL_PROCESS",
                                 "SCMP_ACT_KILL", "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"]

    /// `singleAction`: names that get one action across all their entries. libseccomp turns
    /// i386 socket and IPC calls into multiplexer rules, where two actions collide (EEXIST).
    static func make<G: RandomNumberGenerator>(using g: inout G, singleAction: Set<String> = []) -> Profile {
        let defaultAction = defaultActions.randomElement(using: &g)!
        var profile = Profile(defaultAction: defaultAction)
        if defaultAction == "SCMP_ACT_ERRNO" || defaultAction == "SCMP_ACT_TRACE", Bool.random(using: &g) {
            profile.defaultErrnoRet = UInt64.random(in: 1...4094, using: &g)
        }
        var conditionalAction: [String: String] = [:]
        var unconditionalAction: [String: String] = [:]
        var entries: [SyscallEntry] = []
        for _ in 0..<Int.random(in: 3...30, using: &g) {
            let action = ruleActions.randomElement(using: &g)!
            var entry = SyscallEntry(action: action)
            if action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE", Int.random(in: 0..<3, using: &g) > 0 {
                entry.errnoRet = [1, 13, 38, 4094, UInt64.random(in: 1...4094, using: &g)].randomElement(using: &g)!
            }
            if Int.random(in: 0..<5, using: &g) < 3 {
                entry.args = (0..<Int.random(in: 1...3, using: &g)).map { _ in condition(using: &g) }
            }
            var chosen: [String] = []
            for _ in 0..<Int.random(in: 1...8, using: &g) {
                let name = names.randomElement(using: &g)!
                let key = ProfileValidator.action(action, errno: entry.errnoRet)!.description
                if entry.args != nil || singleAction.contains(name) {
                    // One action per syscall among its conditional rules (see above).
                    if let existing = conditionalAction[name], existing != key { continue }
                    if singleAction.contains(name), let existing = unconditionalAction[name], existing != key { continue }
                    conditionalAction[name] = key
                }
                if entry.args == nil {
                    if singleAction.contains(name), let existing = conditionalAction[name], existing != key { continue }
                    unconditionalAction[name] = unconditionalAction[name] ?? key
                }
                chosen.append(name)
            }
            if chosen.isEmpty { continue }
            if chosen.count == 1 && Bool.random(using: &g) {
                entry.name = chosen[0]  // the old singular spelling
            } else {
                entry.names = chosen
            }
            entries.append(entry)
        }
        profile.syscalls = entries
        return profile
    }

    static func condition<G: RandomNumberGenerator>(using g: inout G) -> ArgumentCondition {
        let op = ComparisonOperator.allCases.randomElement(using: &g)!
        let value = edgeValue(using: &g)
        var c = ArgumentCondition(index: UInt64.random(in: 0...5, using: &g), value: value, op: op.rawValue)
        if op == .maskedEqual {
            c.valueTwo = Bool.random(using: &g) ? value & edgeValue(using: &g) : edgeValue(using: &g)
        }
        return c
    }

    static func edgeValue<G: RandomNumberGenerator>(using g: inout G) -> UInt64 {
        switch Int.random(in: 0..<10, using: &g) {
        case 0: return 0
        case 1: return 1
        case 2: return 0xffff_ffff
        case 3: return 0x1_0000_0000
        case 4: return .max
        case 5: return UInt64.random(in: 0...64, using: &g)
        case 6: return UInt64.random(in: 0...UInt64(UInt32.max), using: &g)
        case 7: return UInt64.random(in: 0...UInt64(UInt32.max), using: &g) << 32
        default: return UInt64.random(in: 0...UInt64.max, using: &g)
        }
    }
}
