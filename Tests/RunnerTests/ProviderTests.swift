import FakeProviders
import BuildState
import Foundation
import Testing
import TestSupport

/// Remote providers end to end: the real binary, its real libcurl client and producers, against
/// a fake server on loopback that speaks the OpenAI, Replicate and ElevenLabs APIs and injects
/// their faults. Every test also checks that no key reached any file vidmake wrote, or its output.
@Suite(.serialized)
struct ProviderTests {
    /// An example copied to a scratch folder, made small (20 s, a 640x360 draft: 320x180) so that
    /// its render is quick.
    static func example(_ folder: String, _ vidfile: String, server: FakeProviders) throws -> Scratch {
        let s = Scratch(Repo.root + "/examples/" + folder, vidfile: vidfile)
        try s.edit("duration: 60s", "duration: 20s")
        let text = try String(contentsOfFile: s.vidfile, encoding: .utf8)
        if text.contains("  size: 1920x1080\n") { try s.edit("  size: 1920x1080\n", "") }
        try s.edit("render:\n", "render:\n  quality: draft\n  size: 640x360\n")
        return s
    }

    /// The fake server's environment, with quick retries and timeouts; no real key or URL leaks in.
    static func env(_ server: FakeProviders, _ extra: [String: String] = [:]) -> [String: String] {
        var e = server.environment
        e["VIDMAKE_HTTP_TIMEOUT"] = "20"
        e["NO_PROXY"] = "127.0.0.1,localhost"
        e["no_proxy"] = "127.0.0.1,localhost"
        for (k, v) in extra { e[k] = v }
        return e
    }

    /// Fails the test if any key appears in any file under the project folder or in the output.
    static func expectNoKeys(_ s: Scratch, _ server: FakeProviders, _ runs: [Run], sourceLocation: SourceLocation = #_sourceLocation) {
        let keys = [server.keys.openai, server.keys.replicate, server.keys.elevenlabs]
        for r in runs {
            for k in keys {
                #expect(!r.out.contains(k) && !r.err.contains(k), "a key in vidmake's output", sourceLocation: sourceLocation)
            }
        }
        let e = FileManager.default.enumerator(atPath: s.dir)
        var files = 0
        while let rel = e?.nextObject() as? String {
            let path = s.dir + "/" + rel
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            files += 1
            for k in keys where data.range(of: Data(k.utf8)) != nil {
                Issue.record("\(rel) contains a key", sourceLocation: sourceLocation)
            }
        }
        #expect(files > 0, sourceLocation: sourceLocation)
    }

