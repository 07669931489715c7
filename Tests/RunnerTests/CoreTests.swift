import BuildState
import FakeProviders
import Foundation
import Planner
import Producers
import RecipeParser
import Runner
import Testing
import TestSupport

/// The promises of "a core you can trust", on the civil war example as a user has it: the cache
/// is by content (a copy, a rename, a draft of a vidfile pay only for what differs), and an edit
/// made under out/ stays in force until the person adopts, discards or deletes it.
@Suite(.serialized)
struct CoreTests {
    static func builtCopy() -> Scratch { BuiltExample.copy() }

    static func sha(_ path: String) -> String? { SHA256.hex(fileAt: path) }

    @Test func aCopyAndARenameRunNothingAndADraftRunsOnlyTheRender() throws {
        let s = Self.builtCopy()
        // A copy beside it: the same steps, found by fingerprint; only its out tree is written.
        try FileManager.default.copyItem(atPath: s.vidfile, toPath: s.dir + "/copy.vid.yaml")
        let plan = try s.vidmake(["plan", s.dir + "/copy.vid.yaml"])
        #expect(plan.out.contains("26 steps, 0 to run"), "\(plan.out)")
        let copy = try s.vidmake(["build", s.dir + "/copy.vid.yaml"])
        #expect(copy.status == 0, "\(copy.err)")
        #expect(copy.out.contains("nothing to run"), "\(copy.out)")
        #expect(!copy.err.contains("] "), "a step ran:\n\(copy.err)")
        #expect(Self.sha(s.dir + "/out/copy/copy.mp4") == Self.sha(s.out + "/civilwar.mp4"))

        // Renamed: the same again.
        #expect(rename(s.dir + "/copy.vid.yaml", s.dir + "/renamed.vid.yaml") == 0)
        let renamed = try s.vidmake(["build", s.dir + "/renamed.vid.yaml"])
        #expect(renamed.status == 0, "\(renamed.err)")
        #expect(renamed.out.contains("nothing to run"), "\(renamed.out)")
        #expect(Self.sha(s.dir + "/out/renamed/renamed.mp4") == Self.sha(s.out + "/civilwar.mp4"))

        // A draft: the script, speech, pictures and music are shared; scenes and the render are its own.
        let text = try String(contentsOfFile: s.vidfile, encoding: .utf8)
        #expect(text.contains("\nrender:\n"))
        try text.replacingOccurrences(of: "\nrender:\n", with: "\nrender:\n  quality: draft\n")
            .write(toFile: s.dir + "/draft.vid.yaml", atomically: true, encoding: .utf8)
        let draft = try s.vidmake(["build", s.dir + "/draft.vid.yaml"])
        #expect(draft.status == 0, "\(draft.err)")
        let log = try s.vidmake(["log", "--json", s.dir + "/draft.vid.yaml"])
        let revisions = try JSONSerialization.jsonObject(with: Data(log.out.utf8)) as? [[String: Any]] ?? []
        let ran = ((revisions.last?["executed"] as? [[String: Any]]) ?? []).compactMap { $0["step"] as? String }.sorted()
        #expect(ran == ["render", "scene[1]", "scene[2]", "scene[3]", "scene[4]", "scene[5]", "scene[6]"])
    }

    /// The mean colour of the video's frame at `seconds`, as RGB.
    static func colour(_ video: String, at seconds: Double) throws -> [UInt8] {
        let out = NSTemporaryDirectory() + "vidmake-frame-" + UUID().uuidString + ".rgb"
        defer { unlink(out) }
        let r = try Tool.run(["ffmpeg", "-v", "error", "-ss", String(seconds), "-i", video, "-frames:v", "1",
                              "-vf", "scale=1:1:flags=area", "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", out])
        #expect(r.status == 0, "\(r.err)")
        return [UInt8](FileManager.default.contents(atPath: out) ?? Data())
    }

    /// When image[4][1] is on screen, from the build's timeline.
    static func stillStart(_ s: Scratch, segment: Int, image: Int) throws -> Double {
        let data = try #require(FileManager.default.contents(atPath: s.out + "/timeline.json"))
        let t = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let scenes = try #require(t["scenes"] as? [[String: Any]])
        let scene = try #require(scenes.first { $0["index"] as? Int == segment })
        let media = try #require(scene["media"] as? [[String: Any]])
        let still = try #require(media.first { $0["artifact"] as? String == "image[\(segment)][\(image)]" })
        return try #require(still["start"] as? Double)
    }

    static func isRed(_ rgb: [UInt8]) -> Bool { rgb.count == 3 && rgb[0] > 180 && rgb[1] < 80 && rgb[2] < 80 }

