import Foundation
import Planner
@testable import Producers
import RecipeParser
import Testing

/// `local/espeak`: the speech, and the time of each word, from libespeak-ng (and from the CLI
/// with estimated times when the library is not there).
///
/// Serialized, as they ran under XCTest: some tests change process-wide state the others read
/// (one holds the library with `dlopen`, making the producer fall back to the CLI; one checks the
/// `rand()` sequence, which a whispering voice spoken meanwhile would move).
@Suite(.serialized) final class EspeakTests {
    let folder = NSTemporaryDirectory() + "espeak-tests-" + UUID().uuidString
    static let fox = "The quick brown fox jumps over the lazy dog. Video is fun."

    init() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The library is installed on the machines vidmake is built on; without it these tests
    /// would be testing the fallback only.
    func library() throws -> EspeakLibrary {
        try #require(EspeakLibrary.shared, "libespeak-ng did not load: \(EspeakLibrary.unavailableReason ?? "")")
    }

    // MARK: word times from the library

    @Test func wordsFollowTheTextAndTheAudio() throws {
        let speech = try speak(Self.fox)
        #expect(speech.times.timing == "tts")
        let words = speech.times.words
        #expect(words.map(\.text) == ["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog.", "Video", "is", "fun."])
        for (a, b) in zip(words, words.dropFirst()) {
            #expect(a.start < b.start, "\(a.text) → \(b.text)")
            #expect(a.end <= b.start, "\(a.text) ends before \(b.text) starts")
        }
        for w in words { #expect(w.start < w.end, "\(w.text)") }
        let first = try #require(words.first), last = try #require(words.last)
        #expect(first.start < 0.3)
        // The last word ends where the voice stops; after it comes only espeak-ng's end-of-text
        // pause (about 0.35 s at 165 words a minute), silence to the last sample.
        let duration = Double(speech.samples.count) / Double(speech.sampleRate)
        #expect(last.end <= duration)
        #expect(abs(last.end - duration) <= 0.5)
        let stop = Int(last.end * Double(speech.sampleRate))
        #expect(speech.samples[min(stop + 22, speech.samples.count)...].allSatisfy { abs(Int($0)) <= 64 }, "silence after the last word")
        #expect(speech.samples[(stop - 441)..<stop].contains { abs(Int($0)) > 64 }, "voice in the last 20 ms of the last word")
    }

    /// media-notes §5 lists the times its ctypes script got for this text; they are those of
    /// 160 words a minute. (Its "fun 4.114" is neither: "fun." starts at 3.746 and the voice
    /// stops at 4.168.)
    @Test func timesMatchTheOnesInMediaNotes() throws {
        let words = try speak(Self.fox, rate: 160).times.words
        let listed: [(String, Double)] = [("The", 0.000), ("quick", 0.119), ("brown", 0.497), ("fox", 0.824), ("jumps", 1.240), ("Video", 3.204)]
        for (text, start) in listed {
            let w = try #require(words.first { $0.text == text })
            #expect(abs(w.start - start) <= 0.08, "\(text)")
        }
    }

    /// An independent measure: the pauses ffmpeg's `silencedetect` finds lie between a word's end
    /// and the next word's start, and no word is timed inside one.
    @Test func pausesFoundByFFmpegFallBetweenWords() throws {
        let speech = try speak("The quick brown fox jumps over the lazy dog. Video is fun. Subtitles, at last, follow the voice.")
        let r = try Subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", speech.path, "-af", "silencedetect=noise=-40dB:d=0.15", "-f", "null", "-"],
                                   cancel: CancelToken())
        // As before under XCTest (XCTSkip): an ffmpeg that cannot read the file skips the test, reported as skipped.
        guard r.status == 0 else { try Test.cancel("ffmpeg failed: \(r.stderr)") }
        let starts = values(after: "silence_start: ", in: r.stderr), ends = values(after: "silence_end: ", in: r.stderr)
        #expect(starts.count == ends.count)
        let duration = Double(speech.samples.count) / Double(speech.sampleRate)
        let pauses = zip(starts, ends).filter { $0.0 > 0.05 && $0.1 < duration - 0.01 }
        #expect(pauses.count >= 2, "two sentence pauses at least: \(pauses)")
        let words = speech.times.words
        for (from, to) in pauses {
            let i = try #require(words.lastIndex { $0.start < from }, "a word before the pause at \(from)")
            #expect(i + 1 < words.count)
            #expect(words[i].end <= from + 0.03, "\(words[i].text) ends before the pause \(from)–\(to)")
            #expect(words[i + 1].start >= to - 0.03, "\(words[i + 1].text) starts after the pause \(from)–\(to)")
        }
        let dog = try #require(words.firstIndex { $0.text == "dog." })
        #expect(pauses.contains { words[dog].end <= $0.0 + 0.03 && words[dog + 1].start >= $0.1 - 0.03 }, "the pause after dog.")
    }

