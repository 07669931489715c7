import Foundation
import Testing
@testable import RecipeParser
import TestSupport

/// Behaviour the invalid corpus cannot show, because the files involved are valid.
struct CheckerFixTests {
    @Test func transposedLettersAreOneEdit() {
        #expect(Spelling.distance("vocie", "voice") == 1)
        #expect(Spelling.distance("voice", "voice") == 0)
        #expect(Spelling.distance("ab", "ba") == 1)
        #expect(Spelling.distance("abc", "") == 3)
        #expect(Spelling.suggest("vocie", from: ["voice", "style"]) == "voice")
    }

    @Test func quotedSegmentNumberIsASegment() throws {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: Repo.examples + "/civilwar/article.md", toPath: dir.path + "/article.md")
        let path = dir.write("q.vid.yaml", """
            vidmake: 1
            include: documentary
            inputs: { inquiry: x, source: article.md }
            segments:
              "3":
                voice: en-gb
            """)
        let result = Checker(environment: [:]).check(path: path)
        #expect(goldenLines(for: path, base: dir.path).isEmpty)
        #expect(result.project?.perIndex["voice"]?[3] == .text("en-gb"))
    }

    @Test func colonInTextIsNotCalledBadIndentation() {
        let dir = TempDir()
        let path = dir.write("c.vid.yaml", "vidmake: 1\ninclude: documentary\ninputs:\n  inquiry: Tell me\n    about the war: why\n")
        let lines = goldenLines(for: path, base: dir.path)
        // A continuation line whose text holds ': ' is text, not a misplaced key.
        #expect(lines.first == "c.vid.yaml:5:18: error: unexpected ':' in a plain value")
    }
}

extension CheckerFixTests {
    @Test func oneSegmentWrittenTwoWaysIsAnError() throws {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: Repo.examples + "/civilwar/article.md", toPath: dir.path + "/article.md")
        let path = dir.write("t.vid.yaml", "vidmake: 1\ninclude: documentary\ninputs: { inquiry: x, source: article.md }\nsegments:\n  3: { voice: en-gb }\n  03: { voice: en-us }\n")
        #expect(goldenLines(for: path, base: dir.path) == ["t.vid.yaml:6:3: error: segment 3 is given twice", "  help: merge the two into one '3:' entry"])
    }
}

extension CheckerFixTests {
    /// `subtitle_style` merges key by key, the vidfile's over the recipe's; only burned subtitles
    /// put the style and karaoke into a scene's fingerprint, and the assembly takes the line length.
    @Test func subtitleStyleMergesAndEntersFingerprints() throws {
        let dir = TempDir()
        try FileManager.default.copyItem(atPath: Repo.examples + "/civilwar/article.md", toPath: dir.path + "/article.md")
        try FileManager.default.copyItem(atPath: Repo.recipes + "/prompts", toPath: dir.path + "/prompts")
        let recipe = try String(contentsOfFile: Repo.recipes + "/documentary.yaml", encoding: .utf8)
        dir.write("styled.yaml", recipe + "  subtitle_style: { font: DejaVu Serif, size: 40, max_line: 30 }\n")
        let path = dir.write("s.vid.yaml", """
            vidmake: 1
            include: styled
            inputs: { inquiry: x, source: article.md }
            render:
              subtitles: burn
              karaoke: true
              subtitle_style:
                colour: "#FFD00080"
                position: top

            """)
        #expect(goldenLines(for: path, base: dir.path).isEmpty)
        var render = try #require(Checker(environment: [:]).check(path: path).project?.render)
        let style = render.subtitleStyle
        #expect(style.font == "DejaVu Serif" && style.size == 40 && style.maxLine == 30 && style.position == .top)
        #expect(style.colour == .init(red: 255, green: 208, blue: 0, opacity: 128) && style.highlight == .yellow && style.outline == nil)
        #expect(style.description == "font=DejaVu Serif size=40 colour=#FFD00080 highlight=#FFFF00 outline=auto position=top max_line=30")
        #expect(render.karaoke)

        #expect(render.fingerprintFields(scene: true)["subtitle_style"] == .string(style.description))
        #expect(render.fingerprintFields(scene: true)["karaoke"] == .bool(true))
        #expect(render.fingerprintFields(scene: false)["subtitle_style"] == .string("max_line=30"))
        #expect(render.fingerprintFields(scene: false)["karaoke"] == nil)
        render.subtitles = .sidecar
        #expect(render.fingerprintFields(scene: true)["subtitle_style"] == nil && render.fingerprintFields(scene: true)["karaoke"] == nil)
    }
}

/// The machine facts the checker asks for, from the real espeak-ng.
struct LiveMachineTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/espeak-ng")))
    func espeakVoicesAreReadByEveryName() throws {
        let voices = try #require(LiveMachine.shared.espeakVoices())
        // The language column, the file column and its last part, and an "other language".
        for name in ["en-us", "en-gb", "gmw/en", "en", "de", "zh"] { #expect(voices.contains(name), "\(name)") }
        #expect(!voices.contains("en-xx") && !voices.contains("pty"))
        #expect(LiveMachine.baseVoice("en-US+f3") == "en-us")
    }

    /// The voice the vidfile names is checked where it is written: the vidfile, a segment, --set.
    @Test func unknownVoicesAreLocatedWhereWritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("voices-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "# A\n\nWords.\n".write(toFile: dir + "/a.md", atomically: true, encoding: .utf8)
        let vid = dir + "/v.vid.yaml"
        try "vidmake: 1\ninclude: documentary\ninputs:\n  inquiry: x\n  source: a.md\n  voice: en-us\nsegments:\n  2:\n    voice: xx-yy\n"
            .write(toFile: vid, atomically: true, encoding: .utf8)
        let machine = FixedMachine(voices: ["en-us", "de"])
        let one = Checker(environment: [:], machine: machine).check(path: vid)
        let errors = one.diagnostics.sorted.filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.message == "espeak-ng has no voice 'xx-yy' (producer 'narration' speaks with local/espeak)")
        #expect(errors.first?.span?.start.line == 9 && errors.first?.span?.start.column == 12)
        // --set replaces the vidfile's voice: only the one in force is checked.
        let set = Checker(environment: [:], settings: [("voice", "fr")], machine: machine).check(path: vid)
        let messages = set.diagnostics.sorted.filter { $0.severity == .error }.map(\.message)
        #expect(messages.contains("espeak-ng has no voice 'fr' (producer 'narration' speaks with local/espeak)"))
        #expect(!messages.contains { $0.contains("'en-us'") })
        // A machine that cannot say leaves voices to the build.
        #expect(Checker(environment: [:], machine: FixedMachine(voices: nil)).check(path: vid).ok)
    }
}
