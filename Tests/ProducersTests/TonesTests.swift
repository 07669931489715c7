import Foundation
import Planner
@testable import Producers
import RecipeParser
import XCTest

/// `local/tones`: the WAV it writes and the music it chooses.
final class TonesTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "tones-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func testHeaderAndExactFrameCount() throws {
        let wav = try synthesize(seconds: 2.5, mood: "calm reflective orchestral")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: wav)))
        let frames = 120_000
        XCTAssertEqual(String(decoding: bytes[0..<4], as: UTF8.self), "RIFF")
        XCTAssertEqual(le32(bytes, 4), 36 + frames * 4)
        XCTAssertEqual(String(decoding: bytes[8..<16], as: UTF8.self), "WAVEfmt ")
        XCTAssertEqual(le32(bytes, 16), 16)
        XCTAssertEqual(le16(bytes, 20), 1)          // PCM
        XCTAssertEqual(le16(bytes, 22), 2)          // stereo
        XCTAssertEqual(le32(bytes, 24), 48_000)
        XCTAssertEqual(le32(bytes, 28), 192_000)    // bytes per second
        XCTAssertEqual(le16(bytes, 32), 4)          // bytes per frame
        XCTAssertEqual(le16(bytes, 34), 16)         // bits
        XCTAssertEqual(String(decoding: bytes[36..<40], as: UTF8.self), "data")
        XCTAssertEqual(le32(bytes, 40), frames * 4)
        XCTAssertEqual(bytes.count, 44 + frames * 4)
        XCTAssertEqual(Media.sniffExtension(wav), "wav")
        XCTAssertEqual(try Media.duration(wav, cancel: CancelToken()), 2.5, accuracy: 0.001)
    }

    /// Audible, peaking near -6 dBFS without touching full scale, silent at both ends (the fades),
    /// and smooth: no sample-to-sample jump a click would make.
    func testLevelsFadesAndNoClicks() throws {
        let samples = try pcm(try synthesize(seconds: 20, mood: "sad reflective"))
        let peak = samples.map { abs(Int($0)) }.max() ?? 0
        XCTAssertLessThan(peak, 32767)
        XCTAssertEqual(Double(peak) / 32767, 0.5, accuracy: 0.001)
        let rms = (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot() / 32767
        XCTAssertGreaterThan(rms, 0.05)
        XCTAssertLessThan(abs(Int(samples[0])) + abs(Int(samples[1])), 4)
        XCTAssertLessThan(abs(Int(samples[samples.count - 1])) + abs(Int(samples[samples.count - 2])), 4)
        var jump = 0
        for i in stride(from: 2, to: samples.count, by: 1) { jump = max(jump, abs(Int(samples[i]) - Int(samples[i - 2]))) }
        XCTAssertLessThan(Double(jump) / 32767, 0.05, "largest step between neighbouring frames")
    }

    func testIdenticalInputsGiveIdenticalBytes() throws {
        let a = try synthesize(seconds: 6, mood: "hopeful", seed: 7, name: "a")
        let b = try synthesize(seconds: 6, mood: "hopeful", seed: 7, name: "b")
        XCTAssertEqual(SHA256.hex(fileAt: a), SHA256.hex(fileAt: b))
        let c = try synthesize(seconds: 6, mood: "hopeful", seed: 8, name: "c")
        XCTAssertNotEqual(SHA256.hex(fileAt: a), SHA256.hex(fileAt: c))
    }

    func testMoodsSoundDifferent() throws {
        let sad = try synthesize(seconds: 6, mood: "sad melancholy", seed: 1, name: "sad")
        let happy = try synthesize(seconds: 6, mood: "happy upbeat", seed: 1, name: "happy")
        XCTAssertNotEqual(SHA256.hex(fileAt: sad), SHA256.hex(fileAt: happy))
    }

    func testOneSecondAndOneMillisecond() throws {
        XCTAssertEqual(try pcm(try synthesize(seconds: 1, mood: "energetic", name: "one")).count, 96_000)
        XCTAssertEqual(try pcm(try synthesize(seconds: 0.001, mood: "", name: "ms")).count, 96)
    }

    func testMoodChoosesModeTempoAndArpeggio() throws {
        let sad = try TonePlan(prompt: "", mood: "calm reflective orchestral", seed: nil, key: nil, tempo: nil, step: "music")
        XCTAssertTrue(sad.minor)
        XCTAssertFalse(sad.arpeggio)
        XCTAssertTrue((50...61).contains(sad.tempo))
        let happy = try TonePlan(prompt: "an upbeat, energetic, uplifting track", mood: "", seed: nil, key: nil, tempo: nil, step: "music")
        XCTAssertFalse(happy.minor)
        XCTAssertTrue(happy.arpeggio)
        XCTAssertTrue((100...115).contains(happy.tempo))
        let keyed = try TonePlan(prompt: "", mood: "happy", seed: 3, key: "D minor", tempo: 90, step: "music")
        XCTAssertEqual(keyed.root, 2)
        XCTAssertTrue(keyed.minor, "the key's mode wins over the mood")
        XCTAssertEqual(keyed.tempo, 90)
    }

    func testKeyNames() throws {
        XCTAssertEqual(TonePlan.parseKey("D minor")?.root, 2)
        XCTAssertEqual(TonePlan.parseKey("D minor")?.minor, true)
        let fSharp = try XCTUnwrap(TonePlan.parseKey("F#"))
        XCTAssertEqual(fSharp.root, 6)
        XCTAssertNil(fSharp.minor)
        XCTAssertEqual(TonePlan.parseKey("Bb major")?.root, 10)
        XCTAssertEqual(TonePlan.parseKey("Bb major")?.minor, false)
        XCTAssertEqual(TonePlan.parseKey("em")?.root, 4)
        XCTAssertEqual(TonePlan.parseKey("Cb")?.root, 11)
        XCTAssertNil(TonePlan.parseKey("H minor"))
        XCTAssertNil(TonePlan.parseKey("D dorian"))
    }

    func testBadInputsAreErrors() {
        func message(_ seconds: Double?, options: [String: Value] = [:]) -> String {
            do {
                _ = try synthesize(seconds: seconds, mood: "calm", options: options)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(message(nil).contains("no duration"))
        XCTAssertTrue(message(0).contains("out of range"))
        XCTAssertTrue(message(3600.5).contains("out of range"))
        XCTAssertTrue(message(5, options: ["key": .text("H minor")]).contains("not a key"))
        XCTAssertTrue(message(5, options: ["tempo": .int(500)]).contains("tempo"))
    }

    // MARK: helpers

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
        return try XCTUnwrap(produced.files[ArtifactRef("music")])
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
