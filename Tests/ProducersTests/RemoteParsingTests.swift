import Foundation
import HTTP
import Planner
@testable import Producers
import RecipeParser
import Testing

/// The pure parts of the remote producers: what they read from replies and headers, and how they
/// put provider times on the narration's words. No network: the end-to-end tests run the
/// producers against a fake provider server.
struct RemoteParsingTests {
    // MARK: word times

    /// Texts and times of timed words, for comparing.
    static func flat(_ words: [TimedWord]) -> [String] { words.map { "\($0.text) \($0.start)-\($0.end)" } }

    static func heard(_ words: [(String, Double, Double)]) -> [TimedWord] { words.map { TimedWord(text: $0.0, start: $0.1, end: $0.2) } }

    /// A reply as JSONSerialization reads it (NSNumber numbers, NSNull nulls), like the producers see.
    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func elevenLabsCharactersGroupIntoWordsAtWhitespace() throws {
        let text = Array(" Hi  there,\nyou ").map(String.init)
        let starts = text.indices.map { Double($0) / 10 }
        let ends = text.indices.map { Double($0 + 1) / 10 }
        let words = try #require(WordAlignment.characterWords(characters: text, starts: starts, ends: ends))
        #expect(Self.flat(words) == ["Hi 0.1-0.3", "there, 0.5-1.1", "you 1.2-1.5"])
    }

    @Test func elevenLabsMalformedAlignmentsAreRefused() {
        #expect(WordAlignment.characterWords(characters: ["a", "b"], starts: [0, 0.1], ends: [0.1]) == nil, "lengths differ")
        #expect(WordAlignment.characterWords(characters: ["a", "b"], starts: [0, .nan], ends: [0.1, 0.2]) == nil, "not finite")
        #expect(WordAlignment.characterWords(characters: ["a", "b"], starts: [0.2, 0.1], ends: [0.3, 0.4]) == nil, "starts go back")
        #expect(WordAlignment.characterWords(characters: ["a", "b"], starts: [0, 0.1], ends: [0.3, 0.2]) == nil, "ends go back")
        #expect(WordAlignment.characterWords(characters: ["a"], starts: [0.5], ends: [0.4]) == nil, "ends before it starts")
        #expect(WordAlignment.characterWords(characters: [], starts: [], ends: []) == [])
    }

    @Test func elevenLabsReplyGivesPCMAndWords() throws {
        let reply = try Self.json("""
            {"audio_base64": "\(Data([1, 0, 2, 0, 3]).base64EncodedString())",
             "alignment": {"characters": ["O", "k"], "character_start_times_seconds": [0, 0.1], "character_end_times_seconds": [0.1, 0.25]}}
            """)
        let speech = try ElevenLabsSpeech.parse(reply, from: "elevenlabs/eleven_v3")
        #expect(speech.pcm == Data([1, 0, 2, 0]), "a stray odd byte is dropped")
        #expect(Self.flat(speech.words) == ["Ok 0.0-0.25"])

        var noAlignment = reply
        noAlignment["alignment"] = NSNull()
        let e = #expect(throws: ProducerError.self) { try ElevenLabsSpeech.parse(noAlignment, from: "elevenlabs/eleven_v3") }
        #expect(e?.transient == true)
        #expect(throws: ProducerError.self) { try ElevenLabsSpeech.parse(["audio_base64": "", "alignment": reply["alignment"]!], from: "x") }
    }

    @Test func transcriptWordsLandOnTheNarrationsOwnWords() {
        // Punctuation and case aside the words agree; Whisper spells the year out.
        let words = WordAlignment.narrationWords("Hello, world! It's 1990.", timedBy: Self.heard([
            ("Hello", 0, 0.4), ("world", 0.5, 0.9), ("it's", 1.0, 1.2), ("nineteen", 1.3, 1.7), ("ninety", 1.7, 2.1),
        ]))
        #expect(Self.flat(words) == ["Hello, 0.0-0.4", "world! 0.5-0.9", "It's 1.0-1.2", "1990. 1.3-2.1"])
    }

