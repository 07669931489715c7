import Foundation

/// The OpenAI API below `/openai/v1`: chat completions (structured outputs), speech, image
/// generation, transcription. With `key` nil it is Ollama's OpenAI-compatible API below
/// `/ollama/v1`: chat completions only, no key.
struct OpenAI: Provider {
    let family: String
    let key: String?

    func endpoint(for request: Request, path: [String]) -> Endpoint? {
        let needsAuth = key != nil
        switch (request.method, path) {
        case ("POST", ["chat", "completions"]):
            return Endpoint(route: .chat, needsAuth: needsAuth) { chat($0, fault: $1) }
        case ("POST", ["audio", "speech"]) where key != nil:
            return Endpoint(route: .speech) { speech($0, fault: $1) }
        case ("POST", ["images", "generations"]) where key != nil:
            return Endpoint(route: .images) { images($0, fault: $1) }
        case ("POST", ["audio", "transcriptions"]) where key != nil:
            return Endpoint(route: .transcriptions) { transcriptions($0, fault: $1) }
        default:
            return nil
        }
    }

    // MARK: Errors

    /// `{"error": {"message", "type", "param", "code"}}`.
    static func errorResponse(_ status: Int, message: String, type: String = "invalid_request_error",
                              param: String? = nil, code: String? = nil) -> Response {
        .json(status, ["error": ["message": message, "type": type, "param": param ?? NSNull(), "code": code ?? NSNull()] as [String: Any]])
    }

    func error(status: Int, code: String?, message: String?) -> Response {
        let (type, defaultCode, defaultMessage): (String, String?, String) = switch status {
        case 429 where code == "insufficient_quota":
            ("insufficient_quota", "insufficient_quota", "You exceeded your current quota, please check your plan and billing details.")
        case 429:
            ("requests", "rate_limit_exceeded",
             "Rate limit reached for requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. "
                 + "Visit https://platform.openai.com/account/rate-limits to learn more.")
        case 500:
            ("server_error", nil, "The server had an error while processing your request. Sorry about that!")
        case 503:
            ("server_error", nil, "The engine is currently overloaded, please try again later.")
        case 500...:
            ("server_error", nil, "\(Response.reason(status)).")
        default:
            ("invalid_request_error", nil, "\(Response.reason(status)).")
        }
        return Self.errorResponse(status, message: message ?? defaultMessage, type: type, code: code ?? defaultCode)
    }

    func notFound(_ head: RequestHead) -> Response {
        let rest = head.path.split(separator: "/").dropFirst(2).joined(separator: "/")
        return Self.errorResponse(404, message: "Invalid URL (\(head.method) /v1/\(rest))")
    }

    /// Bearer auth; the 401 for a wrong key echoes the whole key presented (real OpenAI masks
    /// its middle; echoing it lets tests check that clients redact secrets from errors they log).
    func authorize(_ head: RequestHead) -> Response? {
        guard let key else { return nil }
        let header = head.headers["Authorization"] ?? ""
        let presented = header.lowercased().hasPrefix("bearer ") ? header.dropFirst(7).trimmingCharacters(in: .whitespaces) : ""
        if presented == key { return nil }
        if presented.isEmpty {
            return Self.errorResponse(401, message: "You didn't provide an API key. You need to provide your API key in an "
                + "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key "
                + "from https://platform.openai.com/account/api-keys.")
        }
        return Self.errorResponse(401, message: "Incorrect API key provided: \(presented). You can find your API key at "
            + "https://platform.openai.com/account/api-keys.", code: "invalid_api_key")
    }

    private static func invalidJSON() -> Reply {
        Reply(errorResponse(400, message: "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
            + "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"))
    }

    private static func missing(_ parameter: String) -> Reply {
        Reply(errorResponse(400, message: "Missing required parameter: '\(parameter)'.", param: parameter, code: "missing_required_parameter"))
    }

    private static func invalid(_ parameter: String, _ message: String, code: String = "invalid_value") -> Reply {
        Reply(errorResponse(400, message: message, param: parameter, code: code))
    }

    /// A 400 for something the real API accepts but the fake can't make.
    private static func unsupported(_ parameter: String, _ what: String, hint: String? = nil) -> Reply {
        Reply(errorResponse(400, message: "\(what) is unsupported by the fake\(hint.map { " (\($0))" } ?? "").", param: parameter,
                            code: "unsupported_by_fake"))
    }

