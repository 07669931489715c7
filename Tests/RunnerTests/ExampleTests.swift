import BuildState
import Foundation
import Testing
import TestSupport

/// The civil war example, built offline with the shipped recipe: the edits the issue names.
@Suite(.serialized)
struct ExampleTests {
    /// Until the render lands, the example is built up to it.
    static let targets = ["script", "narration", "image", "music"]

    func build(_ p: Scratch) throws {
        let r = try p.vidmake(["build", p.vidfile] + Self.targets)
        #expect(r.status == 0, "\(r.err)")
    }

    @Test func editsRerunExactlyWhatTheyChange() throws {
        let p = Scratch.example()
        try build(p)
        #expect(try p.executed().count == 19)
        for f in ["script.json", "title.txt", "segments/03/narration.txt", "segments/03/narration.wav", "segments/03/image-2.png",
                  "segments/05/image-1.png", "music.wav"] {
            #expect(FileManager.default.fileExists(atPath: p.out + "/" + f), "missing out/civilwar/\(f)")
        }
        // Nothing changed: nothing runs.
        try build(p)
        #expect(try p.executed() == [])

        // Segment 3's narration override: its speech, nothing else.
        try p.edit("the war had turned", "the tide had turned")
        try build(p)
        #expect(try p.executed() == ["narration[3]"])
        // Reverted: nothing runs; the old speech comes back from the store.
        try p.edit("the tide had turned", "the war had turned")
        try build(p)
        #expect(try p.executed() == [])
        #expect(try p.lastRevision()["reused"] as? [String] == ["narration[3]"])

        // The voice: every speech step, nothing upstream (segment 5 keeps its own en-gb).
        try p.edit("  voice: en-us\n", "  voice: en-us+f3\n")
        try build(p)
        #expect(try p.executed() == ["narration[1]", "narration[2]", "narration[3]", "narration[4]", "narration[6]"])

        // Touching the article without changing it: nothing.
        let article = p.dir + "/article.md"
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: article)
        try build(p)
        #expect(try p.executed() == [])

        // An edited image is noticed, and used.
        let image = p.out + "/segments/03/image-2.png"
        try Data(contentsOf: URL(fileURLWithPath: p.dir + "/photos/appomattox.png")).write(to: URL(fileURLWithPath: image))
        let status = try p.vidmake(["status", p.vidfile])
        #expect(status.out.contains("segments/03/image-2.png  → image[3][2]"), "\(status.out)")
        try build(p)
        #expect(try p.executed() == [])
        #expect(try Data(contentsOf: URL(fileURLWithPath: image)) == Data(contentsOf: URL(fileURLWithPath: p.dir + "/photos/appomattox.png")))
    }
}