    @Test func unheardNarrationWordsSitBetweenTheirNeighbours() {
        let missing = WordAlignment.narrationWords("the very big dog", timedBy: Self.heard([("the", 0, 0.2), ("big", 0.5, 0.8), ("dog", 0.9, 1.2)]))
        #expect(Self.flat(missing) == ["the 0.0-0.2", "very 0.2-0.5", "big 0.5-0.8", "dog 0.9-1.2"])
        let trailing = WordAlignment.narrationWords("a b c", timedBy: Self.heard([("a", 0, 0.5)]))
        #expect(Self.flat(trailing) == ["a 0.0-0.5", "b 0.5-0.5", "c 0.5-0.5"])
        let leading = WordAlignment.narrationWords("— a", timedBy: Self.heard([("a", 1, 2)]))
        #expect(Self.flat(leading) == ["— 1.0-1.0", "a 1.0-2.0"])
    }

    @Test func extraTranscriptWordsAreSkipped() {
        let words = WordAlignment.narrationWords("a b", timedBy: Self.heard([("a", 0, 0.1), ("um", 0.2, 0.3), ("b", 0.4, 0.5)]))
        #expect(Self.flat(words) == ["a 0.0-0.1", "b 0.4-0.5"])
    }

    @Test func withNoCommonWordTheNarrationIsSpreadInProportion() {
        let words = WordAlignment.narrationWords("one two three four", timedBy: Self.heard([("uno", 0, 1), ("dos", 1.5, 2)]))
        #expect(Self.flat(words) == ["one 0.0-0.5", "two 0.5-1.0", "three 1.5-1.75", "four 1.75-2.0"])
        let same = WordAlignment.narrationWords("colour me", timedBy: Self.heard([("color", 0, 0.3), ("mi", 0.4, 0.6)]))
        #expect(Self.flat(same) == ["colour 0.0-0.3", "me 0.4-0.6"], "one to one when the counts agree")
        let fewer = WordAlignment.narrationWords("twenty-five", timedBy: Self.heard([("twenty", 0, 0.4), ("five", 0.5, 0.8)]))
        #expect(Self.flat(fewer) == ["twenty-five 0.0-0.8"])
    }

    @Test func reportedTimesThatGoBackAreStraightened() {
        let words = WordAlignment.narrationWords("a b c", timedBy: Self.heard([("a", 0, 0.5), ("b", 0.4, 0.3), ("c", .infinity, 1)]))
        #expect(Self.flat(words) == ["a 0.0-0.5", "b 0.4-0.4", "c 0.4-0.4"])
        #expect(WordAlignment.narrationWords("", timedBy: Self.heard([("a", 0, 1)])).isEmpty)
        #expect(WordAlignment.narrationWords("a", timedBy: []).isEmpty)
    }

    @Test func wordKeysIgnoreCaseAccentsAndPunctuation() {
        #expect(WordAlignment.key("Café,") == "cafe")
        #expect(WordAlignment.key("\"It's\"") == "its")
        #expect(WordAlignment.key("1990.") == "1990")
        #expect(WordAlignment.key("—") == "")
    }

    @Test func speechWordsJSONIsEspeaksFormat() throws {
        let json = try #require(try SpeechWords.json(timing: "whisper", words: [TimedWord(text: "Hi", start: 0, end: 0.25)]))
        #expect(String(decoding: json, as: UTF8.self) == #"{"timing":"whisper","words":[{"end":0.25,"start":0,"text":"Hi"}]}"#)
        #expect(try SpeechWords.json(timing: "whisper", words: []) == nil)
    }

