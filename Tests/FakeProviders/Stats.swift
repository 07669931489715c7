import Foundation

/// What the server has seen and served since it started (or since `reset()`). Only requests below
/// the provider prefixes count; the control endpoints (`/_fake/…`) and unknown roots do not.
public struct Stats: Sendable, Codable, Equatable {
    /// Requests by `Route` raw value, counted when the path is recognized (before authorization).
    public var requests: [String: Int] = [:]
    /// Final responses sent, by HTTP status (interim `100 Continue` excluded; a truncated or
    /// stalled reply counts by the status it announced; a dropped request counts nowhere).
    public var statuses: [Int: Int] = [:]
    /// By provider family (`"openai"`, `"replicate"`, `"elevenlabs"`, `"ollama"`): the most requests
    /// being served at once, from the parsed head to the last byte of the response.
    public var maxInFlight: [String: Int] = [:]
    /// By provider family: arrival times (seconds since 1970 on the server's `clock`) of requests, in order.
    public var starts: [String: [Double]] = [:]
    /// Requests answered 401 because of a missing or wrong key.
    public var unauthorized = 0

    // Usage as the server reported it in successful (2xx) replies.

    /// Chat usage (OpenAI and Ollama): `usage.prompt_tokens` summed.
    public var promptTokens = 0
    /// Chat usage (OpenAI and Ollama): `usage.completion_tokens` summed.
    public var completionTokens = 0
    /// OpenAI `/audio/speech`: input characters (Unicode scalars) of the audio returned.
    public var speechCharacters = 0
    /// OpenAI images returned.
    public var images = 0
    /// OpenAI transcriptions: `usage.seconds` summed (whatever the response format).
    public var transcriptionSeconds: Double = 0
    /// By model `owner/name`: predictions reported `succeeded` (each counted once).
    public var replicatePredictions: [String: Int] = [:]
    /// By model: `metrics.predict_time` of succeeded predictions, summed.
    public var replicatePredictSeconds: [String: Double] = [:]
    /// By model: output files produced by succeeded predictions.
    public var replicateOutputs: [String: Int] = [:]
    /// ElevenLabs: characters (grapheme clusters, as aligned) of the text converted.
    public var elevenlabsCharacters = 0

    public init() {}

    /// The most request arrivals of `family` within any window of `seconds` (a half-open interval
    /// `[t, t + seconds)` starting at an arrival).
    public func maxInWindow(_ family: String, seconds: Double) -> Int {
        guard seconds > 0 else { return 0 }
        let times = (starts[family] ?? []).sorted()
        var best = 0
        var first = 0
        for (last, time) in times.enumerated() {
            while time - times[first] >= seconds { first += 1 }
            best = max(best, last - first + 1)
        }
        return best
    }

    /// Adds what a successful reply reported.
    mutating func add(_ usage: Usage) {
        promptTokens += usage.promptTokens
        completionTokens += usage.completionTokens
        speechCharacters += usage.speechCharacters
        images += usage.images
        transcriptionSeconds += usage.transcriptionSeconds
        elevenlabsCharacters += usage.elevenlabsCharacters
        if let prediction = usage.prediction {
            replicatePredictions[prediction.model, default: 0] += 1
            replicatePredictSeconds[prediction.model, default: 0] += prediction.predictSeconds
            replicateOutputs[prediction.model, default: 0] += prediction.outputs
        }
    }
}

/// The usage one reply reports; added to `Stats` if the reply is a 2xx.
struct Usage: Sendable {
    struct Prediction: Sendable {
        var model: String
        var predictSeconds: Double
        var outputs: Int
    }

    var promptTokens = 0
    var completionTokens = 0
    var speechCharacters = 0
    var images = 0
    var transcriptionSeconds: Double = 0
    var elevenlabsCharacters = 0
    var prediction: Prediction?
}
