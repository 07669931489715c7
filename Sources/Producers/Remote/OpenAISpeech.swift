import Foundation
import HTTP
import Planner
import RecipeParser

/// `openai/gpt-4o-mini-tts`, `openai/tts-1`, `openai/tts-1-hd`: speech from OpenAI, with the time
/// of every word from a Whisper transcription of it.
///
/// Inputs: `text` (the narration, at most 4096 characters), `voice` (used when it names one of
/// OpenAI's voices; the recipes' espeak voices such as `en-us` are not), `language` (passed to
/// the transcription). Options: `voice` (an OpenAI voice, or a custom voice's `voice_…` id; wins
/// over the input; default `onyx`), `speed` (0.25–4), `instructions` (how to speak; only the
/// gpt-4o models take it, tts-1 ignores it), `align` (`whisper-1`, the default, or `off`).
///
/// The request is media-notes §2.1's `POST /audio/speech` with `response_format: wav`. The reply
/// streams, so its RIFF and data sizes are placeholders (`0xFFFFFFFF`) that strict readers
/// reject: ffmpeg rewrites it as a 16-bit PCM WAV with true sizes, which is then checked like
/// any provider's media. Charged by `characters` (Unicode scalars of the input: tts-1's unit) and
/// `audio_seconds` (gpt-4o-mini-tts's unit); Pricing prices the unit the model is billed by.
///
/// OpenAI reports no word times. With `align: whisper-1` the speech is transcribed
/// (`OpenAITranscription`, charged to `openai/whisper-1`) and the transcript's times are put on
/// the narration's own words (`WordAlignment`), kept as `extras["words"]`:
/// `{"timing":"whisper","words":[…]}`. With `align: off` there are none, and the render
/// estimates them from the narration and the audio's length. A failed transcription fails the
/// step (a transient one is retried): speech whose subtitles drift is not a result to keep.
public struct OpenAISpeech: Producer {
    public init() {}

    /// OpenAI's built-in voices.
    static let voices: Set<String> = ["alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer",
                                      "verse", "marin", "cedar"]
    static let defaultVoice = "onyx"
    /// The longest input `/audio/speech` takes, in characters.
    static let maxCharacters = 4096
    /// The values of the `align` option: a transcription model with word times, or none.
    static let aligners = ["whisper-1", "off"]

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        let out = try job.onlyOutput()
        let model = job.provider.model
        let text = try job.narration()
        let characters = text.unicodeScalars.count
        guard characters <= Self.maxCharacters else {
            throw ProducerError("\(job.step.id): the narration has \(characters) characters; OpenAI speech takes at most \(Self.maxCharacters)",
                                help: "shorten the narration, or split it over more segments")
        }
        let align = job.textOption("align") ?? "whisper-1"
        guard Self.aligners.contains(align) else {
            throw ProducerError("\(job.step.id): align '\(align)' is not a way to time the words",
                                help: "use align: whisper-1 (a transcription, the default) or align: off (no word times)")
        }

        var body: [String: Any] = ["model": model, "input": text, "voice": Self.voice(option: job.textOption("voice"), input: try job.text("voice")),
                                   "response_format": "wav"]
        if let speed = job.numberOption("speed") {
            guard (0.25...4).contains(speed) else {
                throw ProducerError("\(job.step.id): speed \(speed) is outside OpenAI's 0.25–4", help: "1 is the voice's own pace")
            }
            body["speed"] = speed
        }
        if let instructions = job.textOption("instructions"), !instructions.isEmpty {
            if Self.takesInstructions(model) { body["instructions"] = instructions } else { job.log("\(job.provider) takes no instructions; ignored") }
        }

        // The reply is audio, streamed to a file.
        let api = RemoteAPI(job)
        var req = try api.jsonRequest(Endpoints.openai(job.environment) + "/audio/speech", body, timeout: 120)
        let reply = job.workDir + "/speech-reply.wav"
        req.responseFile = reply
        let r = try api.send(req)

        // The call is paid for whatever the audio turns out to be. ffprobe reads the streamed
        // WAV's length from its size.
        let seconds = try? Media.duration(reply, cancel: job.cancel)
        job.charge(["characters": Double(characters), "audio_seconds": seconds ?? 0])
        try job.cancel.check()

        let wav = job.outputPath(out.artifact, ext: "wav")
        try Self.rewrite(reply, to: wav, response: r, job: job)
        try MediaCheck.verify(wav, as: .audio, from: job.provider.description, cancel: job.cancel)

        var extras: [String: Data] = [:]
        if align != "off" {
            do {
                let transcript = try OpenAITranscription.transcribe(wav, model: align, prompt: text, language: try job.text("language"), job: job)
                let words = WordAlignment.narrationWords(text, timedBy: transcript.words)
                if let json = try SpeechWords.json(timing: "whisper", words: words) { extras["words"] = json }
                else { job.log("\(job.step.id): Whisper heard no words; the render will estimate their times") }
            } catch let e where !e.cancelled && !e.budgetReached {
                var e = e
                e.message = "\(job.step.id): timing the words: " + e.message
                e.help = (e.help.map { $0 + "; or " } ?? "") + "set the option align: off to keep the speech without word times"
                throw e
            }
        }
        return Produced(files: [out.artifact: wav], extras: extras)
    }

    /// The voice to ask for: the `voice` option as given (a built-in voice, or a custom voice's
    /// id as `{"id": …}`), else the `voice` input when it is one of OpenAI's, else `onyx`.
    static func voice(option: String?, input: String?) -> Any {
        if let o = option?.trimmingCharacters(in: .whitespaces), !o.isEmpty {
            return o.hasPrefix("voice_") ? ["id": o] : o.lowercased()
        }
        if let v = input?.trimmingCharacters(in: .whitespaces).lowercased(), voices.contains(v) { return v }
        return defaultVoice
    }

    /// Whether a model takes `instructions` ("does not work with tts-1 or tts-1-hd").
    static func takesInstructions(_ model: String) -> Bool { !model.hasPrefix("tts-1") }

    /// Rewrites the streamed reply as a 16-bit PCM WAV whose header has its true sizes, and no
    /// metadata (`-bitexact`: the canonical 44-byte header). `MediaCheck` runs on the result, not
    /// on the reply: its `-xerror` decode rejects a WAV of placeholder sizes ("corrupt input
    /// packet" at the short last read), while a reply cut short is already caught by the HTTP
    /// client (the chunked transfer did not end).
    static func rewrite(_ file: String, to wav: String, response r: HTTPResponse, job: Job) throws(ProducerError) {
        let audio: Set<String> = ["wav", "mp3", "flac", "ogg", "m4a", "mp4"]
        guard let kind = Media.sniffExtension(file), audio.contains(kind) else {
            throw ProducerError(job.environment.redact("\(job.provider) sent no audio: \(RemoteAPI.excerpt(r.text(limit: 200)))"), transient: true)
        }
        let ffmpeg = try Subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", file, "-c:a", "pcm_s16le", "-bitexact", wav],
                                        cancel: job.cancel, timeout: 300, log: job.log)
        guard ffmpeg.status == 0 else {
            throw ProducerError("\(job.provider) sent a \(kind) file that does not decode: " + Subprocess.lastLines(ffmpeg.stderr, 2), transient: true)
        }
    }
}
