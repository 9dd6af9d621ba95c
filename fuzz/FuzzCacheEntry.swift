// libFuzzer target: a filter-cache entry as seccomp-sandbox finds it in its cache
// directory (corrupt or hostile), parsed, then put through what the sandbox does
// with an entry before the kernel sees it: --print-filter's listing, the emulated
// answer to its own execve, complain mode's rewritten returns.
import CBPF
import FilterCache
import SeccompABI
import SyscallTable

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let entry = FilterCacheEntry(bytes: bytes) else { return 0 }
    // What was read writes out as an entry that reads back the same.
    check(FilterCacheEntry(bytes: entry.bytes) == entry, "a parsed entry does not survive bytes → parse")
    // The launcher passes the length to the kernel as 16 bits; the kernel loads at most BPF_MAXINSNS.
    check(entry.program.count <= BPF.maxInstructions && entry.execOpened.count <= BPF.maxInstructions,
                 "an entry with a program longer than the kernel loads was accepted")
    _ = Disassembler(entry.program).listing()
    _ = Disassembler(entry.execOpened).cArray()
    for arch in [Architecture.native, .x86, .x32] {
        let table = SyscallTable.forArchitecture(arch)
        for call in ["execve", "execveat"] {
            guard let nr = table.number(of: call) else { continue }
            let seccompData = SeccompData(nr: nr, arch: arch.auditArch, instructionPointer: 0x7f00_0000_1000,
                                          args: [0x7ffd_0000_0000, 0x7ffd_0000_0100, 0x7ffd_0000_0200, 0, 0, 0])
            _ = try? Emulator(entry.program).run(seccompData, recordPath: true)
            _ = try? Emulator(entry.execOpened).run(seccompData)
        }
    }
    let notify = SeccompAction.userNotification.returnValue
    _ = entry.execOpened.mappingReturns { SeccompAction(returnValue: $0) == .allow ? $0 : notify }
    _ = entry.program.instructions.contains { $0.code == 0x06 && SeccompAction(returnValue: $0.k) == .userNotification }
    return 0
}

/// A broken invariant, reported with its message (precondition drops it in an -O build).
private func check(_ condition: Bool, _ message: String) {
    if !condition { fatalError(message) }
}
