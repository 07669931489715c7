import BuildState
import Foundation
import Testing
import TestSupport

/// `vidmake build` on the small storyboard fixture (template text, espeak-ng speech, cards,
/// synthesized music): the real binary, real espeak-ng and ffmpeg.
@Suite(.serialized)
struct BuildTests {
    @Test func buildsEverythingThenNothing() throws {
        let p = Scratch.storyboard()
        let first = try p.build()
        #expect(first.out.contains("ran 11 steps"), "\(first.out)")
        #expect(try p.executed().count == 11)
        for f in ["segments/01/narration.wav", "segments/04/narration.wav", "segments/04/lines.txt", "segments/02/image.png",
                  "music.wav", "music_prompt.txt"] {
            #expect(FileManager.default.fileExists(atPath: p.out + "/" + f), "missing out/story/\(f)")
        }
        // The override's text is what segment 1 says; segment 4's comes from the template.
        #expect(try String(contentsOfFile: p.out + "/segments/01/lines.txt", encoding: .utf8) == "The first line is the vidfile's own.")
        #expect(try String(contentsOfFile: p.out + "/segments/04/lines.txt", encoding: .utf8) == "A quiet line, read aloud by the offline voice.")

        let second = try p.build()
        #expect(second.out.hasPrefix("nothing to do: all 11 steps up to date"), "\(second.out)")
        let rev = try p.lastRevision()
        #expect((rev["executed"] as? [Any])?.count == 0)
        #expect(rev["upToDate"] as? Int == 11)
        #expect(rev["result"] as? String == "ok")
    }

    @Test func overrideChangeRerunsOnlyItsSegmentAndRevertRerunsNothing() throws {
        let p = Scratch.storyboard()
        try p.build()
        let before = p.finalHashes()
        try p.edit("The third segment speaks of the river.", "The third segment speaks of the sea.")
        try p.build()
        #expect(try p.executed() == ["image[3]", "narration[3]"])
        try p.edit("The third segment speaks of the sea.", "The third segment speaks of the river.")
        let r = try p.build()
        #expect(try p.executed() == [])
        #expect(Set(try p.lastRevision()["reused"] as? [String] ?? []) == ["image[3]", "narration[3]"])
        #expect(r.out.contains("reused"))
        // The out tree is back to the first build's content.
        #expect(p.finalHashes()["narration[3]"] == before["narration[3]"])
    }

    @Test func voiceChangeRerunsSpeechOnly() throws {
        let p = Scratch.storyboard()
        try p.build()
        try p.edit("  mood: quiet\n", "  mood: quiet\n  voice: en-gb\n")
        try p.build()
        #expect(try p.executed() == ["narration[1]", "narration[2]", "narration[3]", "narration[4]"])
    }

