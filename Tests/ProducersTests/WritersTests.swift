import Foundation
@testable import Producers
import RecipeParser
import Testing

/// The render's writers: subtitle cues and their SRT, WebVTT and ASS files (the ASS ones burned with
/// real ffmpeg and libass), the OpenTimelineIO file (read back with opentimelineio when Python has
/// it), and the upload metadata.
@Suite final class WritersTests {
    let folder = NSTemporaryDirectory() + "writers-tests-" + UUID().uuidString

    init() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: - Cues, SRT and WebVTT

    /// Sentences end cues; the second cue is set on two balanced lines; each cue lingers 0.3 s
    /// unless the next one starts sooner, and then ends 0.05 s before it.
    @Test func srtAndWebVTTText() {
        let cues = Subtitles.cues(timed("""
            Hello 0 0.4, world. 0.45 0.9,
            The 1 1.1, quick 1.1 1.3, brown 1.3 1.5, fox 1.5 1.7, jumps 1.7 1.9, over 1.9 2.1, the 2.1 2.2, lazy 2.2 2.4,
            dog 2.4 2.6, near 2.6 2.8, the 2.8 2.9, river. 2.9 3.4
            """))
        #expect(Subtitles.srt(cues) == """
            1
            00:00:00,000 --> 00:00:00,950
            Hello world.

            2
            00:00:01,000 --> 00:00:03,700
            The quick brown fox jumps over
            the lazy dog near the river.


            """)
        #expect(Subtitles.webVTT(cues) == """
            WEBVTT

            00:00:00.000 --> 00:00:00.950
            Hello world.

            00:00:01.000 --> 00:00:03.700
            The quick brown fox jumps over
            the lazy dog near the river.


            """)
    }

    /// Milliseconds and centiseconds round half away from zero, as the times are written in decimal.
    @Test func timeFormats() {
        let cue = Subtitles.Cue(start: 0, end: 3661.2345, lines: ["x"], words: [])
        #expect(Subtitles.srt([cue]) == "1\n00:00:00,000 --> 01:01:01,235\nx\n\n")
        #expect(Subtitles.webVTT([cue]) == "WEBVTT\n\n00:00:00.000 --> 01:01:01.235\nx\n\n")
        #expect(Subtitles.clock(0.0015, ",") == "00:00:00,002")
        #expect(Subtitles.clock(-1, ",") == "00:00:00,000")
        #expect(Subtitles.clock(360_000, ".") == "100:00:00.000")
        #expect(Subtitles.assClock(3661.2345) == "1:01:01.23")
        #expect(Subtitles.assClock(59.995) == "0:01:00.00")
        // An end before its start is written as the start.
        let backwards = Subtitles.Cue(start: 2, end: 1, lines: ["x"], words: [])
        #expect(Subtitles.srt([backwards]) == "1\n00:00:02,000 --> 00:00:02,000\nx\n\n")
    }

    /// 3000 words of made-up narration: every limit holds, every word is shown once and in order,
    /// and the cues neither overlap nor run backwards, in seconds and in the written file.
    @Test func limitsHoldOverALongNarration() throws {
        var random = SplitMix(seed: 42)
        var words: [TimedWord] = []
        var t = 0.0
        for _ in 0..<3000 {
            var text = String((0..<Int(random.next() % 11 + 1)).map { _ in Character(Unicode.Scalar(UInt8(97 + random.next() % 26))) })
            switch random.next() % 20 {
            case 0: text += "."
            case 1: text += ","
            case 2: text = String(repeating: "x", count: 50)   // longer than a line
            default: break
            }
            let length = 0.1 + Double(random.next() % 50) / 100
            words.append(TimedWord(text: text, start: t, end: t + length))
            t += length + [0, 0, 0.02, 0.1, 0.2, 0.5][Int(random.next() % 6)]
        }
        for (lineLength, lines) in [(42, 2), (32, 3), (20, 1)] {
            let cues = Subtitles.cues(words, maxLineLength: lineLength, maxLines: lines)
            #expect(cues.flatMap(\.words) == words)
            for (i, cue) in cues.enumerated() {
                #expect(cue.lines.count <= lines)
                #expect(cue.lines.joined(separator: " ") == cue.words.map(\.text).joined(separator: " "))
                for line in cue.lines where line.contains(" ") { #expect(line.count <= lineLength, "\(line)") }
                #expect(cue.start <= cue.end)
                if cue.words.count > 1 { #expect(cue.words.last!.end - cue.words[0].start <= 6 + 1e-9) }
                if i > 0 { #expect(cues[i - 1].end <= cue.start - 0.05 + 1e-9) }
            }
            var previousEnd = -1
            for block in Subtitles.srt(cues).components(separatedBy: "\n\n") where !block.isEmpty {
                let times = block.split(separator: "\n")[1].components(separatedBy: " --> ").map(milliseconds)
                #expect(previousEnd <= times[0])
                #expect(times[0] <= times[1])
                previousEnd = times[1]
            }
        }
    }

    /// A silence over 0.35 s ends a cue; a shorter one does not.
    @Test func pauseSplits() {
        #expect(Subtitles.cues(timed("one 0 0.3, two 0.3 0.6, three 1.0 1.3, four 1.3 1.6")).map(\.lines) == [["one two"], ["three four"]])
        #expect(Subtitles.cues(timed("one 0 0.3, two 0.3 0.6, three 0.9 1.2, four 1.2 1.5")).map(\.lines) == [["one two three four"]])
    }

    /// Sentences end cues, after `.`, `?` or `!`, inside a closing quote too, but not after a title
    /// such as "Dr.".
    @Test func sentenceEndsSplit() {
        #expect(Subtitles.cues(timed("It 0 0.2, rained. 0.2 0.6, Then 0.6 0.8, it 0.8 0.9, stopped. 0.9 1.3")).map(\.lines) == [["It rained."], ["Then it stopped."]])
        #expect(Subtitles.cues(timed("\"Why?\" 0 0.4, she 0.4 0.6, asked! 0.6 1, Dr. 1 1.2, Lee 1.2 1.4, smiled. 1.4 1.8"))
                        .map(\.lines) == [["\"Why?\""], ["she asked!"], ["Dr. Lee smiled."]])
    }

    /// A sentence too long for one cue is split after its comma rather than evenly by length, and
    /// a long cue of speech is split by duration.
    @Test func longSentencesSplitAtClauses() {
        let text = "Although the harvest had failed twice in three years, the villagers stayed on and rebuilt the mill by the river"
        let cues = Subtitles.cues(evenly(text, wordSeconds: 0.25))
        #expect(cues.map { $0.lines.joined(separator: " ") } == ["Although the harvest had failed twice in three years,", "the villagers stayed on and rebuilt the mill by the river"])
        let slow = Subtitles.cues(evenly("one two three four five six seven eight", wordSeconds: 1.2), maxDuration: 5)
        #expect(slow.map(\.words.count) == [4, 4])
    }

    /// Line breaks and tabs inside a word become spaces, empty words go, and words come in order of
    /// their start.
    @Test func wordsAreCleaned() {
        let cues = Subtitles.cues([
            TimedWord(text: "two\nlines", start: 0.5, end: 0.9),
            TimedWord(text: " ", start: 0.9, end: 1),
            TimedWord(text: "First", start: 0, end: 0.4),
        ])
        #expect(cues.map(\.lines) == [["First two lines"]])
        #expect(Subtitles.cues([]) == [])
        #expect(Subtitles.srt([]) == "")
        #expect(Subtitles.webVTT([]) == "WEBVTT\n\n")
        #expect(Subtitles.srt([Subtitles.Cue(start: 0, end: 1, lines: ["a\n\nb", ""], words: [])]) == "1\n00:00:00,000 --> 00:00:01,000\na b\n\n")
    }

    /// Emoji (with a skin tone) and right-to-left scripts pass through every writer unchanged, and an
    /// emoji counts as one character of a line. WebVTT escapes its markup characters.
    @Test func unicodeAndMarkup() {
        let cues = Subtitles.cues(timed("Shalom 0 0.4, שָׁלוֹם 0.4 0.8, 👋🏽 0.8 1, مرحبا 1 1.4"))
        let line = "Shalom שָׁלוֹם 👋🏽 مرحبا"
        #expect(cues.map(\.lines) == [[line]])
        #expect(Subtitles.srt(cues).contains("\n" + line + "\n"))
        #expect(Subtitles.webVTT(cues).contains("\n" + line + "\n"))
        #expect(Subtitles.ass(cues, width: 320, height: 240).contains(",," + line + "\n"))
        #expect(Subtitles.ass(cues, width: 320, height: 240, karaoke: true).contains("{\\kf40}שָׁלוֹם {\\kf20}👋🏽 {\\kf40}مرحبا\n"))
        #expect(Subtitles.layout(Array(repeating: "👋🏽", count: 21), .init(lineLength: 42, lines: 1, duration: 6)) == [Array(repeating: "👋🏽", count: 21).joined(separator: " ")])

        let markup = Subtitles.Cue(start: 0, end: 1, lines: ["<b>A & B</b> --> C"], words: [])
        #expect(Subtitles.webVTT([markup]) == "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n&lt;b&gt;A &amp; B&lt;/b&gt; --&gt; C\n\n")
    }

    // MARK: - ASS

    @Test func assFile() {
        let cues = Subtitles.cues(timed("The 0 0.12, quick 0.12 0.5, brown 0.6 0.9, fox. 0.9 1.3"))
        #expect(Subtitles.ass(cues, width: 1920, height: 1080) == """
            [Script Info]
            ; Subtitles written by vidmake from the narration's word times.
            ScriptType: v4.00+
            PlayResX: 1920
            PlayResY: 1080
            WrapStyle: 2
            ScaledBorderAndShadow: yes

            [V4+ Styles]
            Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
            Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
            MarginV, Encoding
            Style: Default,DejaVu Sans,60,&H00FFFFFF,&H0000FFFF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,3,0,2,96,96,54,1

            [Events]
            Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
            Dialogue: 0,0:00:00.00,0:00:01.60,Default,,0,0,0,,The quick brown fox.

            """)
        // Karaoke: the style swaps its colours (libass shows SecondaryColour until a word's time comes),
        // each word sweeps over its own time, and a silence is an empty \k on the space.
        let style = SubtitleStyle(size: 40, outlineWidth: 2.5, bold: true, marginV: 30)
        let karaoke = Subtitles.ass(cues, width: 1080, height: 1920, style: style, karaoke: true)
        #expect(karaoke.contains("\nStyle: Default,DejaVu Sans,40,&H0000FFFF,&H00FFFFFF,&H00000000,&H80000000,-1,0,0,0,100,100,0,0,1,2.5,0,2,54,54,30,1\n"))
        #expect(karaoke.hasSuffix("\nDialogue: 0,0:00:00.00,0:00:01.60,Default,,0,0,0,,{\\kf12}The {\\kf38}quick{\\k10} {\\kf30}brown {\\kf40}fox.\n"))
        // A portrait video gets a smaller default font, so a line still fits across.
        #expect(SubtitleStyle().fontSize(width: 1080, height: 1920) == 38)
    }

    /// A vidfile's `subtitle_style` as an ASS style: sizes scaled with the frame (a draft is half
    /// size), opacity turned into ASS transparency, the position into an alignment, and a default
    /// font size that fits `max_line` characters across.
    @Test func styleFromRenderSettings() {
        var s = RenderSettings.SubtitleStyle()
        s.size = 48
        s.outline = 3
        s.colour = .init(red: 255, green: 255, blue: 255, opacity: 0x80)
        s.position = .top
        let half = SubtitleStyle(s, scale: 0.5)
        #expect(half.size == 24)
        #expect(half.outlineWidth == 1.5)
        #expect(half.primaryColour.ass == "&H7FFFFFFF")
        #expect(half.highlightColour.ass == "&H0000FFFF")
        #expect(half.alignment == 8)
        s.size = nil
        s.maxLine = 30
        #expect(SubtitleStyle(s).fontSize(width: 1080, height: 1920) == 54)
        #expect(SubtitleStyle(s).fontSize(width: 1920, height: 1080) == 60)
        s.position = .middle
        #expect(SubtitleStyle(s).alignment == 5)
    }

    /// Karaoke across two lines, with a cue that starts before its first word.
    @Test func karaokeLines() {
        let words = timed("alpha 0.5 1, beta 1 1.5, gamma 2 2.5")
        let cue = Subtitles.Cue(start: 0.25, end: 3, lines: ["alpha beta", "gamma"], words: words)
        #expect(Subtitles.karaokeText(cue, cue.lines) == "{\\k25}{\\kf50}alpha {\\kf50}beta{\\k50}\\N{\\kf50}gamma")
        // Words that do not spell the lines (edited by hand): plain text.
        let edited = Subtitles.Cue(start: 0.25, end: 3, lines: ["alpha", "delta"], words: words)
        #expect(Subtitles.ass([edited], width: 320, height: 240, karaoke: true).hasSuffix(",,alpha\\Ndelta\n"))
    }

    @Test func assTextEscaping() {
        #expect(Subtitles.assText("{\\b1}Hi") == "\\{\\\u{2060}b1\\}Hi")
        #expect(Subtitles.assText("a\\Nb\nc\td") == "a\\\u{2060}Nb c d")
        #expect(Subtitles.assText("ends in \\") == "ends in \\\u{2060}")
    }

    /// Burned with ffmpeg's libass, `{\b1}Hi` is drawn as written: wider than "Hi" by the five
    /// characters, and unlike the frame where libass reads `{\b1}` as bold.
    @Test func assBracesAreDrawnLiterally() throws {
        let cue = [Subtitles.Cue(start: 0, end: 2, lines: ["{\\b1}Hi"], words: [])]
        let style = SubtitleStyle(size: 32)
        let escaped = try burn(Subtitles.ass(cue, width: 320, height: 240, style: style), at: 0.5)
        let plain = try burn(Subtitles.ass([Subtitles.Cue(start: 0, end: 2, lines: ["Hi"], words: [])], width: 320, height: 240,
                                           style: style), at: 0.5)
        let interpreted = try burn(Subtitles.ass(cue, width: 320, height: 240, style: style)
            .replacingOccurrences(of: Subtitles.assText("{\\b1}Hi"), with: "{\\b1}Hi"), at: 0.5)

        #expect(escaped != interpreted)
        let (w, p, i) = (inkWidth(escaped), inkWidth(plain), inkWidth(interpreted))
        #expect(p > 20, "the plain text is drawn")
        #expect(w > p + 40, "braces, backslash, b and 1 are drawn too")
        #expect(i < p + 10, "when interpreted, only a bold Hi is drawn")
    }

    /// Karaoke burned with libass: a word turns from the text colour to the highlight as it is
    /// spoken, and the right-to-left and emoji words burn without error.
    @Test func karaokeBurnHighlightsSpokenWords() throws {
        let cues = Subtitles.cues(timed("Hello 0 0.6, there 0.6 1.2, שלום 1.2 1.8, 👋🏽 1.8 2.4"))
        let ass = Subtitles.ass(cues, width: 320, height: 240, style: SubtitleStyle(size: 28), karaoke: true)
        let before = try burn(ass, at: 0.02, gray: false)
        let middle = try burn(ass, at: 1.0, gray: false)
        let after = try burn(ass, at: 2.45, gray: false)
        #expect(yellow(middle) > yellow(before) + 50)
        #expect(yellow(after) > yellow(middle) + 50)
    }

    // MARK: - OpenTimelineIO

    /// Three scenes with 0.4 s cross-fades at 30 fps (12 frames): the first has two stills, the
    /// second a video clip in a folder with a space and a `#`.
    func sampleTimeline(transition: Double = 0.4) -> Timeline {
        let t = transition
        let clipPath = "/tmp/my media/scene #2.mp4"
        func narration(_ n: Int, _ start: Double, _ duration: Double) -> Timeline.Narration {
            Timeline.Narration(artifact: "narration[\(n)]", path: "/out/narration-\(n).wav", start: start, duration: duration,
                               text: "Scene \(n) is spoken here.", words: [], timing: "estimate")
        }
        return Timeline(
            title: "Demo", summary: "A demo.", width: 1920, height: 1080, fps: 30, transition: t > 0 ? "fade" : "cut",
            transitionSeconds: t, duration: 11 - 2 * t,
            scenes: [
                .init(index: 1, start: 0, duration: 4, media: [
                    .init(kind: .still, artifact: "image[1][1]", path: "/out/image-1-1.png", start: 0, duration: 2),
                    .init(kind: .still, artifact: "image[1][2]", path: "/out/image-1-2.png", start: 2, duration: 2),
                ], narration: narration(1, 0.3, 3)),
                .init(index: 2, start: 4 - t, duration: 4, media: [
                    .init(kind: .clip, artifact: "video[2]", path: clipPath, start: 4 - t, duration: 4),
                ], narration: narration(2, 4 - t + 0.2, 3.2)),
                .init(index: 3, start: 8 - 2 * t, duration: 3, media: [
                    .init(kind: .still, artifact: "image[3][1]", path: "/out/image-3-1.png", start: 8 - 2 * t, duration: 3),
                ], narration: nil),
            ],
            music: .init(artifact: "music", path: "/out/music.wav", gainDB: -18, duck: true))
    }

    @Test func otioStructureAndHandles() throws {
        let t = sampleTimeline()
        let text = OTIO.json(t, name: "Demo")
        #expect(text == OTIO.json(t, name: "Demo"))
        let root = try object(text)
        #expect(root["OTIO_SCHEMA"] as? String == "Timeline.1")
        #expect(root["name"] as? String == "Demo")
        #expect(value(root["global_start_time"]) == 0)
        let stack = try #require(root["tracks"] as? [String: Any])
        #expect(stack["OTIO_SCHEMA"] as? String == "Stack.1")
        let tracks = try #require(stack["children"] as? [[String: Any]])
        #expect(tracks.map { $0["OTIO_SCHEMA"] as? String } == ["Track.1", "Track.1", "Track.1"])
        #expect(tracks.map { $0["name"] as? String } == ["V1", "A1", "A2"])
        #expect(tracks.map { $0["kind"] as? String } == ["Video", "Audio", "Audio"])

        let video = try #require(tracks[0]["children"] as? [[String: Any]])
        #expect(video.map { $0["OTIO_SCHEMA"] as? String } == ["Clip.2", "Clip.2", "Transition.1", "Clip.2", "Transition.1", "Clip.2"])
        #expect(video.map { $0["name"] as? String } == ["scene 1: image[1][1]", "scene 1: image[1][2]", "fade", "scene 2: video[2]", "fade", "scene 3: image[3][1]"])
        #expect(trackFrames(video) == 306, "10.2 s at 30 fps: the transitions overlap into handles")
        #expect(video.compactMap { $0["OTIO_SCHEMA"] as? String == "Clip.2" ? value(($0["source_range"] as? [String: Any])?["duration"]) : nil } == [60, 54, 108, 84])
        for (i, item) in video.enumerated() where item["OTIO_SCHEMA"] as? String == "Transition.1" {
            #expect(item["transition_type"] as? String == "SMPTE_Dissolve")
            let (inOffset, outOffset) = (value(item["in_offset"]), value(item["out_offset"]))
            #expect([inOffset, outOffset] == [6, 6])
            // The clip before has the transition's out_offset as tail handle, the one after its in_offset as head handle.
            let (before, after) = (try clipRanges(video[i - 1]), try clipRanges(video[i + 1]))
            #expect(before.available - before.start - before.duration == outOffset)
            #expect(after.start == inOffset)
        }
        let reference = try #require(((video[3]["media_references"] as? [String: Any])?["DEFAULT_MEDIA"]) as? [String: Any])
        #expect(reference["OTIO_SCHEMA"] as? String == "ExternalReference.1")
        #expect(video[3]["active_media_reference_key"] as? String == "DEFAULT_MEDIA")
        let url = try #require(reference["target_url"] as? String)
        #expect(url == "file:///tmp/my%20media/scene%20%232.mp4")
        #expect(URL(string: url)?.path == "/tmp/my media/scene #2.mp4")
        #expect((video[3]["metadata"] as? [String: Any])?["vidmake"] as? NSDictionary == ["artifact": "video[2]", "scene": 2, "kind": "clip"] as NSDictionary)

        let voice = try #require(tracks[1]["children"] as? [[String: Any]])
        #expect(voice.map { $0["OTIO_SCHEMA"] as? String } == ["Gap.1", "Clip.2", "Gap.1", "Clip.2"])
        #expect(voice.map { value(($0["source_range"] as? [String: Any])?["duration"]) } == [9, 90, 15, 96])
        let music = try #require(tracks[2]["children"] as? [[String: Any]])
        #expect(music.count == 1)
        #expect(trackFrames(music) == 306)
        #expect((music[0]["metadata"] as? [String: Any])?["vidmake"] as? NSDictionary == ["artifact": "music", "gain_db": -18, "duck": true] as NSDictionary)
    }

    /// With cuts there are no transitions, and the clips simply follow each other.
    @Test func otioCutsHaveNoTransitions() throws {
        var t = sampleTimeline(transition: 0)
        t.music = nil
        let tracks = try #require((try object(OTIO.json(t, name: "Cut"))["tracks"] as? [String: Any])?["children"] as? [[String: Any]])
        #expect(tracks.map { $0["name"] as? String } == ["V1", "A1"])
        let video = try #require(tracks[0]["children"] as? [[String: Any]])
        #expect(video.map { $0["OTIO_SCHEMA"] as? String } == ["Clip.2", "Clip.2", "Clip.2", "Clip.2"])
        #expect(trackFrames(video) == 330)
        for clip in video { #expect(try clipRanges(clip).start == 0) }
    }

    /// A scene without pictures leaves a gap, and the track still lasts the whole video.
    @Test func otioGapsFillMissingPictures() throws {
        var t = sampleTimeline(transition: 0)
        t.scenes[1].media = []
        t.duration = 12
        let tracks = try #require((try object(OTIO.json(t, name: "Gaps"))["tracks"] as? [String: Any])?["children"] as? [[String: Any]])
        let video = try #require(tracks[0]["children"] as? [[String: Any]])
        #expect(video.map { $0["OTIO_SCHEMA"] as? String } == ["Clip.2", "Clip.2", "Gap.1", "Clip.2", "Gap.1"])
        #expect(trackFrames(video) == 360)
    }

    @Test func fileURLs() {
        #expect(OTIO.url("/a b/c#d?e%f/é.png") == "file:///a%20b/c%23d%3Fe%25f/%C3%A9.png")
        #expect(OTIO.url("media/x y.mp4") == "media/x%20y.mp4")
    }

    static let pythonHasOTIO: Bool = (try? Subprocess.run(["python3", "-c", "import opentimelineio"], cancel: CancelToken()).status) == 0

    /// opentimelineio itself reads the file: the timeline lasts the video, every clip's handles
    /// lie inside its media, and the media path comes back. Skipped where Python lacks the module
    /// (`pip install opentimelineio==0.18.1`).
    @Test(.enabled(if: pythonHasOTIO, "python3 has no opentimelineio"))
    func openTimelineIOReadsTheFile() throws {
        let file = folder + "/demo.otio"
        try OTIO.json(sampleTimeline(), name: "Demo").write(toFile: file, atomically: true, encoding: .utf8)
        let script = """
            import sys, opentimelineio as otio
            t = otio.adapters.read_from_file(sys.argv[1])
            v1 = t.video_tracks()[0]
            inside = True
            for clip in v1.find_clips():
                head, tail = v1.handles_of_child(clip)
                r = clip.trimmed_range()
                first = r.start_time - (head or otio.opentime.RationalTime(0, 30))
                last = r.end_time_exclusive() + (tail or otio.opentime.RationalTime(0, 30))
                a = clip.available_range()
                inside = inside and a.start_time <= first and last <= a.end_time_exclusive()
            video = [c for c in v1.find_clips() if c.name == "scene 2: video[2]"][0]
            print(t.duration().to_frames(), v1.duration().to_frames(), len(list(v1.find_children(descended_from_type=otio.schema.Transition))),
                  inside, otio.url_utils.filepath_from_url(video.media_reference.target_url))
            """
        let r = try Subprocess.check(["python3", "-c", script, file], cancel: CancelToken(), captureStdout: true)
        #expect(String(decoding: r.stdout, as: UTF8.self) == "306 306 2 True /tmp/my media/scene #2.mp4\n")
    }

    // MARK: - Metadata

    func scenes(_ starts: [Double], narration: [String?]) -> [Timeline.Scene] {
        zip(starts.indices, starts).map { i, start in
            Timeline.Scene(index: i + 1, start: start, duration: 10, media: [], narration: narration[i].map {
                Timeline.Narration(artifact: "narration[\(i + 1)]", path: "", start: start, duration: 5, text: $0, words: [], timing: "tts")
            })
        }
    }

    @Test func metadataChapters() throws {
        let t = Timeline(title: "The Civil War", summary: "How the war was fought and won.", width: 1920, height: 1080, fps: 30,
                         transition: "fade", transitionSeconds: 0.5, duration: 75,
                         scenes: scenes([0, 12.3456, 25, 61], narration: [
                            "By July 1863, the war had turned at Gettysburg.",
                            "“Four score and seven years ago our fathers brought forth",
                            nil,
                            "Lee surrendered.",
                         ]), music: nil)
        let root = try object(Metadata.json(t, tags: ["civil war", "lincoln"]))
        #expect(root["title"] as? String == "The Civil War")
        #expect(root["description"] as? String == """
            How the war was fought and won.

            0:00 By July 1863
            0:12 Four score and seven years ago
            0:25 Segment 3
            1:01 Lee surrendered
            """)
        let chapters = try #require(root["chapters"] as? [[String: Any]])
        #expect(chapters.map { $0["start"] as? Double } == [0, 12.346, 25, 61])
        #expect(chapters.map { $0["start_text"] as? String } == ["0:00", "0:12", "0:25", "1:01"])
        #expect(root["tags"] as? [String] == ["civil war", "lincoln"])
        #expect(root["duration"] as? Double == 75)
        #expect([root["width"], root["height"], root["fps"]].map { $0 as? Int } == [1920, 1080, 30])
        #expect(Metadata.json(t, tags: []) == Metadata.json(t, tags: []))
        #expect(Metadata.stamp(3725.9) == "1:02:05")
    }

    /// The chapter list goes into the description only as YouTube reads it: from 0:00, at least
    /// three chapters, none shorter than ten seconds.
    @Test func chapterListNeedsYouTubesRules() throws {
        func description(_ starts: [Double], duration: Double) throws -> String? {
            let t = Timeline(title: "T", summary: "Summary.", width: 640, height: 360, fps: 25, transition: "cut", transitionSeconds: 0,
                             duration: duration, scenes: scenes(starts, narration: starts.map { _ in nil }), music: nil)
            return try object(Metadata.json(t, tags: []))["description"] as? String
        }
        #expect(try description([0, 10, 20], duration: 30) == "Summary.\n\n0:00 Segment 1\n0:10 Segment 2\n0:20 Segment 3")
        #expect(try description([0, 20], duration: 40) == "Summary.", "two chapters")
        #expect(try description([2, 20, 40], duration: 60) == "Summary.", "the first is not at 0:00")
        #expect(try description([0, 9.5, 20], duration: 40) == "Summary.", "the first lasts 9 s")
        #expect(try description([0, 10, 20], duration: 29.9) == "Summary.", "the last lasts 9.9 s")
    }

    @Test func tags() {
        let tags = Metadata.tags(title: "The Fall of the Roman Empire",
                                 summary: "How Rome fell. Julius Caesar crossed the Rubicon, and the Roman Empire split in two. "
                                     + "The Western Roman Empire fell to Odoacer in 476; the eastern empire lasted. Caesar's heirs fought.")
        #expect(tags == ["roman empire", "fall", "fell", "julius caesar", "western roman empire", "rome", "crossed", "rubicon",
                              "split", "odoacer"])
        #expect(Set(tags).count == tags.count)
        #expect(Metadata.tags(title: "AI and the Sea", summary: "The sea, the sea.") == ["sea", "ai"])
        #expect(Metadata.tags(title: "", summary: "") == [])
    }

    // MARK: - Helpers

    /// Words from "text start end, text start end, …".
    func timed(_ spec: String) -> [TimedWord] {
        spec.split(separator: ",").map { entry in
            let parts = entry.split(whereSeparator: \.isWhitespace)
            return TimedWord(text: String(parts[0]), start: Double(parts[1])!, end: Double(parts[2])!)
        }
    }

    /// Words one after another, each taking `wordSeconds`.
    func evenly(_ text: String, wordSeconds: Double) -> [TimedWord] {
        text.split(separator: " ").enumerated().map { i, w in
            TimedWord(text: String(w), start: Double(i) * wordSeconds, end: Double(i + 1) * wordSeconds)
        }
    }

    func milliseconds(_ stamp: String) -> Int {
        let parts = stamp.split(whereSeparator: { $0 == ":" || $0 == "," }).map { Int($0)! }
        return ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000 + parts[3]
    }

    /// One frame at `seconds` of the subtitles burned onto black 320x240, as gray or RGB bytes.
    func burn(_ ass: String, at seconds: Double, gray: Bool = true) throws -> [UInt8] {
        let file = folder + "/" + UUID().uuidString + ".ass"
        try ass.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try Subprocess.check(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "color=black:s=320x240:r=25:d=3",
                                      "-vf", "ass=" + FFmpegEscape.path(file), "-ss", String(seconds), "-frames:v", "1",
                                      "-f", "rawvideo", "-pix_fmt", gray ? "gray" : "rgb24", "-"],
                                     cancel: CancelToken(), timeout: 60, captureStdout: true)
        #expect(r.stdout.count == 320 * 240 * (gray ? 1 : 3))
        return [UInt8](r.stdout)
    }

    /// How many columns of a gray frame hold ink.
    func inkWidth(_ frame: [UInt8]) -> Int {
        let columns = (0..<320).filter { x in (0..<240).contains { y in frame[y * 320 + x] > 100 } }
        return (columns.last ?? 0) - (columns.first ?? 0)
    }

    /// How many pixels of an RGB frame are yellow.
    func yellow(_ frame: [UInt8]) -> Int {
        stride(from: 0, to: frame.count, by: 3).filter { frame[$0] > 180 && frame[$0 + 1] > 180 && frame[$0 + 2] < 90 }.count
    }

    func object(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    /// The frames of a RationalTime.
    func value(_ time: Any?) -> Int? {
        (time as? [String: Any])?["value"] as? Int
    }

    /// A track's length: its clips and gaps; transitions overlap them and add nothing.
    func trackFrames(_ children: [[String: Any]]) -> Int {
        children.filter { $0["OTIO_SCHEMA"] as? String != "Transition.1" }
            .map { value(($0["source_range"] as? [String: Any])?["duration"]) ?? -1_000_000 }.reduce(0, +)
    }

    /// A clip's source range and the length of its media.
    func clipRanges(_ clip: [String: Any]) throws -> (start: Int, duration: Int, available: Int) {
        let source = try #require(clip["source_range"] as? [String: Any])
        let media = try #require((clip["media_references"] as? [String: Any])?["DEFAULT_MEDIA"] as? [String: Any])
        let available = try #require(media["available_range"] as? [String: Any])
        #expect(value(available["start_time"]) == 0)
        return (try #require(value(source["start_time"])), try #require(value(source["duration"])), try #require(value(available["duration"])))
    }
}

/// A small deterministic random source (SplitMix64), so the generated narration is the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
