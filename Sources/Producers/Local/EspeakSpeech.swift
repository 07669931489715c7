import Foundation
import Planner
import RecipeParser

/// `local/espeak`: speech from espeak-ng, offline, with the time of every word. Inputs `text`
/// (the narration), `voice` (an espeak-ng voice such as `en-us`, `en-gb`, `en-us+f3`) and
/// `language` (used when no voice is set); options `rate` (words per minute, default 175) and
/// `pitch` (0–99, default 50). WAV out (16-bit mono, 22050 Hz).
///
/// The words of the narration (its runs of non-whitespace, as written) go in
/// `Produced.extras["words"]` as JSON with sorted keys, times in seconds from the start of the WAV:
///
///     {"timing":"tts","words":[{"end":0.108,"start":0,"text":"The"},{"end":0.474,"start":0.108,"text":"quick"},…]}
///
/// - `tts`: libespeak-ng is loaded into the process (`EspeakLibrary`) and reports where each word
///   starts; a word ends where the next one starts, or where the voice stops when a pause follows
///   (see `EspeakTiming.words`). The audio is the same, byte for byte, as the CLI's.
/// - `estimate`: the library cannot be used (not installed, no espeak-ng-data, held by other code
///   in the process, or it failed on this text; the reason goes to the `-v` log), or the voice is
///   an MBROLA one (which the library would run as a child process of vidmake). The `espeak-ng`
///   CLI makes the audio as before, and the words are spread over the voiced part of it (first to
///   last sample above silence) in proportion to their length in characters. Pauses and slow
///   words are not seen: expect errors of a few hundred milliseconds in a long narration.
///
/// The narration is always spoken as plain text: never SSML (`<break time="9s"/>` is read out),
/// phonemes (`[[…]]`) or espeak-ng's embedded commands (control characters become spaces).
public struct EspeakSpeech: Producer {
    /// How the speech is made.
    enum Engine: Sendable {
        /// The library when it loads, else the CLI.
        case automatic
        /// Always the CLI, with estimated word times (to test that path on a machine with the library).
        case cli
    }

    let engine: Engine

    public init() { engine = .automatic }

    init(engine: Engine) { self.engine = engine }

    /// The side data: how the times were found, and the words.
    struct WordTimes: Codable, Sendable, Equatable {
        /// `tts` or `estimate`.
        var timing: String
        var words: [TimedWord]
    }

