import Foundation
import Testing
import TestSupport

/// Builds are byte-identical: the civil war example, built from scratch three ways in two folders
/// (`vidmake build`, `emit --ninja` + `ninja`, `emit --sh` + `sh build.sh`), and its render run
/// again (`vidmake build --force render`), gives the same bytes in every artifact, the timeline,
/// the OpenTimelineIO file and the video.
///
/// Two of the runs see one CPU (`taskset -c 0`, where installed): x264 and ffmpeg size their
/// threads by the CPUs a process may use, so this is how a machine with another core count is
/// tried on this one.
@Suite(.serialized)
struct ReproducibilityTests {
    /// The example cut down to what still exercises every path of the render at a small size:
    /// two segments (one transition between scenes), two stills in segment 1 (a dissolve inside a
    /// scene), a narration the vidfile supplies, a photo the vidfile supplies with another voice,
    /// the music bed with ducking, burned-in subtitles.
    static func project() throws -> Scratch {
        let p = Scratch(Repo.example, vidfile: "civilwar.vid.yaml", folder: "vidmake-repro-" + UUID().uuidString)
        let text = """
            vidmake: 1
            include: documentary
            inputs:
              inquiry: Tell me about the American Civil War
              source: article.md
              duration: 20s
              voice: en-us
              images_per_segment: 2
              style: archival photograph, sepia
            segments:
              1:
                narration: By July 1863 the war had turned, at Gettysburg and at Vicksburg.
              2:
                image: [photos/appomattox.png]
                voice: en-gb
            render:
              size: 640x360
              fps: 30
              transition: fade 0.5s
              subtitles: burn
              music: -18dB duck
              loudness: -14 LUFS

            """
        try text.write(toFile: p.vidfile, atomically: true, encoding: .utf8)
        return p
    }

    /// `argv` in the project folder; with `oneCPU`, pinned to the first CPU when `taskset` exists.
    static func run(_ p: Scratch, _ argv: [String], oneCPU: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let pinned = oneCPU && FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") ? ["taskset", "-c", "0"] : []
        var env = ProcessInfo.processInfo.environment
        env["VIDMAKE"] = Repo.binary
        env["NO_COLOR"] = "1"
        let (proc, out, err) = try Tool.launch("/usr/bin/env", pinned + argv, cwd: p.dir, environment: env)
        #expect(proc.terminationStatus == 0, "\(argv.joined(separator: " ")) failed:\n\(out)\n\(err)", sourceLocation: sourceLocation)
    }

    /// Every file under `dir` but hidden ones (`.steps/`, `.ninja_log`), by relative path → SHA-256.
    static func tree(_ dir: String) throws -> [String: String] {
        let files = (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? [])
            .filter { rel in !rel.split(separator: "/").contains { $0.hasPrefix(".") } }
            .filter { rel in var d: ObjCBool = false; return FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &d) && !d.boolValue }
            .sorted()
        guard !files.isEmpty else { return [:] }
        let sums = try Tool.launch("/usr/bin/env", ["sha256sum", "--"] + files, cwd: dir).1
        var out: [String: String] = [:]
        for line in sums.split(separator: "\n") {
            let hash = line.prefix(64), rel = line.dropFirst(66)
            out[String(rel)] = String(hash)
        }
        #expect(out.count == files.count)
        return out
    }

    /// The files of `b` that differ from `a`'s, or that only one of them has.
    static func differences(_ a: [String: String], _ b: [String: String]) -> [String] {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }

    @Test func everyWayOfBuildingGivesTheSameBytes() throws {
        // 1. vidmake build, from scratch, in one folder.
        let p = try Self.project()
        try p.build()
        let built = try Self.tree(p.out)
        #expect(built["civilwar.mp4"] != nil && built["timeline.json"] != nil && built["civilwar.otio"] != nil, "\(built.keys.sorted())")

        // The timeline and the OTIO name media by their place in out/civilwar/, never the store or
        // the folder, and every name is a file there.
        for file in ["timeline.json", "civilwar.otio"] {
            let text = try String(contentsOfFile: p.out + "/" + file, encoding: .utf8)
            #expect(!text.contains(".vidmake") && !text.contains(p.dir) && !text.contains("file://"), "\(file) names a store path")
        }
        let timeline = try String(contentsOfFile: p.out + "/timeline.json", encoding: .utf8)
        let named = Set(timeline.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "\"path\" : \"") else { return nil }
            return String(line[r.upperBound...].prefix { $0 != "\"" })
        })
        #expect(named.contains("segments/01/narration.wav") && named.contains("segments/02/scene.mp4") && named.contains("music.wav"),
                "\(named.sorted())")
        for name in named { #expect(built[name] != nil, "timeline.json names \(name), which out/civilwar/ lacks") }

        // 2. The render again, on one CPU.
        try Self.run(p, [Repo.binary, "build", "--force", "render", p.vidfile], oneCPU: true)
        #expect(try p.executed() == ["render"])
        let rerendered = try Self.tree(p.out)
        #expect(Self.differences(built, rerendered) == [], "vidmake build --force render changed these files")

        // 3. ninja, from scratch, in another folder.
        let q = try Self.project()
        try Self.run(q, [Repo.binary, "emit", "--ninja", q.vidfile])
        try Self.run(q, ["ninja"])
        let buildDir = q.dir + "/build/civilwar"
        let ninja = try Self.tree(buildDir)

        // build/civilwar/ has out/civilwar/'s files but two: the script's view (script.json,
        // written by vidmake build only) and the photo the vidfile supplies (an emitted build reads
        // it where it is, in photos/).
        let onlyInOut: Set = ["script.json", "segments/02/image-1.png"]
        #expect(Set(built.keys).subtracting(onlyInOut) == Set(ninja.keys), "out/ and build/ list different files")
        #expect(Self.differences(built.filter { !onlyInOut.contains($0.key) }, ninja) == [], "ninja built these differently")

        // 4. sh, from scratch (the store and the tree of the ninja build gone), on one CPU.
        for gone in ["/.vidmake", "/build"] { try FileManager.default.removeItem(atPath: q.dir + gone) }
        try Self.run(q, [Repo.binary, "emit", "--sh", q.vidfile])
        try Self.run(q, ["sh", "build.sh"], oneCPU: true)
        let shell = try Self.tree(buildDir)
        #expect(Self.differences(ninja, shell) == [], "sh build.sh built these differently")
    }
}