    @Test func transcriptionRepliesAreRead() throws {
        let reply = try Self.json("""
            {"task": "transcribe", "language": "english", "duration": 8.47, "text": "The fox",
             "words": [{"word": "The", "start": 0, "end": 0.24}, {"word": " fox ", "start": 0.3, "end": 0.6}, {"word": "", "start": 1, "end": 1}],
             "usage": {"type": "duration", "seconds": 9}}
            """)
        let t = try #require(OpenAITranscription.parse(reply))
        #expect(Self.flat(t.words) == ["The 0.0-0.24", "fox 0.3-0.6"])
        #expect(t.duration == 8.47)
        #expect(t.billedSeconds == 9)
        #expect(OpenAITranscription.parse(["text": "no words"]) == nil)
        #expect(OpenAITranscription.isoLanguage("en-US") == "en")
        #expect(OpenAITranscription.isoLanguage("pt_BR") == "pt")
        #expect(OpenAITranscription.isoLanguage("english") == nil)
    }

    // MARK: request choices

    @Test(arguments: [
        (1920, 1080, "16:9"), (1080, 1920, "9:16"), (1080, 1080, "1:1"), (1080, 1350, "4:5"), (1440, 1080, "4:3"),
        (2560, 1080, "21:9"), (1000, 1001, "1:1"), (1200, 800, "3:2"), (720, 1680, "9:21"),
    ])
    func replicateAspectIsTheNearest(width: Int, height: Int, expected: String) {
        #expect(FrameAspect.nearest(width: width, height: height, among: FrameAspect.replicateImage) == expected)
    }

    @Test func klingAndOpenAISizesFollowTheFrame() {
        #expect(FrameAspect.nearest(width: 1080, height: 1920, among: FrameAspect.kling) == "9:16")
        #expect(FrameAspect.nearest(width: 1080, height: 1350, among: FrameAspect.kling) == "1:1")
        #expect(FrameAspect.nearest(width: 1920, height: 1200, among: FrameAspect.kling) == "16:9")
        #expect(FrameAspect.nearest(width: 1100, height: 1000, among: FrameAspect.kling) == "1:1")
        #expect(FrameAspect.openAISize(model: "gpt-image-1", width: 1920, height: 1080) == "1536x1024")
        #expect(FrameAspect.openAISize(model: "gpt-image-1", width: 1080, height: 1920) == "1024x1536")
        #expect(FrameAspect.openAISize(model: "gpt-image-1", width: 1080, height: 1080) == "1024x1024")
        #expect(FrameAspect.openAISize(model: "dall-e-3", width: 1920, height: 1080) == "1792x1024")
        #expect(FrameAspect.openAISize(model: "dall-e-3", width: 1080, height: 1920) == "1024x1792")
        #expect(FrameAspect.openAISize(model: "dall-e-2", width: 1920, height: 1080) == "1024x1024")
    }

    @Test func openAIImageBodiesDifferByFamily() {
        let gpt = OpenAIImage.body(model: "gpt-image-1", prompt: "a fox", width: 1920, height: 1080, quality: nil)
        #expect(gpt["output_format"] as? String == "png" && gpt["response_format"] == nil)
        #expect(gpt["quality"] as? String == "medium" && gpt["n"] as? Int == 1)
        let dalle = OpenAIImage.body(model: "dall-e-3", prompt: "a fox", width: 1920, height: 1080, quality: "hd")
        #expect(dalle["response_format"] as? String == "b64_json" && dalle["output_format"] == nil)
        #expect(dalle["quality"] as? String == "hd" && dalle["size"] as? String == "1792x1024")
    }

    @Test func openAIVoiceChoice() {
        #expect(OpenAISpeech.voice(option: "Nova", input: "en-us") as? String == "nova")
        #expect(OpenAISpeech.voice(option: nil, input: "shimmer") as? String == "shimmer")
        #expect(OpenAISpeech.voice(option: nil, input: "en-us") as? String == "onyx")
        #expect(OpenAISpeech.voice(option: "voice_abc123", input: nil) as? [String: String] == ["id": "voice_abc123"])
        #expect(OpenAISpeech.takesInstructions("gpt-4o-mini-tts") && !OpenAISpeech.takesInstructions("tts-1-hd"))
    }

