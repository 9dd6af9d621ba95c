import Foundation

/// Profile JSON read the way Docker and runc read it (Go's encoding/json): a key
/// matches a field exactly or, failing that, case-insensitively (`"valuetwo"` is
/// `valueTwo`); when a key repeats, the last one wins; keys no field takes are
/// ignored. Unlike Go, each of those is reported — a warning, or with `strict`
/// an error — since each has silently changed what a profile does.
///
/// The text is parsed into an order-preserving tree, its keys are put in their
/// canonical spelling with duplicates resolved, and the result is written back
/// as JSON for the Codable model.
enum ProfileKeys {
    /// The fields of each kind of object, in canonical spelling.
    static let profile = ["defaultAction", "defaultErrnoRet", "architectures", "archMap", "flags", "listenerPath",
                          "listenerMetadata", "syscalls"]
    static let archMap = ["architecture", "subArchitectures"]
    static let syscall = ["names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"]
    static let argument = ["index", "value", "valueTwo", "op"]
    static let filter = ["arches", "caps", "minKernel"]

    struct Finding {
        var path: String
        var message: String
    }

    /// The normalized JSON, and what was changed or ignored; nil if the text is not JSON
    /// (the decoder then reports the syntax error with its position).
    static func normalize(_ data: Data) -> (Data, [Finding])? {
        var parser = Parser(bytes: Array(data))
        guard let value = parser.parseDocument() else { return nil }
        var findings: [Finding] = []
        var normalized = normalize(value, fields: profile, path: "", findings: &findings)
        // Docker reads a missing defaultAction as "": with no syscalls either, no filter at all.
        if case .object(var members) = normalized, !members.contains(where: { $0.0 == "defaultAction" }) {
            members.insert(("defaultAction", .string("")), at: 0)
            normalized = .object(members)
        }
        var out = ""
        write(normalized, into: &out)
        return (Data(out.utf8), findings)
    }

    private static func normalize(_ value: JSONValue, fields: [String], path: String, findings: inout [Finding]) -> JSONValue {
        guard case .object(let members) = value else { return value }
        var result: [(String, JSONValue)] = []
        for (key, child) in members {
            let canonical = fields.first { $0 == key } ?? fields.first { $0.lowercased() == key.lowercased() }
            let childPath = path.isEmpty ? key : path + "." + key
            guard let canonical else {
                findings.append(Finding(path: childPath, message: "unknown key \"\(key)\", ignored (as Docker ignores it)"))
                continue
            }
            if canonical != key {
                findings.append(Finding(path: childPath, message: "\"\(key)\" read as \"\(canonical)\" (Docker matches keys case-insensitively)"))
            }
            let normalizedChild = normalizeChild(child, of: canonical, path: path.isEmpty ? canonical : path + "." + canonical, findings: &findings)
            if let existing = result.firstIndex(where: { $0.0 == canonical }) {
                findings.append(Finding(path: path.isEmpty ? canonical : path + "." + canonical,
                                        message: "given more than once; the last one counts (as in Docker)"))
                result.remove(at: existing)
            }
            result.append((canonical, normalizedChild))
        }
        return .object(result)
    }

    private static func normalizeChild(_ value: JSONValue, of field: String, path: String, findings: inout [Finding]) -> JSONValue {
        func each(_ fields: [String]) -> JSONValue {
            guard case .array(let items) = value else { return value }
            return .array(items.enumerated().map { normalize($1, fields: fields, path: "\(path)[\($0)]", findings: &findings) })
        }
        switch field {
        case "archMap": return each(archMap)
        case "syscalls": return each(syscall)
        case "args": return each(argument)
        case "includes", "excludes": return normalize(value, fields: filter, path: path, findings: &findings)
        default: return value
        }
    }

    indirect enum JSONValue {
        case object([(String, JSONValue)])
        case array([JSONValue])
        case string(String)
        /// Numbers keep their text, so nothing is lost to floating point.
        case number(String)
        case literal(String)
    }

