import Foundation
import Planner
import RecipeParser

/// List prices per unit, US dollars, as published by each provider (November 2026). A call's
/// cost is its reported usage times these; a model with no entry here is priced at the provider
/// table's per-call estimate and marked as estimated.
public enum Pricing {
    /// `family/model` (a model may be a prefix: `openai/gpt-4o-mini` prices `gpt-4o-mini-2024-07-18`) → unit → price.
    static let table: [String: [String: Double]] = [
        // Chat, per token.
        "openai/gpt-4o-mini": ["input_tokens": 0.15e-6, "output_tokens": 0.60e-6],
        "openai/gpt-4o": ["input_tokens": 2.50e-6, "output_tokens": 10e-6],
        "openai/gpt-4.1-nano": ["input_tokens": 0.10e-6, "output_tokens": 0.40e-6],
        "openai/gpt-4.1-mini": ["input_tokens": 0.40e-6, "output_tokens": 1.60e-6],
        "openai/gpt-4.1": ["input_tokens": 2e-6, "output_tokens": 8e-6],
        "openai/gpt-5-nano": ["input_tokens": 0.05e-6, "output_tokens": 0.40e-6],
        "openai/gpt-5-mini": ["input_tokens": 0.25e-6, "output_tokens": 2e-6],
        "openai/gpt-5": ["input_tokens": 1.25e-6, "output_tokens": 10e-6],
        // Speech: tts-1 by input character; gpt-4o-mini-tts about $0.015 a minute of audio.
        "openai/tts-1-hd": ["characters": 30e-6],
        "openai/tts-1": ["characters": 15e-6],
        "openai/gpt-4o-mini-tts": ["audio_seconds": 0.015 / 60],
        // Images: gpt-image-1 by token (text in, image out); dall-e by image (standard quality).
        "openai/gpt-image-1": ["input_tokens": 5e-6, "output_tokens": 40e-6],
        "openai/dall-e-3": ["images": 0.08],
        "openai/dall-e-2": ["images": 0.02],
        // Transcription, by second of audio.
        "openai/whisper-1": ["audio_seconds": 0.006 / 60],
        // Local models cost nothing.
        "ollama/": [:],
        // ElevenLabs bills credits, one per character (half for flash and turbo); $0.22 per thousand credits (Creator).
        "elevenlabs/eleven_flash": ["characters": 0.11e-3],
        "elevenlabs/eleven_turbo": ["characters": 0.11e-3],
        "elevenlabs/eleven_": ["characters": 0.22e-3],
        // Replicate: official models by output, others by second of GPU time (A100 80GB).
        "replicate/black-forest-labs/flux-schnell": ["outputs": 0.003],
        "replicate/black-forest-labs/flux-dev": ["outputs": 0.025],
        "replicate/black-forest-labs/flux-1.1-pro": ["outputs": 0.04],
        "replicate/minimax/video-01": ["outputs": 0.50],
        "replicate/minimax/hailuo-02": ["video_seconds": 0.045],
        "replicate/kwaivgi/kling-v1.6-standard": ["video_seconds": 0.056],
        "replicate/kwaivgi/kling-v2.1-master": ["video_seconds": 0.28],
        "replicate/kwaivgi/kling-v2.1": ["video_seconds": 0.05],
        "replicate/meta/musicgen": ["predict_seconds": 0.0014],
        "replicate/": ["predict_seconds": 0.0014],
    ]

    /// The prices for a provider and model: the longest matching entry, or nil.
    public static func prices(_ provider: ProviderRef) -> [String: Double]? {
        let name = provider.description
        let match = table.keys.filter { name.hasPrefix($0) }.max { $0.count < $1.count }
        return match.flatMap { table[$0] }
    }

    /// A call's usage priced: units times prices. Units with no price cost nothing; if the model
    /// has no prices at all, the call costs `estimate` and is marked estimated.
    public static func usage(_ provider: ProviderRef, _ units: [String: Double], estimate: Double) -> Usage {
        guard let p = prices(provider) else {
            return Usage(provider: provider.description, units: units, cost: estimate, estimated: true)
        }
        let cost = units.reduce(0.0) { $0 + (p[$1.key] ?? 0) * $1.value }
        return Usage(provider: provider.description, units: units, cost: cost)
    }
}
