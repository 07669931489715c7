/// One allowed key of a mapping: its name, what it means, and its JSON Schema.
/// The parser takes the names from here (unknown keys, did you mean) and `vidmake schema`
/// takes the rest, so the two cannot drift apart.
public struct KeySpec: Sendable {
    public var name: String
    public var summary: String
    public var schema: JSON

    public init(_ name: String, _ summary: String, _ schema: JSON) {
        self.name = name
        self.summary = summary
        self.schema = schema
    }
}

enum S {
    static func string(_ pattern: String? = nil) -> JSON {
        var o: [String: JSON] = ["type": .string("string")]
        if let pattern { o["pattern"] = .string(pattern) }
        return .object(o)
    }
    static func oneOf(_ items: [JSON]) -> JSON { .object(["oneOf": .array(items)]) }
    static func anyOf(_ items: [JSON]) -> JSON { .object(["anyOf": .array(items)]) }
    static func enumeration(_ values: [String]) -> JSON { .object(["enum": .array(values.map { .string($0) })]) }
    static func array(_ items: JSON) -> JSON { .object(["type": .string("array"), "items": items]) }
    static let int: JSON = .object(["type": .string("integer")])
    static let number: JSON = .object(["type": .string("number")])
    static let bool: JSON = .object(["type": .string("boolean")])
    static let scalar: JSON = .object(["type": .array([.string("string"), .string("number"), .string("boolean")])])
    static let any: JSON = .object([:])
    static func object(_ keys: [KeySpec], additional: JSON? = nil) -> JSON {
        var props: [String: JSON] = [:]
        for k in keys {
            var s = k.schema
            if case .object(var o) = s { o["description"] = .string(k.summary); s = .object(o) }
            props[k.name] = s
        }
        return .object(["type": .string("object"), "properties": .object(props), "additionalProperties": additional ?? .bool(false)])
    }
    static func map(_ values: JSON) -> JSON { .object(["type": .string("object"), "additionalProperties": values]) }

