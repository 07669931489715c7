import Foundation
import Planner
@testable import Producers
import RecipeParser
import Testing

/// `local/card` (image and video) and the ffmpeg escaping it relies on. Needs ffmpeg, ffprobe and
/// the DejaVu fonts.
@Suite final class CardTests {
    static let style = "archival photograph, sepia"
    static let grant = "Ulysses S. Grant and Robert E. Lee at Appomattox Court House, archival photograph, sepia"

    let folder = NSTemporaryDirectory() + "card-tests-" + UUID().uuidString

    init() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: escaping

    /// Levels 1 and 2 round-trip through ffmpeg's own parsers: `metadata=mode=add` stores the
    /// value as parsed, `metadata=mode=print` prints it.
    @Test func optionValuesRoundTripThroughFFmpeg() throws {
        let values = [
            ": ' \\ , ; [ ] = % spaces",
            "it's 100% done: ok, fine [x]; \\o/",
            "  leading and trailing  ",
            "tab\there",
            "a'b''c\\\\d",
            "[in][out];x=1,y=2:z=3",
            "שלום, עולם: ok",
        ]
        var graph = "color=s=64x64:d=0.04"
        for (i, v) in values.enumerated() {
            graph += ",metadata=mode=add:key=k\(i):value=" + FFmpegEscape.filtergraph(FFmpegEscape.optionValue(v))
        }
        graph += ",metadata=mode=print"
        let r = try Subprocess.check(["ffmpeg", "-hide_banner", "-nostdin", "-v", "info", "-f", "lavfi", "-i", graph, "-f", "null", "-"],
                                     cancel: CancelToken())
        for (i, v) in values.enumerated() {
            let marker = "] k\(i)="
            var printed: String?
            if let line = r.stderr.split(separator: "\n").first(where: { $0.contains(marker) }), let at = line.range(of: marker) {
                printed = String(line[at.upperBound...])
            }
            #expect(printed == v, "value \(i)")
        }
    }

    @Test func escapeLevelsAsSpecified() {
        #expect(FFmpegEscape.drawtext("100% \\o/ {x}") == "100\\% \\\\o/ {x}")
        #expect(FFmpegEscape.optionValue("a:b 'c'\t\\") == "a\\:b\\ \\'c\\'\\\t\\\\")
        #expect(FFmpegEscape.filtergraph("[a],b;c 'd'") == "\\[a\\]\\,b\\;c\\ \\'d\\'")
        #expect(FFmpegEscape.path("/tmp/we:ird [dir]") == "/tmp/we\\\\:ird\\\\\\ \\[dir\\]")
    }

    /// Level 0: text escaped for drawtext's expansion draws exactly what a text file drawn with
    /// `expansion=none` draws, and something is drawn at all.
    @Test func drawtextEscapingMatchesTextFile() throws {
        let text = "100% {pts} %{pts} \\o/ it's: a, b; [c]"
        let file = folder + "/text.txt"
        #expect(FileManager.default.createFile(atPath: file, contents: Data(text.utf8)))
        let font = CardDesign.fontFolder + "DejaVuSans.ttf"
        func frameHash(_ drawtext: String) throws -> String {
            let graph = "color=c=black:s=640x64:d=0.04,format=rgb24" + (drawtext.isEmpty ? "" : "," + drawtext)
            let r = try Subprocess.check(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", graph, "-frames:v", "1", "-f", "md5", "-"],
                                         cancel: CancelToken(), captureStdout: true)
            return String(decoding: r.stdout, as: UTF8.self)
        }
        let common = "fontfile=\(FFmpegEscape.path(font)):fontsize=24:fontcolor=white:x=4:y=20"
        let escaped = try frameHash("drawtext=\(common):text=" + FFmpegEscape.filtergraph(FFmpegEscape.optionValue(FFmpegEscape.drawtext(text))))
        let fromFile = try frameHash("drawtext=\(common):textfile=\(FFmpegEscape.path(file)):expansion=none")
        #expect(escaped == fromFile)
        #expect(try escaped != frameHash(""))
    }

    // MARK: card image

    @Test func cardIsExactlyTheFrameSizeAtAnyAspect() throws {
        for (w, h) in [(1920, 1080), (1080, 1920), (1080, 1080), (1001, 777)] {
            let png = try renderCard(prompt: CardTests.grant, width: w, height: h)
            #expect(Media.sniffExtension(png) == "png")
            let size = try pngSize(png)
            #expect(size.width == w)
            #expect(size.height == h)
        }
    }