    @Test func editsUnderOutStayUntilAdoptedOrDiscarded() throws {
        let s = Self.builtCopy()
        let narration = s.out + "/segments/02/narration.txt"
        let image = s.out + "/segments/04/image-1.png"
        let generatedImage = try #require(Self.sha(image))
        let words = "Written by hand: the second segment says this now."
        try words.write(toFile: narration, atomically: true, encoding: .utf8)
        let red = try Tool.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=640x360", "-frames:v", "1", "-y", image])
        #expect(red.status == 0, "\(red.err)")
        let redSha = try #require(Self.sha(image))

        for n in 1...3 {
            let r = try s.build()
            #expect(r.err.contains("using your edit of out/civilwar/segments/02/narration.txt"), "build \(n): \(r.err)")
            #expect(r.err.contains("using your edit of out/civilwar/segments/04/image-1.png"), "build \(n): \(r.err)")
            if n == 1 {
                #expect(try s.executed().contains("narration[2]"))
                #expect(try s.executed().contains("scene[4]"))
            } else {
                #expect(try s.executed() == [], "build \(n) ran steps again")
            }
            // The files are the person's, byte for byte…
            #expect(try String(contentsOfFile: narration, encoding: .utf8) == words, "build \(n)")
            #expect(Self.sha(image) == redSha, "build \(n)")
            // …and the video says and shows them.
            #expect(try String(contentsOfFile: s.out + "/civilwar.srt", encoding: .utf8).contains("Written by hand"), "build \(n)")
            let at = try Self.stillStart(s, segment: 4, image: 1) + 2
            #expect(Self.isRed(try Self.colour(s.out + "/civilwar.mp4", at: at)), "build \(n): the edited image is not on screen at \(at) s")
            let status = try s.vidmake(["status", s.vidfile])
            #expect(status.out.contains("segments/02/narration.txt  → narration[2]"), "build \(n): \(status.out)")
            #expect(status.out.contains("segments/04/image-1.png  → image[4][1]"), "build \(n): \(status.out)")
        }

        // Adopt the narration: copied beside the vidfile, and the override to add is printed.
        let adopt = try s.vidmake(["adopt", s.vidfile, "out/civilwar/segments/02/narration.txt"])
        #expect(adopt.status == 0, "\(adopt.err)")
        let line = "narration: { file: \"civilwar.edits/segments/02/narration.txt\" }"
        #expect(adopt.out.contains("segments:\n  2:\n    " + line), "\(adopt.out)")
        #expect(try String(contentsOfFile: s.dir + "/civilwar.edits/segments/02/narration.txt", encoding: .utf8) == words)
        let vidfile = try String(contentsOfFile: s.vidfile, encoding: .utf8)
        let segments = try #require(vidfile.range(of: "\nsegments:"))
        let endOfLine = try #require(vidfile[segments.upperBound...].firstIndex(of: "\n"))
        var withOverride = vidfile
        withOverride.insert(contentsOf: "\n  2:\n    \(line)", at: endOfLine)
        try withOverride.write(toFile: s.vidfile, atomically: true, encoding: .utf8)
        let adopted = try s.build()
        #expect(!adopted.err.contains("narration.txt"), "the adopted file is still reported as an edit:\n\(adopted.err)")
        #expect(try s.executed() == [], "adopting the same words must cost nothing")
        #expect(try String(contentsOfFile: s.out + "/civilwar.srt", encoding: .utf8).contains("Written by hand"))

        // Discard the image: the person's file is kept in the store, the generated one comes back.
        let discard = try s.vidmake(["discard", s.vidfile, "image[4][1]"])
        #expect(discard.status == 0, "\(discard.err)")
        #expect(Self.sha(image) == generatedImage)
        #expect(Self.sha(s.dir + "/.vidmake/discarded/out_civilwar/segments/04/image-1.png") == redSha)
        let after = try s.build()
        #expect(!after.err.contains("using your edit"), "\(after.err)")
        let at = try Self.stillStart(s, segment: 4, image: 1) + 2
        #expect(!Self.isRed(try Self.colour(s.out + "/civilwar.mp4", at: at)))
        let status = try s.vidmake(["status", s.vidfile])
        #expect(!status.out.contains("edited in"), "\(status.out)")
    }

    @Test func adoptAndDiscardNameWhatTheyCannotFind() throws {
        let s = Self.builtCopy()
        let none = try s.vidmake(["adopt", s.vidfile])
        #expect(none.status == 0)
        #expect(none.out.contains("nothing to adopt"), "\(none.out)")
        try "mine".write(toFile: s.out + "/segments/02/narration.txt", atomically: true, encoding: .utf8)
        let wrong = try s.vidmake(["discard", s.vidfile, "segments/02/narations.txt"])
        #expect(wrong.status == 2)
        #expect(wrong.err.contains("segments/02/narations.txt is not an edited file of out/civilwar; did you mean 'segments/02/narration.txt'?"), "\(wrong.err)")
        // A file at the destination with other content is never written over.
        try FileManager.default.createDirectory(atPath: s.dir + "/civilwar.edits/segments/02", withIntermediateDirectories: true)
        try "older".write(toFile: s.dir + "/civilwar.edits/segments/02/narration.txt", atomically: true, encoding: .utf8)
        let refused = try s.vidmake(["adopt", s.vidfile, "narration[2]"])
        #expect(refused.status == 1)
        #expect(refused.err.contains("exists and differs"), "\(refused.err)")
        #expect(try String(contentsOfFile: s.dir + "/civilwar.edits/segments/02/narration.txt", encoding: .utf8) == "older")
    }
}
