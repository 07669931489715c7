import Foundation

/// Makes a JSON instance of a JSON Schema (the subset OpenAI structured outputs accept), as a
/// model answering with `response_format: json_schema` would: every property present, arrays of
/// `minItems` items (else 3), strings of plausible English that differ by their path in the
/// document and by the prompt.
struct SchemaFaker {
    /// The whole schema, for resolving `$ref`s.
    let root: [String: Any]
    /// A hash of the last user message, so different prompts get different text.
    let promptHash: UInt64
    /// The `wrongCount` fault: the first array made gets one item fewer than it should.
    var shortenFirstArray = false
    private var arraysMade = 0

    init(schema: [String: Any], promptHash: UInt64, shortenFirstArray: Bool = false) {
        root = schema
        self.promptHash = promptHash
        self.shortenFirstArray = shortenFirstArray
    }

    /// An instance of the root schema.
    mutating func instance() -> Any {
        instance(of: root, path: "$", key: nil, depth: 0)
    }

    private func seed(_ path: String) -> UInt64 {
        stableHash(path) ^ (promptHash &* 0x9E37_79B9_7F4A_7C15)
    }

    private mutating func instance(of node: Any?, path: String, key: String?, depth: Int) -> Any {
        guard depth < 32 else { return NSNull() }  // a recursive schema: stop somewhere
        guard var schema = node as? [String: Any] else {
            return FakeEnglish.sentence(seed: seed(path))  // `true` or absent: anything goes
        }
        if let ref = schema["$ref"] as? String {
            return instance(of: resolve(ref), path: path, key: key, depth: depth + 1)
        }
        if let constant = schema["const"] { return constant }
        if let choices = schema["enum"] as? [Any], !choices.isEmpty {
            let nonNull = choices.filter { !($0 is NSNull) }
            let pool = nonNull.isEmpty ? choices : nonNull
            return pool[Int(seed(path) % UInt64(pool.count))]
        }
        for combinator in ["anyOf", "oneOf"] {
            if let branches = schema[combinator] as? [Any], !branches.isEmpty {
                let branch = branches.first { !isNullSchema($0) } ?? branches[0]
                return instance(of: branch, path: path, key: key, depth: depth + 1)
            }
        }
        if let parts = schema["allOf"] as? [[String: Any]] {
            for part in parts {
                schema.merge(part) { current, added in
                    if let a = current as? [String: Any], let b = added as? [String: Any] { return a.merging(b) { x, _ in x } }
                    return current
                }
            }
            schema["allOf"] = nil
        }

        switch schemaType(schema) {
        case "object":
            var object: [String: Any] = [:]
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in properties.keys.sorted() {
                object[name] = instance(of: properties[name], path: "\(path).\(name)", key: name, depth: depth + 1)
            }
            return object
        case "array":
            var count = (schema["minItems"] as? Int) ?? 3
            if let most = schema["maxItems"] as? Int { count = min(count, most) }
            arraysMade += 1
            if shortenFirstArray && arraysMade == 1 { count = max(0, count - 1) }
            if let tuple = schema["prefixItems"] as? [Any] {
                return tuple.enumerated().map { instance(of: $1, path: "\(path)[\($0)]", key: key, depth: depth + 1) }
            }
            return (0..<count).map { instance(of: schema["items"], path: "\(path)[\($0)]", key: key, depth: depth + 1) }
        case "integer":
            let low = (schema["minimum"] as? Int) ?? (schema["exclusiveMinimum"] as? Int).map { $0 + 1 }
            let high = (schema["maximum"] as? Int) ?? (schema["exclusiveMaximum"] as? Int).map { $0 - 1 }
            let lo = low ?? min(1, high ?? 1)
            let hi = max(lo, high ?? lo + 9)
            return lo + Int(seed(path) % UInt64(hi - lo + 1))
        case "number":
            let lo = (schema["minimum"] as? Double) ?? (schema["exclusiveMinimum"] as? Double) ?? 0
            let hi = max(lo, (schema["maximum"] as? Double) ?? (schema["exclusiveMaximum"] as? Double) ?? lo + 10)
            let fraction = Double(seed(path) % 1000) / 1000
            return ((lo + (hi - lo) * fraction) * 100).rounded() / 100
        case "boolean":
            return seed(path) & 1 == 1
        case "null":
            return NSNull()
        default:
            return string(schema, path: path, key: key)
        }
    }

    /// The schema's type: the first non-null one named, else inferred from its keywords.
    private func schemaType(_ schema: [String: Any]) -> String {
        if let name = schema["type"] as? String { return name }
        if let names = schema["type"] as? [String] { return names.first { $0 != "null" } ?? "null" }
        if schema["properties"] != nil { return "object" }
        if schema["items"] != nil || schema["prefixItems"] != nil { return "array" }
        return "string"
    }

    private func isNullSchema(_ node: Any) -> Bool {
        (node as? [String: Any]).map { schemaType($0) == "null" } ?? false
    }

    /// Follows a local reference such as `#/$defs/Segment` or `#/definitions/Segment`.
    private func resolve(_ ref: String) -> Any? {
        guard ref.hasPrefix("#") else { return nil }
        var node: Any? = root
        for token in ref.dropFirst().split(separator: "/") {
            let name = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            node = (node as? [String: Any])?[name]
        }
        return node
    }

    private func string(_ schema: [String: Any], path: String, key: String?) -> String {
        let seed = seed(path)
        switch schema["format"] as? String {
        case "date-time": return "2024-05-\(10 + seed % 18)T09:30:00Z"
        case "date": return "2024-05-\(10 + seed % 18)"
        case "time": return "09:30:00"
        case "uri", "url": return "https://example.com/\(seed % 100_000)"
        case "email": return "user\(seed % 1000)@example.com"
        case "uuid": return "123e4567-e89b-42d3-a456-\(String(format: "%012llx", seed & 0xFFFF_FFFF_FFFF))"
        default: break
        }
        let titled = ["title", "name", "heading", "headline", "label"].contains { (key ?? "").lowercased().contains($0) }
        var text = titled ? FakeEnglish.title(seed: seed) : FakeEnglish.sentence(seed: seed)
        var extra: UInt64 = 1
        if let least = schema["minLength"] as? Int {
            while text.count < least {
                text += " " + FakeEnglish.sentence(seed: seed &+ extra)
                extra += 1
            }
        }
        if let most = schema["maxLength"] as? Int, text.count > most {
            text = String(text.prefix(most))
            // Prefer to end on a whole word.
            if let space = text.lastIndex(of: " "), text.distance(from: text.startIndex, to: space) >= max(1, most / 2) {
                text = String(text[..<space])
            }
        }
        return text
    }
}