    static let duration = string(#"^([0-9]+(\.[0-9]+)?(ms|s|m|min|h))+$"#)
    static let size = string(#"^([0-9]+x[0-9]+|16:9|9:16|1:1|4:5|4:3)$"#)
    static let colour = string(#"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$"#)
    static let provider = string(#"^[a-z0-9_-]+(/.+)?$"#)
}

enum Keys {
    static let version = KeySpec("vidmake", "Language version; always 1.", .object(["const": .int(1)]))

    static let render: [KeySpec] = [
        KeySpec("size", "Frame size WxH (even numbers) or an aspect: 16:9, 9:16, 1:1, 4:5, 4:3.", S.size),
        KeySpec("fps", "Frames per second, 1 to 120.", S.int),
        KeySpec("transition", "Between segments: 'cut', or an ffmpeg xfade name and a duration, e.g. 'fade 0.5s'.", S.string()),
        KeySpec("subtitles", "burn (into the picture), sidecar (.srt and .vtt beside the video) or off.", S.enumeration(RenderSettings.Subtitles.allCases.map(\.rawValue))),
        KeySpec("music", "Music bed level and ducking, e.g. '-18dB duck', '-20dB', or 'off'.", S.string()),
        KeySpec("loudness", "Integrated loudness target, e.g. '-14 LUFS'.", S.string(#"^-?[0-9]+(\.[0-9]+)? ?LUFS$"#)),
        KeySpec("quality", "final, or draft for a fast low-resolution preview.", S.enumeration(RenderSettings.Quality.allCases.map(\.rawValue))),
        KeySpec("subtitle_style", "How burned-in subtitles look: font, size, colour, highlight, outline, position, max_line.", S.object(subtitleStyle)),
        KeySpec("karaoke", "Burned subtitles highlight each word as it is spoken.", S.bool),
    ]

    static let subtitleStyle: [KeySpec] = [
        KeySpec("font", "Font family, as fontconfig names it (fc-list : family), e.g. DejaVu Sans.", S.string()),
        KeySpec("size", "Font size in pixels of the frame, 8 to 500; by default it fits max_line characters across.", S.int),
        KeySpec("colour", "Text colour, \"#RRGGBB\" or \"#RRGGBBAA\" (quoted).", S.colour),
        KeySpec("highlight", "With karaoke, the colour of a spoken word, \"#RRGGBB\" or \"#RRGGBBAA\".", S.colour),
        KeySpec("outline", "Outline thickness in pixels, 0 to 50; by default a twentieth of the font size.", S.number),
        KeySpec("position", "bottom, middle or top.", S.enumeration(RenderSettings.SubtitleStyle.Position.allCases.map(\.rawValue))),
        KeySpec("max_line", "The longest line in characters, 10 to 120.", S.int),
    ]

    static let producerOverride: [KeySpec] = [
        KeySpec("provider", "Provider, optionally with its model: local/espeak, openai/gpt-4o-mini, replicate/owner/model.", S.provider),
        KeySpec("model", "Model of the provider, when not given in 'provider'.", S.string()),
        KeySpec("fallback", "Providers to try in order when the provider fails for good.", S.array(S.provider)),
        KeySpec("prompt", "Prompt template file, relative to this file.", S.string()),
        KeySpec("options", "Provider options.", S.map(S.scalar)),
    ]

    static let overrideValue: JSON = S.anyOf([S.scalar, S.array(S.scalar), S.object([KeySpec("file", "Read the text from this file.", S.string())])])

    static let vidfile: [KeySpec] = [
        version,
        KeySpec("include", "The recipe: a name (NAME.yaml beside the vidfile, in $VIDMAKE_RECIPES, or shipped with vidmake) or a path ./x.yaml.", S.string()),
        KeySpec("inputs", "Values for the recipe's inputs.", S.map(S.anyOf([S.scalar, S.array(S.scalar)]))),
        KeySpec("producers", "Per producer: provider, model, options, prompt, fallback.", S.map(S.object(producerOverride))),
        KeySpec("segments", "Per-segment overrides, by segment number from 1: inputs declared 'per: segment', or artifacts (text, or files).",
                .object(["type": .string("object"), "patternProperties": .object(["^[0-9]+$": S.map(overrideValue)]), "additionalProperties": .bool(false)])),
        KeySpec("artifacts", "Overrides of whole artifacts that are not per segment (title, music, …): text, or a file.", S.map(overrideValue)),
        KeySpec("render", "How the final video is put together.", S.object(render)),
    ]

    static let inputDecl: [KeySpec] = [
        KeySpec("type", "text, int, number, bool, duration, enum, language, voice, file or size.", S.enumeration(ValueType.names)),
        KeySpec("default", "Value when the vidfile sets none.", S.scalar),
        KeySpec("min", "Smallest allowed value (int, number, duration).", S.scalar),
        KeySpec("max", "Largest allowed value (int, number, duration).", S.scalar),
        KeySpec("step", "Values must be min + a multiple of step (int, duration).", S.scalar),
        KeySpec("of", "The allowed values of an enum.", S.array(S.string())),
        KeySpec("optional", "The input may be left unset (no default).", S.bool),
        KeySpec("per", "The dimension the input may vary along, so a segment override can set it.", S.string()),
        KeySpec("description", "What the input is for.", S.string()),
    ]

    static let producer: [KeySpec] = [
        KeySpec("kind", "llm, tts, image, video, music, align or render.", S.enumeration(ProducerKind.allCases.map(\.rawValue))),
        KeySpec("provider", "Default provider, optionally with its model.", S.provider),
        KeySpec("model", "Model of the provider, when not given in 'provider'.", S.string()),
        KeySpec("fallback", "Providers to try in order when the provider fails for good.", S.array(S.provider)),
        KeySpec("prompt", "Prompt template file, relative to the recipe.", S.string()),
        KeySpec("for", "The dimension(s) this producer runs over: one step per instance.", S.oneOf([S.string(), S.array(S.string())])),
        KeySpec("when", "Condition on inputs; the instance runs only when it is true.", S.string()),
        KeySpec("inputs", "What the producer reads: a list of names, or parameter: reference.", S.oneOf([S.array(S.string()), S.map(S.string())])),
        KeySpec("outputs", "What it makes: name[dims]: type.", S.map(S.enumeration(ArtifactType.allCases.map(\.rawValue)))),
        KeySpec("options", "Provider options.", S.map(S.scalar)),
        KeySpec("description", "What the producer does.", S.string()),
    ]

    static let recipe: [KeySpec] = [
        version,
        KeySpec("recipe", "The recipe's name.", S.string()),
        KeySpec("description", "What the recipe makes.", S.string()),
        KeySpec("inputs", "Typed inputs.", S.map(S.object(inputDecl))),
        KeySpec("dimensions", "Dimensions: 'EXPR' or 'EXPR within PARENT'.", S.map(S.string())),
        KeySpec("producers", "The producers of the graph.", S.map(S.object(producer))),
        KeySpec("render", "Default render settings.", S.object(render)),
    ]
}

/// Reads a YAML mapping against its allowed keys; unknown keys are reported with a suggestion.
struct MappingReader {
    let node: YAMLNode
    private(set) var pairs: [YAMLPair] = []
    /// Allowed keys that an unknown key was reported as a likely misspelling of. A check that
    /// requires one of them stays silent: "did you mean 'outputs'?" already says what is wrong.
    private(set) var misspelled: Set<String> = []

    /// Nil (with an error) when `node` is not a mapping.
    init?(_ node: YAMLNode, _ what: String, keys: [KeySpec], _ diags: inout Diagnostics, extraHelp: [String: String] = [:]) {
        guard case .mapping(let pairs) = node.kind else {
            if node.isNull {
                self.node = node
                return
            }
            diags.error("\(what) must be a mapping of keys to values, found \(node.describedKind)", at: node.span)
            return nil
        }
        self.node = node
        let names = keys.map(\.name)
        for p in pairs {
            if names.contains(p.name) {
                self.pairs.append(p)
            } else {
                let suggestion = Spelling.suggest(p.name, from: names)
                if let suggestion, extraHelp[p.name] == nil { misspelled.insert(suggestion) }
                let help = extraHelp[p.name] ?? suggestion.map { "did you mean '\($0)'?" } ?? "allowed keys here: \(names.joined(separator: ", "))"
                diags.error("unknown key '\(p.name)' in \(what)", at: p.key.span, help: help)
            }
        }
    }

    subscript(_ key: String) -> YAMLNode? { pairs.first { $0.name == key }?.value }
    /// Whether `key` is absent and no unknown key was reported as a misspelling of it.
    func lacks(_ key: String) -> Bool { self[key] == nil && !misspelled.contains(key) }
    func pair(_ key: String) -> YAMLPair? { pairs.first { $0.name == key } }
}

/// Entries of a mapping whose keys are user names (inputs, producers, dimensions).
func entries(_ node: YAMLNode, _ what: String, _ diags: inout Diagnostics) -> [YAMLPair] {
    switch node.kind {
    case .mapping(let pairs): return pairs
    case .scalar where node.isNull: return []
    default:
        diags.error("\(what) must be a mapping, found \(node.describedKind)", at: node.span)
        return []
    }
}

/// A scalar's text, or an error saying what was expected.
func scalarText(_ node: YAMLNode, _ what: String, _ diags: inout Diagnostics) -> String? {
    guard case .scalar(let s) = node.kind, !node.isNull else {
        diags.error("\(what) must be text, found \(node.describedKind)", at: node.span)
        return nil
    }
    return s
}

/// Names users give (inputs, producers, dimensions, outputs) are identifiers.
func isIdentifier(_ s: String) -> Bool {
    guard let f = s.first, f.isASCII, f.isLetter || f == "_" else { return false }
    return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } && s.count <= 64
}
