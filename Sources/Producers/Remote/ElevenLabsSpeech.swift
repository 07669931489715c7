import Foundation
import HTTP
import Planner
import RecipeParser

/// `elevenlabs/<model>`: speech from ElevenLabs with the time of every character, in one call.
///
/// Inputs: `text` (the narration), `voice` (used when it looks like an ElevenLabs voice id).
/// Options: `voice_id` (wins over the input; default `21m00Tcm4TlvDq8ikWAM`, "Rachel"),
/// `stability` (default 0.5), `similarity_boost` (0.75), `style` (0), `speed` (1.0).
///
/// The request is media-notes §2.4's `POST /v1/text-to-speech/{voice_id}/with-timestamps`, asking
/// for `pcm_24000`: the reply's `audio_base64` is raw 16-bit mono PCM at 24 kHz, written here
/// behind a WAV header, so no placeholder sizes and no lossy step. Its `alignment` (one entry per
/// character of the text) is grouped into words at whitespace and kept, on the narration's own
/// words, as `extras["words"]`: `{"timing":"elevenlabs","words":[…]}`. A reply whose audio or
/// alignment is malformed is a transient failure. Charged by `characters`: the reply's
/// `character-cost` header when it has one, else the length of the text.
public struct ElevenLabsSpeech: Producer {
    public init() {}

    /// "Rachel", a voice every account has.
    static let defaultVoice = "21m00Tcm4TlvDq8ikWAM"
    /// The format asked for, and what it is: 16-bit little-endian mono PCM at 24 kHz.
    static let outputFormat = "pcm_24000"
    static let sampleRate = 24_000

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        let out = try job.onlyOutput()
        let text = try job.narration()
        let voice = try Self.voiceID(option: job.textOption("voice_id"), input: try job.text("voice"))
        let body: [String: Any] = [
            "text": text,
            "model_id": job.provider.model,
            "voice_settings": [
                "stability": job.numberOption("stability", default: 0.5)!,
                "similarity_boost": job.numberOption("similarity_boost", default: 0.75)!,
                "style": job.numberOption("style", default: 0)!,
                "use_speaker_boost": true,
                "speed": job.numberOption("speed", default: 1.0)!,
            ] as [String: Any],
        ]
        let api = RemoteAPI(job)
        let url = Endpoints.elevenlabs(job.environment) + "/v1/text-to-speech/\(voice)/with-timestamps?output_format=\(Self.outputFormat)"
        let (r, reply) = try api.postJSON(url, body, timeout: 120)

        let characters = r.headers["character-cost"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? Double(text.count)
        job.charge(["characters": characters])
        try job.cancel.check()

        let speech = try Self.parse(reply, from: job.provider.description)
        let wav = job.outputPath(out.artifact, ext: "wav")
        _ = try job.writeFile(WAV.header(channels: 1, sampleRate: Self.sampleRate, frames: speech.pcm.count / 2) + speech.pcm, to: wav)
        try MediaCheck.verify(wav, as: .audio, from: job.provider.description, cancel: job.cancel)

        var extras: [String: Data] = [:]
        if let json = try SpeechWords.json(timing: "elevenlabs", words: WordAlignment.narrationWords(text, timedBy: speech.words)) {
            extras["words"] = json
        }
        return Produced(files: [out.artifact: wav], extras: extras)
    }

    /// The voice to speak with: the `voice_id` option, else the `voice` input when it looks like
    /// an ElevenLabs id (20 or more letters and digits; the recipes' `en-us` does not), else Rachel.
    static func voiceID(option: String?, input: String?) throws(ProducerError) -> String {
        if let o = option?.trimmingCharacters(in: .whitespaces), !o.isEmpty {
            // It goes into the URL's path.
            guard o.count <= 64, o.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw ProducerError("voice_id '\(o)' is not an ElevenLabs voice id", help: "voice ids are letters and digits, like \(defaultVoice)")
            }
            return o
        }
        if let v = input?.trimmingCharacters(in: .whitespaces), looksLikeVoiceID(v) { return v }
        return defaultVoice
    }

    static func looksLikeVoiceID(_ s: String) -> Bool {
        (20...64).contains(s.count) && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// The speech of a reply: its PCM (an even number of bytes) and the words of its alignment.
    struct Speech {
        var pcm: Data
        var words: [TimedWord]
    }

    /// Reads `audio_base64` and `alignment`; anything missing or malformed is transient.
    static func parse(_ reply: [String: Any], from provider: String) throws(ProducerError) -> Speech {
        func malformed(_ what: String) -> ProducerError { ProducerError("\(provider) sent \(what)", transient: true) }
        guard let b64 = reply["audio_base64"] as? String else { throw malformed("no audio (`audio_base64`)") }
        guard var pcm = RemoteAPI.base64(b64) else { throw malformed("audio that is not base64") }
        if pcm.count % 2 == 1 { pcm.removeLast() }
        guard !pcm.isEmpty else { throw malformed("empty audio") }
        guard let alignment = reply["alignment"] as? [String: Any],
              let characters = alignment["characters"] as? [String],
              let starts = numbers(alignment["character_start_times_seconds"]),
              let ends = numbers(alignment["character_end_times_seconds"]) else {
            throw malformed("no character alignment")
        }
        guard let words = WordAlignment.characterWords(characters: characters, starts: starts, ends: ends) else {
            throw malformed("a character alignment that does not add up (lengths differ, or times are not finite and in order)")
        }
        return Speech(pcm: pcm, words: words)
    }

    /// A JSON array of numbers; nil when it is not one.
    static func numbers(_ any: Any?) -> [Double]? {
        guard let list = any as? [Any] else { return nil }
        let out = list.compactMap(RemoteAPI.number)
        return out.count == list.count ? out : nil
    }
}
