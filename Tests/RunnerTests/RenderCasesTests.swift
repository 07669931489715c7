import Foundation
import Testing
import TestSupport

/// The render's cases on small real projects: the civil war example cut down to two segments of
/// one still each, built with the real binary, espeak-ng and ffmpeg, and checked with ffprobe,
/// ffmpeg and the files' own bytes. Each build takes seconds.
@Suite(.serialized)
struct RenderCasesTests {
    /// A folder name with every character the filtergraph, the option parser, the concat list and
    /// a shell would treat specially, and a space.
    static let awkwardFolder = "vidmake run: it's [a], b; 100% "

    /// The civil war example, 20 s in two segments of one still each, with this `render:` section
    /// (indented lines) and optional `segments:` and `artifacts:` sections.
    static func project(render: String, segments: String = "", artifacts: String = "", folder: String? = nil) throws -> Scratch {
        let p = Scratch(Repo.example, vidfile: "civilwar.vid.yaml", folder: (folder ?? "vidmake-run-") + UUID().uuidString)
        var text = """
            vidmake: 1
            include: documentary
            inputs:
              inquiry: Tell me about the American Civil War
              source: article.md
              duration: 20s
              voice: en-us
              images_per_segment: 1
              style: archival photograph, sepia

            """
        if !segments.isEmpty { text += "segments:\n" + segments }
        if !artifacts.isEmpty { text += "artifacts:\n" + artifacts }
        text += "render:\n" + render
        try text.write(toFile: p.vidfile, atomically: true, encoding: .utf8)
        return p
    }

