import Foundation

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

    /// POST over one connection (Connection: close), through SwiftNIO's HTTP/1.1 codec: the
    /// answer's status and body. 60 s for the whole exchange.
    func post(path: String, body: Data) throws(HarvestError) -> (Int, Data) {
        do {
            let answer = try HTTPPost.post(host: host, port: Int(port), path: path,
                                           headers: [("Host", "\(host):\(port)"), ("User-Agent", "seccomp-profile"), ("Accept", "application/json"),
                                                     ("Content-Type", "application/x-www-form-urlencoded")],
                                           body: Array(body), timeout: .seconds(60))
            return (answer.status, Data(answer.body))
        } catch let failure as HTTPPost.Failure {
            throw HarvestError("--prometheus \(base): \(failure.description)", kind: .unreachable)
        } catch {
            throw HarvestError("--prometheus \(base): \(error)", kind: .unreachable)
        }
    }
}