    /// The longest narration spoken for one segment: about 18 minutes at 165 words a minute.
    public static let maximumWords = 3_000

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        guard let out = job.step.outputs.first else { throw ProducerError("\(job.step.id) has no output") }
        guard let text = try job.text("text")?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            throw ProducerError("\(job.step.id): the narration to speak is empty",
                                help: "give the segment some narration (an override, or a script producer that writes it)")
        }
        // A narration an llm wrote can be any length, and espeak-ng speaks all of it: 100 KB of
        // text is a three-hour, 465 MB WAV. No segment's narration is that long on purpose.
        let words = text.split(whereSeparator: \.isWhitespace).count
        if words > Self.maximumWords {
            throw ProducerError("\(job.step.id): the narration is \(words) words, about \(words / 165) minutes of speech; a segment's narration over \(Self.maximumWords) words is not spoken",
                                help: "shorten it, or give the video more segments (the script producer wrote it: see its prompt, or override the segment's narration)")
        }
        var voice = try job.text("voice") ?? ""
        if voice.isEmpty { voice = try job.text("language") ?? "en-us" }
        guard !voice.isEmpty, voice.count < 80, voice.allSatisfy({ $0.isLetter || $0.isNumber || "-_+".contains($0) }) else {
            throw ProducerError("'\(voice)' is not an espeak-ng voice", help: "espeak-ng voices look like en-us, en-gb, de, en-us+f3; list them with: espeak-ng --voices")
        }
        let rate = job.intOption("rate", default: job.intOption("words_per_minute", default: 175))
        let pitch = job.intOption("pitch", default: 50)
        guard (80...450).contains(rate) else { throw ProducerError("rate \(rate) is outside espeak-ng's 80–450 words per minute") }
        guard (0...99).contains(pitch) else { throw ProducerError("pitch \(pitch) is outside espeak-ng's 0–99") }
        try job.cancel.check()

        let spoken = EspeakLibrary.plainText(text)
        let wav = job.outputPath(out.artifact, ext: "wav")
        if engine == .automatic, !voice.lowercased().hasPrefix("mb-") {
            if let library = EspeakLibrary.shared {
                job.log("libespeak-ng: voice \(voice), rate \(rate), pitch \(pitch), \(spoken.unicodeScalars.count) characters")
                let result = Result { () throws(EspeakLibrary.Failure) in
                    try library.synthesize(spoken, voice: voice, rate: rate, pitch: pitch, cancel: job.cancel)
                }
                switch result {
                case .success(let speech):
                    try job.cancel.check()
                    guard FileManager.default.createFile(atPath: wav, contents: speech.wav) else { throw ProducerError("cannot write \(wav)") }
                    let times = speech.words.map { WordTimes(timing: "tts", words: $0) }
                        ?? WordTimes(timing: "estimate", words: Self.estimatedWords(of: spoken, samples: speech.samples, sampleRate: speech.sampleRate))
                    return Produced(files: [out.artifact: wav], extras: ["words": try Self.json(times)])
                case .failure(.unknownVoice):
                    throw Self.unknownVoice(voice)
                case .failure(.cancelled):
                    throw ProducerError.cancelledError
                case .failure(.failed(let why)):
                    job.log("libespeak-ng failed (\(why)); running the espeak-ng command instead")
                }
            } else {
                job.log("libespeak-ng is not available (\(EspeakLibrary.unavailableReason ?? "unknown")); running the espeak-ng command, word times estimated")
            }
        }

        // The text travels in a file, never on the command line. The CLI always reads `[[…]]` as
        // phonemes, so brackets are kept apart.
        var file = spoken
        while file.contains("[[") { file = file.replacingOccurrences(of: "[[", with: "[ [") }
        let textFile = job.workDir + "/narration.txt"
        guard FileManager.default.createFile(atPath: textFile, contents: Data(file.utf8)) else {
            throw ProducerError("cannot write \(textFile)")
        }
        let r = try Subprocess.run(["espeak-ng", "-v", voice, "-s", String(rate), "-p", String(pitch), "-w", wav, "-f", textFile],
                                   cancel: job.cancel, timeout: 300, log: job.log)
        guard r.status == 0 else {
            if r.stderr.contains("voice does not exist") { throw Self.unknownVoice(voice) }
            throw ProducerError("espeak-ng exited with status \(r.status):\n" + Subprocess.lastLines(r.stderr, 6))
        }
        try job.cancel.check()
        let size = (try? FileManager.default.attributesOfItem(atPath: wav)[.size] as? Int) ?? 0
        guard size > 44, Media.sniffExtension(wav) == "wav" else { throw ProducerError("espeak-ng wrote no audio for \(job.step.id)") }
        guard let data = FileManager.default.contents(atPath: wav), let pcm = WAV.samples16(data) else {
            throw ProducerError("cannot read the WAV espeak-ng wrote: \(wav)")
        }
        let times = WordTimes(timing: "estimate", words: Self.estimatedWords(of: spoken, samples: pcm.samples, sampleRate: pcm.sampleRate))
        return Produced(files: [out.artifact: wav], extras: ["words": try Self.json(times)])
    }

    static func unknownVoice(_ voice: String) -> ProducerError {
        ProducerError("espeak-ng has no voice '\(voice)'", help: "list the voices with: espeak-ng --voices (e.g. en-us, en-gb, fr, de)")
    }

    /// Word times without the engine's help: the words spread over the voiced part of the audio
    /// (from the first to the last sample above silence), by `WordTiming.spread`.
    static func estimatedWords(of text: String, samples: [Int16], sampleRate: Int) -> [TimedWord] {
        guard sampleRate > 0 else { return [] }
        let level = Int(EspeakTiming.silenceLevel)
        let first = samples.firstIndex { abs(Int($0)) > level } ?? 0
        let last = samples.lastIndex { abs(Int($0)) > level }.map { $0 + 1 } ?? samples.count
        return WordTiming.spread(text, from: Double(first) / Double(sampleRate), to: Double(max(first, last)) / Double(sampleRate))
    }

    /// The JSON of `extras["words"]`: sorted keys, so the same words give the same bytes.
    static func json(_ times: WordTimes) throws(ProducerError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(times)
        } catch {
            throw ProducerError("cannot encode the word times: \(error)")
        }
    }
}
