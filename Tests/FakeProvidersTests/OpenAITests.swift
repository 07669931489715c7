import Foundation
import Testing

@testable import FakeProviders

/// The OpenAI endpoints (and Ollama's chat), driven with curl.
struct OpenAITests {
    let fake: FakeProviders

    init() throws { fake = try FakeProviders() }

    // MARK: Chat

    @Test func structuredChatFollowsTheSchemaAndReportsUsage() throws {
        let request = scriptRequest(minItems: 4)
        let result = try fake.chat(request)
        #expect(result.status == 200)
        #expect(result.headers["content-type"] == "application/json")
        let reply = try #require(result.json)
        #expect(reply["object"] as? String == "chat.completion")
        #expect(reply["model"] as? String == "gpt-4o-2024-08-06")
        #expect((reply["id"] as? String)?.hasPrefix("chatcmpl-") == true)
        let choice = try #require((reply["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "stop")
        #expect(choice["index"] as? Int == 0)
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["role"] as? String == "assistant")
        #expect(message["refusal"] is NSNull)

        let content = try #require(message["content"] as? String)
        let script = try #require(try JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any])
        #expect(Set(script.keys) == ["title", "segments", "pace"])
        let title = try #require(script["title"] as? String)
        #expect((3...6).contains(title.split(separator: " ").count))
        let pace = try #require(script["pace"] as? Double)
        #expect(pace >= 0.5 && pace <= 2)
        let segments = try #require(script["segments"] as? [[String: Any]])
        #expect(segments.count == 4)
        var narrations = Set<String>()
        for segment in segments {
            #expect(Set(segment.keys) == ["narration", "image_prompt", "seconds", "mood", "caption", "wide"])
            let narration = try #require(segment["narration"] as? String)
            #expect((12...25).contains(narration.split(separator: " ").count), "\(narration)")
            #expect(narration.first?.isUppercase == true && narration.hasSuffix("."))
            narrations.insert(narration)
            let seconds = try #require(segment["seconds"] as? Int)
            #expect((4...12).contains(seconds))
            #expect(["calm", "tense", "hopeful"].contains(segment["mood"] as? String ?? ""))
            #expect(segment["caption"] is String)
            #expect(segment["wide"] is Bool)
        }
        #expect(narrations.count == 4, "segments differ")

