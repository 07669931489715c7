import RecipeParser

/// The canonical name of a step: its producer and the instance's indices, `narration[3]`,
/// `image[3][2]`, `render`. Stable across runs, machines and directories.
public struct StepID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var producer: String
    /// 1-based indices along the producer's `for` dimensions.
    public var index: [Int]

    public init(_ producer: String, _ index: [Int] = []) {
        self.producer = producer
        self.index = index
    }

    public var description: String { producer + index.map { "[\($0)]" }.joined() }

    public static func < (a: StepID, b: StepID) -> Bool {
        a.producer != b.producer ? a.producer < b.producer : a.index.lexicographicallyPrecedes(b.index)
    }

    /// Parses `narration[3]`, `image[3][2]`, `render`.
    public static func parse(_ s: String) -> StepID? {
        guard let open = s.firstIndex(of: "[") else { return s.isEmpty ? nil : StepID(s) }
        let name = String(s[..<open])
        var idx: [Int] = []
        var rest = s[open...]
        while rest.first == "[" {
            guard let close = rest.firstIndex(of: "]"), let n = Int(rest[rest.index(after: rest.startIndex)..<close]) else { return nil }
            idx.append(n)
            rest = rest[rest.index(after: close)...]
        }
        return rest.isEmpty && !name.isEmpty ? StepID(name, idx) : nil
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let id = StepID.parse(s) else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad step id \(s)")) }
        self = id
    }
}

/// One instance of an artifact: `audio[3]`, `image_prompt[3][2]`, `title`.
public struct ArtifactRef: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var name: String
    public var index: [Int]

    public init(_ name: String, _ index: [Int] = []) {
        self.name = name
        self.index = index
    }

    public var description: String { name + index.map { "[\($0)]" }.joined() }

    /// Parses `audio[3]`, `image[3][2]`, `title`.
    public static func parse(_ s: String) -> ArtifactRef? { StepID.parse(s).map { ArtifactRef($0.producer, $0.index) } }

    public static func < (a: ArtifactRef, b: ArtifactRef) -> Bool {
        a.name != b.name ? a.name < b.name : a.index.lexicographicallyPrecedes(b.index)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let id = StepID.parse(s) else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad artifact \(s)")) }
        self = ArtifactRef(id.producer, id.index)
    }
}
