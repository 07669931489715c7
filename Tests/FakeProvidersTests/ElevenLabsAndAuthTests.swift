import Foundation
import Testing

@testable import FakeProviders

/// ElevenLabs text to speech, driven with curl.
struct ElevenLabsTests {
    let fake: FakeProviders

    init() throws { fake = try FakeProviders() }

    @Test func withTimestampsAlignsEveryCharacter() throws {
        let text = "Hello, world – café!"
        let result = try fake.post("/elevenlabs/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/with-timestamps?output_format=pcm_24000",
                                   ["text": text, "model_id": "eleven_multilingual_v2", "voice_settings": ["stability": 0.5]],
                                   fake.elevenlabsAuth)
        #expect(result.status == 200)
        #expect(result.headers["character-cost"] == String(text.count))
        let reply = try #require(result.json)
        for key in ["alignment", "normalized_alignment"] {
            let alignment = try #require(reply[key] as? [String: Any])
            let characters = try #require(alignment["characters"] as? [String])
            #expect(characters == text.map { String($0) })
            let starts = try #require(alignment["character_start_times_seconds"] as? [Double])
            let ends = try #require(alignment["character_end_times_seconds"] as? [Double])
            #expect(starts.count == text.count && ends.count == text.count)
            #expect(starts.first == 0)
            #expect(abs(ends[0] - 0.06) < 1e-9)
            #expect(abs((ends[6] - starts[6]) - 0.03) < 1e-9, "a space takes 30 ms")
            #expect(zip(starts.dropFirst(), ends).allSatisfy { abs($0 - $1) < 1e-9 }, "each character starts where the last ended")
        }
        let ends = try #require((reply["alignment"] as? [String: Any])?["character_end_times_seconds"] as? [Double])
        let audio = try #require(Data(base64Encoded: reply["audio_base64"] as? String ?? ""))
        let seconds = Double(audio.count) / 2 / 24_000
        #expect(abs(seconds - (ends.last! + 0.2)) < 0.001)
        #expect(fake.stats().elevenlabsCharacters == text.count)
    }

    @Test func otherRatesPlainAudioAndUnsupportedFormats() throws {
        let plain = try fake.post("/elevenlabs/v1/text-to-speech/voice?output_format=pcm_16000", ["text": "Hi"], fake.elevenlabsAuth)
        #expect(plain.status == 200)
        #expect(plain.headers["content-type"] == "audio/pcm")
        #expect(plain.body.count == Int(((0.12 + 0.2) * 16_000).rounded()) * 2)

        let mp3 = try fake.post("/elevenlabs/v1/text-to-speech/voice/with-timestamps", ["text": "Hi"], fake.elevenlabsAuth)
        #expect(mp3.status == 422)
        let detail = try #require(mp3.json?["detail"] as? [String: Any])
        #expect((detail["message"] as? String)?.contains("unsupported by the fake") == true)
        #expect(detail["status"] is String)

        let empty = try fake.post("/elevenlabs/v1/text-to-speech/voice/with-timestamps?output_format=pcm_44100", ["text": " "],
                                  fake.elevenlabsAuth)
        #expect(empty.status == 422)
        #expect(fake.stats().elevenlabsCharacters == 2)
    }
}

/// Each provider's answer to a missing or wrong key.
struct AuthTests {
    let fake: FakeProviders

    init() throws { fake = try FakeProviders() }

    @Test func openAIEchoesTheWholeWrongKey() throws {
        let wrong = "sk-proj-WRONG-abcdefghijklmnopqrstuvwxyz0123456789"
        let result = try fake.chat(scriptRequest(), auth: ["-H", "Authorization: Bearer \(wrong)"])
        #expect(result.status == 401)
        let error = try #require(result.json?["error"] as? [String: Any])
        #expect(error["message"] as? String
            == "Incorrect API key provided: \(wrong). You can find your API key at https://platform.openai.com/account/api-keys.")
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(error["param"] is NSNull)
        #expect(error["code"] as? String == "invalid_api_key")

        let missing = try fake.post("/openai/v1/audio/speech", ["model": "tts-1", "input": "x", "voice": "alloy"])
        #expect(missing.status == 401)
        #expect(((missing.json?["error"] as? [String: Any])?["message"] as? String)?.contains("didn't provide an API key") == true)
        let stats = fake.stats()
        #expect(stats.unauthorized == 2)
        #expect(stats.statuses[401] == 2)
        #expect(stats.requests["chat"] == 1 && stats.requests["speech"] == 1)
    }

    @Test func replicateAndElevenLabsShapes() throws {
        let replicate = try fake.post("/replicate/v1/models/meta/musicgen/predictions", ["input": [:]], ["-H", "Authorization: Bearer r8_nope"])
        #expect(replicate.status == 401)
        #expect(replicate.json?["title"] as? String == "Unauthenticated")
        #expect(replicate.json?["status"] as? Int == 401)
        #expect(replicate.json?["detail"] is String)

        let legacyScheme = try fake.get("/replicate/v1/predictions/none", ["-H", "Authorization: Token \(fake.keys.replicate)"])
        #expect(legacyScheme.status == 404, "Token auth is accepted; the prediction just doesn't exist")

        let eleven = try fake.post("/elevenlabs/v1/text-to-speech/v/with-timestamps?output_format=pcm_24000", ["text": "x"],
                                   ["-H", "xi-api-key: nope"])
        #expect(eleven.status == 401)
        #expect((eleven.json?["detail"] as? [String: Any])?["status"] as? String == "invalid_api_key")
        let bearer = try fake.post("/elevenlabs/v1/text-to-speech/v/with-timestamps?output_format=pcm_24000", ["text": "x"],
                                   ["-H", "Authorization: Bearer \(fake.keys.elevenlabs)"])
        #expect(bearer.status == 401, "ElevenLabs wants xi-api-key")
        #expect(fake.stats().unauthorized == 3)
    }

    @Test func customKeysAndKeylessOllama() throws {
        let custom = try FakeProviders(keys: .init(openai: "sk-custom", replicate: "r8_custom", elevenlabs: "el-custom"))
        defer { custom.stop() }
        #expect(custom.environment["OPENAI_API_KEY"] == "sk-custom")
        #expect(try custom.chat(scriptRequest()).status == 200)
        #expect(try custom.chat(scriptRequest(), auth: ["-H", "Authorization: Bearer \(fake.keys.openai)"]).status == 401)
        #expect(try custom.chat(scriptRequest(), prefix: "/ollama/v1").status == 200)
        #expect(custom.stats().unauthorized == 1)
    }

    @Test func environmentPointsAtThePrefixes() {
        let env = fake.environment
        let root = "http://127.0.0.1:\(fake.port)"
        #expect(env["OPENAI_BASE_URL"] == "\(root)/openai/v1")
        #expect(env["REPLICATE_BASE_URL"] == "\(root)/replicate")
        #expect(env["ELEVENLABS_BASE_URL"] == "\(root)/elevenlabs")
        #expect(env["OLLAMA_BASE_URL"] == "\(root)/ollama/v1")
        #expect(env["REPLICATE_API_TOKEN"] == fake.keys.replicate)
        #expect(env["ELEVENLABS_API_KEY"] == fake.keys.elevenlabs)
        #expect(env["FAKE_PROVIDERS_URL"] == root)
        #expect(fake.port > 0)
    }
}