    // MARK: Chat completions

    private func chat(_ request: Request, fault: Fault?) -> Reply {
        guard let body = request.jsonObject else { return Self.invalidJSON() }
        guard let model = body["model"] as? String, !model.isEmpty else { return Self.missing("model") }
        guard let messages = body["messages"] as? [[String: Any]], !messages.isEmpty else { return Self.missing("messages") }
        if body["stream"] as? Bool == true { return Self.unsupported("stream", "Streaming") }

        let texts = messages.map { Self.text(of: $0["content"]) }
        let lastUser = messages.indices.last { messages[$0]["role"] as? String == "user" }.map { texts[$0] } ?? texts.last ?? ""
        let promptHash = stableHash(lastUser)
        let promptTokens = Self.tokens(texts.reduce(0) { $0 + $1.count })

        var content: String
        let format = body["response_format"] as? [String: Any]
        switch format?["type"] as? String {
        case "json_schema":
            guard let spec = format?["json_schema"] as? [String: Any], let name = spec["name"] as? String else {
                return Self.missing("response_format.json_schema.name")
            }
            guard let schema = spec["schema"] as? [String: Any] else { return Self.missing("response_format.json_schema.schema") }
            if spec["strict"] as? Bool == true, let problem = StrictSchema.problem(in: schema) {
                return Self.invalid("response_format", "Invalid schema for response_format '\(name)': \(problem)", code: "invalid_json_schema")
            }
            var faker = SchemaFaker(schema: schema, promptHash: promptHash, shortenFirstArray: fault == .wrongCount)
            content = jsonText(faker.instance())
        case "json_object":
            guard texts.contains(where: { $0.lowercased().contains("json") }) else {
                return Self.invalid("messages", "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.")
            }
            content = jsonText(["response": FakeEnglish.sentence(seed: promptHash)])
        case nil, "text":
            content = FakeEnglish.sentence(seed: promptHash) + " " + FakeEnglish.sentence(seed: promptHash &+ 1)
        case let other?:
            return Self.invalid("response_format.type", "Invalid value: '\(other)'. Supported values are: 'json_object', 'json_schema', and 'text'.")
        }

        var finishReason = "stop"
        var refusal: String?
        if fault == .refusal {
            refusal = "I can't help with that."
        } else {
            if fault == .lengthFinish {
                content = String(content.prefix(content.count / 2))
                finishReason = "length"
            }
            // A reply longer than the token limit is cut there, as the real API does.
            let limit = (body["max_completion_tokens"] as? Int) ?? (body["max_tokens"] as? Int)
            if let limit, limit > 0, Self.tokens(content.count) > limit {
                content = String(content.prefix(limit * 4))
                finishReason = "length"
            }
        }
        let completionTokens = Self.tokens((refusal ?? content).count)

        let message: [String: Any] = [
            "role": "assistant",
            "content": refusal == nil ? content : NSNull(),
            "refusal": refusal ?? NSNull(),
        ]
        let reply: [String: Any] = [
            "id": "chatcmpl-" + randomID(29, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "object": "chat.completion",
            "created": Int(Date().timeIntervalSince1970),
            "model": model,
            "choices": [["index": 0, "message": message, "logprobs": NSNull(), "finish_reason": finishReason] as [String: Any]],
            "usage": ["prompt_tokens": promptTokens, "completion_tokens": completionTokens, "total_tokens": promptTokens + completionTokens],
            "system_fingerprint": family == "ollama" ? "fp_ollama" : "fp_fake",
        ]
        return Reply(.json(200, reply), usage: Usage(promptTokens: promptTokens, completionTokens: completionTokens))
    }

    /// A message's text: a string, or the text parts of a content array.
    private static func text(of content: Any?) -> String {
        if let text = content as? String { return text }
        if let parts = content as? [[String: Any]] { return parts.compactMap { $0["text"] as? String }.joined(separator: "\n") }
        return ""
    }

    /// The fake's tokenizer: a token per four characters, rounded up.
    private static func tokens(_ characters: Int) -> Int { (characters + 3) / 4 }

    // MARK: Speech

    private func speech(_ request: Request, fault: Fault?) -> Reply {
        guard let body = request.jsonObject else { return Self.invalidJSON() }
        guard body["model"] is String else { return Self.missing("model") }
        guard let input = body["input"] as? String else { return Self.missing("input") }
        guard body["voice"] != nil else { return Self.missing("voice") }
        let characters = input.unicodeScalars.count
        if input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return Self.invalid("input", "Invalid 'input': empty string. Expected a string with minimum length 1.", code: "empty_string")
        }
        if characters > 4096 {
            return Self.invalid("input", "Invalid 'input': string too long. Expected a string with maximum length 4096, but got a "
                + "string with length \(characters) instead.", code: "string_above_max_length")
        }
        let format = body["response_format"] as? String ?? "mp3"  // the real API's default
        guard format == "wav" || format == "pcm" else {
            return Self.unsupported("response_format", "response_format '\(format)'", hint: "ask for 'wav' or 'pcm'")
        }

        // 24 kHz mono 16-bit: a quiet 220 Hz tone lasting as long as the words would take to say.
        let rate = 24_000
        let words = input.split(whereSeparator: \.isWhitespace).count
        let pcm = WAV.tone(seconds: max(1.0, Double(words) / 2.5), sampleRate: rate, frequencies: [220], amplitude: 0.1)
        var audio = format == "wav" ? WAV.header(sampleRate: rate, dataBytes: nil) + pcm : pcm
        if fault == .badMedia { audio = garbageMedia() }
        // Streamed, as the real endpoint does: chunked, and a WAV header that can't know the sizes.
        let response = Response.bytes(200, audio, contentType: format == "wav" ? "audio/wav" : "audio/pcm", chunked: true)
        return Reply(response, usage: Usage(speechCharacters: characters))
    }

