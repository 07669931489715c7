/// The type of an input a vidfile sets.
public enum ValueType: Hashable, Sendable, Codable, CustomStringConvertible {
    case text, int, number, bool, duration, language, voice, file, size
    case enumeration([String])

    public static let names = ["text", "int", "number", "bool", "duration", "enum", "language", "voice", "file", "size"]
    /// Other spellings accepted for a type name.
    public static let aliases = ["string": "text", "integer": "int", "float": "number", "boolean": "bool"]

    /// Whether `word` names a type (or an alias of one).
    public static func isTypeName(_ word: String) -> Bool { names.contains(word) || aliases[word] != nil }

    public var description: String {
        switch self {
        case .text: return "text"
        case .int: return "int"
        case .number: return "number"
        case .bool: return "bool"
        case .duration: return "duration"
        case .language: return "language"
        case .voice: return "voice"
        case .file: return "file"
        case .size: return "size"
        case .enumeration(let cases): return "enum(\(cases.joined(separator: ", ")))"
        }
    }

    /// Whether min, max and step make sense for this type.
    public var isOrdered: Bool { self == .int || self == .number || self == .duration }
}

/// What a producer makes.
public enum ArtifactType: String, Hashable, Sendable, Codable, CaseIterable {
    case text, audio, image, video, subtitles, timeline, json

    /// Artifacts that are media files; an override gives a path, not literal text.
    public var isFile: Bool { self != .text && self != .json }
}

/// The kinds of producer; a provider declares which kinds it serves.
public enum ProducerKind: String, Hashable, Sendable, Codable, CaseIterable {
    case llm, tts, image, video, music, align, render
}

/// A located name, for references and keys that diagnostics point back to.
public struct Located<T: Sendable & Hashable>: Sendable, Hashable {
    public var value: T
    public var span: SourceSpan
    public init(_ value: T, _ span: SourceSpan) {
        self.value = value
        self.span = span
    }
}

/// A declared input of a recipe: `duration: { type: duration, default: 60s, min: 10s, max: 300s, step: 10s }`.
public struct InputDecl: Sendable, Hashable {
    public var name: String
    public var span: SourceSpan
    public var type: ValueType
    public var defaultValue: Value?
    public var min: Value?
    public var max: Value?
    public var step: Value?
    /// An input with no default that need not be set (e.g. an article to narrate).
    public var optional: Bool
    /// The dimension the input varies along (`per: segment`), so an override may set one segment's value.
    public var per: Located<String>?
    public var description: String?
}

/// A dimension: `segment: duration / 10s`, `image: images_per_segment within segment`.
public struct DimensionDecl: Sendable, Hashable {
    public var name: String
    public var span: SourceSpan
    public var count: Expr
    /// The dimension this one nests in; its count is evaluated once per parent instance.
    public var parent: Located<String>?
}

/// A reference to an input or artifact, with indices: `narration[segment]`, `image_prompt[segment][image]`, `style`.
public struct Reference: Sendable, Hashable, CustomStringConvertible {
    public enum Index: Sendable, Hashable, CustomStringConvertible {
        case dimension(String)
        case literal(Int)
        public var description: String {
            switch self {
            case .dimension(let d): return d
            case .literal(let n): return String(n)
            }
        }
    }

    public var name: String
    public var indices: [Index]
    public var span: SourceSpan

    public var description: String { name + indices.map { "[\($0)]" }.joined() }
}

/// How a provider is named: `openai/gpt-4o-mini`, `local/espeak`, `replicate/black-forest-labs/flux-schnell`.
public struct ProviderRef: Sendable, Hashable, CustomStringConvertible {
    public var family: String
    public var model: String
    public var span: SourceSpan

    public init(family: String, model: String, span: SourceSpan = SourceSpan(SourceLocation(file: "<built-in>", line: 0, column: 0))) {
        self.family = family
        self.model = model
        self.span = span
    }

    public var description: String { "\(family)/\(model)" }
}

/// As text, `family/model`; the span is not kept.
extension ProviderRef: Codable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let slash = text.firstIndex(of: "/"), slash != text.startIndex, text.index(after: slash) != text.endIndex else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a provider is family/model, not '\(text)'"))
        }
        self.init(family: String(text[..<slash]), model: String(text[text.index(after: slash)...]))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// One input of a producer: the parameter name the producer sees and the value it is bound to.
public struct ProducerInput: Sendable, Hashable {
    public var parameter: String
    public var source: Reference
}

/// A declared output: `narration[segment]: text`.
public struct OutputDecl: Sendable, Hashable {
    public var name: String
    public var dimensions: [String]
    public var type: ArtifactType
    public var span: SourceSpan
    /// Where the type is written, for errors about it.
    public var typeSpan: SourceSpan? = nil
}

/// A producer of a recipe, after the vidfile's changes to provider, model, options and prompt.
public struct ProducerDecl: Sendable, Hashable {
    public var name: String
    public var span: SourceSpan
    public var kind: ProducerKind
    public var provider: ProviderRef
    /// Providers tried in order when `provider` fails for good.
    public var fallback: [ProviderRef]
    /// The prompt template, path relative to the file that named it, resolved to an absolute path by the checker.
    public var prompt: PromptTemplate?
    /// The dimensions this producer runs over, outermost first: one step per instance.
    public var loop: [Located<String>]
    public var when: Expr?
    public var inputs: [ProducerInput]
    public var outputs: [OutputDecl]
    /// Provider options (`rate`, `quality`, …), checked against the provider's declared options.
    public var options: [String: Located<Value>]
}

/// A prompt template file and the placeholders found in it.
public struct PromptTemplate: Sendable, Hashable {
    public var path: String
    public var absolutePath: String
    public var span: SourceSpan
    public var text: String
}

/// A recipe: the blueprint graph a vidfile includes.
public struct Recipe: Sendable, Hashable {
    public var name: String
    public var file: String
    public var absolutePath: String
    public var inputs: [InputDecl]
    public var dimensions: [DimensionDecl]
    public var producers: [ProducerDecl] { didSet { outputs = Self.index(producers) } }
    public var render: RenderSettings
    /// The producer and declaration of every output, by artifact name (the first, if produced twice).
    public private(set) var outputs: [String: (producer: ProducerDecl, output: OutputDecl)]

    public init(name: String, file: String, absolutePath: String, inputs: [InputDecl], dimensions: [DimensionDecl],
                producers: [ProducerDecl], render: RenderSettings) {
        self.name = name
        self.file = file
        self.absolutePath = absolutePath
        self.inputs = inputs
        self.dimensions = dimensions
        self.producers = producers
        self.render = render
        self.outputs = Self.index(producers)
    }

    private static func index(_ producers: [ProducerDecl]) -> [String: (producer: ProducerDecl, output: OutputDecl)] {
        var m: [String: (ProducerDecl, OutputDecl)] = [:]
        for p in producers { for o in p.outputs where m[o.name] == nil { m[o.name] = (p, o) } }
        return m
    }

    public static func == (a: Recipe, b: Recipe) -> Bool {
        a.name == b.name && a.absolutePath == b.absolutePath && a.inputs == b.inputs && a.dimensions == b.dimensions
            && a.producers == b.producers && a.render == b.render
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(absolutePath)
        h.combine(producers)
    }

    public func input(_ name: String) -> InputDecl? { inputs.first { $0.name == name } }
    public func dimension(_ name: String) -> DimensionDecl? { dimensions.first { $0.name == name } }
    public func producer(_ name: String) -> ProducerDecl? { producers.first { $0.name == name } }

}
