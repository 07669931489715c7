import BuildState
import Foundation
import TestSupport
import Testing
@testable import Planner
import RecipeParser

struct ExpansionTests {
    @Test func exampleExpandsToTheExpectedSteps() {
        let g = ExampleProject().graph()
        let ids = g.steps.map(\.id.description)
        // 6 segments; segment 5's images are files from the vidfile, so image[5][*] is not planned.
        #expect(ids.filter { $0.hasPrefix("narration[") }.count == 6)
        #expect(ids.filter { $0.hasPrefix("image[") }.count == 10)
        #expect(!ids.contains { $0.hasPrefix("image[5]") })
        #expect(ids.contains("script") && ids.contains("music_prompt") && ids.contains("music") && ids.contains("render"))
        #expect(!ids.contains { $0.hasPrefix("clip") || $0.hasPrefix("animation") || $0.hasPrefix("start_image") })
        #expect(g.steps.count == 26)
        #expect(g.sources.keys.map(\.description).sorted() == ["image[5][1]", "narration[3]"])
    }

    @Test func segmentOverridesReachTheirStep() {
        let g = ExampleProject().graph()
        let voice5 = g.step(StepID("narration", [5]))!.inputs.first { $0.parameter == "voice" }!.source
        let voice4 = g.step(StepID("narration", [4]))!.inputs.first { $0.parameter == "voice" }!.source
        #expect(voice5 == .value(.text("en-gb")))
        #expect(voice4 == .value(.text("en-us")))
        // The script still makes narration[3] as a field, but narration audio 3 reads the override.
        #expect(g.producerOf[ArtifactRef("narration", [3])] == nil)
        #expect(g.step(StepID("script"))!.outputs.map(\.artifact.description).contains("narration[4]"))
        #expect(!g.step(StepID("script"))!.outputs.map(\.artifact.description).contains("narration[3]"))
    }

    @Test func fieldLevelDependencies() {
        let g = ExampleProject().graph()
        let n4 = g.step(StepID("narration", [4]))!
        #expect(n4.reads == [ArtifactRef("narration", [4])])
        let img = g.step(StepID("image", [2, 1]))!
        #expect(img.reads == [ArtifactRef("image_prompt", [2, 1])])
        // A scene gathers its segment's images: segment 5's is the vidfile's file.
        let scene5 = g.step(StepID("scene", [5]))!
        #expect(scene5.inputs.first { $0.parameter == "image" }!.artifacts == [ArtifactRef("image", [5, 1])])
        #expect(g.step(StepID("scene", [2]))!.inputs.first { $0.parameter == "image" }!.artifacts == [ArtifactRef("image", [2, 1]), ArtifactRef("image", [2, 2])])
        // The assembly gathers every scene.
        let render = g.step(StepID("render"))!
        #expect(render.inputs.first { $0.parameter == "scene" }!.artifacts.count == 6)
    }

    @Test func textToVideoBranch() {
        let p = ExampleProject()
        p.edit("    voice: en-gb\n", "    voice: en-gb\n  2:\n    use_video: true\n")
        let ids = p.graph().steps.map(\.id.description)
        #expect(ids.contains("clip[2]"))
        #expect(!ids.contains { $0.hasPrefix("image[2]") })
        #expect(!ids.contains("animation[2]") && !ids.contains("start_image[2]"))
        #expect(ids.filter { $0.hasPrefix("image[") }.count == 8)
    }

    @Test func imageToVideoBranch() {
        let p = ExampleProject()
        p.edit("    voice: en-gb\n", "    voice: en-gb\n  4:\n    use_video: true\n    clip_from: image\n")
        let g = p.graph()
        let ids = g.steps.map(\.id.description)
        #expect(ids.contains("start_image[4]") && ids.contains("animation[4]"))
        #expect(!ids.contains("clip[4]"))
        #expect(g.step(StepID("animation", [4]))!.reads.contains(ArtifactRef("start_image", [4])))
        #expect(g.step(StepID("start_image", [4]))!.reads == [ArtifactRef("image_prompt", [4, 1])])
    }

    @Test func setOverridesAnInputForOneRun() {
        let g = ExampleProject().graph(settings: [("duration", "120s"), ("images_per_segment", "3")])
        #expect(g.steps.filter { $0.id.producer == "narration" }.count == 12)
        // 11 segments with 3 images, and segment 5 with its one file.
        #expect(g.steps.filter { $0.id.producer == "image" }.count == 33)
    }

    @Test func overridingEveryOutputPrunesTheStep() {
        let p = ExampleProject()
        p.edit("    voice: en-gb\n", "    voice: en-gb\n  6:\n    image: [photos/appomattox.png, photos/appomattox.png]\n")
        let ids = p.graph().steps.map(\.id.description)
        #expect(!ids.contains { $0.hasPrefix("image[6]") })
        #expect(ids.filter { $0.hasPrefix("image[") }.count == 8)
    }
}

