import Planner
import RecipeParser

/// The producer for a provider and kind: the local ones here; remote ones over HTTP (any model
/// of the family: the catalog has already checked the name).
public enum ProducerRegistry {
    public static func producer(for provider: ProviderRef, kind: ProducerKind) -> Producer? {
        switch (provider.family, kind, provider.model) {
        case ("openai", .tts, _): return OpenAISpeech()
        case ("openai", .align, _): return OpenAITranscription()
        case ("openai", .image, _): return OpenAIImage()
        case ("elevenlabs", .tts, _): return ElevenLabsSpeech()
        case ("replicate", .image, _), ("replicate", .video, _), ("replicate", .music, _): return ReplicateMedia()
        case ("local", .llm, "article"): return ArticleScript()
        case ("local", .llm, "template"): return TemplateText()
        case ("local", .tts, "espeak"): return EspeakSpeech()
        case ("local", .image, "card"): return CardImage()
        case ("local", .video, "card"): return CardVideo()
        case ("local", .music, "tones"): return TonesMusic()
        case ("local", .render, "ffmpeg"): return FFmpegRender()
        case ("file", .image, _), ("file", .video, _), ("file", .music, _), ("file", .tts, _): return FileProducer()
        case ("openai", .llm, _), ("ollama", .llm, _): return ChatCompletions()
        default: return nil
        }
    }
}