    @Test func touchingAFileRerunsNothing() throws {
        let p = Scratch.storyboard()
        try p.build()
        // Same bytes, new mtime: hashed again, found unchanged.
        let line = p.dir + "/line.md"
        let text = try Data(contentsOf: URL(fileURLWithPath: line))
        Thread.sleep(forTimeInterval: 0.01)
        try text.write(to: URL(fileURLWithPath: line))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: p.vidfile)
        let r = try p.build()
        #expect(try p.executed() == [])
        #expect(r.out.hasPrefix("nothing to do"))
    }

    @Test func editedOutputIsDetectedUsedAndNeverOverwritten() throws {
        let p = Scratch.storyboard()
        try p.build()
        let edited = p.out + "/segments/02/image.png"
        let original = try Data(contentsOf: URL(fileURLWithPath: edited))
        // A person replaces the image with another picture (segment 4's).
        let other = try Data(contentsOf: URL(fileURLWithPath: p.out + "/segments/04/image.png"))
        try other.write(to: URL(fileURLWithPath: edited))
        let status = try p.vidmake(["status", p.vidfile])
        #expect(status.out.contains("segments/02/image.png  → image[2]"), "\(status.out)")
        let json = try p.vidmake(["status", "--json", p.vidfile])
        #expect(json.out.contains("\"path\": \"out/story/segments/02/image.png\""), "\(json.out)")

        let r = try p.build()
        #expect(r.err.contains("using your edit of out/story/segments/02/image.png"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: edited)) == other, "the edit was overwritten")
        #expect(try p.executed() == [])
        // Deleting the file drops the edit: the generated image comes back from the store, no step runs.
        try FileManager.default.removeItem(atPath: edited)
        try p.build()
        #expect(try Data(contentsOf: URL(fileURLWithPath: edited)) == original)
        #expect(try p.executed() == [])
    }

    @Test func editedTextIsUsedDownstream() throws {
        let p = Scratch.storyboard()
        try p.build()
        try "Segment four, rewritten by hand.".write(toFile: p.out + "/segments/04/lines.txt", atomically: true, encoding: .utf8)
        try p.build()
        #expect(try p.executed() == ["image[4]", "narration[4]"])
        #expect(try String(contentsOfFile: p.out + "/segments/04/lines.txt", encoding: .utf8) == "Segment four, rewritten by hand.")
    }

    @Test func forceRerunsTheStepAndWhatFollows() throws {
        let p = Scratch.storyboard()
        try p.build()
        try p.build(["--force", "music_prompt"])
        #expect(try p.executed() == ["music", "music_prompt"])
        try p.build(["--force", "narration[2]"])
        #expect(try p.executed() == ["narration[2]"])
    }

    @Test func targetsBuildOnlyWhatTheyNeed() throws {
        let p = Scratch.storyboard()
        #expect(try p.vidmake(["build", p.vidfile, "narration[4]"]).status == 0)
        #expect(try p.executed() == ["lines[4]", "narration[4]"])
        #expect(try p.vidmake(["build", p.vidfile, "music"]).status == 0)
        #expect(try p.executed() == ["music", "music_prompt"])
        let bad = try p.vidmake(["build", p.vidfile, "naration[4]"])
        #expect(bad.status == 2)
        #expect(bad.err.contains("did you mean 'narration[4]'"), "\(bad.err)")
    }

    @Test func dryRunRunsNothing() throws {
        let p = Scratch.storyboard()
        let r = try p.vidmake(["build", "-n", p.vidfile])
        #expect(r.status == 0)
        #expect(r.out.contains("would run 11 of 11 steps"), "\(r.out)")
        #expect(!p.exists(".vidmake/records"))
        #expect(!p.exists("out"))
    }

    @Test func pinKeepsAStaleOutput() throws {
        let p = Scratch.storyboard()
        try p.build()
        try p.edit("mood: quiet", "mood: stormy")
        try p.build(["--pin", "music"])
        let executed = try p.executed()
        #expect(executed.contains("music_prompt") && !executed.contains("music"))
        #expect(try p.lastRevision()["pinned"] as? [String] == ["music"])
    }

    /// A voice espeak-ng does not have is refused by check at the line that names it, before any
    /// step runs (it used to fail narration[4] mid-build); with the voice fixed, the build runs.
    @Test func anUnknownVoiceIsRefusedBeforeAnythingRuns() throws {
        let p = Scratch.storyboard()
        try p.edit("segments:\n", "segments:\n  4:\n    voice: xx-nowhere\n")
        let r = try p.vidmake(["build", "-k", p.vidfile])
        #expect(r.status == 1)
        #expect(r.err.contains("story.vid.yaml:8:12: error: espeak-ng has no voice 'xx-nowhere' (producer 'narration' speaks with local/espeak)"), "\(r.err)")
        #expect(r.err.contains("help: list the voices with: espeak-ng --voices"))
        #expect(p.records().isEmpty)
        try p.edit("voice: xx-nowhere", "voice: en-gb")
        try p.build()
        #expect(!p.records().isEmpty)
    }

    @Test func aSecondBuildOfTheSameVidfileIsRefused() throws {
        let p = Scratch.storyboard()
        let dir = p.dir + "/.vidmake/locks"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/story.vid.yaml.lock"
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        _ = "pid 4242, started earlier\n".withCString { write(fd, $0, strlen($0)) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let r = try p.vidmake(["build", p.vidfile])
        #expect(r.status == 1)
        #expect(r.err.contains("another vidmake build of this vidfile is running (pid 4242, started earlier)"), "\(r.err)")
        flock(fd, LOCK_UN)
        try p.build()
    }

    @Test func cleanRemovesOutputsAndTheNextBuildRestoresThem() throws {
        let p = Scratch.storyboard()
        try p.build()
        let c = try p.vidmake(["clean", p.vidfile])
        #expect(c.status == 0)
        #expect(c.out.contains("removed 14 files"), "\(c.out)")
        #expect(!p.exists("out/story"))
        let r = try p.build()
        #expect(try p.executed() == [])
        #expect(r.out.contains("restored 14 files"), "\(r.out)")
        let cc = try p.vidmake(["clean", "--cache", p.vidfile])
        #expect(cc.status == 0, "\(cc.err)")
        try p.build()
        #expect(try p.executed().count == 11)
    }

    @Test func interruptStopsCancelsAndResumes() throws {
        let p = Scratch.storyboard()
        try p.edit("duration: 40s", "duration: 120s")
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: Repo.binary)
        proc.arguments = ["build", "-j", "1", p.vidfile]
        proc.standardOutput = FileHandle.nullDevice
        proc.standardError = FileHandle.nullDevice
        try proc.run()
        // Wait for the first finished step, then Ctrl-C.
        let deadline = Date().addingTimeInterval(30)
        while p.records().count < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        kill(proc.processIdentifier, SIGINT)
        proc.waitUntilExit()
        #expect(proc.terminationStatus == 130)
        let done = Set(p.records().map(\.step))
        #expect(done.count < 23, "the build finished before the interrupt")
        #expect(!p.exists(".vidmake/tmp"), "a work folder was left behind")
        #expect(try p.lastRevision()["result"] as? String == "interrupted")
        try p.build()
        #expect(Set(try p.executed()).isDisjoint(with: done))
    }
}