    // MARK: Images

    private struct ImageModel {
        var sizes: [String]
        var qualities: [String]
        var maxImages: Int
        var gptImage: Bool
    }

    private static func imageModel(_ name: String) -> ImageModel? {
        if name.hasPrefix("gpt-image") {
            return ImageModel(sizes: ["1024x1024", "1024x1536", "1536x1024", "auto"], qualities: ["low", "medium", "high", "auto"],
                              maxImages: 10, gptImage: true)
        }
        switch name {
        case "dall-e-3": return ImageModel(sizes: ["1024x1024", "1792x1024", "1024x1792"], qualities: ["standard", "hd"], maxImages: 1, gptImage: false)
        case "dall-e-2": return ImageModel(sizes: ["256x256", "512x512", "1024x1024"], qualities: ["standard"], maxImages: 10, gptImage: false)
        default: return nil
        }
    }

    /// Quoted and listed as the API's error messages list them: 'a', 'b', and 'c'.
    private static func alternatives(_ values: [String]) -> String {
        let quoted = values.map { "'\($0)'" }
        return quoted.count < 2 ? quoted.joined() : quoted.dropLast().joined(separator: ", ") + ", and " + quoted.last!
    }

    private func images(_ request: Request, fault: Fault?) -> Reply {
        guard let body = request.jsonObject else { return Self.invalidJSON() }
        guard let prompt = body["prompt"] as? String, !prompt.isEmpty else { return Self.missing("prompt") }
        let modelName = body["model"] as? String ?? "dall-e-2"  // the real API's default
        guard let model = Self.imageModel(modelName) else {
            return Reply(Self.errorResponse(404, message: "The model `\(modelName)` does not exist or you do not have access to it.",
                                            code: "model_not_found"))
        }
        let size = body["size"] as? String ?? (model.gptImage ? "auto" : "1024x1024")
        guard model.sizes.contains(size) else {
            return Self.invalid("size", "Invalid value: '\(size)'. Supported values are: \(Self.alternatives(model.sizes)).")
        }
        let count = body["n"] as? Int ?? 1
        guard (1...model.maxImages).contains(count) else {
            return Self.invalid("n", "Invalid 'n': integer out of range. Expected a value between 1 and \(model.maxImages), got \(count).",
                                code: "integer_out_of_range")
        }
        let quality = body["quality"] as? String ?? (model.gptImage ? "auto" : "standard")
        guard model.qualities.contains(quality) else {
            return Self.invalid("quality", "Invalid value: '\(quality)'. Supported values are: \(Self.alternatives(model.qualities)).")
        }
        let outputFormat = body["output_format"] as? String ?? "png"
        guard outputFormat == "png" else { return Self.unsupported("output_format", "output_format '\(outputFormat)'", hint: "ask for 'png'") }
        let responseFormat = body["response_format"] as? String ?? (model.gptImage ? "b64_json" : "url")
        guard responseFormat == "b64_json" else {
            return Self.unsupported("response_format", "response_format '\(responseFormat)'", hint: "ask for 'b64_json'")
        }

        let resolved = size == "auto" ? "1024x1024" : size
        let dimensions = resolved.split(separator: "x").compactMap { Int($0) }
        let data: [[String: Any]] = (0..<count).map { index in
            let png = fault == .badMedia
                ? garbageMedia()
                : MediaStore.shared.png(width: dimensions[0], height: dimensions[1], hash: stableHash("\(prompt)#\(index)"))
            var item: [String: Any] = ["b64_json": png.base64EncodedString()]
            if modelName == "dall-e-3" { item["revised_prompt"] = prompt }
            return item
        }
        var reply: [String: Any] = ["created": Int(Date().timeIntervalSince1970), "data": data]
        if model.gptImage {
            // gpt-image-1's published output token counts per image.
            let square = dimensions[0] == dimensions[1]
            let perImage = switch quality {
            case "low": square ? 272 : 408
            case "high": square ? 4160 : 6240
            default: square ? 1056 : 1584
            }
            let inputTokens = Self.tokens(prompt.count)
            let outputTokens = perImage * count
            reply["usage"] = [
                "total_tokens": inputTokens + outputTokens, "input_tokens": inputTokens, "output_tokens": outputTokens,
                "input_tokens_details": ["text_tokens": inputTokens, "image_tokens": 0],
            ] as [String: Any]
            reply["background"] = "opaque"
            reply["output_format"] = outputFormat
            reply["quality"] = quality == "auto" ? "medium" : quality
            reply["size"] = resolved
        }
        return Reply(.json(200, reply), usage: Usage(images: count))
    }

