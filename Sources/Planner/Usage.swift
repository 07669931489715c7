import Foundation

/// One paid call: what a provider reported using (tokens, characters, images, seconds) and
/// what that costs at list price.
public struct Usage: Sendable, Codable, Hashable {
    /// `openai/gpt-4o-mini`: the provider and model that served the call.
    public var provider: String
    /// By unit: `input_tokens`, `output_tokens`, `characters`, `images`, `audio_seconds`, `predict_seconds`, `outputs`, `video_seconds`.
    public var units: [String: Double]
    /// US dollars.
    public var cost: Double
    /// No unit price is known for this model: `cost` is the provider table's per-call estimate.
    public var estimated: Bool

    public init(provider: String, units: [String: Double], cost: Double, estimated: Bool = false) {
        self.provider = provider
        self.units = units
        self.cost = cost
        self.estimated = estimated
    }
}