    private static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .object(let members):
            out += "{"
            for (i, (key, child)) in members.enumerated() {
                if i > 0 { out += "," }
                writeString(key, into: &out)
                out += ":"
                write(child, into: &out)
            }
            out += "}"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .string(let s): writeString(s, into: &out)
        case .number(let n): out += n
        case .literal(let l): out += l
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        // Foundation's encoder does the escaping (one string at a time, keeping member order ours).
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        out += (try? encoder.encode(s)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    /// A strict JSON parser (RFC 8259) that keeps object members in order, duplicates included.
    struct Parser {
        let bytes: [UInt8]
        var at = 0

        mutating func parseDocument() -> JSONValue? {
            skipSpace()
            guard let value = parseValue() else { return nil }
            skipSpace()
            return at == bytes.count ? value : nil
        }

        private mutating func skipSpace() {
            while at < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[at]) { at += 1 }
        }

        private mutating func parseValue() -> JSONValue? {
            guard at < bytes.count else { return nil }
            switch bytes[at] {
            case UInt8(ascii: "{"):
                at += 1
                var members: [(String, JSONValue)] = []
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard let key = parseString() else { return nil }
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { return nil }
                    at += 1
                    skipSpace()
                    guard let value = parseValue() else { return nil }
                    members.append((key, value))
                    skipSpace()
                    guard at < bytes.count else { return nil }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if bytes[at] == UInt8(ascii: "}") { at += 1; return .object(members) }
                    return nil
                }
            case UInt8(ascii: "["):
                at += 1
                var items: [JSONValue] = []
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
                while true {
                    skipSpace()
                    guard let value = parseValue() else { return nil }
                    items.append(value)
                    skipSpace()
                    guard at < bytes.count else { return nil }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    if bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
                    return nil
                }
            case UInt8(ascii: "\""):
                return parseString().map { .string($0) }
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                for word in ["true", "false", "null"] {
                    let w = Array(word.utf8)
                    if bytes.count - at >= w.count, Array(bytes[at..<(at + w.count)]) == w {
                        at += w.count
                        return .literal(word)
                    }
                }
                return nil
            default:
                let start = at
                if bytes[at] == UInt8(ascii: "-") { at += 1 }
                while at < bytes.count, (0x30...0x39).contains(bytes[at]) || [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(bytes[at]) {
                    at += 1
                }
                guard at > start else { return nil }
                return .number(String(decoding: bytes[start..<at], as: UTF8.self))
            }
        }

        private mutating func parseString() -> String? {
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { return nil }
            at += 1
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() {
                scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                raw.removeAll()
            }
            while at < bytes.count {
                let byte = bytes[at]
                if byte == UInt8(ascii: "\"") {
                    at += 1
                    flush()
                    return String(scalars)
                }
                if byte < 0x20 { return nil }
                if byte == UInt8(ascii: "\\") {
                    flush()
                    at += 1
                    guard at < bytes.count else { return nil }
                    let escape = bytes[at]
                    at += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0c}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        guard let unit = hex4() else { return nil }
                        if (0xd800..<0xdc00).contains(unit), bytes.count - at >= 6, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") {
                            at += 2
                            guard let low = hex4(), (0xdc00..<0xe000).contains(low) else { return nil }
                            scalars.append(Unicode.Scalar(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))!)
                        } else {
                            scalars.append(Unicode.Scalar(unit) ?? "\u{fffd}")
                        }
                    default: return nil
                    }
                    continue
                }
                raw.append(byte)
                at += 1
            }
            return nil
        }

        private mutating func hex4() -> UInt32? {
            guard bytes.count - at >= 4, let v = UInt32(String(decoding: bytes[at..<(at + 4)], as: UTF8.self), radix: 16) else { return nil }
            at += 4
            return v
        }
    }
}
