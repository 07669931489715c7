import Foundation
import HTTP
import Planner
import RecipeParser

/// `openai/whisper-1` for align: the time of every word of a narration, from OpenAI's
/// transcription of its audio. Also what `OpenAISpeech` calls to time the words of the speech it
/// makes (OpenAI's speech reports none).
///
/// Inputs: `audio` (the speech), `text` (the narration, optional: it helps Whisper spell names,
/// and the words kept are its own; without it they are the transcript's), `language` (optional,
/// `en` or `en-us`: its ISO-639-1 part is sent). Output: one json artifact, the words in the JSON
/// speech steps keep as side data: `{"timing":"whisper","words":[{"end":…,"start":…,"text":…}]}`.
///
/// The request (media-notes §2.1) is multipart: `file`, `model`, `response_format=verbose_json`
/// and `timestamp_granularities[]=word` (only whisper-1 gives word times), with `prompt` and
/// `language` when known. Audio Whisper does not take, or a file above its 25 MB limit, is sent
/// as 16 kHz mono FLAC instead. Charged by `audio_seconds`: the reply's `usage.seconds`, else
/// its `duration`.
public struct OpenAITranscription: Producer {
    public init() {}

    /// What a transcription found: the words heard, and how long the audio was.
    struct Transcript: Sendable, Equatable {
        var words: [TimedWord]
        /// `duration` of the reply, in seconds.
        var duration: Double?
        /// `usage.seconds`: what OpenAI bills.
        var billedSeconds: Double?
    }

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        let out = try job.onlyOutput()
        guard let audio = job.filePath("audio") else {
            throw ProducerError("\(job.step.id): there is no audio to align", help: "wire the speech to the step's `audio` input")
        }
        let narration = (try job.text("text"))?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty
        let transcript = try Self.transcribe(audio, model: job.provider.model, prompt: narration,
                                                      language: try job.text("language"), job: job)
        let words = narration.map { WordAlignment.narrationWords($0, timedBy: transcript.words) } ?? Self.rounded(transcript.words)
        let json = try EspeakSpeech.json(EspeakSpeech.WordTimes(timing: "whisper", words: words))
        let path = try job.writeFile(json, to: job.outputPath(out.artifact, ext: "json"))
        return Produced(files: [out.artifact: path])
    }

    /// Transcribes `audio` with word times and charges the call (to `openai/<model>`, whatever
    /// the job's own provider is). `prompt` is the text the audio should say.
    static func transcribe(_ audio: String, model: String, prompt: String?, language: String?, job: Job) throws(ProducerError) -> Transcript {
        let provider = ProviderRef(family: "openai", model: model)
        let api = RemoteAPI(job, calling: provider)
        let file = try uploadable(audio, job: job)
        var parts = [
            MultipartPart(name: "file", .file(path: file.path, filename: "speech." + file.ext, type: mimeType(file.ext))),
            MultipartPart(name: "model", .text(model)),
            MultipartPart(name: "response_format", .text("verbose_json")),
            MultipartPart(name: "timestamp_granularities[]", .text("word")),
        ]
        if let prompt, !prompt.isEmpty { parts.append(MultipartPart(name: "prompt", .text(prompt))) }
        if let code = language.flatMap(isoLanguage) { parts.append(MultipartPart(name: "language", .text(code))) }

        var req = HTTPRequest(method: "POST", url: Endpoints.openai(job.environment) + "/audio/transcriptions",
                              headers: try api.auth(), body: .multipart(parts))
        req.timeout = api.timeout(120)
        let r = try api.send(req)
        let reply = try api.object(r, req)
        guard let transcript = parse(reply) else {
            throw ProducerError("\(provider): the transcription has no word times (a `words` list)", transient: true)
        }
        var seconds = transcript.billedSeconds ?? transcript.duration
        if seconds == nil { seconds = try? Media.duration(audio, cancel: job.cancel) }
        job.charge(["audio_seconds": seconds ?? 0], provider: provider)
        return transcript
    }

    /// The words, duration and billed seconds of a `verbose_json` reply; nil when it has no
    /// `words` list (word times were not given). Words with no text or no times are skipped.
    static func parse(_ o: [String: Any]) -> Transcript? {
        guard let list = o["words"] as? [[String: Any]] else { return nil }
        let words = list.compactMap { w -> TimedWord? in
            guard let text = (w["word"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty,
                  let start = RemoteAPI.number(w["start"]), let end = RemoteAPI.number(w["end"]) else { return nil }
            return TimedWord(text: text, start: start, end: end)
        }
        let usage = o["usage"] as? [String: Any]
        return Transcript(words: words, duration: RemoteAPI.number(o["duration"]), billedSeconds: RemoteAPI.number(usage?["seconds"]))
    }

    /// The ISO-639-1 code Whisper takes, from a language input such as `en`, `en-US`, `pt_BR`;
    /// nil when it has none (the language is then detected).
    static func isoLanguage(_ language: String) -> String? {
        let code = language.trimmingCharacters(in: .whitespaces).prefix { $0 != "-" && $0 != "_" }.lowercased()
        return code.count == 2 && code.allSatisfy({ $0.isASCII && $0.isLetter }) ? code : nil
    }

    /// The words as heard, to the millisecond and in order (no narration to put them on).
    static func rounded(_ words: [TimedWord]) -> [TimedWord] {
        WordAlignment.monotonic(words).map { TimedWord(text: $0.text, start: WordAlignment.ms($0.start), end: WordAlignment.ms($0.end)) }
    }

    /// The file to upload and its format: the audio itself when Whisper takes it as it is, else a
    /// 16 kHz mono FLAC made from it (other containers, files over the 25 MB limit).
    static func uploadable(_ audio: String, job: Job) throws(ProducerError) -> (path: String, ext: String) {
        let accepted: Set<String> = ["wav", "mp3", "flac", "ogg", "m4a", "mp4"]
        guard let size = Media.size(audio) else { throw ProducerError("cannot read the audio \(audio)") }
        if let ext = Media.sniffExtension(audio), accepted.contains(ext), size <= uploadLimit { return (audio, ext) }
        let flac = job.workDir + "/transcription-upload.flac"
        try Subprocess.check(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", audio, "-vn", "-ac", "1", "-ar", "16000", "-c:a", "flac", flac],
                             cancel: job.cancel, timeout: 600, log: job.log)
        let flacSize = Media.size(flac) ?? 0
        guard flacSize <= uploadLimit else {
            throw ProducerError("\(job.step.id): the audio is too long to transcribe in one call (\(flacSize >> 20) MB as FLAC, the limit is 25 MB)",
                                help: "split the narration into shorter segments")
        }
        return (flac, "flac")
    }

    /// OpenAI's limit on an uploaded file, with room for the form around it.
    static let uploadLimit: Int64 = 25 * 1000 * 1000 - 64 * 1024

    static func mimeType(_ ext: String) -> String {
        ["wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg", "m4a": "audio/mp4", "mp4": "audio/mp4"][ext]
            ?? "application/octet-stream"
    }
}
