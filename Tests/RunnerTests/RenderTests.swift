import Foundation
import Testing
import TestSupport

/// The render: the civil war example built to a video with real espeak-ng and ffmpeg, and
/// checked with ffprobe, ebur128 and silencedetect.
@Suite(.serialized)
struct RenderTests {
    static func probe(_ path: String, _ entries: String) throws -> String {
        let r = try Tool.run(["ffprobe", "-v", "error", "-show_entries", entries, "-of", "default=nw=1", path])
        return r.out
    }

    static func value(_ text: String, _ key: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }

    @Test func exampleRendersAWatchableVideo() throws {
        // The suite's one from-scratch build of the example.
        let p = BuiltExample.copy()
        #expect(try p.executed().count == 26)
        let mp4 = p.out + "/civilwar.mp4"
        #expect(FileManager.default.fileExists(atPath: mp4))
        for f in ["civilwar.srt", "civilwar.vtt", "civilwar.otio", "timeline.json", "metadata.json"] {
            #expect(p.exists("out/civilwar/" + f), "missing \(f)")
        }
        let v = try Self.probe(mp4, "stream=codec_type,codec_name,width,height,r_frame_rate,pix_fmt:format=duration")
        #expect(v.contains("codec_type=video") && v.contains("codec_type=audio"))
        #expect(v.contains("codec_name=h264") && v.contains("codec_name=aac"))
        #expect(v.contains("width=640") && v.contains("height=360"), "\(v)")
        #expect(v.contains("r_frame_rate=30/1") && v.contains("pix_fmt=yuv420p"))
        let duration = Double(Self.value(v, "duration") ?? "") ?? 0
        #expect(duration > 57 && duration < 75, "duration \(duration)")
        // Loudness within 1 LU of the -14 LUFS target.
        let lufs = try Tool.integratedLoudness(mp4)
        #expect(abs(lufs + 14) <= 1, "integrated loudness \(lufs) LUFS")
        // Every frame decodes, and the video track is as long as the file.
        let frames = try Self.probe(mp4, "stream=nb_frames")
        let n = Int(Self.value(frames, "nb_frames") ?? "") ?? 0
        #expect(abs(Double(n) / 30 - duration) < 0.1, "\(n) frames for \(duration) s")

        // Subtitles follow the spoken words: each scene's first cue starts within 150 ms of the
        // moment its narration becomes audible (silencedetect on the narration itself).
        let timeline = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p.out + "/timeline.json"))) as? [String: Any]
        let scenes = timeline?["scenes"] as? [[String: Any]] ?? []
        #expect(scenes.count == 6)
        let cues = try Tool.srtStarts(String(contentsOfFile: p.out + "/civilwar.srt", encoding: .utf8))
        for s in scenes {
            guard let n = s["narration"] as? [String: Any], let start = n["start"] as? Double, let path = n["path"] as? String else {
                Issue.record("scene without narration"); continue
            }
            // Named relative to out/civilwar/, as the tree names the file.
            let onset = start + (try Tool.speechOnset(p.out + "/" + path))
            let cue = cues.min { abs($0 - onset) < abs($1 - onset) } ?? -1
            #expect(abs(cue - onset) <= 0.15, "scene \(s["index"] ?? 0): cue at \(cue), voice at \(onset)")
        }

        // A second build does nothing.
        try p.build()
        #expect(try p.executed() == [])
        // An edit to segment 3 re-renders segment 3's scene and the assembly only.
        try p.edit("the war had turned", "the tide had turned")
        try p.build()
        #expect(try p.executed() == ["narration[3]", "render", "scene[3]"])
    }
}

/// Measures the tests check with.
extension Tool {
    static func integratedLoudness(_ path: String) throws -> Double {
        let r = try run(["ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-map", "0:a:0", "-af", "ebur128", "-f", "null", "-"])
        guard let summary = r.err.range(of: "Summary:", options: .backwards) else { return .nan }
        let line = r.err[summary.upperBound...].split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("I:") }
        return line.flatMap { $0.split(separator: " ").compactMap { Double($0) }.first } ?? .nan
    }

    /// Seconds until the audio first rises above -40 dB: 0 unless the file opens with silence,
    /// else where that first silence ends.
    static func speechOnset(_ path: String) throws -> Double {
        let r = try run(["ffmpeg", "-nostdin", "-hide_banner", "-i", path, "-af", "silencedetect=noise=-40dB:d=0.02", "-f", "null", "-"])
        func number(after key: String, in line: Substring) -> Double? {
            line.range(of: key).flatMap { line[$0.upperBound...].split(separator: " ").first }.flatMap { Double($0) }
        }
        var opensSilent = false
        for line in r.err.split(separator: "\n") {
            if let start = number(after: "silence_start: ", in: line) {
                guard start < 0.005 else { return 0 }
                opensSilent = true
            }
            if opensSilent, let end = number(after: "silence_end: ", in: line) { return end }
        }
        return 0
    }

    /// Start times of an SRT's cues, in seconds.
    static func srtStarts(_ srt: String) -> [Double] {
        srt.split(separator: "\n").compactMap { line -> Double? in
            guard line.contains(" --> ") else { return nil }
            let t = line.split(separator: " ")[0].replacingOccurrences(of: ",", with: ".").split(separator: ":").compactMap { Double($0) }
            return t.count == 3 ? t[0] * 3600 + t[1] * 60 + t[2] : nil
        }
    }
}