    @Test func identicalInputsGiveIdenticalBytes() throws {
        let a = try renderCard(prompt: CardTests.grant, width: 640, height: 360, subfolder: "a")
        let b = try renderCard(prompt: CardTests.grant, width: 640, height: 360, subfolder: "b")
        #expect(try hash(a) == hash(b))
    }

    @Test func differentPromptsGiveDifferentCards() throws {
        let a = try renderCard(prompt: CardTests.grant, width: 640, height: 360, subfolder: "a")
        let b = try renderCard(prompt: "Lincoln delivers the Gettysburg Address, archival photograph, sepia", width: 640, height: 360, subfolder: "b")
        #expect(try hash(a) != hash(b))
    }

    /// Text that would break a hand-built filtergraph, or a font, renders.
    @Test func awkwardPromptsRender() throws {
        let prompts = [
            "He said \"don't\" — it's 100% true: a\\b [x]; y, z",
            "%{pts} %{localtime} %% \\% '' \\' \\\\",
            "First line\nsecond line\r\nthird; [link] , ; :",
            "Sunrise over the harbour 🌅🚢 with gulls 🐦‍⬛ and 👍🏽",
            "ירושלים העתיקה בשקיעה, צילום ארכיוני",
            "مدينة القدس القديمة عند الغروب",
            "东京的夜晚 Tokyo at night",
            "🎉🎉🎉",
            Array(repeating: "an extraordinarily long prompt that goes on and on", count: 40).joined(separator: " "),
            "Supercalifragilisticexpialidociousnessforeverandeverwithoutasinglespaceanywhereinsight",
        ]
        for (i, prompt) in prompts.enumerated() {
            let png = try renderCard(prompt: prompt, width: 480, height: 270, subfolder: "p\(i)")
            #expect(try pngSize(png).width == 480, "\(prompt)")
        }
    }

    @Test func emptyPromptIsAnError() {
        let error = #expect(throws: (any Error).self) { try self.renderCard(prompt: " \n\t ", width: 320, height: 180) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("prompt is empty"), "\(String(describing: error))")
    }

