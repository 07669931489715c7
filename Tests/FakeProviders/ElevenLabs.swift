import Foundation

/// The ElevenLabs API below `/elevenlabs`: text to speech, with character timestamps
/// (`/v1/text-to-speech/{voice_id}/with-timestamps`) or as plain audio
/// (`/v1/text-to-speech/{voice_id}`), in raw PCM formats.
struct ElevenLabs: Provider {
    let family = "elevenlabs"
    let key: String

    func endpoint(for request: Request, path: [String]) -> Endpoint? {
        switch (request.method, path) {
        case ("POST", let p) where p.count == 4 && p[0] == "v1" && p[1] == "text-to-speech" && p[3] == "with-timestamps":
            return Endpoint(route: .elevenlabs) { speech($0, timestamps: true, fault: $1) }
        case ("POST", let p) where p.count == 3 && p[0] == "v1" && p[1] == "text-to-speech":
            return Endpoint(route: .elevenlabs) { speech($0, timestamps: false, fault: $1) }
        default:
            return nil
        }
    }

    // MARK: Errors

    /// ElevenLabs' error shape: `{"detail": {"status", "message"}}`.
    static func problem(_ status: Int, _ code: String, _ message: String) -> Response {
        .json(status, ["detail": ["status": code, "message": message]])
    }

    func error(status: Int, code: String?, message: String?) -> Response {
        let (defaultCode, defaultMessage): (String, String) = switch status {
        case 400: ("invalid_request", "The request is invalid.")
        case 401: ("invalid_api_key", "Invalid API key")
        case 402: ("payment_required", "This request exceeds your quota. Upgrade your subscription to continue.")
        case 422: ("invalid_input", "The input is invalid.")
        case 429: ("too_many_concurrent_requests",
                   "Too many concurrent requests. Your current subscription is associated with a maximum of 2 concurrent requests.")
        case 500: ("internal_server_error", "An internal server error occurred.")
        case 503: ("service_unavailable", "The service is temporarily unavailable.")
        default: (Response.reason(status).lowercased().replacingOccurrences(of: " ", with: "_"), Response.reason(status))
        }
        return Self.problem(status, code ?? defaultCode, message ?? defaultMessage)
    }

    func notFound(_ head: RequestHead) -> Response {
        Self.problem(404, "not_found", "Not Found: \(head.method) \(head.path)")
    }

    /// `xi-api-key: <key>`.
    func authorize(_ head: RequestHead) -> Response? {
        guard let presented = head.headers["xi-api-key"]?.trimmingCharacters(in: .whitespaces), !presented.isEmpty else {
            return Self.problem(401, "needs_authorization", "Neither authorization header nor xi-api-key received, please provide one.")
        }
        return presented == key ? nil : Self.problem(401, "invalid_api_key", "Invalid API key")
    }

    // MARK: Text to speech

    private static let pcmRates: Set<Int> = [8_000, 16_000, 22_050, 24_000, 44_100, 48_000]

    private func speech(_ request: Request, timestamps: Bool, fault: Fault?) -> Reply {
        let format = request.query["output_format"] ?? "mp3_44100_128"  // the real API's default
        guard format.hasPrefix("pcm_"), let rate = Int(format.dropFirst(4)), Self.pcmRates.contains(rate) else {
            return Reply(Self.problem(422, "invalid_output_format",
                                      "output_format \(format) is unsupported by the fake (ask for pcm_16000, pcm_22050, pcm_24000 or pcm_44100)"))
        }
        guard let body = request.jsonObject else {
            return Reply(Self.problem(400, "invalid_json", "The request body is not valid JSON."))
        }
        guard let text = body["text"] as? String, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return Reply(Self.problem(422, "invalid_text", "text is required and must not be empty"))
        }

        // Each character ~60 ms (spaces 30 ms); the audio runs 0.2 s past the last one.
        var characters: [String] = []
        var starts: [Double] = []
        var ends: [Double] = []
        var clock = 0.0
        for character in text {
            let length = character.isWhitespace ? 0.03 : 0.06
            characters.append(String(character))
            starts.append((clock * 1000).rounded() / 1000)
            clock += length
            ends.append((clock * 1000).rounded() / 1000)
        }
        var audio = WAV.tone(seconds: clock + 0.2, sampleRate: rate, frequencies: [180], amplitude: 0.1)
        if fault == .badMedia { audio = garbageMedia() }

        let usage = Usage(elevenlabsCharacters: characters.count)
        let headers = [("character-cost", String(characters.count)), ("request-id", randomID(20))]
        guard timestamps else {
            var response = Response.bytes(200, audio, contentType: "audio/pcm")
            for (name, value) in headers { response.headers.add(name, value) }
            return Reply(response, usage: usage)
        }
        let alignment: [String: Any] = [
            "characters": characters,
            "character_start_times_seconds": starts,
            "character_end_times_seconds": ends,
        ]
        let reply: [String: Any] = ["audio_base64": audio.base64EncodedString(), "alignment": alignment, "normalized_alignment": alignment]
        return Reply(.json(200, reply, headers: headers), usage: usage)
    }
}