    static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }

    // MARK: - a. Draft

    /// `quality: draft` renders the same timeline (the same length to a frame, the same scenes at
    /// the same times) at half the frame size, and only the render steps run again.
    @Test func draftIsTheSameTimelineAtHalfSize() throws {
        let p = try Self.project(render: "  size: 640x360\n  quality: final\n")
        try p.build()
        let mp4 = p.out + "/civilwar.mp4"
        let final = try RenderTests.probe(mp4, "stream=codec_type,width,height:format=duration")
        let finalTimeline = try Self.json(p.out + "/timeline.json")

        try p.edit("quality: final", "quality: draft")
        try p.build()
        #expect(try p.executed() == ["render", "scene[1]", "scene[2]"])
        let draft = try RenderTests.probe(mp4, "stream=codec_type,width,height:format=duration")
        let draftTimeline = try Self.json(p.out + "/timeline.json")

        #expect(final.contains("width=640") && final.contains("height=360"), "\(final)")
        #expect(draft.contains("width=320") && draft.contains("height=180"), "\(draft)")
        let (a, b) = (Double(RenderTests.value(final, "duration") ?? "") ?? 0, Double(RenderTests.value(draft, "duration") ?? "") ?? -1)
        #expect(abs(a - b) <= 1.0 / 30 + 1e-6, "final \(a) s, draft \(b) s")
        let scenes = { (t: [String: Any]) in (t["scenes"] as? [[String: Any]] ?? []).map { ($0["start"] as? Double ?? -1, $0["duration"] as? Double ?? -1) } }
        #expect(scenes(finalTimeline).count == 2)
        #expect(scenes(finalTimeline).elementsEqual(scenes(draftTimeline)) { abs($0.0 - $1.0) < 1e-9 && abs($0.1 - $1.1) < 1e-9 })
        #expect(finalTimeline["duration"] as? Double == draftTimeline["duration"] as? Double)
    }

    // MARK: - b. Sizes

    /// Portrait, square and a draft whose halved size is odd: each renders at its size (the
    /// draft rounded down to even sides), yuv420p, with the index (`moov`) before the media data.
    /// A low frame rate keeps the big frames quick.
    @Test(arguments: [
        ("size: 540x960", 540, 960),
        ("size: 720x720", 720, 720),
        ("size: 1002x778\n  quality: draft", 500, 388),   // 501x389 halved, made even
    ])
    func sizesRenderEvenYUV420WithFastStart(_ setting: String, _ width: Int, _ height: Int) throws {
        let p = try Self.project(render: "  \(setting)\n  fps: 10\n")
        try p.build()
        let mp4 = p.out + "/civilwar.mp4"
        let v = try RenderTests.probe(mp4, "stream=codec_type,width,height,pix_fmt,r_frame_rate")
        #expect(v.contains("width=\(width)") && v.contains("height=\(height)"), "\(setting): \(v)")
        #expect(v.contains("pix_fmt=yuv420p") && v.contains("r_frame_rate=10/1") && v.contains("codec_type=audio"), "\(v)")
        let boxes = try Self.topLevelBoxes(mp4)
        #expect(boxes.filter { $0 == "moov" || $0 == "mdat" } == ["moov", "mdat"], "top-level boxes: \(boxes)")
    }

    /// An odd size is refused with the even sizes either side, since H.264 in yuv420p cannot have it.
    @Test func oddSizeIsRefusedWithEvenChoices() throws {
        let p = try Self.project(render: "  size: 1001x777\n")
        let r = try p.vidmake(["check", p.vidfile])
        #expect(r.status == 1)
        #expect(r.err.contains("size 1001x777 has an odd side") && r.err.contains("use 1000x776 or 1002x778"), "\(r.err)")
    }

    /// The types of an MP4's top-level boxes, in file order.
    static func topLevelBoxes(_ path: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var boxes: [String] = []
        var at = 0
        while at + 8 <= data.count {
            func uint(_ from: Int, _ n: Int) -> Int { data[data.startIndex + from ..< data.startIndex + from + n].reduce(0) { $0 << 8 | Int($1) } }
            var size = uint(at, 4)
            boxes.append(String(decoding: data[data.startIndex + at + 4 ..< data.startIndex + at + 8], as: UTF8.self))
            if size == 1, at + 16 <= data.count { size = uint(at + 8, 8) }   // a 64-bit size follows the type
            if size == 0 { break }                                           // the box runs to the end of the file
            guard size >= 8 else { break }
            at += size
        }
        return boxes
    }

    // MARK: - c. Escaping

    static let awkwardNarration = """
        He said "stop" & she said 'go': 100% \\ done [x], y; {\\b1}bold{\\b0} now.
        Then שלום עולם and مرحبا بكم 👋🏽 end.
        """

    /// Text that breaks naive ffmpeg commands — quotes, `%`, `\`, `:`, brackets, `,`, `;`, an ASS
    /// override block, a line break, an emoji, Hebrew and Arabic — in a narration, an image prompt
    /// and the title, in a project folder whose path is as awkward. The build succeeds; the SRT and
    /// WebVTT cues say the narration exactly; the ASS file escapes `{` and `\` so libass draws them;
    /// the burned frame differs from the same frame without subtitles where subtitles go, and only
    /// there; the card and the title come through.
    @Test func awkwardTextIsDrawnExactly() throws {
        let segments = "  1:\n    narration: |\n"
            + Self.awkwardNarration.split(separator: "\n").map { "      " + $0 + "\n" }.joined()
            + "    image_prompt:\n      - |\n        A sign: \"100% {\\b1} [x], y; it's \\ done\" שלום 👋🏽, sepia\n"
        let p = try Self.project(
            render: "  size: 640x360\n  subtitles: burn\n",
            segments: segments,
            artifacts: "  title: 'The \"War\": 100% \\ [x], y; {\\b1} it''s שלום 👋🏽'\n",
            folder: Self.awkwardFolder)
        try p.build()
        let mp4 = p.out + "/civilwar.mp4"
        #expect(FileManager.default.fileExists(atPath: mp4))

        // The sidecar cues of scene 1 spell the narration (lines joined by spaces).
        let timeline = try Self.json(p.out + "/timeline.json")
        let scenes = timeline["scenes"] as? [[String: Any]] ?? []
        let scene2 = scenes.count == 2 ? scenes[1]["start"] as? Double ?? 0 : 0
        let spoken = Self.awkwardNarration.replacingOccurrences(of: "\n", with: " ")
        let srt = try Self.cues(String(contentsOfFile: p.out + "/civilwar.srt", encoding: .utf8))
        let vtt = try Self.cues(String(contentsOfFile: p.out + "/civilwar.vtt", encoding: .utf8))
        // The .srt is literal: a word joiner (U+2060, invisible) after each `{` and `\` keeps the
        // override block from being read as one; without the joiners the cues are the narration.
        let joiner = "\u{2060}"
        #expect(srt.filter { $0.start < scene2 }.map(\.text).joined(separator: " ")
                    .replacingOccurrences(of: joiner, with: "") == spoken)
        #expect(srt.contains { $0.text.contains("{\u{2060}\\\u{2060}b1}") }, "\(srt.map(\.text))")
        #expect(!srt.contains { $0.text.contains("{\\b1}") })
        #expect(vtt.filter { $0.start < scene2 }.map(\.text).joined(separator: " ")
                    .replacingOccurrences(of: "&amp;", with: "&") == spoken)

        // The ASS file the scene burned: braces and backslashes escaped, one Dialogue per line.
        let ass = try #require(try Self.burnedASS(p, scene: "scene[1]"))
        let dialogue = ass.split(separator: "\n").filter { $0.hasPrefix("Dialogue:") }.joined(separator: "\n")
        #expect(dialogue.contains("\\{\\\u{2060}b1\\}bold\\{\\\u{2060}b0\\}"), "\(dialogue)")
        #expect(!dialogue.contains("{\\b1}") && !dialogue.contains("{\\b0}"))
        #expect(dialogue.contains("100% \\\u{2060} done [x],") && dialogue.contains("שלום עולם") && dialogue.contains("👋🏽"))

        // The cue with the override block, drawn: a frame at its middle against the same frame of a
        // build without subtitles.
        let cue = try #require(srt.first { $0.text.replacingOccurrences(of: joiner, with: "").contains("{\\b1}") })
        let at = (cue.start + cue.end) / 2
        let burned = p.dir + "/burned.mp4"
        try FileManager.default.copyItem(atPath: mp4, toPath: burned)
        try p.edit("subtitles: burn", "subtitles: off")
        try p.build()
        let (withText, without) = (try Self.grayFrame(burned, at: at), try Self.grayFrame(mp4, at: at))
        #expect(withText.count == 640 * 360 && without.count == 640 * 360)
        let bottom = Self.changedPixels(withText, without, width: 640, rows: 270..<360)
        let top = Self.changedPixels(withText, without, width: 640, rows: 0..<180)
        #expect(bottom > 200, "only \(bottom) pixels of the subtitle region changed")
        #expect(top < bottom / 20, "\(top) pixels changed above the subtitles, \(bottom) in their region")

        // The card of segment 1 and the title.
        let card = try RenderTests.probe(p.out + "/segments/01/image-1.png", "stream=width,height")
        #expect(card.contains("width=640") && card.contains("height=360"), "\(card)")
        let metadata = try Self.json(p.out + "/metadata.json")
        #expect(metadata["title"] as? String == "The \"War\": 100% \\ [x], y; {\\b1} it's שלום 👋🏽")
    }

    struct Cue { var start: Double; var end: Double; var text: String }

    /// The cues of an SRT or WebVTT file, each with its lines joined by spaces.
    static func cues(_ text: String) -> [Cue] {
        let blocks = text.components(separatedBy: "\n\n").filter { !$0.isEmpty && $0 != "WEBVTT" }
        return blocks.compactMap { block in
            let lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard let timing = lines.firstIndex(where: { $0.contains(" --> ") }) else { return nil }
            let times = lines[timing].components(separatedBy: " --> ").map { t -> Double in
                let parts = t.replacingOccurrences(of: ",", with: ".").split(separator: ":").compactMap { Double($0) }
                return parts.reduce(0) { $0 * 60 + $1 }
            }
            guard times.count == 2 else { return nil }
            return Cue(start: times[0], end: times[1], text: lines[(timing + 1)...].joined(separator: " "))
        }
    }

    /// The ASS file a scene step kept as its side data `subtitles`.
    static func burnedASS(_ p: Scratch, scene: String) throws -> String? {
        guard let hash = p.finalHashes()[scene]?["#subtitles"] else { return nil }
        return try String(contentsOfFile: p.dir + "/.vidmake/cas/sha256/\(hash.prefix(2))/\(hash)", encoding: .utf8)
    }

    /// One frame at `seconds`, as 8-bit gray, row by row.
    static func grayFrame(_ path: String, at seconds: Double) throws -> [UInt8] {
        try frame(path, at: seconds, format: "gray")
    }

    /// One frame at `seconds`, raw in this pixel format.
    static func frame(_ path: String, at seconds: Double, format: String) throws -> [UInt8] {
        let raw = NSTemporaryDirectory() + "vidmake-frame-" + UUID().uuidString + ".raw"
        defer { try? FileManager.default.removeItem(atPath: raw) }
        let r = try Tool.run(["ffmpeg", "-nostdin", "-v", "error", "-ss", String(format: "%.3f", seconds), "-i", path,
                              "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", format, "-y", raw])
        #expect(r.status == 0, "\(r.err)")
        return [UInt8](FileManager.default.contents(atPath: raw) ?? Data())
    }

    /// Pixels of these rows whose gray level differs by more than 48 between two frames.
    static func changedPixels(_ a: [UInt8], _ b: [UInt8], width: Int, rows: Range<Int>) -> Int {
        guard a.count == b.count, rows.upperBound * width <= a.count else { return 0 }
        var n = 0
        for i in rows.lowerBound * width ..< rows.upperBound * width where abs(Int(a[i]) - Int(b[i])) > 48 { n += 1 }
        return n
    }

    // MARK: - Subtitle style and karaoke

    /// The subtitle style is part of what a scene is drawn with: a new colour re-renders the
    /// scenes and the assembly, and nothing else; the burned ASS file has the new colour.
    @Test func styleChangeRerendersScenesOnly() throws {
        let p = try Self.project(render: """
              size: 640x360
              subtitles: burn
              subtitle_style: { font: DejaVu Sans, size: 20, colour: "#FFFFFF", outline: 1.5, max_line: 36 }

            """)
        try p.build()
        let before = try #require(try Self.burnedASS(p, scene: "scene[1]"))
        #expect(before.contains("\nStyle: Default,DejaVu Sans,20,&H00FFFFFF,&H0000FFFF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,1.5,0,2,"), "\(before)")

        try p.edit("colour: \"#FFFFFF\"", "colour: \"#80FF80\"")
        try p.build()
        #expect(try p.executed() == ["render", "scene[1]", "scene[2]"])
        let after = try Self.burnedASS(p, scene: "scene[1]") ?? ""
        #expect(after.contains("\nStyle: Default,DejaVu Sans,20,&H0080FF80,"), "\(after)")
    }

    /// Karaoke: the burned ASS file sweeps each word with `\kf` as it is spoken, in the highlight
    /// colour, at the top of the frame; the scene renders, and a frame in the middle of a
    /// subtitle shows the highlight up there.
    @Test func karaokeBurnsTheSpokenWord() throws {
        let p = try Self.project(render: """
              size: 640x360
              subtitles: burn
              karaoke: true
              subtitle_style: { size: 24, highlight: "#FFFF00", position: top }

            """)
        try p.build()
        let ass = try #require(try Self.burnedASS(p, scene: "scene[1]"))
        // In karaoke mode PrimaryColour is the highlight (drawn once a word's time has come).
        #expect(ass.contains("\nStyle: Default,DejaVu Sans,24,&H0000FFFF,&H00FFFFFF,"), "\(ass)")
        #expect(ass.contains(",8,32,32,18,1\n"), "top centre alignment: \(ass)")
        let dialogue = ass.split(separator: "\n").filter { $0.hasPrefix("Dialogue:") }
        #expect(!dialogue.isEmpty && dialogue.allSatisfy { $0.contains("{\\kf") }, "\(dialogue)")

        let v = try RenderTests.probe(p.out + "/civilwar.mp4", "stream=codec_type,width,height")
        #expect(v.contains("width=640") && v.contains("codec_type=audio"))
        let cues = try Self.cues(String(contentsOfFile: p.out + "/civilwar.srt", encoding: .utf8))
        let cue = try #require(cues.first)
        let frame = try Self.rgbFrame(p.out + "/civilwar.mp4", at: (cue.start + cue.end) / 2)
        let top = Self.yellowPixels(frame, width: 640, rows: 0..<90)
        let rest = Self.yellowPixels(frame, width: 640, rows: 90..<360)
        #expect(top > 100 && rest < top / 10, "yellow pixels: \(top) at the top, \(rest) below")
    }

    /// A font fontconfig does not have fails the scene, naming the one meant, rather than
    /// rendering in whatever fontconfig substitutes.
    @Test func missingFontFailsTheScene() throws {
        let p = try Self.project(render: "  size: 640x360\n  subtitles: burn\n  subtitle_style: { font: DejaVu Sanz }\n")
        let r = try p.vidmake(["build", p.vidfile])
        #expect(r.status == 1)
        #expect(r.err.contains("scene[1] (local/ffmpeg) failed: the subtitle font 'DejaVu Sanz' is not installed"), "\(r.err)")
        #expect(r.err.contains("help: did you mean 'DejaVu Sans'?"))
    }

    /// One frame at `seconds`, as 8-bit RGB, row by row.
    static func rgbFrame(_ path: String, at seconds: Double) throws -> [UInt8] {
        try frame(path, at: seconds, format: "rgb24")
    }

    /// Pixels of these rows that are clearly yellow.
    static func yellowPixels(_ rgb: [UInt8], width: Int, rows: Range<Int>) -> Int {
        guard rows.upperBound * width * 3 <= rgb.count else { return 0 }
        var n = 0
        for i in rows.lowerBound * width ..< rows.upperBound * width {
            let (r, g, b) = (Int(rgb[3 * i]), Int(rgb[3 * i + 1]), Int(rgb[3 * i + 2]))
            if r > 200 && g > 200 && b < 90 { n += 1 }
        }
        return n
    }

    // MARK: - Loudness

    /// The mix reaches the target within 1 LU with its true peak under -1 dBTP: at -14 LUFS, where
    /// the speech needs the limiter (and the gain through it is found by measuring), and at
    /// -20 LUFS, where a fixed gain does; a new target re-mixes and renders nothing else.
    @Test func loudnessReachesTheTargetThroughTheLimiter() throws {
        let p = try Self.project(render: "  size: 640x360\n  loudness: -14 LUFS\n")
        try p.build()
        let mp4 = p.out + "/civilwar.mp4"
        let loud = try Self.loudness(mp4)
        #expect(abs(loud.integrated + 14) <= 1 && loud.truePeak <= -1, "\(loud.integrated) LUFS, \(loud.truePeak) dBTP")

        try p.edit("loudness: -14 LUFS", "loudness: -20 LUFS")
        try p.build()
        #expect(try p.executed() == ["render"])
        let quiet = try Self.loudness(mp4)
        #expect(abs(quiet.integrated + 20) <= 1 && quiet.truePeak <= -1, "\(quiet.integrated) LUFS, \(quiet.truePeak) dBTP")
    }

    /// Integrated loudness (LUFS) and true peak (dBTP) of a file's audio, by ffmpeg's ebur128.
    static func loudness(_ path: String) throws -> (integrated: Double, truePeak: Double) {
        let r = try Tool.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", path, "-map", "0:a:0",
                              "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"])
        guard let summary = r.err.range(of: "Summary:", options: .backwards) else { return (.nan, .nan) }
        let lines = r.err[summary.upperBound...].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func number(_ line: String?) -> Double { line.flatMap { $0.split(separator: " ").compactMap { Double($0) }.first } ?? .nan }
        let peak = lines.firstIndex { $0.hasPrefix("True peak") }.flatMap { i in lines[i...].first { $0.hasPrefix("Peak:") } }
        return (number(lines.first { $0.hasPrefix("I:") }), number(peak))
    }

    // MARK: - d. OpenTimelineIO

    static let pythonHasOTIO: Bool = (try? Tool.run(["python3", "-c", "import opentimelineio"]).status) == 0

    /// The `.otio` of a real build, in the awkward folder, read by opentimelineio itself: it lasts
    /// the video to the frame, has a clip per scene on V1 and A1 and the bed on A2, and every
    /// media reference leads back to a file that exists. Runs only where Python has the module
    /// (`pip install opentimelineio`); the writer's own tests check the format without it.
    @Test(.enabled(if: pythonHasOTIO, "python3 has no opentimelineio"))
    func otioOfARealBuildReadsBack() throws {
        let p = try Self.project(render: "  size: 640x360\n", folder: Self.awkwardFolder)
        try p.build()
        let script = """
            import os, sys, opentimelineio as otio
            t = otio.adapters.read_from_file(sys.argv[1])
            print(t.duration().to_frames())
            for track in t.tracks:
                clips = list(track.find_clips())
                # Relative references, resolved against the folder of the .otio.
                paths = [os.path.join(os.path.dirname(sys.argv[1]), otio.url_utils.filepath_from_url(c.media_reference.target_url)) for c in clips]
                print(track.name, track.kind, len(clips), all(os.path.isfile(p) for p in paths))
            """
        let r = try Tool.run(["python3", "-c", script, p.out + "/civilwar.otio"])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        let probe = try RenderTests.probe(p.out + "/civilwar.mp4", "format=duration")
        let seconds = Double(RenderTests.value(probe, "duration") ?? "") ?? 0
        let frames = Double(lines.first ?? "") ?? -100
        #expect(abs(frames - seconds * 30) <= 1, "OTIO \(frames) frames, video \(seconds) s")
        #expect(Array(lines.dropFirst()) == ["V1 Video 2 True", "A1 Audio 2 True", "A2 Audio 1 True"])
    }
}
