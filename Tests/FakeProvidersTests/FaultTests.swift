import Foundation
import Testing

@testable import FakeProviders

/// Every fault kind, observed the way a client would see it.
struct FaultTests {
    let fake: FakeProviders

    init() throws { fake = try FakeProviders() }

    func openAIError(_ result: CurlResult) -> [String: Any]? { result.json?["error"] as? [String: Any] }

    // MARK: Status faults

    @Test func rateLimitWithRetryAfter() throws {
        fake.inject(.chat, [.status(429, retryAfter: "2"), .status(429, retryAfterMs: 1500)])
        let first = try fake.chat(scriptRequest())
        #expect(first.status == 429)
        #expect(first.headers["retry-after"] == "2")
        #expect(first.headers["retry-after-ms"] == nil)
        let error = try #require(openAIError(first))
        #expect(error["code"] as? String == "rate_limit_exceeded")
        #expect(error["param"] is NSNull)
        #expect((error["message"] as? String)?.contains("Rate limit reached") == true)

        let second = try fake.chat(scriptRequest())
        #expect(second.status == 429)
        #expect(second.headers["retry-after-ms"] == "1500")
        #expect(second.headers["retry-after"] == nil)

        #expect(try fake.chat(scriptRequest()).status == 200, "faults are consumed")
        let stats = fake.stats()
        #expect(stats.statuses == [429: 2, 200: 1])
        #expect(stats.requests["chat"] == 3)
    }

    @Test func insufficientQuotaAndServerErrors() throws {
        fake.inject(.chat, [.status(429, code: "insufficient_quota"), .status(500), .status(503)])
        let quota = try #require(openAIError(try fake.chat(scriptRequest())))
        #expect(quota["type"] as? String == "insufficient_quota")
        #expect(quota["code"] as? String == "insufficient_quota")
        #expect(quota["message"] as? String == "You exceeded your current quota, please check your plan and billing details.")

        let server = try fake.chat(scriptRequest())
        #expect(server.status == 500)
        #expect(openAIError(server)?["type"] as? String == "server_error")
        #expect(try fake.chat(scriptRequest()).status == 503)
        #expect(fake.stats().promptTokens == 0, "errors report no usage")
    }

    @Test func statusFaultsUseEachProvidersShape() throws {
        fake.inject(.predictionCreate, [.status(402)])
        let credit = try fake.post("/replicate/v1/models/meta/musicgen/predictions", ["input": ["duration": 1]], fake.replicateAuth)
        #expect(credit.status == 402)
        #expect(credit.json?["title"] as? String == "Insufficient credit")
        #expect(credit.json?["detail"] as? String
            == "You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit.")
        #expect(credit.json?["status"] as? Int == 402)

