import Foundation
import Planner
@testable import Producers
import RecipeParser
import Testing

/// `local/tones`: the WAV it writes and the music it chooses.
@Suite final class TonesTests {
    let folder = NSTemporaryDirectory() + "tones-tests-" + UUID().uuidString

    init() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    @Test func headerAndExactFrameCount() throws {
        let wav = try synthesize(seconds: 2.5, mood: "calm reflective orchestral")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: wav)))
        let frames = 120_000
        #expect(String(decoding: bytes[0..<4], as: UTF8.self) == "RIFF")
        #expect(le32(bytes, 4) == 36 + frames * 4)
        #expect(String(decoding: bytes[8..<16], as: UTF8.self) == "WAVEfmt ")
        #expect(le32(bytes, 16) == 16)
        #expect(le16(bytes, 20) == 1)          // PCM
        #expect(le16(bytes, 22) == 2)          // stereo
        #expect(le32(bytes, 24) == 48_000)
        #expect(le32(bytes, 28) == 192_000)    // bytes per second
        #expect(le16(bytes, 32) == 4)          // bytes per frame
        #expect(le16(bytes, 34) == 16)         // bits
        #expect(String(decoding: bytes[36..<40], as: UTF8.self) == "data")
        #expect(le32(bytes, 40) == frames * 4)
        #expect(bytes.count == 44 + frames * 4)
        #expect(Media.sniffExtension(wav) == "wav")
        #expect(try abs(Media.duration(wav, cancel: CancelToken()) - 2.5) <= 0.001)
    }

    /// Audible, peaking near -6 dBFS without touching full scale, silent at both ends (the fades),
    /// and smooth: no sample-to-sample jump a click would make.
    @Test func levelsFadesAndNoClicks() throws {
        let samples = try pcm(try synthesize(seconds: 20, mood: "sad reflective"))
        let peak = samples.map { abs(Int($0)) }.max() ?? 0
        #expect(peak < 32767)
        #expect(abs(Double(peak) / 32767 - 0.5) <= 0.001)
        let rms = (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot() / 32767
        #expect(rms > 0.05)
        #expect(abs(Int(samples[0])) + abs(Int(samples[1])) < 4)
        #expect(abs(Int(samples[samples.count - 1])) + abs(Int(samples[samples.count - 2])) < 4)
        var jump = 0
        for i in stride(from: 2, to: samples.count, by: 1) { jump = max(jump, abs(Int(samples[i]) - Int(samples[i - 2]))) }
        #expect(Double(jump) / 32767 < 0.05, "largest step between neighbouring frames")
    }

    @Test func identicalInputsGiveIdenticalBytes() throws {
        let a = try synthesize(seconds: 6, mood: "hopeful", seed: 7, name: "a")
        let b = try synthesize(seconds: 6, mood: "hopeful", seed: 7, name: "b")
        #expect(try hash(a) == hash(b))
        let c = try synthesize(seconds: 6, mood: "hopeful", seed: 8, name: "c")
        #expect(try hash(a) != hash(c))
    }

    @Test func moodsSoundDifferent() throws {
        let sad = try synthesize(seconds: 6, mood: "sad melancholy", seed: 1, name: "sad")
        let happy = try synthesize(seconds: 6, mood: "happy upbeat", seed: 1, name: "happy")
        #expect(try hash(sad) != hash(happy))
    }

    @Test func oneSecondAndOneMillisecond() throws {
        #expect(try pcm(try synthesize(seconds: 1, mood: "energetic", name: "one")).count == 96_000)
        #expect(try pcm(try synthesize(seconds: 0.001, mood: "", name: "ms")).count == 96)
    }

    @Test func moodChoosesModeTempoAndArpeggio() throws {
        let sad = try TonePlan(prompt: "", mood: "calm reflective orchestral", seed: nil, key: nil, tempo: nil, step: "music")
        #expect(sad.minor)
        #expect(!sad.arpeggio)
        #expect((50...61).contains(sad.tempo))
        let happy = try TonePlan(prompt: "an upbeat, energetic, uplifting track", mood: "", seed: nil, key: nil, tempo: nil, step: "music")
        #expect(!happy.minor)
        #expect(happy.arpeggio)
        #expect((100...115).contains(happy.tempo))
        let keyed = try TonePlan(prompt: "", mood: "happy", seed: 3, key: "D minor", tempo: 90, step: "music")
        #expect(keyed.root == 2)
        #expect(keyed.minor, "the key's mode wins over the mood")
        #expect(keyed.tempo == 90)
    }

    @Test func keyNames() throws {
        #expect(TonePlan.parseKey("D minor")?.root == 2)
        #expect(TonePlan.parseKey("D minor")?.minor == true)
        let fSharp = try #require(TonePlan.parseKey("F#"))
        #expect(fSharp.root == 6)
        #expect(fSharp.minor == nil)
        #expect(TonePlan.parseKey("Bb major")?.root == 10)
        #expect(TonePlan.parseKey("Bb major")?.minor == false)
        #expect(TonePlan.parseKey("em")?.root == 4)
        #expect(TonePlan.parseKey("Cb")?.root == 11)
        #expect(TonePlan.parseKey("H minor") == nil)
        #expect(TonePlan.parseKey("D dorian") == nil)
    }

    @Test func badInputsAreErrors() {
        func message(_ seconds: Double?, options: [String: Value] = [:]) -> String {
            do {
                _ = try synthesize(seconds: seconds, mood: "calm", options: options)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(nil).contains("no duration"))
        #expect(message(0).contains("out of range"))
        #expect(message(3600.5).contains("out of range"))
        #expect(message(5, options: ["key": .text("H minor")]).contains("not a key"))
        #expect(message(5, options: ["tempo": .int(500)]).contains("tempo"))
    }

    // MARK: helpers

    /// The file's SHA-256; a missing file fails the test rather than comparing nil with nil.
    func hash(_ path: String) throws -> String {
        try #require(SHA256.hex(fileAt: path), "no file at \(path)")
    }

    /// Runs the producer; `seconds` nil leaves the duration out.
    func synthesize(seconds: Double?, mood: String, seed: Int? = nil, name: String = "work", options: [String: Value] = [:]) throws -> String {
        let work = folder + "/" + name
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        var options = options
        if let seed { options["seed"] = .int(seed) }
        let step = Step(id: StepID("music"), kind: .music, provider: ProviderRef(family: "local", model: "tones"), inputs: [],
                        outputs: [Step.Output(artifact: ArtifactRef("music"), type: .audio)], options: options)
        var inputs: [String: JobInput] = ["mood": .value(.text(mood)), "prompt": .unset]
        if let seconds { inputs["duration"] = .value(.duration(TimeSpan(seconds: seconds))) }
        let job = Job(step: step, inputs: inputs, folder: folder, render: RenderSettings(), workDir: work)
        let produced = try TonesMusic().run(job)
        return try #require(produced.files[ArtifactRef("music")])
    }

    /// The interleaved samples after the 44-byte header.
    func pcm(_ path: String) throws -> [Int16] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path)).dropFirst(44)
        return data.withUnsafeBytes { raw in
            (0..<raw.count / 2).map { Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
        }
    }

    func le16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
    func le32(_ b: [UInt8], _ o: Int) -> Int { le16(b, o) | le16(b, o + 2) << 16 }
}