struct FingerprintTests {
    @Test func sameBytesAcrossRunsAndDirectories() {
        let a = ExampleProject(), b = ExampleProject()
        let ga = a.graph(), gb = b.graph()
        let fa = DirtyAnalysis.analyze(ga, store: EmptyStateStore(), hasher: FileHasher(cachePath: nil))
        let fb = DirtyAnalysis.analyze(gb, store: EmptyStateStore(), hasher: FileHasher(cachePath: nil))
        let known = ga.steps.compactMap { fa.statuses[$0.id]?.fingerprint }
        #expect(known.count >= 2)   // the script and narration[3] (its text is known)
        for s in ga.steps { #expect(fa.statuses[s.id]?.fingerprint == fb.statuses[s.id]?.fingerprint, "\(s.id)") }
        #expect(ga.steps.map(\.canonicalDescription) == gb.steps.map(\.canonicalDescription))
        // Pinned: a change to the description format or hashing shows up here.
        #expect(fa.statuses[StepID("narration", [3])]?.fingerprint?.count == 64)
    }

    /// Provider keys reach vidmake where providers read them: the environment and the `.env`
    /// beside the vidfile. None of them gets into a step's description (so not into a
    /// fingerprint), nor into what `plan --json`, `explain` and `emit` print or write; the
    /// vidfile's own text beside them (the inquiry) does, which shows the texts searched are the
    /// ones a leaked key would be in.
    @Test func secretsNeverEnterADescription() throws {
        let p = ExampleProject()
        p.edit("  script:    { provider: local/article }", "  script:    { provider: openai/gpt-4o-mini }")
        let neighbour = "neighbour-7f3a"
        p.edit("inquiry: Tell me about the American Civil War", "inquiry: Tell me about the American Civil War \(neighbour)")
        let keys = ["OPENAI_API_KEY": "sk-secret-123", "REPLICATE_API_TOKEN": "r8_secret-456", "ELEVENLABS_API_KEY": "el-secret-789"]
        let env = Dictionary(uniqueKeysWithValues: keys.map { ($0.key, $0.value) })
        try keys.map { "\($0.key)=\($0.value)-dotenv" }.joined(separator: "\n")
            .write(toFile: p.dir + "/.env", atomically: true, encoding: .utf8)
        let secrets = keys.values.flatMap { [$0, $0 + "-dotenv"] } + ["secret-"]

        let r = Checker(environment: env).check(path: p.vidfile)
        let project = try #require(r.project, "\(r.diagnostics.all.map(\.message))")
        let g = try #require(Planner().plan(project).0)
        let script = try #require(g.steps.first { $0.id == StepID("script") })
        #expect(script.provider.family == "openai")
        #expect(script.canonicalDescription.contains(neighbour), "the control: the vidfile's text is described")
        for s in g.steps {
            for secret in secrets { #expect(!s.canonicalDescription.contains(secret), "\(s.id) describes \(secret)") }
        }

        // The binary, with the keys in its environment and in .env.
        let out = NSTemporaryDirectory() + "vidmake-emit-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        let runs = [
            try Tool.vidmake(["plan", "--json", p.vidfile], env: env),
            try Tool.vidmake(["explain", p.vidfile, "script"], env: env),
            try Tool.vidmake(["emit", "--ninja", "-C", out, p.vidfile], env: env),
            try Tool.vidmake(["emit", "--json", "-o", out + "/plan.json", "-C", out, p.vidfile], env: env),
        ]
        var texts = runs.map { $0.out + $0.err }
        for run in runs { #expect(run.status == 0, "\(run.err)") }
        let files = FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? []
        for f in files { if let d = FileManager.default.contents(atPath: out + "/" + f) { texts.append(String(decoding: d, as: UTF8.self)) } }
        #expect(files.count > 2, "emit wrote its files: \(files)")
        #expect(texts[1].contains(neighbour), "the control: explain shows the described inquiry")
        #expect(texts.dropFirst(4).contains { $0.contains(neighbour) }, "the control: the emitted specs carry the inquiry")
        for (i, text) in texts.enumerated() {
            for secret in secrets { #expect(!text.contains(secret), "output \(i) holds \(secret)") }
        }
    }
}

struct DirtinessTests {
    func statuses(_ p: ExampleProject, forced: Set<StepID> = [], settings: [(name: String, value: String)] = []) -> [StepID: StepStatus] {
        DirtyAnalysis.analyze(p.graph(settings: settings), store: p.store, hasher: p.hasher, forced: forced).statuses
    }

    @Test func emptyStoreMeansEverythingIsNewOrPending() {
        let p = ExampleProject()
        let s = statuses(p)
        #expect(s[StepID("script")]?.state == .dirty(.new))
        #expect(s[StepID("narration", [3])]?.state == .dirty(.new))
        #expect(s[StepID("narration", [4])]?.state == .dirty(.inputPending(parameter: "text", from: StepID("script"))))
    }

    @Test func afterABuildNothingIsDirty() {
        let p = ExampleProject()
        let ran = simulateBuild(p.graph(), store: p.store, hasher: p.hasher)
        #expect(ran.count == 26)
        let s = statuses(p)
        #expect(s.values.allSatisfy { !$0.isDirty })
        #expect(simulateBuild(p.graph(), store: p.store, hasher: p.hasher).isEmpty)
    }

    @Test func narrationEditRerunsOnlyThatSegment() {
        let p = ExampleProject()
        simulateBuild(p.graph(), store: p.store, hasher: p.hasher)
        p.edit("at Gettysburg and at Vicksburg.", "at Gettysburg, and at Vicksburg on the Mississippi.")
        let s = statuses(p)
        #expect(s[StepID("narration", [3])]?.state == .dirty(.inputChanged(parameter: "text")))
        #expect(s.filter { $0.value.isDirty }.keys.map(\.description).sorted() == ["narration[3]", "render", "scene[3]"])
        let ran = simulateBuild(p.graph(), store: p.store, hasher: p.hasher)
        #expect(ran.map(\.description) == ["narration[3]", "scene[3]", "render"])
        // Reverting pays nothing: the earlier results are still in the store.
        p.edit("at Gettysburg, and at Vicksburg on the Mississippi.", "at Gettysburg and at Vicksburg.")
        let back = statuses(p)
        #expect(back[StepID("narration", [3])]?.state == .upToDate(reused: true))
        #expect(simulateBuild(p.graph(), store: p.store, hasher: p.hasher).isEmpty)
    }

    @Test func voiceChangeIsADefinitionChange() {
        let p = ExampleProject()
        simulateBuild(p.graph(), store: p.store, hasher: p.hasher)
        p.edit("  voice: en-us\n", "  voice: en-us+f3\n")
        let s = statuses(p)
        #expect(s[StepID("narration", [1])]?.state == .dirty(.definitionChanged(field: "input.voice")))
        // Segment 5 has its own voice: untouched. Nothing upstream reruns.
        #expect(s[StepID("narration", [5])]?.isDirty == false)
        #expect(s[StepID("script")]?.isDirty == false)
        #expect(s[StepID("image", [1, 1])]?.isDirty == false)
    }

    @Test func sourceFileEditIsAnInputChange() {
        let p = ExampleProject()
        simulateBuild(p.graph(), store: p.store, hasher: p.hasher)
        let article = p.dir + "/article.md"
        try! (try! String(contentsOfFile: article, encoding: .utf8) + "\nOne more sentence.\n").write(toFile: article, atomically: true, encoding: .utf8)
        let s = statuses(p)
        #expect(s[StepID("script")]?.state == .dirty(.inputChanged(parameter: "source")))
        #expect(s[StepID("narration", [1])]?.state == .dirty(.inputPending(parameter: "text", from: StepID("script"))))
        #expect(s[StepID("narration", [3])]?.isDirty == false)   // its text is the vidfile's
    }

    @Test func missingBlobIsOutputMissing() throws {
        let p = ExampleProject()
        simulateBuild(p.graph(), store: p.store, hasher: p.hasher)
        let rec = p.store.latest(StepID("music"))!
        try FileManager.default.removeItem(atPath: p.store.blobPath(rec.outputs["music"]!))
        #expect(statuses(p)[StepID("music")]?.state == .dirty(.outputMissing(ArtifactRef("music"))))
    }

    @Test func forcedStepAndItsDependents() {
        let p = ExampleProject()
        simulateBuild(p.graph(), store: p.store, hasher: p.hasher)
        let s = statuses(p, forced: [StepID("music_prompt")])
        #expect(s[StepID("music_prompt")]?.state == .dirty(.forced))
        #expect(s[StepID("music")]?.state == .dirty(.inputPending(parameter: "prompt", from: StepID("music_prompt"))))
        #expect(s.filter { $0.value.isDirty }.count == 3)   // music_prompt, music, render
    }

    @Test func providerChangeIsADefinitionChange() {
        let p = ExampleProject()
        simulateBuild(p.graph(), store: p.store, hasher: p.hasher)
        p.edit("  music:     { provider: local/tones }", "  music:     { provider: replicate/meta/musicgen }")
        #expect(statuses(p)[StepID("music")]?.state == .dirty(.definitionChanged(field: "provider")))
    }

    @Test func touchingAFileWithoutChangingItReadsItOnceAndRerunsNothing() throws {
        let p = ExampleProject()
        simulateBuild(p.graph(), store: p.store, hasher: p.hasher)
        let h1 = p.hasher
        _ = DirtyAnalysis.analyze(p.graph(), store: p.store, hasher: h1)
        h1.save()
        let h2 = p.hasher
        _ = DirtyAnalysis.analyze(p.graph(), store: p.store, hasher: h2)
        #expect(h2.filesHashed == 0, "unchanged files are answered from the stat cache")
        // Touch: new mtime, same content. Hashed again once, and nothing is dirty.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: p.dir + "/article.md")
        let h3 = p.hasher
        let s = DirtyAnalysis.analyze(p.graph(), store: p.store, hasher: h3).statuses
        #expect(h3.filesHashed == 1)
        #expect(s.values.allSatisfy { !$0.isDirty })
    }

    @Test func aTornRecordLineIsIgnored() throws {
        let p = ExampleProject()
        simulateBuild(p.graph(), store: p.store, hasher: p.hasher)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: p.store.recordsPath))
        h.seekToEndOfFile()
        h.write(Data("{\"step\":\"music\",\"fingerpr".utf8))
        try h.close()
        #expect(statuses(p).values.allSatisfy { !$0.isDirty })
    }
}

struct EstimateTests {
    @Test func callsCostAndCriticalPath() {
        let p = ExampleProject()
        p.edit("  image:     { provider: local/card }", "  image:     { provider: openai/gpt-image-1 }")
        let g = p.graph()
        let e = Estimate.of(g, running: Set(g.steps.map(\.id)))
        let images = e.lines.first { $0.provider == "openai/gpt-image-1" }!
        #expect(images.calls == 10)
        #expect(abs(images.cost - 0.63) < 1e-9)
        // 10 images, 4 at a time at 25 s: 3 waves = 75 s, after the script; then a scene and the assembly.
        let table = ProviderTable.defaults
        let render = table.entries["local/ffmpeg"]!.latency
        let script = table.entries["local/article"]!.latency
        #expect(abs(e.seconds - (script + 75 + 2 * render)) < 1e-6)
    }