    /// The spend ledger's calls (`vidmake log --calls`).
    static func ledger(_ s: Scratch) throws -> [[String: Any]] {
        let r = try s.vidmake(["log", "--calls", s.vidfile])
        return (try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]]) ?? []
    }

    /// The sum of one unit over the ledger's calls to providers whose name starts with `prefix`.
    static func units(_ calls: [[String: Any]], _ prefix: String, _ unit: String) -> Double {
        calls.compactMap { $0["usage"] as? [String: Any] }.filter { ($0["provider"] as? String)?.hasPrefix(prefix) ?? false }
            .reduce(0) { $0 + ((($1["units"] as? [String: Any])?[unit] as? NSNumber)?.doubleValue ?? 0) }
    }

    static func cost(_ calls: [[String: Any]]) -> Double {
        calls.compactMap { ($0["usage"] as? [String: Any])?["cost"] as? NSNumber }.reduce(0) { $0 + $1.doubleValue }
    }

    static func probe(_ path: String) throws -> String {
        try Tool.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,height", "-of", "csv=p=0", path]).out
    }

    // MARK: - the examples, end to end

    @Test func openaiExampleBuildsAndTheLedgerMatchesTheServer() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        let s = try Self.example("openai", "moonlanding.vid.yaml", server: server)
        let first = try s.build([], env: Self.env(server))
        #expect(try Self.probe(s.out + "/moonlanding.mp4").contains("video,320,180"))
        let st = server.stats()
        #expect(st.requests["chat"] == 2)           // the script and the music prompt
        #expect(st.requests["speech"] == 2)         // a narration per segment
        #expect(st.requests["transcriptions"] == 2) // word timings for each
        #expect(st.requests["images"] == 4)         // two stills per segment

        // What the server reported using is what the ledger charged.
        let calls = try Self.ledger(s)
        #expect(Self.units(calls, "openai/gpt-4o-mini", "input_tokens") == Double(st.promptTokens))
        #expect(Self.units(calls, "openai/gpt-4o-mini", "output_tokens") == Double(st.completionTokens))
        #expect(Self.units(calls, "openai/gpt-4o-mini-tts", "characters") == Double(st.speechCharacters))
        #expect(abs(Self.units(calls, "openai/whisper-1", "audio_seconds") - st.transcriptionSeconds) < 1e-9)
        #expect(Self.units(calls, "openai/gpt-image-1", "images") == Double(st.images))
        let spent = Self.cost(calls)
        #expect(spent > 0)
        // The revision's spend is the ledger's, and `log` shows it per provider.
        #expect(abs(((try s.lastRevision()["spend"] as? NSNumber)?.doubleValue ?? -1) - spent) < 1e-9)
        let log = try s.vidmake(["log", s.vidfile]).out
        #expect(log.contains("openai/gpt-image-1") && log.contains("4 calls"), "\(log)")
        // Subtitles follow the transcription's word timings.
        let words = try String(contentsOfFile: s.out + "/moonlanding.srt", encoding: .utf8)
        #expect(!words.isEmpty)

        // Built once, paid once: a second build calls nothing.
        let second = try s.build([], env: Self.env(server))
        #expect(second.out.contains("nothing to do"), "\(second.out)")
        #expect(server.stats().requests == st.requests)
        Self.expectNoKeys(s, server, [first, second])
    }

    /// Faults on every route of one build: it still ends in the video a build without faults
    /// makes, byte for byte, having paid for the extra calls.
    @Test func aBuildThroughFaultsOnEveryRouteMakesTheSameVideo() throws {
        let clean = try FakeProviders()
        defer { clean.stop() }
        let a = try Self.example("openai", "moonlanding.vid.yaml", server: clean)
        try a.build([], env: Self.env(clean))

        let server = try FakeProviders()
        defer { server.stop() }
        server.inject(.chat, [.status(429, retryAfter: "1"), .malformedJSON])
        server.inject(.speech, [.status(500), .drop])
        server.inject(.images, [.badMedia, .drop, .status(503, retryAfterMs: 100)])
        server.inject(.transcriptions, [.malformedJSON])
        let b = try Self.example("openai", "moonlanding.vid.yaml", server: server)
        let run = try b.build([], env: Self.env(server))
        let sha = { (p: String) in try Tool.run(["sha256sum", p]).out.prefix(64) }
        #expect(try sha(a.out + "/moonlanding.mp4") == sha(b.out + "/moonlanding.mp4"))
        #expect(try sha(a.out + "/moonlanding.srt") == sha(b.out + "/moonlanding.srt"))
        let st = server.stats()
        #expect(st.requests["chat"] == 2 + 2)            // a 429, and a reply that is not JSON
        #expect(st.requests["images"] == 4 + 3)
        // Every call the server answered with usage is on the ledger, the wasted ones too.
        let calls = try Self.ledger(b)
        #expect(Self.units(calls, "openai/gpt-4o-mini", "input_tokens") == Double(st.promptTokens))
        #expect(Self.units(calls, "openai/gpt-4o-mini-tts", "characters") == Double(st.speechCharacters))
        #expect(Self.cost(calls) > Self.cost(try Self.ledger(a)))
        Self.expectNoKeys(b, server, [run])
    }

    @Test func replicateExampleMakesStillsClipsAndMusic() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        let s = try Self.example("replicate", "coralreef.vid.yaml", server: server)
        // 20 s is two segments: make the second the image-to-video one.
        try s.edit("  5:\n    use_video: true\n    clip_from: image", "  1:\n    use_video: true\n    clip_from: image")
        let run = try s.build([], env: Self.env(server))
        #expect(try Self.probe(s.out + "/coralreef.mp4").contains("video,320,180"))
        let st = server.stats()
        // Segment 1: a still, animated by Kling; segment 2: a MiniMax clip; and the music.
        #expect(st.replicatePredictions["black-forest-labs/flux-schnell"] == 1)
        #expect(st.replicatePredictions["kwaivgi/kling-v1.6-standard"] == 1)
        #expect(st.replicatePredictions["minimax/video-01"] == 1)
        #expect(st.replicatePredictions["meta/musicgen"] == 1)
        let calls = try Self.ledger(s)
        #expect(Self.units(calls, "replicate/meta/musicgen", "predict_seconds") == st.replicatePredictSeconds["meta/musicgen"])
        #expect(Self.units(calls, "replicate/", "outputs") == Double(st.replicateOutputs.values.reduce(0, +)))
        Self.expectNoKeys(s, server, [run])
    }

    @Test func elevenlabsExampleTimesSubtitlesFromTheAlignment() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        let s = try Self.example("elevenlabs", "greatfire.vid.yaml", server: server)
        let run = try s.build([], env: Self.env(server))
        #expect(try Self.probe(s.out + "/greatfire.mp4").contains("video,320,180"))
        let st = server.stats()
        #expect(st.requests["elevenlabs"] == 2)
        let calls = try Self.ledger(s)
        #expect(Self.units(calls, "elevenlabs/", "characters") == Double(st.elevenlabsCharacters))
        Self.expectNoKeys(s, server, [run])
    }

    @Test func ollamaExampleWritesTheScript() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        let s = try Self.example("ollama", "vikings.vid.yaml", server: server)
        var env = Self.env(server)
        env.removeValue(forKey: "OPENAI_API_KEY")
        let run = try s.build([], env: env)
        #expect(server.stats().requests["chat"] == 2)
        let narration = try String(contentsOfFile: s.out + "/segments/01/narration.txt", encoding: .utf8)
        #expect(narration.split(separator: " ").count >= 5)
        let calls = try Self.ledger(s)
        #expect(Self.cost(calls) == 0)
        #expect(run.err.isEmpty || !run.err.contains("error"))
    }
}
