import Foundation

/// The provider endpoints faults can be injected into and requests are counted by.
public enum Route: String, Sendable, CaseIterable, Codable {
    /// `POST /openai/v1/chat/completions` and `POST /ollama/v1/chat/completions`.
    case chat
    /// `POST /openai/v1/audio/speech`.
    case speech
    /// `POST /openai/v1/images/generations`.
    case images
    /// `POST /openai/v1/audio/transcriptions`.
    case transcriptions
    /// `POST /replicate/v1/models/{owner}/{name}/predictions` and `POST /replicate/v1/predictions`.
    case predictionCreate
    /// `GET /replicate/v1/predictions/{id}` and `POST /replicate/v1/predictions/{id}/cancel`.
    case predictionGet
    /// `GET /replicate/delivery/{id}/{name}`, the download a Replicate output URL redirects to.
    /// (The `302` hop at `/replicate/files/…` is neither counted nor faulted.)
    case replicateFile
    /// `POST /elevenlabs/v1/text-to-speech/{voice_id}[/with-timestamps]`.
    case elevenlabs
}

/// A misbehaviour for one request. Each injected fault is consumed by the next authorized
/// request on its route. A fault that does not apply to the route it reaches (say `.refusal` on
/// `.images`) is consumed and the request answered normally.
///
/// As JSON (for `POST /_fake/inject`) a fault is an object with a `kind` and its parameters:
/// `{"kind":"status","status":429,"retryAfter":"2","retryAfterMs":1500,"code":"rate_limit_exceeded"}`,
/// `{"kind":"slow","seconds":1.5}`, `{"kind":"stall","seconds":1.5}`, or just `{"kind":"drop"}`;
/// a bare string such as `"truncate"` also names a parameterless fault.
public enum Fault: Sendable, Codable, Equatable {
    /// An error reply with this HTTP status, in the route's provider shape. `retryAfter` is sent as
    /// `Retry-After`, `retryAfterMs` as `retry-after-ms`; `code` is the provider's error code (OpenAI
    /// `"insufficient_quota"`, `"rate_limit_exceeded"`; ElevenLabs `detail.status`).
    case status(Int, retryAfter: String? = nil, retryAfterMs: Int? = nil, code: String? = nil)
    /// Wait this many seconds before answering normally.
    case slow(Double)
    /// Send the headers and half the body, wait this many seconds, then send the rest.
    case stall(Double)
    /// Read the request, then close the connection without any response (curl exit 52).
    case drop
    /// Send a `Content-Length` response with only half its body, then close (curl exit 18).
    case truncate
    /// `200` with `Content-Type: application/json` and a body that is not JSON.
    case malformedJSON
    /// Chat: the first array in the schema gets one item fewer than it should (`minItems`, else 3).
    case wrongCount
    /// Chat: `message.content` null and `message.refusal` set.
    case refusal
    /// Chat: `finish_reason` `"length"` and the content cut in the middle of the JSON.
    case lengthFinish
    /// Images, speech, Replicate files, ElevenLabs: bytes that are no valid image or audio, with
    /// otherwise correct HTTP.
    case badMedia
    /// Replicate (create or get): the prediction ends `failed` with error `"CUDA out of memory"`.
    case failedPrediction

    private enum CodingKeys: String, CodingKey { case kind, status, retryAfter, retryAfterMs, code, seconds }

    private var kind: String {
        switch self {
        case .status: "status"
        case .slow: "slow"
        case .stall: "stall"
        case .drop: "drop"
        case .truncate: "truncate"
        case .malformedJSON: "malformedJSON"
        case .wrongCount: "wrongCount"
        case .refusal: "refusal"
        case .lengthFinish: "lengthFinish"
        case .badMedia: "badMedia"
        case .failedPrediction: "failedPrediction"
        }
    }

    private static let parameterless: [String: Fault] = [
        "drop": .drop, "truncate": .truncate, "malformedJSON": .malformedJSON, "wrongCount": .wrongCount,
        "refusal": .refusal, "lengthFinish": .lengthFinish, "badMedia": .badMedia, "failedPrediction": .failedPrediction,
    ]

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            guard let fault = Self.parameterless[name] else {
                throw DecodingError.dataCorruptedError(in: single, debugDescription: "unknown fault \"\(name)\"")
            }
            self = fault
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        switch kind {
        case "status":
            self = .status(try c.decode(Int.self, forKey: .status),
                           retryAfter: try c.decodeIfPresent(String.self, forKey: .retryAfter),
                           retryAfterMs: try c.decodeIfPresent(Int.self, forKey: .retryAfterMs),
                           code: try c.decodeIfPresent(String.self, forKey: .code))
        case "slow": self = .slow(try c.decode(Double.self, forKey: .seconds))
        case "stall": self = .stall(try c.decode(Double.self, forKey: .seconds))
        default:
            guard let fault = Self.parameterless[kind] else {
                throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown fault kind \"\(kind)\"")
            }
            self = fault
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case let .status(status, retryAfter, retryAfterMs, code):
            try c.encode(status, forKey: .status)
            try c.encodeIfPresent(retryAfter, forKey: .retryAfter)
            try c.encodeIfPresent(retryAfterMs, forKey: .retryAfterMs)
            try c.encodeIfPresent(code, forKey: .code)
        case .slow(let seconds), .stall(let seconds):
            try c.encode(seconds, forKey: .seconds)
        default:
            break
        }
    }
}
