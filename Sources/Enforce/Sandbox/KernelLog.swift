import CSandbox
#if canImport(Glibc)
import Glibc
#endif

/// The kernel's own record of a seccomp outcome (audit type 1326, AUDIT_SECCOMP),
/// as it appears in /dev/kmsg when no audit daemon takes it:
///
///     audit: type=1326 audit(…): … pid=3533 comm="python3" exe="…" sig=31
///            arch=c000003e syscall=101 compat=0 ip=0x… code=0x80000000
///
/// The kernel writes one for every KILL_PROCESS/KILL_THREAD and LOG outcome, and,
/// for a filter installed with SECCOMP_FILTER_FLAG_LOG, for ERRNO, TRAP and TRACE
/// (each as /proc/sys/kernel/seccomp/actions_logged allows). Reading them is how
/// the sandbox names a call the kernel stopped without any process of ours in
/// the decision.
public struct SeccompRecord: Equatable, Sendable {
    public var pid: Int32
    public var comm: String
    public var arch: UInt32
    public var syscall: UInt32
    /// The filter's return value with its data masked off (SECCOMP_RET_ACTION_FULL).
    public var code: UInt32

    /// Parses one /dev/kmsg line; nil for anything but a seccomp audit record.
    public init?(kmsgLine line: Substring) {
        let marker = Array("type=1326 ".utf8)
        let bytes = Array(line.utf8)
        guard bytes.count >= marker.count,
              let at = (0...(bytes.count - marker.count)).first(where: { Array(bytes[$0..<($0 + marker.count)]) == marker }) else { return nil }
        var fields: [Substring: Substring] = [:]
        var rest = line[line.utf8.index(line.startIndex, offsetBy: at + marker.count)...]
        while !rest.isEmpty {
            rest = rest.drop(while: { $0 == " " })
            guard let equals = rest.firstIndex(of: "=") else { break }
            // A key is the word before "=": "audit(1.2:3): pid=9" is pid, not "audit(1.2:3): pid".
            let key = rest[..<equals].split(separator: " ").last ?? ""
            var value: Substring
            let after = rest.index(after: equals)
            if after < rest.endIndex, rest[after] == "\"" {
                let body = rest[rest.index(after: after)...]
                let close = body.firstIndex(of: "\"") ?? body.endIndex
                value = body[..<close]
                rest = close < body.endIndex ? body[body.index(after: close)...] : body[close...]
            } else {
                let end = rest[after...].firstIndex(of: " ") ?? rest.endIndex
                value = rest[after..<end]
                rest = rest[end...]
            }
            fields[key] = value
        }
        guard let pid = fields["pid"].flatMap({ Int32($0) }),
              let arch = fields["arch"].flatMap({ UInt32($0, radix: 16) }),
              let syscall = fields["syscall"].flatMap({ UInt32($0) }),
              let codeText = fields["code"], codeText.hasPrefix("0x"),
              let code = UInt32(codeText.dropFirst(2), radix: 16) else { return nil }
        self.pid = pid
        self.arch = arch
        self.syscall = syscall
        self.code = code & 0xffff_0000
        // An unquoted comm is hex (the kernel encodes names with spaces or quotes that way).
        let comm = fields["comm"] ?? ""
        if line.contains("comm=\"") || comm.isEmpty {
            self.comm = String(comm)
        } else {
            var bytes: [UInt8] = []
            var index = comm.startIndex
            while let next = comm.index(index, offsetBy: 2, limitedBy: comm.endIndex), let byte = UInt8(comm[index..<next], radix: 16) {
                bytes.append(byte)
                index = next
            }
            self.comm = String(decoding: bytes, as: UTF8.self)
        }
    }

    public init(pid: Int32, comm: String, arch: UInt32, syscall: UInt32, code: UInt32) {
        (self.pid, self.comm, self.arch, self.syscall, self.code) = (pid, comm, arch, syscall, code)
    }
}

/// Where the kernel's seccomp records are read from, opened before the launch so
/// only records written after it are seen:
///
/// 1. the audit multicast group (root: CAP_AUDIT_READ): every record, even when
///    an audit daemon runs, with no rate limit;
/// 2. else /dev/kmsg, where the kernel prints records when no audit daemon takes
///    them — at most 10 every 5 s (printk_ratelimit), and readable only with
///    CAP_SYSLOG where kernel.dmesg_restrict is 1 (the common default).
final class KernelLog {
    enum Source { case auditMulticast, kmsg }
    let fd: Int32
    let source: Source

    private init(fd: Int32, source: Source) {
        self.fd = fd
        self.source = source
    }

    /// The log, or the errno that kept /dev/kmsg closed.
    static func open() -> Result<KernelLog, OpenFailure> {
        let audit = sf_audit_open()
        if audit >= 0 { return .success(KernelLog(fd: audit, source: .auditMulticast)) }
        let fd = Glibc.open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(OpenFailure(code: errno)) }
        lseek(fd, 0, SEEK_END)
        return .success(KernelLog(fd: fd, source: .kmsg))
    }

    struct OpenFailure: Error { var code: Int32 }

    deinit { close(fd) }

    /// Every seccomp record waiting now (never blocks).
    func drain() -> [SeccompRecord] {
        var records: [SeccompRecord] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                // EPIPE (kmsg: records overwritten before we read them), ENOBUFS (socket
                // overflowed): some were lost; the next read resumes.
                if errno == EPIPE || errno == EINTR || errno == ENOBUFS { continue }
                break
            }
            if n == 0 { break }
            switch source {
            case .kmsg:
                // One record per read: "prefix;message\n", then continuation lines (" KEY=value").
                let message = buffer[0..<n].prefix(while: { $0 != 0x0a })
                if let record = SeccompRecord(kmsgLine: String(decoding: message, as: UTF8.self)[...]) { records.append(record) }
            case .auditMulticast:
                // Netlink messages: a 16-byte header (length, type, ...), then the record's text.
                var at = 0
                while n - at >= 16 {
                    let length = Int(UInt32(buffer[at]) | UInt32(buffer[at + 1]) << 8 | UInt32(buffer[at + 2]) << 16 | UInt32(buffer[at + 3]) << 24)
                    let type = UInt16(buffer[at + 4]) | UInt16(buffer[at + 5]) << 8
                    guard length >= 16, at + length <= n else { break }
                    if type == 1326 {
                        let text = buffer[(at + 16)..<(at + length)].prefix(while: { $0 != 0 })
                        if let record = SeccompRecord(kmsgLine: ("type=1326 " + String(decoding: text, as: UTF8.self))[...]) {
                            records.append(record)
                        }
                    }
                    at += (length + 3) & ~3
                }
            }
        }
        return records
    }
}