    @Test func elevenLabsVoiceChoice() throws {
        #expect(try ElevenLabsSpeech.voiceID(option: nil, input: "en-us") == ElevenLabsSpeech.defaultVoice)
        #expect(try ElevenLabsSpeech.voiceID(option: nil, input: "pNInz6obpgDQGcFmaJgB") == "pNInz6obpgDQGcFmaJgB")
        #expect(try ElevenLabsSpeech.voiceID(option: "abc", input: "pNInz6obpgDQGcFmaJgB") == "abc")
        #expect(throws: ProducerError.self) { try ElevenLabsSpeech.voiceID(option: "../v2/voices", input: nil) }
    }

    @Test func replicateInputsPerKind() {
        let image = ReplicateMedia.imageInput(prompt: "a fox, cinematic", width: 1920, height: 1080, options: ["seed": .int(3)])
        #expect(image["aspect_ratio"] as? String == "16:9" && image["output_format"] as? String == "png")
        #expect(image["seed"] as? Int == 3 && image["num_outputs"] as? Int == 1)

        let music = ReplicateMedia.musicInput(model: "meta/musicgen", prompt: "calm", seconds: 60, options: [:])
        #expect(music["duration"] as? Int == 30 && music["model_version"] as? String == "stereo-melody-large")
        #expect(ReplicateMedia.musicInput(model: "meta/musicgen", prompt: "calm", seconds: 12.2, options: [:])["duration"] as? Int == 13)
        #expect(ReplicateMedia.musicInput(model: "meta/musicgen", prompt: "calm", seconds: 60, options: ["duration": .int(45)])["duration"] as? Int == 45)
        #expect(ReplicateMedia.musicInput(model: "other/music", prompt: "calm", seconds: nil, options: [:])["model_version"] == nil)

        let kling = ReplicateMedia.videoInput(model: "kwaivgi/kling-v1.6-standard", prompt: "p", image: nil, width: 1080, height: 1920, options: [:])
        #expect(kling["duration"] as? Int == 5 && kling["aspect_ratio"] as? String == "9:16")
        let klingImage = ReplicateMedia.videoInput(model: "kwaivgi/kling-v2.1", prompt: "p", image: "data:x", width: 1080, height: 1920, options: [:])
        #expect(klingImage["start_image"] as? String == "data:x" && klingImage["aspect_ratio"] == nil)
        let minimax = ReplicateMedia.videoInput(model: "minimax/video-01", prompt: "p", image: "data:x", width: 1920, height: 1080, options: [:])
        #expect(minimax["first_frame_image"] as? String == "data:x" && minimax["prompt_optimizer"] as? Bool == true)
    }

    // MARK: Replicate replies