    @Test func unknownPaletteListsTheNames() {
        let error = #expect(throws: (any Error).self) {
            try self.renderCard(prompt: "A harbour", width: 320, height: 180, options: ["palette": .text("rainbow")])
        }
        let said = error.map { "\($0)" } ?? ""
        #expect(said.contains("rainbow"))
        #expect(said.contains("sepia, noir, neon"), "\(said)")
    }

    @Test func missingFontIsAnError() {
        let error = #expect(throws: (any Error).self) {
            try self.renderCard(prompt: "A harbour", width: 320, height: 180, options: ["font": .text("fonts/none.ttf")])
        }
        let said = error.map { "\($0)" } ?? ""
        #expect(said.contains("fonts/none.ttf"), "\(said)")
    }

    @Test func namedPaletteAndFontOptions() throws {
        let plain = try renderCard(prompt: "A harbour", width: 320, height: 180, subfolder: "a")
        let styled = try renderCard(prompt: "A harbour", width: 320, height: 180, subfolder: "b",
                                    options: ["palette": .text("Neon"), "font": .text(CardDesign.fontFolder + "DejaVuSerif.ttf")])
        #expect(try hash(plain) != hash(styled))
    }

    @Test func headlineIsTheKeyPhraseAndCaptionTheStyle() {
        let p = CardText.phrases(prompt: CardTests.grant, style: CardTests.style)
        #expect(p.headline == "Ulysses S. Grant and Robert E. Lee at Appomattox Court House")
        #expect(p.caption == "ARCHIVAL PHOTOGRAPH \u{00B7} SEPIA")

        let q = CardText.phrases(prompt: "The harbour at dawn, fishing boats, 1890 archival photograph sepia", style: CardTests.style)
        #expect(q.headline == "The harbour at dawn")
        #expect(q.caption == "FISHING BOATS \u{00B7} 1890")

        let r = CardText.phrases(prompt: "Lincoln at Gettysburg in archival photograph sepia", style: CardTests.style)
        #expect(r.headline == "Lincoln at Gettysburg")

        let long = CardText.phrases(prompt: "A lone lighthouse keeper climbs the spiral stairs of the tower while a storm rolls in over the cliffs", style: "")
        #expect(long.headline == "A lone lighthouse keeper climbs the spiral stairs\u{2026}")
        #expect(long.caption == "")
    }

    @Test func lineBreaksKeepNamesAndConnectingWordsTogether() {
        #expect(CardText.units("Ulysses S. Grant and Robert E. Lee at Appomattox Court House") == ["Ulysses S. Grant", "and Robert E. Lee", "at Appomattox", "Court", "House"])
        let font = CardFont(path: CardDesign.fontFolder + "DejaVuSans-Bold.ttf")
        // A unit wider than a line breaks at its spaces, not inside a word.
        let lines = CardText.wrap(["a", "very-long-word", "and a unit of several words"], font: font, size: 10, width: 120)
        #expect(lines.count > 2)
        #expect(lines.allSatisfy { font.width($0, size: 10) <= 120 }, "\(lines)")
        #expect(lines.joined(separator: " ") == "a very-long-word and a unit of several words")
    }

    /// Every headline line fits inside the 10 % margins, in the font that draws it.
    @Test func layoutKeepsTextInsideTheMargins() throws {
        let long = Array(repeating: "Ulysses Grant and Robert Lee", count: 8).joined(separator: " and ")
        for (w, h) in [(1920, 1080), (1080, 1920), (1001, 777)] {
            for prompt in [CardTests.grant, long, "Appomattox"] {
                let design = try CardDesign(prompt: prompt, style: CardTests.style, palette: nil, fontPath: nil, step: "image[1]")
                let layout = CardLayout(design: design, width: w, height: h)
                #expect(!layout.headline.isEmpty)
                for line in layout.headline {
                    #expect(design.headlineFont.width(line.text, size: Double(layout.headlineSize)) <= Double(w) * 0.8, "\(line.text)")
                    #expect(Double(line.baseline) > Double(h) * 0.1)
                }
                let lowest = layout.caption?.baseline ?? layout.rule.y
                #expect(Double(lowest) < Double(h) * 0.9)
            }
        }
    }

    @Test func paletteFollowsTheStyle() {
        #expect(CardPalette.forStyle("archival photograph, sepia").name == "sepia")
        #expect(CardPalette.forStyle("film noir, black and white").name == "noir")
        #expect(CardPalette.forStyle("neon cyberpunk city").name == "neon")
        #expect(CardPalette.forStyle("soft pastel watercolor").name == "pastel")
        #expect(CardPalette.forStyle("cinematic, anamorphic").name == "cinematic")
        let other = CardPalette.forStyle("flat vector illustration")
        #expect(CardPalette.neutral.contains(other))
        #expect(CardPalette.forStyle("flat vector illustration") == other)
    }

    @Test func fontMetricsReadDejaVu() throws {
        let metrics = try #require(FontMetrics(path: CardDesign.fontFolder + "DejaVuSans-Bold.ttf"))
        #expect(metrics.covers("A"))
        #expect(metrics.covers("\u{05D0}"))   // Hebrew alef
        #expect(!(metrics.covers("\u{4E2D}")))  // CJK: no DejaVu glyph
        #expect(metrics.width("WWW") > metrics.width("iii"))
        #expect(metrics.width("M") == 2038.0 / 2048)  // hmtx advance / unitsPerEm
        #expect(FontMetrics(path: "/etc/hostname") == nil)
    }

    // MARK: card video

    @Test func textToVideoClip() throws {
        let job = try makeJob(kind: .video, prompt: CardTests.grant, width: 641, height: 361, fps: 24)
        let mp4 = try #require(try CardVideo().run(job).files.values.first)
        let info = try probe(mp4)
        #expect(info["codec_name"] == "h264")
        #expect(info["pix_fmt"] == "yuv420p")
        #expect(info["width"] == "640")
        #expect(info["height"] == "360")
        #expect(info["r_frame_rate"] == "24/1")
        #expect(info["nb_frames"] == "120")
        #expect(try Media.streams(mp4, cancel: CancelToken()) == ["video"])
        #expect(try abs(Media.duration(mp4, cancel: CancelToken()) - 5) <= 0.05)
    }

    @Test func imageToVideoClip() throws {
        // A 4:3 test picture into a 16:9 frame: scaled and cropped to fill.
        let picture = folder + "/picture.png"
        try Subprocess.check(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=400x300", "-frames:v", "1", picture],
                             cancel: CancelToken())
        var job = try makeJob(kind: .video, prompt: "slow pan left across the scene", width: 320, height: 180, fps: 25)
        job.inputs["image"] = .artifacts([ArtifactFile(ref: ArtifactRef("image", [3, 2]), type: .image, path: picture)], gathered: false)
        let mp4 = try #require(try CardVideo().run(job).files.values.first)
        let info = try probe(mp4)
        #expect(info["width"] == "320")
        #expect(info["height"] == "180")
        #expect(info["nb_frames"] == "125")
        #expect(try Media.streams(mp4, cancel: CancelToken()) == ["video"])
        #expect(!(FileManager.default.fileExists(atPath: job.workDir + "/card.png")), "image mode draws no card")

        // Same inputs, same bytes.
        job.workDir = folder + "/again"
        try FileManager.default.createDirectory(atPath: job.workDir, withIntermediateDirectories: true)
        let again = try #require(try CardVideo().run(job).files.values.first)
        #expect(try hash(mp4) == hash(again))
    }

    @Test func motionPromptPicksTheMove() {
        #expect(CameraMove.named(in: "Slow push-in on the map") == .zoomIn)
        #expect(CameraMove.named(in: "pull back to reveal, then pan left") == .zoomOut)
        #expect(CameraMove.named(in: "PAN RIGHT over the hills") == .panRight)
        #expect(CameraMove.named(in: "the harbour at dawn") == nil)
        // A prompt naming no move gets one from its text, the same in every process (pinned: the
        // same call twice in one process would pass with a per-process seeded hash too).
        #expect(CameraMove.chosen(by: "the harbour at dawn") == .zoomOut)
        #expect(CameraMove.chosen(by: "a ship at sea") == .panRight)
    }

    // MARK: helpers

    /// The file's SHA-256; a missing file fails the test rather than comparing nil with nil.
    func hash(_ path: String) throws -> String {
        try #require(SHA256.hex(fileAt: path), "no file at \(path)")
    }

    func makeJob(kind: ProducerKind, prompt: String, width: Int, height: Int, fps: Int = 30, subfolder: String = "work",
                 options: [String: Value] = [:]) throws -> Job {
        let work = folder + "/" + subfolder
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let promptFile = work + "-prompt.txt"
        #expect(FileManager.default.createFile(atPath: promptFile, contents: Data(prompt.utf8)))
        let output: ArtifactType = kind == .video ? .video : .image
        let step = Step(id: StepID(output.rawValue, [3, 2]), kind: kind, provider: ProviderRef(family: "local", model: "card"),
                        inputs: [], outputs: [Step.Output(artifact: ArtifactRef(output.rawValue, [3, 2]), type: output)], options: options)
        var render = RenderSettings()
        render.size = FrameSize(width: width, height: height)
        render.fps = fps
        let inputs: [String: JobInput] = [
            "prompt": .artifacts([ArtifactFile(ref: ArtifactRef("image_prompt", [3, 2]), type: .text, path: promptFile)], gathered: false),
            "style": .value(.text(CardTests.style)),
        ]
        return Job(step: step, inputs: inputs, folder: folder, render: render, workDir: work)
    }

    func renderCard(prompt: String, width: Int, height: Int, subfolder: String = "work", options: [String: Value] = [:]) throws -> String {
        let job = try makeJob(kind: .image, prompt: prompt, width: width, height: height, subfolder: subfolder, options: options)
        let produced = try CardImage().run(job)
        let png = try #require(produced.files[ArtifactRef("image", [3, 2])])
        #expect(png == job.workDir + "/image-3-2.png")
        return png
    }

    /// Width and height from a PNG's IHDR chunk (bytes 16–23, big-endian).
    func pngSize(_ path: String) throws -> (width: Int, height: Int) {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(24))
        #expect(data.count == 24)
        #expect(Array(data[12..<16]) == Array("IHDR".utf8))
        func be32(_ o: Int) -> Int { data[o..<o + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    /// The first video stream's fields from ffprobe.
    func probe(_ path: String) throws -> [String: String] {
        let r = try Subprocess.check(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
                                      "-show_entries", "stream=codec_name,pix_fmt,width,height,r_frame_rate,nb_read_frames",
                                      "-of", "default=nw=1", path], cancel: CancelToken(), captureStdout: true)
        var fields: [String: String] = [:]
        for line in String(decoding: r.stdout, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0] == "nb_read_frames" ? "nb_frames" : parts[0]] = parts[1] }
        }
        return fields
    }
}
