import Foundation
import Planner
@testable import Producers
import RecipeParser
import XCTest

/// `local/espeak`: the speech, and the time of each word, from libespeak-ng (and from the CLI
/// with estimated times when the library is not there).
final class EspeakTests: XCTestCase {
    var folder = ""
    static let fox = "The quick brown fox jumps over the lazy dog. Video is fun."

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "espeak-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The library is installed on the machines vidmake is built on; without it these tests
    /// would be testing the fallback only.
    func library() throws -> EspeakLibrary {
        try XCTUnwrap(EspeakLibrary.shared, "libespeak-ng did not load: \(EspeakLibrary.unavailableReason ?? "")")
    }

    // MARK: word times from the library

    func testWordsFollowTheTextAndTheAudio() throws {
        let speech = try speak(Self.fox)
        XCTAssertEqual(speech.times.timing, "tts")
        let words = speech.times.words
        XCTAssertEqual(words.map(\.text), ["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog.", "Video", "is", "fun."])
        for (a, b) in zip(words, words.dropFirst()) {
            XCTAssertLessThan(a.start, b.start, "\(a.text) → \(b.text)")
            XCTAssertLessThanOrEqual(a.end, b.start, "\(a.text) ends before \(b.text) starts")
        }
        for w in words { XCTAssertLessThan(w.start, w.end, w.text) }
        let first = try XCTUnwrap(words.first), last = try XCTUnwrap(words.last)
        XCTAssertLessThan(first.start, 0.3)
        // The last word ends where the voice stops; after it comes only espeak-ng's end-of-text
        // pause (about 0.35 s at 165 words a minute), silence to the last sample.
        let duration = Double(speech.samples.count) / Double(speech.sampleRate)
        XCTAssertLessThanOrEqual(last.end, duration)
        XCTAssertEqual(last.end, duration, accuracy: 0.5)
        let stop = Int(last.end * Double(speech.sampleRate))
        XCTAssertTrue(speech.samples[min(stop + 22, speech.samples.count)...].allSatisfy { abs(Int($0)) <= 64 }, "silence after the last word")
        XCTAssertTrue(speech.samples[(stop - 441)..<stop].contains { abs(Int($0)) > 64 }, "voice in the last 20 ms of the last word")
    }

    /// media-notes §5 lists the times its ctypes script got for this text; they are those of
    /// 160 words a minute. (Its "fun 4.114" is neither: "fun." starts at 3.746 and the voice
    /// stops at 4.168.)
    func testTimesMatchTheOnesInMediaNotes() throws {
        let words = try speak(Self.fox, rate: 160).times.words
        let listed: [(String, Double)] = [("The", 0.000), ("quick", 0.119), ("brown", 0.497), ("fox", 0.824), ("jumps", 1.240), ("Video", 3.204)]
        for (text, start) in listed {
            let w = try XCTUnwrap(words.first { $0.text == text })
            XCTAssertEqual(w.start, start, accuracy: 0.08, text)
        }
    }

