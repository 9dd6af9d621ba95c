import Foundation

extension Profile {
    /// Decodes profile JSON. Errors name the JSON path or, for malformed text, the line and column.
    public static func decode(_ data: Data, source: String) throws(ProfileLoadError) -> Profile {
        try decodeReporting(data, source: source).profile
    }

    /// Decodes profile JSON as Docker reads it (see `ProfileKeys`), with what Docker would
    /// have read differently from the text or ignored: keys matched case-insensitively,
    /// repeated keys (the last counts), unknown keys. With `strict`, those are errors.
    public static func decodeReporting(_ data: Data, source: String, strict: Bool = false) throws(ProfileLoadError)
        -> (profile: Profile, warnings: [String]) {
        if let problem = JSONBounds.problem(in: data) {
            throw ProfileLoadError(source: source, problems: [problem])
        }
        var input = data
        var warnings: [String] = []
        if let (normalized, findings) = ProfileKeys.normalize(data) {
            if strict && !findings.isEmpty {
                throw ProfileLoadError(source: source, problems: findings.map { ProfileError($0.path, $0.message) })
            }
            warnings = findings.map { "\($0.path): \($0.message)" }
            input = normalized
        }
        return (try decodeExactly(input, source: source), warnings)
    }

    private static func decodeExactly(_ data: Data, source: String) throws(ProfileLoadError) -> Profile {
        do {
            return try JSONDecoder().decode(Profile.self, from: data)
        } catch let error as DecodingError {
            throw ProfileLoadError(source: source, problems: [Self.describe(error, data: data)])
        } catch {
            throw ProfileLoadError(source: source, problems: [ProfileError("", "not a seccomp profile: \(error)")])
        }
    }

    /// Reads and decodes a profile file.
    public static func load(path: String) throws(ProfileLoadError) -> Profile {
        try loadReporting(path: path).profile
    }

    /// Reads and decodes a profile file, with `decodeReporting`'s warnings.
    public static func loadReporting(path: String, strict: Bool = false) throws(ProfileLoadError) -> (profile: Profile, warnings: [String]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let why = !exists ? "no such file" : isDirectory.boolValue ? "is a directory" : "cannot be read"
            throw ProfileLoadError(source: path, problems: [ProfileError("", why)])
        }
        return try decodeReporting(data, source: path, strict: strict)
    }

    /// JSON as runc, crun and Docker read it: keys sorted, indented, trailing newline.
    public func encoded() -> Data { JSONFile.encode(self) }

    static func describe(_ error: DecodingError, data: Data) -> ProfileError {
        switch error {
        case .typeMismatch(let type, let context):
            return ProfileError(jsonPath(context.codingPath), "expected \(typeName(type))\(found(context, data: data))")
        case .valueNotFound(let type, let context):
            return ProfileError(jsonPath(context.codingPath), "expected \(typeName(type)), found null")
        case .keyNotFound(let key, let context):
            return ProfileError(jsonPath(context.codingPath), "missing required field \"\(key.stringValue)\"")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                // Well-formed JSON can still hold a number no field takes (-1, 1.5): find it.
                if let parsed = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
                   let bad = firstBadNumber(in: parsed, path: "") {
                    return bad
                }
                return ProfileError("", "malformed JSON" + syntaxLocation(context, data: data))
            }
            return ProfileError(jsonPath(context.codingPath), context.debugDescription)
        @unknown default:
            return ProfileError("", "\(error)")
        }
    }

    /// The integer fields of a profile; each must hold a whole number from 0 to 2^64-1.
    private static let integerFields: Set<String> = ["index", "value", "valueTwo", "errnoRet", "defaultErrnoRet"]

    private static func firstBadNumber(in object: Any, path: String) -> ProfileError? {
        if let dictionary = object as? [String: Any] {
            for key in dictionary.keys.sorted() {
                let childPath = path.isEmpty ? key : path + "." + key
                if integerFields.contains(key), let number = dictionary[key] as? NSNumber {
                    let text = number.stringValue
                    if text.hasPrefix("-") || text.contains(".") || text.contains("e") {
                        return ProfileError(childPath, "\(text) is not a whole number from 0 to 2^64-1")
                    }
                }
                if let found = firstBadNumber(in: dictionary[key]!, path: childPath) { return found }
            }
        } else if let array = object as? [Any] {
            for (i, element) in array.enumerated() {
                if let found = firstBadNumber(in: element, path: "\(path)[\(i)]") { return found }
            }
        }
        return nil
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is UInt64.Type, is Int.Type: return "a non-negative integer"
        case is [Any].Type: return "an array"
        default: return type == Profile.self ? "an object" : "an object or value of type \(type)"
        }
    }

    private static func found(_ context: DecodingError.Context, data: Data) -> String {
        let text = context.debugDescription
        if let range = text.range(of: "but found ") {
            return ", found " + text[range.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        }
        if text.contains("does not fit") || text.contains("not representable") || text.contains("out of range") {
            return ", found a value out of range (negative, fractional or above 2^64-1)"
        }
        return ""
    }

    /// Foundation reports syntax errors with a character offset or a line and column in the
    /// underlying error; turn either into "at line L, column C".
    private static func syntaxLocation(_ context: DecodingError.Context, data: Data) -> String {
        var underlying = (context.underlyingError.map { "\($0)" } ?? "") + " " + context.debugDescription
        // JSONDecoder may not say where; JSONSerialization does ("around character N").
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            underlying += " " + String(describing: error)
        }
        if let line = firstNumber(after: "line ", in: underlying), let column = firstNumber(after: "column ", in: underlying) {
            return " at line \(line), column \(column)"
        }
        if let offset = firstNumber(after: "character ", in: underlying) ?? firstNumber(after: "offset ", in: underlying) {
            let (line, column) = lineAndColumn(ofByte: offset, in: data)
            return " at line \(line), column \(column)"
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            return ": the file is empty"
        }
        return ""
    }

    private static func firstNumber(after marker: String, in text: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        let digits = text[range.upperBound...].prefix(while: { $0.isNumber })
        return Int(digits)
    }

    static func lineAndColumn(ofByte offset: Int, in data: Data) -> (Int, Int) {
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == 0x0a { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    static func jsonPath(_ codingPath: [CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return path
    }
}

/// How seccomp-forge writes its JSON files (profiles, recordings): stable and diffable.
public enum JSONFile {
    public static func encode<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = (try? encoder.encode(value)) ?? Data()
        data.append(0x0a)
        return data
    }
}

/// What a profile's JSON may be before any parser recursing over it sees it: untrusted
/// text nested thousands of levels deep would exhaust a recursive parser's stack. A
/// seccomp profile nests 5 levels (syscalls, a rule, args, an argument); 64 is far
/// beyond any real one. Sizes: Docker's default is 20 KB; 64 MiB is far beyond that.
public enum JSONBounds {
    public static let maxDepth = 64
    public static let maxBytes = 64 << 20

    /// The first way `data` exceeds the bounds, located, or nil.
    public static func problem(in data: Data) -> ProfileError? {
        if data.count > maxBytes {
            return ProfileError("", "the file is \(data.count) bytes; a profile may be at most \(maxBytes) (64 MiB)")
        }
        var depth = 0, inString = false, escaped = false, offset = 0
        for byte in data {
            defer { offset += 1 }
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxDepth {
                    let (line, column) = Profile.lineAndColumn(ofByte: offset, in: data)
                    return ProfileError("", "JSON nested deeper than \(maxDepth) levels at line \(line), column \(column) (a seccomp profile nests 5)")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            default: break
            }
        }
        return nil
    }
}
