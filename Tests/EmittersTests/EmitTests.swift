import Foundation
import Testing
import TestSupport

/// `vidmake emit`: the example's build as a Ninja file and a shell script, run by the real
/// `ninja` and `sh`, compared with `vidmake build`.
@Suite(.serialized)
struct EmitTests {
    /// `[2/3] tts narration[3]` lines → the step ids, sorted (regeneration left out).
    static func steps(in output: String) -> [String] {
        output.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return nil }
            let words = line[line.index(after: close)...].split(separator: " ")
            guard words.count >= 2, words[0] != "regenerating" else { return nil }
            return String(words[1])
        }.sorted()
    }

    /// The example with the store of the suite's in-process build and no out/ tree: every step
    /// `ninja` or `sh` runs is a real `vidmake produce` that finds its record by fingerprint (the
    /// from-scratch emitted builds, byte for byte against `vidmake build`, are ReproducibilityTests').
    static func example() throws -> Scratch {
        let s = BuiltExample.copy()
        try FileManager.default.removeItem(atPath: s.out)
        return s
    }

    /// The hashes `vidmake build` got for the example (the suite's one from-scratch build).
    static func hashesOfInProcessBuild() throws -> [String: [String: String]] {
        let hashes = BuiltExample.copy().finalHashes()
        #expect(hashes.count == 26)
        return hashes
    }

    static func sha256(_ path: String) throws -> String {
        String(try Tool.run(["sha256sum", path]).out.prefix(64))
    }

    @Test func ninjaBuildsWhatBuildBuilds() throws {
        let expected = try Self.hashesOfInProcessBuild()
        let p = try Self.example()

        let e = try p.vidmake(["emit", "--ninja", p.vidfile])
        #expect(e.status == 0, "\(e.err)")
        let ninjaFile = try String(contentsOfFile: p.dir + "/build.ninja", encoding: .utf8)
        let firstStatement = ninjaFile.split(separator: "\n").first { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(firstStatement == "ninja_required_version = 1.10")
        #expect(ninjaFile.contains("pool local_espeak\n  depth = "))
        #expect(ninjaFile.contains("rule produce\n  command = $vidmake produce $in\n  description = $label\n  restat = 1\n"))
        #expect(ninjaFile.contains("  generator = 1\n"))
        #expect(ninjaFile.contains("  label = tts narration[3]\n  pool = local_espeak\n"))
        // The vidfile's narration stays in its file; no secret either.
        #expect(!ninjaFile.contains("Gettysburg") && !ninjaFile.contains("API_KEY"))
        #expect(try String(contentsOfFile: p.dir + "/build/civilwar/segments/03/narration.txt", encoding: .utf8)
                == "By July 1863 the war had turned, at Gettysburg and at Vicksburg.")
        // Deterministic: emitting again changes nothing.
        _ = try p.vidmake(["emit", "--ninja", p.vidfile])
        #expect(try String(contentsOfFile: p.dir + "/build.ninja", encoding: .utf8) == ninjaFile)

        let first = try p.run(["ninja"])
        #expect(first.status == 0, "\(first.out)\n\(first.err)")
        #expect(Self.steps(in: first.out).count == 26)
        #expect(p.finalHashes() == expected)
        #expect(try Self.sha256(p.dir + "/build/civilwar/civilwar.mp4") == expected["render"]?["video"])
        #expect(try Self.sha256(p.dir + "/build/civilwar/segments/05/narration.wav") == expected["narration[5]"]?["audio"])

        let second = try p.run(["ninja"])
        #expect(second.out.contains("ninja: no work to do."), "\(second.out)")

        // An edit to segment 3's narration: the file regenerates, and the steps the in-process
        // runner reruns (ExampleTests) rerun.
        try p.edit("the war had turned", "the tide had turned")
        let third = try p.run(["ninja"])
        #expect(third.status == 0, "\(third.out)\n\(third.err)")
        #expect(third.out.contains("regenerating build.ninja"))
        #expect(Self.steps(in: third.out) == ["narration[3]", "render", "scene[3]"], "\(third.out)")
        // They share the store: the in-process build finds the work done.
        try p.build()
        #expect(try p.executed() == [])

        // `ninja -t graph` is Graphviz: a header, then node statements and edge statements, with
        // one `produce` node per step and every step's spec among the files.
        let graph = try p.run(["ninja", "-t", "graph"])
        #expect(graph.status == 0)
        let lines = graph.out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == "digraph ninja {" && lines.last == "}")
        var labels: [String] = []
        var edges = 0
        for l in lines.dropFirst().dropLast() where !["rankdir=", "node [", "edge ["].contains(where: { l.hasPrefix($0) }) {
            let q = l.split(separator: "\"", omittingEmptySubsequences: false)
            if q.count >= 5, q[2] == " -> " { edges += 1; continue }
            #expect(q.count >= 4 && q[0].isEmpty && q[2] == " [label=", "not a dot statement: \(l)")
            if q.count >= 4 { labels.append(String(q[3])) }
        }
        #expect(edges > 100)
        #expect(labels.filter { $0 == "produce" }.count == 26)
        #expect(labels.filter { $0.hasPrefix("build/civilwar/.steps/") }.count == 26)
    }

    @Test func shellScriptBuildsWhatBuildBuilds() throws {
        let expected = try Self.hashesOfInProcessBuild()
        let p = try Self.example()
        let e = try p.vidmake(["emit", "--sh", p.vidfile])
        #expect(e.status == 0, "\(e.err)")

        let first = try p.run(["sh", "build.sh"])
        #expect(first.status == 0, "\(first.out)\n\(first.err)")
        // Every step's record is in the store: the files are installed, nothing is made again.
        #expect(Self.steps(in: first.out).isEmpty && first.out.contains("vidmake: no work to do"), "\(first.out)")
        #expect(p.finalHashes() == expected)
        #expect(try Self.sha256(p.dir + "/build/civilwar/civilwar.mp4") == expected["render"]?["video"])
        #expect(try Self.sha256(p.dir + "/build/civilwar/segments/05/narration.wav") == expected["narration[5]"]?["audio"])

        let second = try p.run(["sh", "build.sh"])
        #expect(second.status == 0 && second.out.contains("vidmake: no work to do"), "\(second.out)")

        try p.edit("the war had turned", "the tide had turned")
        let third = try p.run(["sh", "build.sh"])
        #expect(third.status == 0, "\(third.out)\n\(third.err)")
        #expect(Self.steps(in: third.out) == ["narration[3]", "render", "scene[3]"], "\(third.out)")

        // The first failure stops the script with its message: segment 5's photo is no picture,
        // which the step's own check of the vidfile names at its line.
        try Data("not a picture".utf8).write(to: URL(fileURLWithPath: p.dir + "/photos/appomattox.png"))
        let failing = try p.run(["sh", "build.sh"])
        #expect(failing.status == 1)
        #expect(failing.err.contains("civilwar.vid.yaml:23:13: error: 'photos/appomattox.png' is not an image"), "\(failing.err)")
        #expect(Self.steps(in: failing.out).isEmpty, "\(failing.out)")
    }

    /// Narration with shell, Ninja and ffmpeg syntax, in a folder whose name needs Ninja's and
    /// the shell's escaping, travels through both emitted forms unchanged and runs nothing.
    @Test func userTextNeverBecomesACommand() throws {
        let hostile = "Say $(touch pwned-a) and `touch pwned-b`; echo 'single' \"double\" $HOME: 50% done\\n [x] {y}\nsecond line; $$ $ : end"
        let p = Scratch(Repo.storyboard, vidfile: "story.vid.yaml", folder: "vidmake emit $dollar: colon 'quote' " + UUID().uuidString)
        var text = try String(contentsOfFile: p.vidfile, encoding: .utf8)
        let yaml = "\"" + hostile.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
        text = text.replacingOccurrences(of: "narration: Two lines in, the story turns.", with: "narration: " + yaml)
        try text.write(toFile: p.vidfile, atomically: true, encoding: .utf8)
        try p.build()
        let expected = p.finalHashes()
        #expect(expected.count > 10)
        for leftover in ["/.vidmake", "/out"] { try FileManager.default.removeItem(atPath: p.dir + leftover) }

        for (format, runner) in [("--ninja", ["ninja"]), ("--sh", ["sh", "build.sh"])] {
            let e = try p.vidmake(["emit", format, p.vidfile])
            #expect(e.status == 0, "\(e.err)")
            let emitted = try String(contentsOfFile: p.dir + (format == "--sh" ? "/build.sh" : "/build.ninja"), encoding: .utf8)
            #expect(!emitted.contains("pwned") && !emitted.contains("second line"))
            let r = try p.run(runner)
            #expect(r.status == 0, "\(format): \(r.out)\n\(r.err)")
            #expect(try String(contentsOfFile: p.dir + "/build/story/segments/02/lines.txt", encoding: .utf8) == hostile)
            #expect(p.finalHashes() == expected, "\(format)")
            let files = try FileManager.default.subpathsOfDirectory(atPath: p.dir)
            #expect(!files.contains { $0.contains("pwned") }, "\(format) ran user text")
            for leftover in ["/.vidmake", "/build"] { try FileManager.default.removeItem(atPath: p.dir + leftover) }
        }
        #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/pwned-a"))
    }

    /// `-C DIR`: the runner runs elsewhere; every path in the file is relative to DIR.
    @Test func emitsForAnotherDirectory() throws {
        let p = Scratch.storyboard()
        try p.build()
        let expected = p.finalHashes()
        try FileManager.default.removeItem(atPath: p.dir + "/.vidmake")
        let e = try p.vidmake(["emit", "--ninja", "-C", "runner/here", p.vidfile])
        #expect(e.status == 0, "\(e.err)")
        let text = try String(contentsOfFile: p.dir + "/runner/here/build.ninja", encoding: .utf8)
        #expect(text.contains(" ../../story.vid.yaml") && text.contains("build/story/.steps/music.json"))
        let r = try p.run(["ninja", "-C", "runner/here"])
        #expect(r.status == 0, "\(r.out)\n\(r.err)")
        #expect(p.finalHashes() == expected)
        #expect(p.exists("runner/here/build/story/music.wav") && !p.exists("build"))
        // The plan file lands there too by default.
        #expect(try p.vidmake(["emit", "--json", "-C", "runner/here", p.vidfile]).status == 0)
        #expect(p.exists("runner/here/plan.json"))
    }

    @Test func emitAndProduceRefuseWhatTheyCannotDo() throws {
        let p = Scratch.storyboard()
        let both = try p.vidmake(["emit", "--ninja", "--sh", p.vidfile])
        #expect(both.status == 2 && both.err.contains("choose one of --ninja, --sh and --json"))
        let stdout = try p.vidmake(["emit", "--ninja", "-o", "-", p.vidfile])
        #expect(stdout.status == 2 && stdout.err.contains("give -o FILE"))
        let set = try p.vidmake(["emit", "--sh", "--set", "mood=loud", p.vidfile])
        #expect(set.status == 2 && set.err.contains("put the value in the vidfile"))

        // The JSON plan on standard output: every step with its command, files and pool.
        let json = try p.vidmake(["emit", "--json", "-o", "-", p.vidfile])
        #expect(json.status == 0, "\(json.err)")
        let doc = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any] ?? [:]
        let steps = doc["steps"] as? [[String: Any]] ?? []
        // lines[1…3] are the vidfile's own: 1 line, 4 voices, 4 cards, the music prompt and the music.
        #expect(doc["format"] as? Int == 1 && steps.count == 11)
        let tts = steps.first { $0["id"] as? String == "narration[2]" } ?? [:]
        #expect((tts["command"] as? [String])?.dropFirst() == ["produce", "build/story/.steps/narration-2.json"])
        #expect(tts["pool"] as? String == "local_espeak" && tts["after"] as? [String] == [])
        #expect(tts["inputs"] as? [String] == ["build/story/segments/02/lines.txt"])

        // produce: a spec that is not one, and a missing input, fail with a message and status 1.
        try "{\"format\": 1}".write(toFile: p.dir + "/bad.json", atomically: true, encoding: .utf8)
        let bad = try p.vidmake(["produce", "bad.json"])
        #expect(bad.status == 1 && bad.err.contains("not a vidmake step spec"), "\(bad.err)")
        _ = try p.vidmake(["emit", "--ninja", p.vidfile])
        let early = try p.vidmake(["produce", "build/story/.steps/image-4.json"])
        #expect(early.status == 1 && early.err.contains("its input narration[4] is missing") && early.err.contains("lines[4] makes it"), "\(early.err)")
    }
}
