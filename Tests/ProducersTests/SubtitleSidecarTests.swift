import Foundation
import Testing
@testable import Producers

/// The sidecar `.srt` says exactly what the narration says, however it reads: ffmpeg (the
/// reader under mpv, and the one vidmake itself uses) reads it back to the same text.
struct SubtitleSidecarTests {
    /// Narration that looks like SRT's own syntax: a timing line, HTML-like tags, ASS overrides and breaks.
    static let hostile = [
        "00:00:01,000 --> 00:00:09,000",
        "it was <b>bold</b> and <font color=red>red</font>",
        "a\\Nb {\\c&H0000FF&}blue\\h{x} & <i>",
        "2",
        "-->",
    ]

    /// The cues' text as ffmpeg decodes `srt` (tags and overrides stripped, breaks made real).
    static func readBack(_ srt: String) throws -> [String] {
        let dir = NSTemporaryDirectory() + "vidmake-srt-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try srt.write(toFile: dir + "/in.srt", atomically: true, encoding: .utf8)
        let r = try Subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", dir + "/in.srt", "-c:s", "text", "-f", "srt", dir + "/out.srt"],
                                   cancel: CancelToken())
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOfFile: dir + "/out.srt", encoding: .utf8)
        // Blocks: number, timing, text lines; the joiner is invisible, so it is not part of what is read.
        return text.replacingOccurrences(of: "\r", with: "").components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
            block.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).joined(separator: "\n")
                .replacingOccurrences(of: "\u{2060}", with: "")
        }
    }

    @Test func hostileNarrationReadsBackLiterally() throws {
        let cues = Self.hostile.enumerated().map { i, line in
            Subtitles.Cue(start: Double(i), end: Double(i) + 0.9, lines: [line], words: [])
        }
        let srt = Subtitles.srt(cues)
        #expect(try Self.readBack(srt) == Self.hostile, "\(srt)")
        // Each cue kept its own timing: the text's timing line started no cue of its own.
        #expect(srt.components(separatedBy: "\n").filter { $0.contains(" --> ") }.count == Self.hostile.count)
    }

    @Test func plainTextIsWrittenAsItIs() {
        let cue = Subtitles.Cue(start: 0, end: 1, lines: ["Shalom שָׁלוֹם 👋🏽 - ok > fine"], words: [])
        #expect(Subtitles.srt([cue]) == "1\n00:00:00,000 --> 00:00:01,000\nShalom שָׁלוֹם 👋🏽 - ok > fine\n\n")
    }
}