    // MARK: Transcriptions

    private static let lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "
        + "et dolore magna aliqua."
    private static let languages = [
        "en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian", "pt": "portuguese",
        "nl": "dutch", "ja": "japanese", "zh": "chinese", "ru": "russian", "pl": "polish", "sv": "swedish",
    ]

    private func transcriptions(_ request: Request, fault: Fault?) -> Reply {
        guard let contentType = request.headers["Content-Type"], let boundary = Multipart.boundary(contentType: contentType) else {
            return Self.invalid("file", "Invalid Content-Type header (\(request.headers["Content-Type"] ?? "none")), expected multipart/form-data.",
                                code: "invalid_content_type")
        }
        guard let parts = Multipart.parse(request.body, boundary: boundary) else {
            return Self.invalid("file", "Could not parse multipart form.", code: "invalid_multipart_form")
        }
        func field(_ name: String) -> String? {
            parts.first { $0.name == name }.map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let file = parts.first(where: { $0.name == "file" }) else { return Self.missing("file") }
        guard field("model") != nil else { return Self.missing("model") }
        let format = field("response_format") ?? "json"
        let granularities = parts.filter { $0.name == "timestamp_granularities[]" }.map { $0.text.trimmingCharacters(in: .whitespaces) }
        switch format {
        case "json", "text", "verbose_json": break
        case "srt", "vtt": return Self.unsupported("response_format", "response_format '\(format)'")
        default:
            return Self.invalid("response_format", "Invalid value: '\(format)'. Supported values are: "
                + Self.alternatives(["json", "text", "srt", "verbose_json", "vtt"]) + ".")
        }
        if let bad = granularities.first(where: { $0 != "word" && $0 != "segment" }) {
            return Self.invalid("timestamp_granularities[]", "Invalid value: '\(bad)'. Supported values are: 'word' and 'segment'.")
        }
        if !granularities.isEmpty && format != "verbose_json" {
            return Self.invalid("timestamp_granularities", "timestamp_granularities requires response_format=verbose_json.")
        }
        guard let wav = WAV.parse(file.data) else {
            return Self.invalid("file", "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', "
                + "'ogg', 'wav', 'webm'] (the fake reads only WAV)", code: "invalid_file_format")
        }

        let duration = wav.duration
        let seconds = Int(duration.rounded(.up))
        let text = field("prompt") ?? Self.lorem
        let usage: [String: Any] = ["type": "duration", "seconds": seconds]
        let reported = Usage(transcriptionSeconds: Double(seconds))
        let round = { (value: Double) in (value * 100).rounded() / 100 }

        switch format {
        case "text":
            return Reply(.bytes(200, Data((text + "\n").utf8), contentType: "text/plain; charset=utf-8"), usage: reported)
        case "json":
            return Reply(.json(200, ["text": text, "usage": usage]), usage: reported)
        default:
            var reply: [String: Any] = [
                "task": "transcribe",
                "language": Self.languages[field("language") ?? "en"] ?? "english",
                "duration": round(duration),
                "text": text,
                "segments": [[
                    "id": 0, "seek": 0, "start": 0.0, "end": round(duration), "text": " " + text, "tokens": [50364],
                    "temperature": 0.0, "avg_logprob": -0.25, "compression_ratio": 1.2, "no_speech_prob": 0.01,
                ] as [String: Any]],
                "usage": usage,
            ]
            if granularities.contains("word") {
                // The prompt's words, spread evenly over [0.1, duration - 0.1].
                let words = text.split(whereSeparator: \.isWhitespace)
                    .map { $0.trimmingCharacters(in: .punctuationCharacters) }
                    .filter { !$0.isEmpty }
                let step = max(0, duration - 0.2) / Double(max(1, words.count))
                reply["words"] = words.enumerated().map { index, word -> [String: Any] in
                    let start = 0.1 + Double(index) * step
                    return ["word": word, "start": round(start), "end": round(start + step)]
                }
            }
            return Reply(.json(200, reply), usage: reported)
        }
    }
}

/// The checks OpenAI's strict structured outputs make of a schema: the root is an object, and
/// every object has `additionalProperties: false` and lists all its properties as `required`.
enum StrictSchema {
    static func problem(in schema: [String: Any]) -> String? {
        let type = schema["type"] as? String ?? "none"
        guard type == "object" else { return "schema must be a JSON Schema of 'type: \"object\"', got 'type: \"\(type)\"'." }
        return check(schema, context: [])
    }