    @Test func replicateOutputsAreNormalised() {
        #expect(ReplicatePredictions.files("https://r.example/a.wav") == ["https://r.example/a.wav"])
        #expect(ReplicatePredictions.files(["https://r.example/0.png", "https://r.example/1.png"]) == ["https://r.example/0.png", "https://r.example/1.png"])
        #expect(ReplicatePredictions.files(["video": "https://r.example/v.mp4", "audio": ["https://r.example/a.wav"]] as [String: Any])
                == ["https://r.example/a.wav", "https://r.example/v.mp4"])
        #expect(ReplicatePredictions.files("a caption, not a file") == [])
        #expect(ReplicatePredictions.files(NSNull()) == [])
        #expect(ReplicatePredictions.files(nil) == [])
        #expect(ReplicatePredictions.files(["data:image/png;base64,AAAA"]) == ["data:image/png;base64,AAAA"])
        #expect(ReplicatePredictions.dataURI("data:image/png;base64,AQID") == Data([1, 2, 3]))
        #expect(ReplicatePredictions.dataURI("data:text/plain,hello") == nil)
    }

    @Test func replicatePredictionsAreParsed() throws {
        let p = try #require(ReplicatePredictions.parse(try Self.json("""
            {"id": "abc123", "status": "succeeded", "output": ["https://r.example/0.png"], "error": null, "metrics": {"predict_time": 1.25},
             "urls": {"get": "https://api.replicate.com/v1/predictions/abc123", "cancel": "https://api.replicate.com/v1/predictions/abc123/cancel"}}
            """)))
        #expect(p.isTerminal && p.outputs == ["https://r.example/0.png"] && p.predictTime == 1.25 && p.error == nil)
        #expect(p.getURL == "https://api.replicate.com/v1/predictions/abc123")
        let failed = try #require(ReplicatePredictions.parse(["status": "failed", "error": "CUDA out of memory"]))
        #expect(failed.isTerminal && failed.error == "CUDA out of memory")
        #expect(try #require(ReplicatePredictions.parse(["status": "processing"])).isTerminal == false)
        #expect(ReplicatePredictions.parse(["detail": "Not found"]) == nil)
    }

    @Test func replicateCreationURLs() throws {
        let base = "https://api.replicate.com"
        let official = try ReplicatePredictions.creation(model: "black-forest-labs/flux-schnell", input: ["prompt": "p"], base: base)
        #expect(official.url == "https://api.replicate.com/v1/models/black-forest-labs/flux-schnell/predictions")
        #expect(official.body["version"] == nil && official.body["input"] != nil)
        let pinned = try ReplicatePredictions.creation(model: "meta/musicgen:671ac645ce5e552cc63a54", input: [:], base: base)
        #expect(pinned.url == "https://api.replicate.com/v1/predictions" && pinned.body["version"] as? String == "671ac645ce5e552cc63a54")
        #expect(throws: ProducerError.self) { try ReplicatePredictions.creation(model: "flux-schnell", input: [:], base: base) }
        #expect(throws: ProducerError.self) { try ReplicatePredictions.creation(model: "a/b/../c", input: [:], base: base) }
        #expect(ReplicatePredictions.sameOrigin("https://api.replicate.com/v1/predictions/x", "https://api.replicate.com"))
        #expect(ReplicatePredictions.sameOrigin("http://127.0.0.1:8080/v1/p", "http://127.0.0.1:8080"))
        #expect(!ReplicatePredictions.sameOrigin("https://evil.example/v1/p", "https://api.replicate.com"))
        #expect(!ReplicatePredictions.sameOrigin("http://127.0.0.1:9/v1/p", "http://127.0.0.1:8080"))
    }

    // MARK: RemoteAPI

    @Test func retryAfterReadsEveryHeaderProvidersSend() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RemoteAPI.retryAfter(["retry-after-ms": "1500", "retry-after": "9"], now: now) == 1.5)
        #expect(RemoteAPI.retryAfter(["retry-after": " 7 "], now: now) == 7)
        #expect(RemoteAPI.retryAfter(["retry-after": "Tue, 14 Nov 2023 22:13:50 GMT"], now: now) == 30)
        #expect(RemoteAPI.retryAfter(["retry-after": "Tue, 14 Nov 2023 22:00:00 GMT"], now: now) == 0, "a date in the past")
        #expect(RemoteAPI.retryAfter(["retry-after": "86400"], now: now) == 600, "capped at ten minutes")
        #expect(RemoteAPI.retryAfter(["x-ratelimit-reset-requests": "6m0s", "x-ratelimit-reset-tokens": "12ms"], now: now) == 360)
        #expect(RemoteAPI.retryAfter(["retry-after": "soon"], now: now) == nil)
        #expect(RemoteAPI.retryAfter([:], now: now) == nil)
    }

    @Test(arguments: [("12ms", 0.012), ("1s", 1), ("6m0s", 360), ("1h2m3.5s", 3723.5), ("0.5s", 0.5)])
    func goDurations(text: String, seconds: Double) throws {
        #expect(abs(try #require(RemoteAPI.goDuration(text)) - seconds) < 1e-9)
    }

    @Test func goDurationRefusesOtherText() {
        for bad in ["", "10", "5x", "s", "1.2.3s", "m5"] { #expect(RemoteAPI.goDuration(bad) == nil, "\(bad)") }
    }

    static func response(_ json: String, status: Int = 400) -> HTTPResponse {
        HTTPResponse(status: status, headers: [:], body: Data(json.utf8), bytes: Int64(json.utf8.count), seconds: 0)
    }

    @Test func providerMessagesOfEachShape() throws {
        let openai = RemoteAPI.providerMessage(Self.response(#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#))
        #expect(openai.0 == "Incorrect API key provided" && openai.1 == "invalid_api_key")
        let quota = RemoteAPI.providerMessage(Self.response(#"{"error":{"message":"You exceeded your quota","type":"insufficient_quota","code":null}}"#))
        #expect(quota.1 == "insufficient_quota")
        let replicate = RemoteAPI.providerMessage(Self.response(#"{"title":"Invalid version or not permitted","detail":"The specified version does not exist","status":422}"#))
        #expect(replicate.0 == "The specified version does not exist" && replicate.1 == "Invalid version or not permitted")
        let eleven = RemoteAPI.providerMessage(Self.response(#"{"detail":{"status":"voice_not_found","message":"A voice with the voice_id x was not found."}}"#))
        #expect(eleven.0 == "A voice with the voice_id x was not found." && eleven.1 == "voice_not_found")
        let fastAPI = RemoteAPI.providerMessage(Self.response(#"{"detail":[{"loc":["body","text"],"msg":"field required","type":"value_error.missing"}]}"#))
        #expect(fastAPI.0 == "body.text: field required" && fastAPI.1 == nil)
        let plain = RemoteAPI.providerMessage(Self.response("<html>502 Bad Gateway</html>\n", status: 502))
        #expect(plain.0 == "<html>502 Bad Gateway</html>" && plain.1 == nil)
        #expect(RemoteAPI.providerMessage(Self.response("")).0 == nil)
    }

    @Test func providerMessagesOfRepliesStreamedToAFile() throws {
        let file = NSTemporaryDirectory() + "remote-parsing-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(#"{"error":{"message":"Invalid voice","code":"invalid_value"}}"#.utf8).write(to: URL(fileURLWithPath: file))
        let r = HTTPResponse(status: 400, headers: [:], body: Data(), bodyFile: file, bytes: 60, seconds: 0)
        let said = RemoteAPI.providerMessage(r)
        #expect(said.0 == "Invalid voice" && said.1 == "invalid_value")
    }

    // MARK: .env

    /// Every form dotenv writes, a line ending in CRLF among them (one Character in Swift).
    @Test func dotEnvFiles() {
        let text = """
        # keys
        OPENAI_API_KEY=sk-abc123
        export REPLICATE_API_TOKEN = r8_xyz
          ELEVENLABS_API_KEY='lit #$ \\n'\r
        DOUBLE="line\\nnext \\"quoted\\" back\\\\slash \\\\n"
        BARE=value # a comment
        HASH=a#b
        EMPTY=

        not an assignment
        1BAD=x
        BAD-NAME=x
        UNCLOSED="abc
        """
        let (values, bad) = DotEnv.parse(text)
        #expect(values["OPENAI_API_KEY"] == "sk-abc123")
        #expect(values["REPLICATE_API_TOKEN"] == "r8_xyz")
        #expect(values["ELEVENLABS_API_KEY"] == "lit #$ \\n")
        #expect(values["DOUBLE"] == "line\nnext \"quoted\" back\\slash \\n")
        #expect(values["BARE"] == "value")
        #expect(values["HASH"] == "a#b")
        #expect(values["EMPTY"] == "")
        #expect(values.count == 7)
        #expect(bad == [10, 11, 12, 13])
    }
}