    /// `text_position` counts Unicode scalars, not UTF-8 bytes (media-notes says bytes) nor
    /// grapheme clusters.
    @Test func textPositionsCountUnicodeScalars() throws {
        let lib = try library()
        let cafe = try lib.synthesize("Café naïve résumé", voice: "en-us", rate: 165, pitch: 50)
        #expect(cafe.events.map(\.textPosition) == [1, 6, 12])       // bytes would be 1, 7, 14
        #expect(cafe.events.map(\.length) == [4, 5, 6])
        #expect(cafe.words?.map(\.text) == ["Café", "naïve", "résumé"])
        let combining = try lib.synthesize("Cafe\u{301} naive ok", voice: "en-us", rate: 165, pitch: 50)
        #expect(combining.events.map(\.textPosition) == [1, 7, 13])  // graphemes would be 1, 6, 12
        let wide = try lib.synthesize("日本 and ok", voice: "en-us", rate: 165, pitch: 50)
        #expect(wide.events.map(\.textPosition).last == 8)
    }

    @Test func nonASCIIText() throws {
        let speech = try speak("Ça va? Où est l'hôtel — à côté, près du café.", voice: "fr")
        #expect(speech.times.timing == "tts")
        let words = speech.times.words
        #expect(words.map(\.text) == ["Ça", "va?", "Où", "est", "l'hôtel", "—", "à", "côté,", "près", "du", "café."])
        for (a, b) in zip(words, words.dropFirst()) { #expect(a.start <= b.start, "\(a.text) → \(b.text)") }
        // The dash is not read: it has no time of its own and shows with the next word.
        let dash = try #require(words.firstIndex { $0.text == "—" })
        #expect(words[dash].start == words[dash + 1].start)
        #expect(words[dash].end == words[dash].start)
        let timed = words.filter { $0.text != "—" }
        for (a, b) in zip(timed, timed.dropFirst()) { #expect(a.start < b.start, "\(a.text) → \(b.text)") }
        // An emoji is read as its name: two words of speech for one word of text.
        let emoji = try speak("😀 smile ok").times.words
        #expect(emoji.map(\.text) == ["😀", "smile", "ok"])
        #expect(emoji[0].start < emoji[1].start)
        #expect(emoji[1].start - emoji[0].start > 0.4, "smile starts after the emoji's name, not at its second word")
    }

    // MARK: the audio

    /// Same inputs, same bytes; and the bytes a fresh `espeak-ng` process writes, whatever the
    /// library spoke before in this process.
    @Test func audioIsDeterministicAndTheCLIs() throws {
        let a = try speak(Self.fox, name: "a")
        let b = try speak("Another voice, another speed.", voice: "en-gb+f3", rate: 220, pitch: 70, name: "b")
        let w = try speak("Whispering now, with noise from rand.", voice: "en-us+whisper", name: "w")
        let c = try speak(Self.fox, name: "c")
        let w2 = try speak("Whispering now, with noise from rand.", voice: "en-us+whisper", name: "w2")
        #expect(a.wav == c.wav)
        #expect(a.json == c.json)
        #expect(w.wav == w2.wav)
        #expect(try w.wav == cli("Whispering now, with noise from rand.", voice: "en-us+whisper", rate: 175, pitch: 50))
        let cliA = try cli(Self.fox, voice: "en-us", rate: 175, pitch: 50)
        let cliB = try cli("Another voice, another speed.", voice: "en-gb+f3", rate: 220, pitch: 70)
        #expect(a.wav == cliA)
        #expect(b.wav == cliB)
        let cliSeconds = Double(try #require(WAV.samples16(cliA)).samples.count) / 22050
        #expect(abs(Double(a.samples.count) / Double(a.sampleRate) - cliSeconds) <= cliSeconds * 0.05)
        #expect(a.sampleRate == 22050)
        // A canonical 44-byte header.
        let h = [UInt8](a.wav.prefix(44))
        #expect(String(decoding: h[0..<4], as: UTF8.self) == "RIFF")
        #expect(le32(h, 4) == a.wav.count - 8)
        #expect(le16(h, 22) == 1)
        #expect(le32(h, 24) == 22050)
        #expect(le16(h, 34) == 16)
        #expect(le32(h, 40) == a.wav.count - 44)
    }

    @Test func fourThreadsAtOnceGiveTheSequentialBytes() throws {
        let inputs: [(String, String)] = [(Self.fox, "en-us"), ("Bonjour à tous, et bienvenue.", "fr"),
                                          ("Guten Tag, wie geht es?", "de"), ("A third sentence, spoken in British English.", "en-gb")]
        let sequential = try inputs.enumerated().map { i, input in try speak(input.0, voice: input.1, name: "seq\(i)") }
        let results = LockedResults(count: inputs.count)
        let folder = self.folder
        DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
            do {
                let work = folder + "/par\(i)"
                try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
                let produced = try EspeakSpeech().run(Self.job(inputs[i].0, voice: inputs[i].1, options: [:], folder: folder, work: work))
                // No #require here: this is not the test's own task; a missing file shows as "thread i failed" below.
                guard let path = produced.files[ArtifactRef("narration")] else { return results.set(i, nil) }
                results.set(i, (try Data(contentsOf: URL(fileURLWithPath: path)), produced.extras["words"] ?? Data()))
            } catch {
                results.set(i, nil)
            }
        }
        for i in inputs.indices {
            let got = try #require(results.get(i), "thread \(i) failed")
            #expect(got.0 == sequential[i].wav, "audio of \(inputs[i].1)")
            #expect(got.1 == sequential[i].json, "words of \(inputs[i].1)")
        }
    }

    /// Markup and espeak-ng's own commands are read as text (or skipped), never obeyed: no
    /// nine-second break, no phoneme input, no embedded voice/speed/punctuation change.
    @Test func textIsNeverMarkupOrCommands() throws {
        let before = try speak("Well, yes; no.", name: "before").wav
        // Obeyed, the first would last 8 s longer than the second (the break), and both would be
        // spoken at 80–90 words a minute (the embedded speed), twice as slow as asked.
        func tricky(_ pause: String, _ speed: String) -> String {
            "Hello <break time=\"\(pause)\"/> there [[h@'loU]] \u{1}\(speed)S \u{1}B1 world [\u{2}a] <speak>x</speak>."
        }
        for engine in [EspeakSpeech.Engine.automatic, .cli] {
            let long = try speak(tricky("9s", "80"), engine: engine, name: "long-\(engine)")
            let short = try speak(tricky("1s", "90"), engine: engine, name: "short-\(engine)")
            let seconds = [long, short].map { Double($0.samples.count) / Double($0.sampleRate) }
            #expect(abs(seconds[0] - seconds[1]) <= 0.3, "\(engine)")
            #expect(seconds[0] < 10, "\(engine): the markup is read out, at the normal speed")
            #expect(long.times.words.map(\.text) == EspeakTiming.tokens(of: EspeakLibrary.plainText(tricky("9s", "80"))).map(\.text))
        }
        #expect(try speak("Well, yes; no.", name: "after").wav == before, "no setting of the library changed")
        #expect(EspeakLibrary.plainText("a\u{1}b\u{2}c\u{0}d\te\nf\u{7F}g\u{85}h") == "a b c d\te\nf g h")
    }

    // MARK: errors

    @Test func unknownVoiceIsAnError() throws {
        for engine in [EspeakSpeech.Engine.automatic, .cli] {
            #expect(message { _ = try self.speak("Hello.", voice: "zz-nonexistent", engine: engine) } == "espeak-ng has no voice 'zz-nonexistent'", "\(engine)")
        }
        #expect(message { _ = try self.speak("Hello.", voice: "en us") } == "'en us' is not an espeak-ng voice")
        let lib = try library()
        let error = #expect(throws: EspeakLibrary.Failure.self) { try lib.synthesize("Hello.", voice: "zz-nonexistent", rate: 165, pitch: 50) }
        #expect(error == .unknownVoice("zz-nonexistent"))
        // A language name works, as with the CLI (espeak_SetVoiceByName alone refuses en-gb).
        #expect(try speak("Hello.", voice: "en-gb").times.timing == "tts")
    }

    @Test func emptyTextAndBadOptionsAreErrors() {
        #expect(message { _ = try self.speak(" \n\t ") }.contains("the narration to speak is empty"))
        #expect(message { _ = try self.speak("Hi.", rate: 20) }.contains("outside espeak-ng's 80–450"))
        #expect(message { _ = try self.speak("Hi.", pitch: 100) }.contains("outside espeak-ng's 0–99"))
    }

    /// 100 KB of narration (an llm's runaway reply) is refused before espeak-ng makes hours of
    /// audio; the longest allowed is still spoken.
    @Test func aRunawayNarrationIsRefusedBeforeSpeaking() throws {
        let runaway = String(repeating: "the river ran on ", count: 6_000)
        #expect(runaway.utf8.count > 100_000)
        let refused = message { _ = try self.speak(runaway) }
        #expect(refused.contains("the narration is 24000 words, about 145 minutes of speech; a segment's narration over 3000 words is not spoken"), "\(refused)")
        let longest = String(repeating: "word ", count: EspeakSpeech.maximumWords)
        #expect(try speak(longest).times.words.count == EspeakSpeech.maximumWords)
    }

    @Test func cancelledJobStopsBeforeSpeaking() throws {
        for engine in [EspeakSpeech.Engine.automatic, .cli] {
            let token = CancelToken()
            token.cancel()
            let work = folder + "/cancel-\(engine)"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            var job = Self.job("Hello.", voice: "en-us", options: [:], folder: folder, work: work)
            job.cancel = token
            let error = #expect(throws: ProducerError.self) { try EspeakSpeech(engine: engine).run(job) }
            #expect(error?.cancelled == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: work) == [])
        }
    }

    // MARK: the fallback

    @Test func missingLibraryIsReportedNotFatal() {
        guard case .failure(let why) = EspeakLibrary.API.open("libespeak-ng-missing.so.9") else {
            Issue.record("a missing library opened")
            return
        }
        #expect(why.reason.contains("libespeak-ng-missing.so.9"), "\(why.reason)")
    }

    /// When something else in the process holds the library, its state is not fresh: the
    /// producer runs the CLI (same audio, estimated times) rather than risk other bytes.
    @Test func libraryHeldElsewhereFallsBackToTheCLI() throws {
        let lib = try library()
        let plain = try speak("Held elsewhere.", name: "free")
        let handle = try #require(dlopen(lib.name, RTLD_NOW | RTLD_LOCAL))
        defer { dlclose(handle) }
        let error = #expect(throws: EspeakLibrary.Failure.self) { try lib.synthesize("Held elsewhere.", voice: "en-us", rate: 165, pitch: 50) }
        if case .failed(let why)? = error {
            #expect(why.contains("already loaded"), "\(why)")
        } else {
            Issue.record("not a load failure: \(String(describing: error))")
        }
        let held = try speak("Held elsewhere.", name: "held")
        #expect(held.times.timing == "estimate")
        #expect(held.wav == plain.wav)
    }

    /// The process's own `rand()` sequence is left as it was.
    @Test func processRandomStateIsKept() throws {
        srand(42)
        let expected = (0..<3).map { _ in rand() }
        srand(42)
        _ = rand()
        _ = try library().synthesize("Whispering uses random noise.", voice: "en-us+whisper", rate: 165, pitch: 50)
        #expect([rand(), rand()] == Array(expected.dropFirst()))
    }

    @Test func cliFallbackEstimatesWordTimes() throws {
        let speech = try speak(Self.fox, engine: .cli)
        #expect(speech.times.timing == "estimate")
        let words = speech.times.words
        #expect(words.map(\.text) == EspeakTiming.tokens(of: Self.fox).map(\.text))
        for (a, b) in zip(words, words.dropFirst()) {
            #expect(a.start < b.start)
            #expect(a.end == b.start)
        }
        let duration = Double(speech.samples.count) / Double(speech.sampleRate)
        #expect(words[0].start < 0.3)
        #expect(try #require(words.last).end <= duration)
        #expect(try abs(#require(words.last).end - duration) <= 0.5)
        // In proportion to characters: "quick" (5) lasts five times "a"'s share of one.
        let share = (words[1].end - words[1].start) / 5
        #expect(abs(words[3].end - words[3].start - (3 * share)) <= 0.002)
        // Same audio as the library makes, and an estimate close to the engine's own times.
        let tts = try speak(Self.fox, name: "tts")
        #expect(speech.wav == tts.wav)
        for (e, t) in zip(words, tts.times.words) { #expect(abs(e.start - t.start) <= 0.5, "\(e.text)") }
    }

    @Test func jsonIsSortedAndDecodes() throws {
        let speech = try speak("Hello there.")
        let text = String(decoding: speech.json, as: UTF8.self)
        #expect(text.hasPrefix(#"{"timing":"tts","words":[{"end":"#), "\(text)")
        #expect(text.contains(#""start":0,"text":"Hello"}"#), "\(text)")
        #expect(try JSONDecoder().decode(EspeakSpeech.WordTimes.self, from: speech.json) == speech.times)
    }

    // MARK: the word-time rules, on made-up events

    @Test func timingRules() {
        // 1 s of sound at 1000 Hz, a 0.3 s pause, sound to 1.6 s, then 0.2 s of silence.
        let samples = [Int16](repeating: 1000, count: 1000) + [Int16](repeating: 0, count: 300)
            + [Int16](repeating: 1000, count: 300) + [Int16](repeating: 0, count: 200)
        let text = "one — two. ☺ three"
        let events = [EspeakWordEvent(textPosition: 1, length: 3, audioPosition: 0),
                      EspeakWordEvent(textPosition: 7, length: 3, audioPosition: 500),
                      EspeakWordEvent(textPosition: 12, length: 1, audioPosition: 1300),
                      EspeakWordEvent(textPosition: 13, length: 1, audioPosition: 1400),   // whitespace: belongs to ☺
                      EspeakWordEvent(textPosition: 14, length: 5, audioPosition: 1500)]
        let words = EspeakTiming.words(of: text, events: events, samples: samples, sampleRate: 1000)
        #expect(words == [TimedWord(text: "one", start: 0, end: 0.5),
                               TimedWord(text: "—", start: 0.5, end: 0.5),
                               TimedWord(text: "two.", start: 0.5, end: 1.0),   // the pause is not part of it
                               TimedWord(text: "☺", start: 1.3, end: 1.5),
                               TimedWord(text: "three", start: 1.5, end: 1.6)])  // nor the end pause
        #expect(EspeakTiming.words(of: "a b", events: [], samples: samples, sampleRate: 1000) == nil)
        #expect(EspeakTiming.tokens(of: " a\u{301}b\t c ").map(\.first) == [1, 6])
    }

    // MARK: helpers

    struct Speech {
        var path: String
        var wav: Data
        var samples: [Int16]
        var sampleRate: Int
        var json: Data
        var times: EspeakSpeech.WordTimes
    }

    func speak(_ text: String, voice: String = "en-us", rate: Int? = nil, pitch: Int? = nil,
               engine: EspeakSpeech.Engine = .automatic, name: String = "work") throws -> Speech {
        if engine == .automatic { _ = try library() }
        let work = folder + "/" + name
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        var options: [String: Value] = [:]
        if let rate { options["rate"] = .int(rate) }
        if let pitch { options["pitch"] = .int(pitch) }
        let produced = try EspeakSpeech(engine: engine).run(Self.job(text, voice: voice, options: options, folder: folder, work: work))
        let path = try #require(produced.files[ArtifactRef("narration")])
        let wav = try Data(contentsOf: URL(fileURLWithPath: path))
        let pcm = try #require(WAV.samples16(wav))
        let json = try #require(produced.extras["words"])
        return Speech(path: path, wav: wav, samples: pcm.samples, sampleRate: pcm.sampleRate, json: json,
                      times: try JSONDecoder().decode(EspeakSpeech.WordTimes.self, from: json))
    }

    static func job(_ text: String, voice: String, options: [String: Value], folder: String, work: String) -> Job {
        let step = Step(id: StepID("narration"), kind: .tts, provider: ProviderRef(family: "local", model: "espeak"), inputs: [],
                        outputs: [Step.Output(artifact: ArtifactRef("narration"), type: .audio)], options: options)
        return Job(step: step, inputs: ["text": .value(.text(text)), "voice": .value(.text(voice)), "language": .unset],
                   folder: folder, render: RenderSettings(), workDir: work)
    }

    /// What a fresh `espeak-ng` process writes.
    func cli(_ text: String, voice: String, rate: Int, pitch: Int) throws -> Data {
        let textFile = folder + "/cli-\(UUID().uuidString).txt", wav = textFile + ".wav"
        try Data(text.utf8).write(to: URL(fileURLWithPath: textFile))
        let r = try Subprocess.run(["espeak-ng", "-v", voice, "-s", String(rate), "-p", String(pitch), "-w", wav, "-f", textFile], cancel: CancelToken())
        #expect(r.status == 0, "\(r.stderr)")
        return try Data(contentsOf: URL(fileURLWithPath: wav))
    }

    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch let error as ProducerError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    func values(after marker: String, in text: String) -> [Double] {
        text.components(separatedBy: "\n").compactMap { line in
            guard let r = line.range(of: marker) else { return nil }
            return Double(line[r.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
    }

    func le16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
    func le32(_ b: [UInt8], _ o: Int) -> Int { le16(b, o) | le16(b, o + 2) << 16 }
}

/// Results written by concurrent threads.
final class LockedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [(Data, Data)?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ value: (Data, Data)?) { lock.withLock { values[i] = value } }
    func get(_ i: Int) -> (Data, Data)? { lock.withLock { values[i] } }
}
