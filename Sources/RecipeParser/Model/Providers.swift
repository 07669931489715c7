/// What vidmake knows about each provider family: the kinds it serves, the models it accepts
/// for each, the options it takes, and the environment variable that holds its key.
/// The checker validates `provider:` lines against this table before anything runs.
public struct ProviderSpec: Sendable {
    public var family: String
    /// Models per kind; an empty list means any model name is accepted (LLMs, Replicate models).
    public var models: [ProducerKind: [String]]
    /// Model used when only the family is given.
    public var defaultModels: [ProducerKind: String]
    public var options: [String: ValueType]
    /// Environment variable with the API key; nil for local providers and keyless servers.
    public var keyVariable: String?
    /// Runs on this machine with no network.
    public var isLocal: Bool

    public func serves(_ kind: ProducerKind) -> Bool { models[kind] != nil }
}

public enum ProviderCatalog {
    public static let all: [ProviderSpec] = [
        ProviderSpec(
            family: "local",
            models: [.llm: ["article", "template"], .tts: ["espeak"], .image: ["card"], .video: ["card"],
                     .music: ["tones"], .render: ["ffmpeg"]],
            defaultModels: [.llm: "article", .tts: "espeak", .image: "card", .video: "card", .music: "tones", .render: "ffmpeg"],
            options: ["rate": .int, "pitch": .int, "words_per_minute": .int, "palette": .text, "font": .text, "seed": .int,
                      "mood": .text, "key": .text, "tempo": .int, "length": .duration, "lead": .duration],
            keyVariable: nil, isLocal: true),
        ProviderSpec(
            family: "file",
            models: [.image: [], .video: [], .music: [], .tts: []],
            defaultModels: [:],
            options: ["path": .file],
            keyVariable: nil, isLocal: true),
        ProviderSpec(
            family: "openai",
            models: [.llm: [], .tts: ["gpt-4o-mini-tts", "tts-1", "tts-1-hd"], .image: ["gpt-image-1", "dall-e-3", "dall-e-2"],
                     .align: ["whisper-1"]],
            defaultModels: [.llm: "gpt-4o-mini", .tts: "gpt-4o-mini-tts", .image: "gpt-image-1", .align: "whisper-1"],
            options: ["temperature": .number, "max_tokens": .int, "quality": .text, "speed": .number, "instructions": .text,
                      "seed": .int, "voice": .text, "align": .text],
            keyVariable: "OPENAI_API_KEY", isLocal: false),
        ProviderSpec(
            family: "ollama",
            models: [.llm: []],
            defaultModels: [.llm: "llama3.2"],
            options: ["temperature": .number, "num_ctx": .int, "seed": .int],
            keyVariable: nil, isLocal: false),
        ProviderSpec(
            family: "replicate",
            models: [.image: [], .video: [], .music: []],
            defaultModels: [.image: "black-forest-labs/flux-schnell", .video: "minimax/video-01", .music: "meta/musicgen"],
            options: ["seed": .int, "num_inference_steps": .int, "output_format": .text, "duration": .int, "model_version": .text],
            keyVariable: "REPLICATE_API_TOKEN", isLocal: false),
        ProviderSpec(
            family: "elevenlabs",
            models: [.tts: ["eleven_multilingual_v2", "eleven_turbo_v2_5", "eleven_flash_v2_5", "eleven_v3"]],
            defaultModels: [.tts: "eleven_multilingual_v2"],
            options: ["stability": .number, "similarity_boost": .number, "style": .number, "speed": .number, "voice_id": .text],
            keyVariable: "ELEVENLABS_API_KEY", isLocal: false),
    ]

    public static func spec(_ family: String) -> ProviderSpec? { all.first { $0.family == family } }

    /// Parses `family/model` (the model may itself contain '/'), or `family` alone with the kind's default model.
    /// Reports unknown families, kinds the family does not serve, and unknown models.
    /// `modelSpan` locates an explicit `model:` value, so that errors about it point there.
    static func resolve(_ text: String, model explicitModel: String?, kind: ProducerKind, at span: SourceSpan,
                        modelSpan: SourceSpan? = nil, _ diags: inout Diagnostics) -> ProviderRef? {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let family = String(parts[0])
        guard let spec = spec(family) else {
            diags.error("unknown provider '\(family)'", at: span.subspan(offset: 0, length: family.count),
                        help: Spelling.didYouMean(family, all.map(\.family)) ?? "providers: \(all.map(\.family).joined(separator: ", "))")
            return nil
        }
        guard let models = spec.models[kind] else {
            let serving = all.filter { $0.serves(kind) }.map(\.family)
            diags.error("provider '\(family)' does not make \(kind.noun)", at: span.subspan(offset: 0, length: family.count),
                        help: "providers for \(kind.rawValue) producers: \(serving.joined(separator: ", "))")
            return nil
        }
        var model = parts.count > 1 ? String(parts[1]) : nil
        if let m = model, m.isEmpty { model = nil }
        if let explicitModel {
            if let m = model, m != explicitModel {
                diags.error("provider '\(text)' names model '\(m)' but 'model' says '\(explicitModel)'", at: span, help: "keep one of them")
                return nil
            }
            model = explicitModel
        }
        guard let chosen = model ?? spec.defaultModels[kind] else {
            diags.error("provider '\(family)' needs a model for \(kind.rawValue) producers", at: span, help: "write '\(family)/MODEL'")
            return nil
        }
        if !models.isEmpty, !models.contains(chosen) {
            let offset = family.count + 1
            let sub = explicitModel != nil ? (modelSpan ?? span) : parts.count > 1 ? span.subspan(offset: offset, length: chosen.count) : span
            diags.error("\(family) has no \(kind.rawValue) model '\(chosen)'", at: sub,
                        help: Spelling.didYouMean(chosen, models) ?? "\(kind.rawValue) models of \(family): \(models.joined(separator: ", "))")
            return nil
        }
        if chosen.count > 200 || chosen.contains(where: { $0.isWhitespace || $0.isNewline }) {
            diags.error("'\(chosen)' is not a model name", at: explicitModel != nil ? (modelSpan ?? span) : span)
            return nil
        }
        return ProviderRef(family: family, model: chosen, span: span)
    }
}

extension ProducerKind {
    /// "speech", "images", … for messages.
    public var noun: String {
        switch self {
        case .llm: return "text (llm)"
        case .tts: return "speech (tts)"
        case .image: return "images"
        case .video: return "video clips"
        case .music: return "music"
        case .align: return "word timings (align)"
        case .render: return "the final render"
        }
    }
}