    /// An independent measure: the pauses ffmpeg's `silencedetect` finds lie between a word's end
    /// and the next word's start, and no word is timed inside one.
    func testPausesFoundByFFmpegFallBetweenWords() throws {
        let speech = try speak("The quick brown fox jumps over the lazy dog. Video is fun. Subtitles, at last, follow the voice.")
        let r = try Subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", speech.path, "-af", "silencedetect=noise=-40dB:d=0.15", "-f", "null", "-"],
                                   cancel: CancelToken())
        guard r.status == 0 else { throw XCTSkip("ffmpeg failed: \(r.stderr)") }
        let starts = values(after: "silence_start: ", in: r.stderr), ends = values(after: "silence_end: ", in: r.stderr)
        XCTAssertEqual(starts.count, ends.count)
        let duration = Double(speech.samples.count) / Double(speech.sampleRate)
        let pauses = zip(starts, ends).filter { $0.0 > 0.05 && $0.1 < duration - 0.01 }
        XCTAssertGreaterThanOrEqual(pauses.count, 2, "two sentence pauses at least: \(pauses)")
        let words = speech.times.words
        for (from, to) in pauses {
            let i = try XCTUnwrap(words.lastIndex { $0.start < from }, "a word before the pause at \(from)")
            XCTAssertLessThan(i + 1, words.count)
            XCTAssertLessThanOrEqual(words[i].end, from + 0.03, "\(words[i].text) ends before the pause \(from)–\(to)")
            XCTAssertGreaterThanOrEqual(words[i + 1].start, to - 0.03, "\(words[i + 1].text) starts after the pause \(from)–\(to)")
        }
        let dog = try XCTUnwrap(words.firstIndex { $0.text == "dog." })
        XCTAssertTrue(pauses.contains { words[dog].end <= $0.0 + 0.03 && words[dog + 1].start >= $0.1 - 0.03 }, "the pause after dog.")
    }

    /// `text_position` counts Unicode scalars, not UTF-8 bytes (media-notes says bytes) nor
    /// grapheme clusters.
    func testTextPositionsCountUnicodeScalars() throws {
        let lib = try library()
        let cafe = try lib.synthesize("Café naïve résumé", voice: "en-us", rate: 165, pitch: 50)
        XCTAssertEqual(cafe.events.map(\.textPosition), [1, 6, 12])       // bytes would be 1, 7, 14
        XCTAssertEqual(cafe.events.map(\.length), [4, 5, 6])
        XCTAssertEqual(cafe.words?.map(\.text), ["Café", "naïve", "résumé"])
        let combining = try lib.synthesize("Cafe\u{301} naive ok", voice: "en-us", rate: 165, pitch: 50)
        XCTAssertEqual(combining.events.map(\.textPosition), [1, 7, 13])  // graphemes would be 1, 6, 12
        let wide = try lib.synthesize("日本 and ok", voice: "en-us", rate: 165, pitch: 50)
        XCTAssertEqual(wide.events.map(\.textPosition).last, 8)
    }

    func testNonASCIIText() throws {
        let speech = try speak("Ça va? Où est l'hôtel — à côté, près du café.", voice: "fr")
        XCTAssertEqual(speech.times.timing, "tts")
        let words = speech.times.words
        XCTAssertEqual(words.map(\.text), ["Ça", "va?", "Où", "est", "l'hôtel", "—", "à", "côté,", "près", "du", "café."])
        for (a, b) in zip(words, words.dropFirst()) { XCTAssertLessThanOrEqual(a.start, b.start, "\(a.text) → \(b.text)") }
        // The dash is not read: it has no time of its own and shows with the next word.
        let dash = try XCTUnwrap(words.firstIndex { $0.text == "—" })
        XCTAssertEqual(words[dash].start, words[dash + 1].start)
        XCTAssertEqual(words[dash].end, words[dash].start)
        let timed = words.filter { $0.text != "—" }
        for (a, b) in zip(timed, timed.dropFirst()) { XCTAssertLessThan(a.start, b.start, "\(a.text) → \(b.text)") }
        // An emoji is read as its name: two words of speech for one word of text.
        let emoji = try speak("😀 smile ok").times.words
        XCTAssertEqual(emoji.map(\.text), ["😀", "smile", "ok"])
        XCTAssertLessThan(emoji[0].start, emoji[1].start)
        XCTAssertGreaterThan(emoji[1].start - emoji[0].start, 0.4, "smile starts after the emoji's name, not at its second word")
    }

    // MARK: the audio

    /// Same inputs, same bytes; and the bytes a fresh `espeak-ng` process writes, whatever the
    /// library spoke before in this process.
    func testAudioIsDeterministicAndTheCLIs() throws {
        let a = try speak(Self.fox, name: "a")
        let b = try speak("Another voice, another speed.", voice: "en-gb+f3", rate: 220, pitch: 70, name: "b")
        let w = try speak("Whispering now, with noise from rand.", voice: "en-us+whisper", name: "w")
        let c = try speak(Self.fox, name: "c")
        let w2 = try speak("Whispering now, with noise from rand.", voice: "en-us+whisper", name: "w2")
        XCTAssertEqual(a.wav, c.wav)
        XCTAssertEqual(a.json, c.json)
        XCTAssertEqual(w.wav, w2.wav)
        XCTAssertEqual(w.wav, try cli("Whispering now, with noise from rand.", voice: "en-us+whisper", rate: 175, pitch: 50))
        let cliA = try cli(Self.fox, voice: "en-us", rate: 175, pitch: 50)
        let cliB = try cli("Another voice, another speed.", voice: "en-gb+f3", rate: 220, pitch: 70)
        XCTAssertEqual(a.wav, cliA)
        XCTAssertEqual(b.wav, cliB)
        let cliSeconds = Double(try XCTUnwrap(WAV.samples16(cliA)).samples.count) / 22050
        XCTAssertEqual(Double(a.samples.count) / Double(a.sampleRate), cliSeconds, accuracy: cliSeconds * 0.05)
        XCTAssertEqual(a.sampleRate, 22050)
        // A canonical 44-byte header.
        let h = [UInt8](a.wav.prefix(44))
        XCTAssertEqual(String(decoding: h[0..<4], as: UTF8.self), "RIFF")
        XCTAssertEqual(le32(h, 4), a.wav.count - 8)
        XCTAssertEqual(le16(h, 22), 1)
        XCTAssertEqual(le32(h, 24), 22050)
        XCTAssertEqual(le16(h, 34), 16)
        XCTAssertEqual(le32(h, 40), a.wav.count - 44)
    }

    func testFourThreadsAtOnceGiveTheSequentialBytes() throws {
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
                let path = try XCTUnwrap(produced.files[ArtifactRef("narration")])
                results.set(i, (try Data(contentsOf: URL(fileURLWithPath: path)), produced.extras["words"] ?? Data()))
            } catch {
                results.set(i, nil)
            }
        }
        for i in inputs.indices {
            let got = try XCTUnwrap(results.get(i), "thread \(i) failed")
            XCTAssertEqual(got.0, sequential[i].wav, "audio of \(inputs[i].1)")
            XCTAssertEqual(got.1, sequential[i].json, "words of \(inputs[i].1)")
        }
    }

    /// Markup and espeak-ng's own commands are read as text (or skipped), never obeyed: no
    /// nine-second break, no phoneme input, no embedded voice/speed/punctuation change.
    func testTextIsNeverMarkupOrCommands() throws {
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
            XCTAssertEqual(seconds[0], seconds[1], accuracy: 0.3, "\(engine)")
            XCTAssertLessThan(seconds[0], 10, "\(engine): the markup is read out, at the normal speed")
            XCTAssertEqual(long.times.words.map(\.text), EspeakTiming.tokens(of: EspeakLibrary.plainText(tricky("9s", "80"))).map(\.text))
        }
        XCTAssertEqual(try speak("Well, yes; no.", name: "after").wav, before, "no setting of the library changed")
        XCTAssertEqual(EspeakLibrary.plainText("a\u{1}b\u{2}c\u{0}d\te\nf\u{7F}g\u{85}h"), "a b c d\te\nf g h")
    }

    // MARK: errors

    func testUnknownVoiceIsAnError() throws {
        for engine in [EspeakSpeech.Engine.automatic, .cli] {
            XCTAssertEqual(message { _ = try self.speak("Hello.", voice: "zz-nonexistent", engine: engine) }, "espeak-ng has no voice 'zz-nonexistent'", "\(engine)")
        }
        XCTAssertEqual(message { _ = try self.speak("Hello.", voice: "en us") }, "'en us' is not an espeak-ng voice")
        XCTAssertThrowsError(try library().synthesize("Hello.", voice: "zz-nonexistent", rate: 165, pitch: 50)) { error in
            XCTAssertEqual(error as? EspeakLibrary.Failure, .unknownVoice("zz-nonexistent"))
        }
        // A language name works, as with the CLI (espeak_SetVoiceByName alone refuses en-gb).
        XCTAssertEqual(try speak("Hello.", voice: "en-gb").times.timing, "tts")
    }

    func testEmptyTextAndBadOptionsAreErrors() {
        XCTAssertTrue(message { _ = try self.speak(" \n\t ") }.contains("the narration to speak is empty"))
        XCTAssertTrue(message { _ = try self.speak("Hi.", rate: 20) }.contains("outside espeak-ng's 80–450"))
        XCTAssertTrue(message { _ = try self.speak("Hi.", pitch: 100) }.contains("outside espeak-ng's 0–99"))
    }

    func testCancelledJobStopsBeforeSpeaking() throws {
        for engine in [EspeakSpeech.Engine.automatic, .cli] {
            let token = CancelToken()
            token.cancel()
            let work = folder + "/cancel-\(engine)"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            var job = Self.job("Hello.", voice: "en-us", options: [:], folder: folder, work: work)
            job.cancel = token
            XCTAssertThrowsError(try EspeakSpeech(engine: engine).run(job)) { error in
                XCTAssertEqual((error as? ProducerError)?.cancelled, true)
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work), [])
        }
    }

    // MARK: the fallback

    func testMissingLibraryIsReportedNotFatal() {
        guard case .failure(let why) = EspeakLibrary.API.open("libespeak-ng-missing.so.9") else {
            return XCTFail("a missing library opened")
        }
        XCTAssertTrue(why.reason.contains("libespeak-ng-missing.so.9"), why.reason)
    }

    /// When something else in the process holds the library, its state is not fresh: the
    /// producer runs the CLI (same audio, estimated times) rather than risk other bytes.
    func testLibraryHeldElsewhereFallsBackToTheCLI() throws {
        let lib = try library()
        let plain = try speak("Held elsewhere.", name: "free")
        let handle = try XCTUnwrap(dlopen(lib.name, RTLD_NOW | RTLD_LOCAL))
        defer { dlclose(handle) }
        XCTAssertThrowsError(try lib.synthesize("Held elsewhere.", voice: "en-us", rate: 165, pitch: 50)) { error in
            guard case .failed(let why)? = error as? EspeakLibrary.Failure else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("already loaded"), why)
        }
        let held = try speak("Held elsewhere.", name: "held")
        XCTAssertEqual(held.times.timing, "estimate")
        XCTAssertEqual(held.wav, plain.wav)
    }

    /// The process's own `rand()` sequence is left as it was.
    func testProcessRandomStateIsKept() throws {
        srand(42)
        let expected = (0..<3).map { _ in rand() }
        srand(42)
        _ = rand()
        _ = try library().synthesize("Whispering uses random noise.", voice: "en-us+whisper", rate: 165, pitch: 50)
        XCTAssertEqual([rand(), rand()], Array(expected.dropFirst()))
    }

    func testCLIFallbackEstimatesWordTimes() throws {
        let speech = try speak(Self.fox, engine: .cli)
        XCTAssertEqual(speech.times.timing, "estimate")
        let words = speech.times.words
        XCTAssertEqual(words.map(\.text), EspeakTiming.tokens(of: Self.fox).map(\.text))
        for (a, b) in zip(words, words.dropFirst()) {
            XCTAssertLessThan(a.start, b.start)
            XCTAssertEqual(a.end, b.start)
        }
        let duration = Double(speech.samples.count) / Double(speech.sampleRate)
        XCTAssertLessThan(words[0].start, 0.3)
        XCTAssertLessThanOrEqual(try XCTUnwrap(words.last).end, duration)
        XCTAssertEqual(try XCTUnwrap(words.last).end, duration, accuracy: 0.5)
        // In proportion to characters: "quick" (5) lasts five times "a"'s share of one.
        let share = (words[1].end - words[1].start) / 5
        XCTAssertEqual(words[3].end - words[3].start, 3 * share, accuracy: 0.002)
        // Same audio as the library makes, and an estimate close to the engine's own times.
        let tts = try speak(Self.fox, name: "tts")
        XCTAssertEqual(speech.wav, tts.wav)
        for (e, t) in zip(words, tts.times.words) { XCTAssertEqual(e.start, t.start, accuracy: 0.5, e.text) }
    }

    func testJSONIsSortedAndDecodes() throws {
        let speech = try speak("Hello there.")
        let text = String(decoding: speech.json, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix(#"{"timing":"tts","words":[{"end":"#), text)
        XCTAssertTrue(text.contains(#""start":0,"text":"Hello"}"#), text)
        XCTAssertEqual(try JSONDecoder().decode(EspeakSpeech.WordTimes.self, from: speech.json), speech.times)
    }

    // MARK: the word-time rules, on made-up events

    func testTimingRules() {
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
        XCTAssertEqual(words, [TimedWord(text: "one", start: 0, end: 0.5),
                               TimedWord(text: "—", start: 0.5, end: 0.5),
                               TimedWord(text: "two.", start: 0.5, end: 1.0),   // the pause is not part of it
                               TimedWord(text: "☺", start: 1.3, end: 1.5),
                               TimedWord(text: "three", start: 1.5, end: 1.6)])  // nor the end pause
        XCTAssertNil(EspeakTiming.words(of: "a b", events: [], samples: samples, sampleRate: 1000))
        XCTAssertEqual(EspeakTiming.tokens(of: " a\u{301}b\t c ").map(\.first), [1, 6])
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
        let path = try XCTUnwrap(produced.files[ArtifactRef("narration")])
        let wav = try Data(contentsOf: URL(fileURLWithPath: path))
        let pcm = try XCTUnwrap(WAV.samples16(wav))
        let json = try XCTUnwrap(produced.extras["words"])
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
        XCTAssertEqual(r.status, 0, r.stderr)
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
