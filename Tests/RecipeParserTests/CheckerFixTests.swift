import Foundation
import Testing
@testable import RecipeParser

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
