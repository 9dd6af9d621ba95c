// libFuzzer target: the kernel's seccomp records as seccomp-sandbox reads them.
// Compiled together with the sandbox's KernelLog.swift (same module, so its
// internal SeccompRecord and KernelLog are in reach). The input is
//   1. one /dev/kmsg line, each of its lines, and an audit record's text, parsed
//      by SeccompRecord(kmsgLine:) as drain() hands them over;
//   2. one read of the log: a datagram on a socket put in place of the log's
//      descriptor, read by drain() itself (netlink framing for the audit
//      multicast source, one line per read for /dev/kmsg).
#if canImport(Glibc)
import Glibc
#endif

/// The sandbox's log with its descriptor replaced by our end of a datagram socket
/// pair (nothing the kernel logs reaches it then); nil if no log opens here.
private let log: (log: KernelLog, writer: Int32)? = {
    guard case .success(let log) = KernelLog.open() else {
        fputs("fuzz-kernel-log: no kernel log opens here; drain() is not exercised\n", stderr)
        return nil
    }
    var pair: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0,
          dup2(pair[0], log.fd) == log.fd else { return nil }
    close(pair[0])
    _ = fcntl(log.fd, F_SETFL, fcntl(log.fd, F_GETFL) | O_NONBLOCK)
    var size: Int32 = 1 << 20
    setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    fputs("fuzz-kernel-log: drain() reads datagrams as the \(log.source == .kmsg ? "/dev/kmsg" : "audit multicast") source\n", stderr)
    return (log, pair[1])
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: buffer, as: UTF8.self)
    _ = SeccompRecord(kmsgLine: text[...])
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        _ = SeccompRecord(kmsgLine: line)
    }
    _ = SeccompRecord(kmsgLine: ("type=1326 " + String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self))[...])
    if let log, size > 0 {
        if send(log.writer, data, size, 0) == size { _ = log.log.drain() }
    }
    return 0
}
