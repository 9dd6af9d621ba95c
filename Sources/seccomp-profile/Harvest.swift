import ArgumentParser
import Foundation
import Observer
import Recording
import SeccompProfile
import SyscallTable

/// `seccomp-profile harvest`: each workload's fleet-wide profile from what the agents
/// (`seccomp-observe --all --listen` or `--textfile`) reported to Prometheus.
struct Harvest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harvest",
        abstract: "Write each workload's profile from what a fleet's agents reported to Prometheus.",
        discussion: """
        Asks the Prometheus HTTP API (three queries, whatever the fleet's size) for
        seccomp_forge_syscalls_total over the window: per workload, ABI and syscall,
        the calls counted (summed over hosts, each host's highest value in the window)
        and on how many hosts (instances) it was seen, out of every host that
        reported anything. Writes WORKLOAD.seccomp.json (allowing what any host saw)
        and WORKLOAD.recording.json (counts, and coverage: seen on n of m hosts) per
        workload; with --to kubernetes, a security-profiles-operator SeccompProfile
        (WORKLOAD.yaml) instead of the OCI profile.

        Examples:
          seccomp-profile harvest --prometheus http://prometheus:9090 --workload web --since 30d
          seccomp-profile harvest --prometheus http://127.0.0.1:9090 --all -o profiles/ --to kubernetes

        Plain HTTP only (put a TLS-terminating proxy in front, or run it next to
        Prometheus). Exit status: 0; 1 no data for a workload; 2 bad arguments;
        69 Prometheus unreachable or answering with an error.
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case oci, kubernetes }

    @Option(name: .long, help: "The Prometheus server, like http://127.0.0.1:9090 (a path prefix is kept).")
    var prometheus: String

    @Option(name: .long, help: "A workload to harvest, as the agents name it (repeatable).")
    var workload: [String] = []

    @Flag(name: .long, help: "Harvest every workload the window holds.")
    var all = false

    @Option(name: .long, help: "How far back to look: 30d, 12h, 90m, 2w.")
    var since = "30d"

    @Option(name: [.customShort("o"), .long], help: "The directory the files go to (default: the current directory).")
    var outDir = "."

    @Option(name: .long, help: "oci (default): WORKLOAD.seccomp.json; kubernetes: a SeccompProfile resource, WORKLOAD.yaml.")
    var to: Format = .oci

    @Option(name: .long, help: "metadata.namespace of the Kubernetes resources.")
    var namespace: String?

    @Option(name: .long, help: "The profiles' action for calls no host made (default SCMP_ACT_ERRNO, with EPERM).")
    var defaultAction = "SCMP_ACT_ERRNO"

    static let unreachable: Int32 = 69
    static let noData: Int32 = 1

    func run() throws {
        guard all != !workload.isEmpty else {
            throw ToolError.badInput(all ? "give --all or --workload, not both" : "give --workload NAME (repeatable) or --all")
        }
        guard since.range(of: #"^[0-9]+(ms|s|m|h|d|w|y)$"#, options: .regularExpression) != nil else {
            throw ToolError.badInput("--since: \"\(since)\" is not a window like 30d, 12h or 90m")
        }
        guard ProfileValidator.actionNames.contains(defaultAction), defaultAction != "SCMP_ACT_ALLOW" else {
            throw ToolError.badInput("--default-action: \"\(defaultAction)\" is not a denying action")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: outDir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ToolError.badInput("-o \(outDir): no such directory")
        }
        let api = try PrometheusAPI(base: prometheus)
        let selector = workload.isEmpty ? "" : "{workload=~\"\(workload.map(Self.regexQuoted).joined(separator: "|"))\"}"
        let series = "max_over_time(\(AgentSeries.syscalls)\(selector)[\(since)])"
        let started = Date()
        let sums = try api.vector("sum by (workload, arch, syscall) (\(series))")
        let seenOn = try api.vector("count by (workload, arch, syscall) (\(series) > 0)")
        let fleet = try api.vector("count(count by (instance) (max_over_time(\(AgentSeries.syscalls)[\(since)])))")
        let hosts = Int(fleet.first?.value ?? 0)
        var recordings: [String: Recording] = [:]
        let seconds = Self.seconds(since)
        for sample in sums {
            guard let name = sample.labels["workload"], let arch = sample.labels["arch"], let syscall = sample.labels["syscall"] else { continue }
            let abi = Architecture.named(arch)?.profileName ?? arch
            var recording = recordings[name] ?? Recording(target: "harvest:\(name)", seconds: seconds)
            recording.counts[abi, default: [:]][syscall] = UInt64(max(0, sample.value.rounded()))
            recording.recordings = hosts
            recording.coverage = recording.coverage ?? [:]
            recordings[name] = recording
        }
        for sample in seenOn {
            guard let name = sample.labels["workload"], let arch = sample.labels["arch"], let syscall = sample.labels["syscall"] else { continue }
            let abi = Architecture.named(arch)?.profileName ?? arch
            recordings[name]?.coverage?[abi, default: [:]][syscall] = Int(sample.value)
        }
        let missing = workload.filter { recordings[$0] == nil }
        for (name, var recording) in recordings.sorted(by: { $0.key < $1.key }) {
            let workloadHosts = recording.coverage?.values.flatMap(\.values).max() ?? 0
            recording.workload = ["workload": name, "hosts": "\(workloadHosts) of \(hosts)", "prometheus": prometheus, "window": since]
            let file = WorkloadIdentity.sanitize(name)  // the agents' names already are file-safe
            let profilePath = outDir + "/" + file + ".seccomp.json"
            do {
                try RecordingFiles.write(recording, profilePath: profilePath, defaultAction: defaultAction)
            } catch {
                throw ToolError(message: "\(error)", status: ToolError.outputFailed)
            }
            var written = profilePath
            if to == .kubernetes {
                let yamlPath = outDir + "/" + file + ".yaml"
                var arguments = [profilePath, "--to", "kubernetes", "--name", file, "-o", yamlPath]
                if let namespace { arguments += ["--namespace", namespace] }
                let convert = try Convert.parse(arguments)
                try convert.run()
                try? FileManager.default.removeItem(atPath: profilePath)
                written = yamlPath
            }
            let calls = recording.counts.values.reduce(0) { $0 + $1.count }
            FileHandle.standardError.write(Data("\(name): \(calls) syscalls, seen on \(workloadHosts) of \(hosts) hosts → \(written)\n".utf8))
        }
        FileHandle.standardError.write(Data(String(format: "harvested %d workloads from %d hosts in %.2f s\n", recordings.count, hosts,
                                                   Date().timeIntervalSince(started)).utf8))
        if recordings.isEmpty || !missing.isEmpty {
            let what = missing.isEmpty ? "any workload" : missing.joined(separator: ", ")
            throw ToolError(message: "no \(AgentSeries.syscalls) series for \(what) in the last \(since) at \(prometheus)", status: Self.noData)
        }
    }

    /// A name as a PromQL regular expression matching exactly it (inside a double-quoted string).
    static func regexQuoted(_ name: String) -> String {
        var out = ""
        for c in name {
            if "\\.^$|?*+()[]{}".contains(c) { out += "\\\\" }
            if c == "\"" { out += "\\" }
            out.append(c)
        }
        return out
    }

    static func seconds(_ window: String) -> Double {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800), ("y", 31_536_000)]
        for (suffix, scale) in units where window.hasSuffix(suffix) {
            if let n = Double(window.dropLast(suffix.count)) { return n * scale }
        }
        return 0
    }
}

/// The series the agents expose (seccomp-observe's AgentMetrics).
enum AgentSeries {
    static let syscalls = "seccomp_forge_syscalls_total"
}

/// The Prometheus HTTP API's instant queries over plain HTTP/1.1 (POST, form-encoded).
struct PrometheusAPI {
    struct Sample {
        var labels: [String: String]
        var value: Double
    }

    let host: String
    let port: UInt16
    let prefix: String
    let base: String

    init(base: String) throws {
        self.base = base
        guard base.hasPrefix("http://") else {
            throw ToolError.badInput("--prometheus \(base): give an http:// URL (plain HTTP; put HTTPS behind a local proxy)")
        }
        let rest = base.dropFirst("http://".count)
        let hostPort = rest.prefix { $0 != "/" }
        prefix = String(rest.dropFirst(hostPort.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var hostPart = String(hostPort), portNumber: UInt16 = 80
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            guard let p = UInt16(hostPort[hostPort.index(after: colon)...]) else {
                throw ToolError.badInput("--prometheus \(base): \"\(hostPort[hostPort.index(after: colon)...])\" is not a port")
            }
            portNumber = p
            hostPart = String(hostPort[..<colon])
        }
        if hostPart.hasPrefix("[") { hostPart = String(hostPart.dropFirst().dropLast()) }
        guard !hostPart.isEmpty else { throw ToolError.badInput("--prometheus \(base): no host") }
        host = hostPart
        port = portNumber
    }

    /// One instant query's vector result.
    func vector(_ query: String) throws -> [Sample] {
        let body = "query=" + Self.formEncoded(query)
        let (status, data) = try post(path: (prefix.isEmpty ? "" : "/" + prefix) + "/api/v1/query", body: Data(body.utf8))
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ToolError(message: "--prometheus \(base): HTTP \(status), not the Prometheus API (is the URL right?)", status: Harvest.unreachable)
        }
        guard object["status"] as? String == "success" else {
            throw ToolError(message: "--prometheus \(base): \(object["error"] as? String ?? "HTTP \(status)") (query: \(query))", status: Harvest.unreachable)
        }
        let result = ((object["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        return result.compactMap { item in
            guard let metric = item["metric"] as? [String: String], let value = item["value"] as? [Any], value.count == 2,
                  let text = value[1] as? String, let number = Double(text) else { return nil }
            return Sample(labels: metric, value: number)
        }
    }

    static func formEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// POST over one connection (Connection: close): status and body (Content-Length, chunked or to EOF).
    func post(path: String, body: Data) throws -> (Int, Data) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw ToolError(message: "--prometheus \(base): cannot resolve \(host) (\(String(cString: gai_strerror(rc))))", status: Harvest.unreachable)
        }
        defer { freeaddrinfo(list) }
        var fd: Int32 = -1
        var lastError: Int32 = 0
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            fd = socket(entry.pointee.ai_family, entry.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), entry.pointee.ai_protocol)
            if fd >= 0 {
                var timeout = timeval(tv_sec: 60, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if connect(fd, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 { break }
                lastError = errno
                close(fd)
                fd = -1
            } else {
                lastError = errno
            }
            cursor = entry.pointee.ai_next
        }
        guard fd >= 0 else {
            throw ToolError(message: "--prometheus \(base): cannot connect (\(String(cString: strerror(lastError))))", status: Harvest.unreachable)
        }
        defer { close(fd) }
        let head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: seccomp-profile\r\nAccept: application/json\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let request = Data(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else {
                throw ToolError(message: "--prometheus \(base): sending the query failed (\(String(cString: strerror(errno))))", status: Harvest.unreachable)
            }
            sent += n
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                throw ToolError(message: "--prometheus \(base): reading the answer failed (\(String(cString: strerror(errno))))", status: Harvest.unreachable)
            }
            if n == 0 { break }
            response.append(buffer, count: n)
        }
        return try Self.parse(response, base: base)
    }

    static func parse(_ response: Data, base: String) throws -> (Int, Data) {
        let bad = ToolError(message: "--prometheus \(base): not an HTTP answer", status: Harvest.unreachable)
        guard let end = response.range(of: Data("\r\n\r\n".utf8)) else { throw bad }
        let head = String(decoding: response[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1."),
              let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else { throw bad }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(response[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            var decoded = Data()
            var rest = body[...]
            while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
                let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw bad }
                if size == 0 { break }
                let start = lineEnd.upperBound
                guard rest.distance(from: start, to: rest.endIndex) >= size + 2 else { throw bad }
                let chunkEnd = rest.index(start, offsetBy: size)
                decoded.append(rest[start..<chunkEnd])
                rest = rest[rest.index(chunkEnd, offsetBy: 2)...]
            }
            body = decoded
        } else if let length = headers["content-length"].flatMap(Int.init), body.count > length {
            body = body.prefix(length)
        }
        return (status, body)
    }
}
