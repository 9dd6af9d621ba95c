import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Prometheus HTTP API's instant queries over plain HTTP/1.1 (POST, form-encoded).
public struct PrometheusAPI {
    public struct Sample: Sendable {
        public var labels: [String: String]
        public var value: Double
    }

    public let host: String
    public let port: UInt16
    public let prefix: String
    public let base: String

    public init(base: String) throws(HarvestError) {
        self.base = base
        guard base.hasPrefix("http://") else {
            throw HarvestError("--prometheus \(base): give an http:// URL (plain HTTP; put HTTPS behind a local proxy)", kind: .badRequest)
        }
        let rest = base.dropFirst("http://".count)
        let hostPort = rest.prefix { $0 != "/" }
        prefix = String(rest.dropFirst(hostPort.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var hostPart = String(hostPort), portNumber: UInt16 = 80
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            guard let p = UInt16(hostPort[hostPort.index(after: colon)...]) else {
                throw HarvestError("--prometheus \(base): \"\(hostPort[hostPort.index(after: colon)...])\" is not a port", kind: .badRequest)
            }
            portNumber = p
            hostPart = String(hostPort[..<colon])
        }
        if hostPart.hasPrefix("[") { hostPart = String(hostPart.dropFirst().dropLast()) }
        guard !hostPart.isEmpty else { throw HarvestError("--prometheus \(base): no host", kind: .badRequest) }
        host = hostPart
        port = portNumber
    }

    /// One instant query's vector result.
    public func vector(_ query: String) throws(HarvestError) -> [Sample] {
        let body = "query=" + Self.formEncoded(query)
        let (status, data) = try post(path: (prefix.isEmpty ? "" : "/" + prefix) + "/api/v1/query", body: Data(body.utf8))
        return try samples(from: data, status: status, query: query)
    }

    /// The samples of an instant query's answer; the API's own error, or a body that is not
    /// the API's, as an `unreachable` error naming the server.
    public func samples(from data: Data, status: Int, query: String) throws(HarvestError) -> [Sample] {
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data) else {
            throw HarvestError("--prometheus \(base): HTTP \(status), not the Prometheus API (is the URL right?)", kind: .unreachable)
        }
        guard answer.status == "success" else {
            throw HarvestError("--prometheus \(base): \(answer.error ?? "HTTP \(status)") (query: \(query))", kind: .unreachable)
        }
        return (answer.data?.result ?? []).compactMap { item in
            guard let value = item.value, let number = Double(value.text) else { return nil }
            return Sample(labels: item.metric ?? [:], value: number)
        }
    }

    /// An instant query's answer (`/api/v1/query`): a vector's samples are `[time, "value"]`.
    struct Answer: Decodable {
        struct Result: Decodable {
            struct Point: Decodable {
                var text: String
                init(from decoder: Decoder) throws {
                    var pair = try decoder.unkeyedContainer()
                    _ = try pair.decode(Double.self)
                    text = try pair.decode(String.self)
                }
            }
            var metric: [String: String]?
            var value: Point?
        }
        struct Body: Decodable {
            /// Absent or another shape for scalars and strings: read as no samples.
            var result: [Result]?
            init(from decoder: Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                result = try? container.decode([Result].self, forKey: .result)
            }
            enum CodingKeys: String, CodingKey { case result }
        }
        var status: String
        var error: String?
        var data: Body?
    }

    static func formEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// POST over one connection (Connection: close): status and body (Content-Length, chunked or to EOF).
    func post(path: String, body: Data) throws(HarvestError) -> (Int, Data) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw HarvestError("--prometheus \(base): cannot resolve \(host) (\(String(cString: gai_strerror(rc))))", kind: .unreachable)
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
            throw HarvestError("--prometheus \(base): cannot connect (\(String(cString: strerror(lastError))))", kind: .unreachable)
        }
        defer { close(fd) }
        let head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: seccomp-profile\r\nAccept: application/json\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let request = Data(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else {
                throw HarvestError("--prometheus \(base): sending the query failed (\(String(cString: strerror(errno))))", kind: .unreachable)
            }
            sent += n
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                throw HarvestError("--prometheus \(base): reading the answer failed (\(String(cString: strerror(errno))))", kind: .unreachable)
            }
            if n == 0 { break }
            response.append(buffer, count: n)
        }
        return try Self.parse(response, base: base)
    }

    /// An HTTP/1.1 answer: its status and body (Content-Length, chunked, or everything to the end).
    public static func parse(_ response: Data, base: String) throws(HarvestError) -> (Int, Data) {
        let bad = HarvestError("--prometheus \(base): not an HTTP answer", kind: .unreachable)
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