        // Usage: a token per four characters of the messages, and of the content.
        let promptCharacters = "You write documentary scripts.".count + "Write a short documentary script about lighthouses.".count
        let usage = try #require(reply["usage"] as? [String: Int])
        #expect(usage["prompt_tokens"] == (promptCharacters + 3) / 4)
        #expect(usage["completion_tokens"] == (content.count + 3) / 4)
        #expect(usage["total_tokens"] == usage["prompt_tokens"]! + usage["completion_tokens"]!)
        let stats = fake.stats()
        #expect(stats.promptTokens == usage["prompt_tokens"])
        #expect(stats.completionTokens == usage["completion_tokens"])
        #expect(stats.requests["chat"] == 1)
        #expect(stats.statuses[200] == 1)
    }

    @Test func chatContentIsDeterministicAndVariesWithThePrompt() throws {
        let first = try #require(message(try fake.chat(scriptRequest()))?["content"] as? String)
        let again = try #require(message(try fake.chat(scriptRequest()))?["content"] as? String)
        let other = try #require(message(try fake.chat(scriptRequest(prompt: "Tell the story of the railway.")))?["content"] as? String)
        #expect(first == again)
        #expect(first != other)
    }

    @Test func ollamaServesTheSameChatWithoutAKey() throws {
        let result = try fake.chat(scriptRequest(minItems: 2), prefix: "/ollama/v1")
        #expect(result.status == 200)
        let content = try #require(message(result)?["content"] as? String)
        let script = try #require(try JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any])
        #expect((script["segments"] as? [Any])?.count == 2)
        let stats = fake.stats()
        #expect(stats.maxInFlight["ollama"] == 1)
        #expect(stats.maxInFlight["openai"] == nil)
        #expect(stats.starts["ollama"]?.count == 1)
        #expect(stats.promptTokens > 0)
    }

    @Test func chatWithoutSchemaAnswersTextOrJSONObject() throws {
        var request = scriptRequest()
        request["response_format"] = nil
        let text = try #require(message(try fake.chat(request))?["content"] as? String)
        #expect(text.split(separator: " ").count >= 24)
        #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) == nil)

        request["response_format"] = ["type": "json_object"]
        request["messages"] = [["role": "user", "content": "Answer in JSON."]]
        let json = try #require(message(try fake.chat(request))?["content"] as? String)
        #expect((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["response"] is String)
    }

    @Test func chatResolvesReferencesAndArraysWithoutMinItems() throws {
        var request = scriptRequest()
        request["response_format"] = ["type": "json_schema", "json_schema": ["name": "refs", "strict": true, "schema": [
            "type": "object", "additionalProperties": false, "required": ["items"],
            "properties": ["items": ["type": "array", "items": ["$ref": "#/$defs/item"]]],
            "$defs": ["item": ["type": "object", "additionalProperties": false, "required": ["name"],
                               "properties": ["name": ["type": "string", "maxLength": 20]]]],
        ] as [String: Any]] as [String: Any]]
        let content = try #require(message(try fake.chat(request))?["content"] as? String)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any])
        let items = try #require(object["items"] as? [[String: Any]])
        #expect(items.count == 3)
        for item in items { #expect(((item["name"] as? String)?.count ?? 99) <= 20) }
    }

    @Test func chatRejectsBadRequests() throws {
        let notJSON = try Curl.run(fake.openaiAuth + ["--data-binary", "{not json", fake.url("/openai/v1/chat/completions")])
        #expect(notJSON.status == 400)
        #expect(((notJSON.json?["error"] as? [String: Any])?["message"] as? String)?.contains("could not parse the JSON body") == true)

        var request = scriptRequest()
        request["messages"] = [Any]()
        let noMessages = try fake.chat(request)
        #expect(noMessages.status == 400)
        let error = try #require(noMessages.json?["error"] as? [String: Any])
        #expect(error["param"] as? String == "messages")
        #expect(error["type"] as? String == "invalid_request_error")

        // Strict mode's schema rules, as the real API enforces them.
        var loose = scriptRequest()
        loose["response_format"] = ["type": "json_schema", "json_schema": ["name": "loose", "strict": true, "schema": [
            "type": "object", "properties": ["a": ["type": "string"]], "required": ["a"],
        ] as [String: Any]] as [String: Any]]
        let strict = try fake.chat(loose)
        #expect(strict.status == 400)
        #expect(((strict.json?["error"] as? [String: Any])?["message"] as? String)?
            .contains("'additionalProperties' is required to be supplied and to be false") == true)
        #expect(fake.stats().promptTokens == 0, "failed requests report no usage")
    }

    @Test func chatStopsAtTheTokenLimit() throws {
        var request = scriptRequest()
        request["max_completion_tokens"] = 20
        let result = try fake.chat(request)
        let choice = try #require((result.json?["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "length")
        #expect(((result.json?["usage"] as? [String: Int])?["completion_tokens"] ?? 99) <= 20)
    }

    // MARK: Speech

    @Test func speechStreamsAWAVWithUnknownSizes() throws {
        let input = "One two three four five six seven eight nine ten"  // 10 words: 4 s
        let result = try fake.post("/openai/v1/audio/speech",
                                   ["model": "gpt-4o-mini-tts", "input": input, "voice": "alloy", "response_format": "wav"], fake.openaiAuth)
        #expect(result.status == 200)
        #expect(result.headers["transfer-encoding"] == "chunked")
        #expect(result.headers["content-length"] == nil)
        #expect(result.headers["content-type"] == "audio/wav")
        let wav = result.body
        #expect(wav.prefix(4) == Data("RIFF".utf8))
        #expect(wav.dropFirst(8).prefix(4) == Data("WAVE".utf8))
        #expect(wavField(wav, at: 4, bytes: 4) == 0xFFFF_FFFF)
        #expect(wavField(wav, at: 40, bytes: 4) == 0xFFFF_FFFF)
        #expect(wavField(wav, at: 22, bytes: 2) == 1)  // mono
        #expect(wavField(wav, at: 24, bytes: 4) == 24_000)
        #expect(wavField(wav, at: 34, bytes: 2) == 16)
        #expect(wav.count == 44 + 4 * 24_000 * 2)
        // Quiet, but not silent.
        let peak = stride(from: 44, to: wav.count, by: 2).map { abs(Int(Int16(bitPattern: UInt16(wavField(wav, at: $0, bytes: 2))))) }.max() ?? 0
        #expect(peak > 1000 && peak < 8000)
        #expect(fake.stats().speechCharacters == input.unicodeScalars.count)
    }

    @Test func speechAsPCMAndItsLimits() throws {
        let pcm = try fake.post("/openai/v1/audio/speech", ["model": "tts-1", "input": "Hi", "voice": "alloy", "response_format": "pcm"],
                                fake.openaiAuth)
        #expect(pcm.status == 200)
        #expect(pcm.body.count == 24_000 * 2)  // the one-second minimum
        #expect(pcm.body.prefix(4) != Data("RIFF".utf8))

        let mp3 = try fake.post("/openai/v1/audio/speech", ["model": "tts-1", "input": "Hi", "voice": "alloy"], fake.openaiAuth)
        #expect(mp3.status == 400)
        #expect(((mp3.json?["error"] as? [String: Any])?["message"] as? String)?.contains("unsupported by the fake") == true)

        let empty = try fake.post("/openai/v1/audio/speech", ["model": "tts-1", "input": "", "voice": "alloy", "response_format": "wav"],
                                  fake.openaiAuth)
        #expect(empty.status == 400)
        let long = try fake.post("/openai/v1/audio/speech",
                                 ["model": "tts-1", "input": String(repeating: "a", count: 4097), "voice": "alloy", "response_format": "wav"],
                                 fake.openaiAuth)
        #expect(long.status == 400)
        #expect(fake.stats().speechCharacters == 2)
    }

    // MARK: Images

    @Test func imagesAreValidPNGsOfTheRequestedSize() throws {
        let result = try fake.post("/openai/v1/images/generations",
                                   ["model": "gpt-image-1", "prompt": "a lighthouse at dawn", "size": "1536x1024", "quality": "low", "n": 1],
                                   fake.openaiAuth)
        #expect(result.status == 200)
        let reply = try #require(result.json)
        #expect(reply["created"] is Int)
        let data = try #require(reply["data"] as? [[String: Any]])
        #expect(data.count == 1)
        let b64 = try #require(data[0]["b64_json"] as? String)
        let png = try #require(Data(base64Encoded: b64))
        let size = try #require(pngSize(png))
        #expect(size.width == 1536 && size.height == 1024)
        #expect(try ffmpegDecodes(png, suffix: "png"), "a decoder accepts the whole image (CRCs, zlib, Adler-32)")
        let usage = try #require(reply["usage"] as? [String: Any])
        #expect(usage["output_tokens"] as? Int == 408)
        #expect(usage["input_tokens"] as? Int == ("a lighthouse at dawn".count + 3) / 4)
        #expect(usage["total_tokens"] as? Int == 408 + (usage["input_tokens"] as? Int ?? 0))
        #expect(fake.stats().images == 1)
    }

    @Test func imagesHonourCountAndPortraitAndRejectBadSizes() throws {
        let two = try fake.post("/openai/v1/images/generations",
                                ["model": "gpt-image-1", "prompt": "a harbor", "size": "1024x1536", "n": 2], fake.openaiAuth)
        let data = try #require(two.json?["data"] as? [[String: Any]])
        #expect(data.count == 2)
        for item in data {
            let png = try #require(Data(base64Encoded: item["b64_json"] as? String ?? ""))
            let size = try #require(pngSize(png))
            #expect(size.width == 1024 && size.height == 1536)
        }
        #expect(fake.stats().images == 2)

        let bad = try fake.post("/openai/v1/images/generations", ["model": "gpt-image-1", "prompt": "x", "size": "512x512"], fake.openaiAuth)
        #expect(bad.status == 400)
        let error = try #require(bad.json?["error"] as? [String: Any])
        #expect(error["param"] as? String == "size")
        #expect((error["message"] as? String)?.contains("'1536x1024'") == true)
        #expect(fake.stats().images == 2)
    }

    // MARK: Transcriptions

    @Test func transcriptionSpreadsThePromptsWordsOverTheAudio() throws {
        let folder = try Curl.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let audio = folder.appendingPathComponent("narration.wav")
        try silentWAV(seconds: 5.5, streamed: true).write(to: audio)  // sizes 0xFFFFFFFF: the length comes from the file
        let prompt = "The river crossed the valley, quietly."
        let result = try Curl.run(fake.openaiAuth + [
            "-F", "file=@\(audio.path);type=audio/wav", "-F", "model=whisper-1", "-F", "response_format=verbose_json",
            "-F", "timestamp_granularities[]=word", "-F", "timestamp_granularities[]=segment", "-F", "prompt=\(prompt)",
            "-F", "language=en", fake.url("/openai/v1/audio/transcriptions"),
        ])
        #expect(result.status == 200)
        let reply = try #require(result.json)
        #expect(reply["task"] as? String == "transcribe")
        #expect(reply["language"] as? String == "english")
        #expect(reply["duration"] as? Double == 5.5)
        #expect(reply["text"] as? String == prompt)
        #expect((reply["segments"] as? [Any])?.count == 1)
        #expect((reply["usage"] as? [String: Any])?["seconds"] as? Int == 6)
        #expect((reply["usage"] as? [String: Any])?["type"] as? String == "duration")
        let words = try #require(reply["words"] as? [[String: Any]])
        #expect(words.map { $0["word"] as? String ?? "" } == ["The", "river", "crossed", "the", "valley", "quietly"])
        #expect(words.first?["start"] as? Double == 0.1)
        #expect(words.last?["end"] as? Double == 5.4)
        let starts = words.compactMap { $0["start"] as? Double }
        #expect(starts == starts.sorted())
        #expect(fake.stats().transcriptionSeconds == 6)
    }

    @Test func transcriptionWithoutWordGranularityHasNoWords() throws {
        let folder = try Curl.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let audio = folder.appendingPathComponent("a.wav")
        try silentWAV(seconds: 2).write(to: audio)
        let result = try Curl.run(fake.openaiAuth + ["-F", "file=@\(audio.path)", "-F", "model=whisper-1",
                                                     "-F", "response_format=verbose_json", fake.url("/openai/v1/audio/transcriptions")])
        let reply = try #require(result.json)
        #expect(reply["words"] == nil)
        #expect((reply["text"] as? String)?.hasPrefix("Lorem ipsum") == true)
        #expect(reply["duration"] as? Double == 2)

        let notWAV = folder.appendingPathComponent("b.wav")
        try Data("not a wav file at all".utf8).write(to: notWAV)
        let rejected = try Curl.run(fake.openaiAuth + ["-F", "file=@\(notWAV.path)", "-F", "model=whisper-1",
                                                       fake.url("/openai/v1/audio/transcriptions")])
        #expect(rejected.status == 400)
        #expect(((rejected.json?["error"] as? [String: Any])?["message"] as? String)?.hasPrefix("Invalid file format") == true)
    }

    @Test func aLargeUploadGoesThroughExpectContinue() throws {
        let folder = try Curl.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let audio = folder.appendingPathComponent("long.wav")
        try silentWAV(seconds: 30).write(to: audio)  // 1.44 MB
        let result = try Curl.run(fake.openaiAuth + ["-v", "-H", "Expect: 100-continue", "-F", "file=@\(audio.path)", "-F", "model=whisper-1",
                                                     "-F", "response_format=json", fake.url("/openai/v1/audio/transcriptions")])
        #expect(result.stderr.contains("HTTP/1.1 100 Continue"))
        #expect(result.status == 200)
        #expect((result.json?["usage"] as? [String: Any])?["seconds"] as? Int == 30)
        #expect(result.json?["text"] is String)
    }
}