        fake.inject(.elevenlabs, [.status(429, retryAfter: "1")])
        let busy = try fake.post("/elevenlabs/v1/text-to-speech/v/with-timestamps?output_format=pcm_24000", ["text": "x"], fake.elevenlabsAuth)
        #expect(busy.status == 429)
        #expect(busy.headers["retry-after"] == "1")
        #expect((busy.json?["detail"] as? [String: Any])?["status"] as? String == "too_many_concurrent_requests")
        #expect((busy.json?["detail"] as? [String: Any])?["message"] is String)
    }

    @Test func unauthorizedRequestsDoNotConsumeFaults() throws {
        fake.inject(.chat, [.status(500)])
        #expect(try fake.chat(scriptRequest(), auth: []).status == 401)
        #expect(try fake.chat(scriptRequest()).status == 500)
        #expect(try fake.chat(scriptRequest()).status == 200)
    }

    // MARK: Timing and connection faults

    @Test func slowWaitsThenAnswers() throws {
        fake.inject(.chat, [.slow(1.0)])
        let result = try fake.chat(scriptRequest())
        #expect(result.seconds >= 1.0)
        #expect(result.status == 200)
        #expect(message(result)?["content"] is String)
    }

    @Test func stallSendsHalfThenTheRest() throws {
        fake.inject(.speech, [.stall(1.0)])
        fake.inject(.chat, [.stall(0.8)])
        let speech = try fake.post("/openai/v1/audio/speech", ["model": "tts-1", "input": "a b c d e", "voice": "alloy", "response_format": "wav"],
                                   fake.openaiAuth)
        #expect(speech.seconds >= 1.0)
        #expect(speech.status == 200)
        #expect(speech.body.count == 44 + 2 * 24_000 * 2, "the whole (chunked) body arrives")

        let chat = try fake.chat(scriptRequest())
        #expect(chat.seconds >= 0.8)
        #expect(chat.exitCode == 0)
        #expect(message(chat)?["content"] is String, "the whole (Content-Length) body arrives")
    }

    @Test func dropClosesWithoutAReply() throws {
        fake.inject(.images, [.drop])
        let dropped = try fake.post("/openai/v1/images/generations", ["model": "gpt-image-1", "prompt": "x", "size": "1024x1024"], fake.openaiAuth)
        #expect(dropped.exitCode == 52, "curl: empty reply from server")
        #expect(dropped.status == 0)
        #expect(fake.stats().statuses.isEmpty)
        #expect(fake.stats().requests["images"] == 1)
        #expect(try fake.post("/openai/v1/images/generations", ["model": "gpt-image-1", "prompt": "x", "size": "1024x1024"],
                              fake.openaiAuth).status == 200)
    }

    @Test func truncateCutsTheBody() throws {
        fake.inject(.chat, [.truncate])
        let cut = try fake.chat(scriptRequest())
        #expect(cut.exitCode == 18, "curl: transfer closed with outstanding read data remaining")
        #expect(cut.status == 200)
        let announced = try #require(Int(cut.headers["content-length"] ?? ""))
        #expect(cut.body.count == announced / 2)

        // On a chunked endpoint the truncated reply is sent with Content-Length instead.
        fake.inject(.speech, [.truncate])
        let audio = try fake.post("/openai/v1/audio/speech", ["model": "tts-1", "input": "a", "voice": "alloy", "response_format": "pcm"],
                                  fake.openaiAuth)
        #expect(audio.exitCode == 18)
        #expect(audio.headers["content-length"] == String(48_000))
    }

    // MARK: Content faults

    @Test func malformedJSON() throws {
        fake.inject(.chat, [.malformedJSON])
        let result = try fake.chat(scriptRequest())
        #expect(result.status == 200)
        #expect(result.headers["content-type"] == "application/json")
        #expect(!result.body.isEmpty)
        #expect((try? JSONSerialization.jsonObject(with: result.body)) == nil)
    }

    @Test func wrongCountShortensTheFirstArray() throws {
        fake.inject(.chat, [.wrongCount])
        let content = try #require(message(try fake.chat(scriptRequest(minItems: 5)))?["content"] as? String)
        let script = try #require(try JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any])
        #expect((script["segments"] as? [Any])?.count == 4)
    }

    @Test func refusal() throws {
        fake.inject(.chat, [.refusal])
        let result = try fake.chat(scriptRequest())
        #expect(result.status == 200)
        let reply = try #require(message(result))
        #expect(reply["content"] is NSNull)
        #expect(reply["refusal"] as? String == "I can't help with that.")
        #expect(((result.json?["choices"] as? [[String: Any]])?.first)?["finish_reason"] as? String == "stop")
    }

    @Test func lengthFinishCutsTheJSON() throws {
        fake.inject(.chat, [.lengthFinish])
        let result = try fake.chat(scriptRequest())
        let choice = try #require((result.json?["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "length")
        let content = try #require((choice["message"] as? [String: Any])?["content"] as? String)
        #expect(content.hasPrefix("{"))
        #expect((try? JSONSerialization.jsonObject(with: Data(content.utf8))) == nil)
    }

    @Test func badMediaOnEveryMediaRoute() throws {
        fake.inject(.images, [.badMedia])
        let image = try fake.post("/openai/v1/images/generations", ["model": "gpt-image-1", "prompt": "x", "size": "1024x1024"], fake.openaiAuth)
        #expect(image.status == 200)
        let bytes = try #require(Data(base64Encoded: ((image.json?["data"] as? [[String: Any]])?.first?["b64_json"] as? String) ?? ""))
        #expect(pngSize(bytes) == nil)
        #expect(try !ffmpegDecodes(bytes, suffix: "png"))

        fake.inject(.speech, [.badMedia])
        let speech = try fake.post("/openai/v1/audio/speech", ["model": "tts-1", "input": "x", "voice": "alloy", "response_format": "wav"],
                                   fake.openaiAuth)
        #expect(speech.status == 200)
        #expect(speech.headers["content-type"] == "audio/wav")
        #expect(speech.body.prefix(4) != Data("RIFF".utf8))

        fake.inject(.elevenlabs, [.badMedia])
        let eleven = try fake.post("/elevenlabs/v1/text-to-speech/v/with-timestamps?output_format=pcm_24000", ["text": "x"], fake.elevenlabsAuth)
        let audio = try #require(Data(base64Encoded: eleven.json?["audio_base64"] as? String ?? ""))
        #expect(audio.count % 2 == 1, "not even whole 16-bit samples")

        let prediction = try fake.post("/replicate/v1/models/black-forest-labs/flux-schnell/predictions",
                                       ["input": ["prompt": "x", "output_format": "png"]], fake.replicateAuth, extra: ["-H", "Prefer: wait"])
        let url = try #require((prediction.json?["output"] as? [String])?.first)
        fake.inject(.replicateFile, [.badMedia])
        let file = try Curl.run(["-L", url])
        #expect(file.status == 200)
        #expect(file.headers["content-type"] == "image/png")
        #expect(pngSize(file.body) == nil)
        #expect(pngSize(try Curl.run(["-L", url]).body) != nil, "the next download is good")
    }

    @Test func failedPrediction() throws {
        fake.inject(.predictionCreate, [.failedPrediction])
        let failed = try fake.post("/replicate/v1/models/meta/musicgen/predictions", ["input": ["duration": 2]], fake.replicateAuth,
                                   extra: ["-H", "Prefer: wait"])
        #expect(failed.status == 201)
        #expect(failed.json?["status"] as? String == "failed")
        #expect(failed.json?["error"] as? String == "CUDA out of memory")
        #expect(failed.json?["output"] is NSNull)

        // Injected on the poll, it fails a prediction that is still running.
        fake.replicateRunSeconds = ["meta/musicgen": 0.3]
        let running = try #require(try fake.post("/replicate/v1/models/meta/musicgen/predictions", ["input": ["duration": 2]],
                                                 fake.replicateAuth).json)
        fake.inject(.predictionGet, [.failedPrediction])
        let get = try #require((running["urls"] as? [String: Any])?["get"] as? String)
        _ = try Curl.run(fake.replicateAuth + [get])
        Thread.sleep(forTimeInterval: 0.4)
        let ended = try Curl.run(fake.replicateAuth + [get])
        #expect(ended.json?["status"] as? String == "failed")
        #expect(ended.json?["error"] as? String == "CUDA out of memory")
        #expect(fake.stats().replicatePredictions.isEmpty)
    }

    @Test func faultsOutsideTheirRouteAreHarmless() throws {
        fake.inject(.images, [.refusal, .failedPrediction])
        for _ in 0..<2 {
            let image = try fake.post("/openai/v1/images/generations", ["model": "gpt-image-1", "prompt": "x", "size": "1024x1024"], fake.openaiAuth)
            #expect(image.status == 200)
        }
        #expect(fake.stats().images == 2)
    }

    @Test func resetClearsFaultsAndStats() throws {
        fake.inject(.chat, [.status(500)])
        _ = try fake.chat(scriptRequest(), auth: [])
        fake.reset()
        #expect(fake.stats() == Stats())
        #expect(try fake.chat(scriptRequest()).status == 200)
    }

    @Test func faultsAsJSON() throws {
        let faults: [Fault] = [
            .status(429, retryAfter: "3", retryAfterMs: 250, code: "rate_limit_exceeded"), .status(500), .slow(1.5), .stall(0.25),
            .drop, .truncate, .malformedJSON, .wrongCount, .refusal, .lengthFinish, .badMedia, .failedPrediction,
        ]
        let data = try JSONEncoder().encode(faults)
        #expect(try JSONDecoder().decode([Fault].self, from: data) == faults)
        let written = #"[{"kind":"status","status":402},"drop",{"kind":"slow","seconds":2}]"#
        #expect(try JSONDecoder().decode([Fault].self, from: Data(written.utf8)) == [.status(402), .drop, .slow(2)])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Fault.self, from: Data(#""explode""#.utf8)) }
    }
}