    @Test func rateLimitStretchesThePath() {
        let p = ExampleProject()
        p.edit("  image:     { provider: local/card }", "  image:     { provider: openai/gpt-image-1 }")
        let g = p.graph()
        var t = ProviderTable.defaults
        t.entries["openai/gpt-image-1"] = ProviderProfile(latency: 1, price: 0, concurrency: 10, perMinute: 5)
        let e = Estimate.of(g, running: Set(g.steps.map(\.id)), table: t)
        // 10 calls at 5 per minute: the sixth starts a minute after the first.
        #expect(e.seconds >= 60 + 1)
    }
}

struct ProviderSettingsTests {
    @Test func providersFileOverridesTheTableFieldByField() throws {
        let p = ExampleProject()
        p.edit("  image:     { provider: local/card }", "  image:     { provider: openai/gpt-image-1 }")
        let file = p.dir + "/providers.yaml"
        try "vidmake: 1\nproviders:\n  openai: { concurrency: 10 }\n  openai/gpt-image-1: { price: 0.04, latency: 20s }\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        var d = Diagnostics()
        let settings = try #require(ProviderSettings.load(path: file, sources: SourceManager(), into: &d))
        let table = ProviderTable.defaults.overlaid(with: settings)
        let img = table.entries["openai/gpt-image-1"]!
        #expect(img.concurrency == 10 && img.price == 0.04 && img.latency == 20)
        let g = p.graph()
        let e = Estimate.of(g, running: Set(g.steps.map(\.id)), table: table)
        #expect(abs(e.cost - 0.40) < 1e-9)
        // All ten images at once: script, one 20 s wave, the six scenes as the ffmpeg pool allows, the assembly.
        let ffmpeg = table.entries["local/ffmpeg"]!
        let waves = Double((6 + ffmpeg.concurrency - 1) / ffmpeg.concurrency)
        #expect(abs(e.seconds - (table.entries["local/article"]!.latency + 20 + waves * ffmpeg.latency + ffmpeg.latency)) < 1e-6)
    }

    @Test func badProvidersFileIsALocatedError() throws {
        let dir = NSTemporaryDirectory() + "vidmake-prov-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/providers.yaml"
        try "vidmake: 1\nproviders:\n  openai: { concurency: 10, price: -1 }\n".write(toFile: file, atomically: true, encoding: .utf8)
        var d = Diagnostics()
        #expect(ProviderSettings.load(path: file, sources: SourceManager(), into: &d) == nil)
        let lines = d.sorted.map { "\($0.span!.start.line):\($0.span!.start.column): \($0.message)" + ($0.help.map { " | " + $0 } ?? "") }
        #expect(lines == ["3:13: unknown key 'concurency' in provider 'openai' | did you mean 'concurrency'?",
                          "3:36: 'price' must be 0 or more"])
    }
}