    private static func check(_ node: Any?, context: [String]) -> String? {
        guard let schema = node as? [String: Any] else { return nil }
        let types = (schema["type"] as? [String]) ?? [(schema["type"] as? String) ?? ""]
        if types.contains("object") || schema["properties"] != nil {
            let where_ = "In context=\(pythonTuple(context))"
            guard (schema["additionalProperties"] as? Bool) == false else {
                return "\(where_), 'additionalProperties' is required to be supplied and to be false."
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            let required = Set(schema["required"] as? [String] ?? [])
            if let missing = properties.keys.sorted().first(where: { !required.contains($0) }) {
                return "\(where_), 'required' is required to be supplied and to be an array including every key in properties. Missing '\(missing)'."
            }
            for name in properties.keys.sorted() {
                if let problem = check(properties[name], context: context + ["properties", name]) { return problem }
            }
        }
        if let problem = check(schema["items"], context: context + ["items"]) { return problem }
        for combinator in ["anyOf", "oneOf", "allOf"] {
            for (index, branch) in (schema[combinator] as? [Any] ?? []).enumerated() {
                if let problem = check(branch, context: context + [combinator, String(index)]) { return problem }
            }
        }
        for definitions in ["$defs", "definitions"] {
            let named = schema[definitions] as? [String: Any] ?? [:]
            for name in named.keys.sorted() {
                if let problem = check(named[name], context: context + [definitions, name]) { return problem }
            }
        }
        return nil
    }

    /// `()`, `('items',)`, `('properties', 'segments')`: how the API prints a context.
    private static func pythonTuple(_ items: [String]) -> String {
        let quoted = items.map { "'\($0)'" }
        return quoted.count == 1 ? "(\(quoted[0]),)" : "(\(quoted.joined(separator: ", ")))"
    }
}
