import BuildState
import Foundation
import Planner
import Producers
import RecipeParser
import Testing

/// The state store's promises, on disk and in its in-memory twin: a record belongs to its
/// fingerprint alone, heads only remember what a vidfile last used, torn lines cost only
/// themselves, and per-minute windows hold across processes on an injected clock.
struct StoreTests {
    static func scratch() -> String {
        let d = NSTemporaryDirectory() + "vidmake-store-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static let step = Step(id: StepID("narration", [3]), kind: .tts, provider: ProviderRef(family: "local", model: "espeak"),
                           inputs: [], outputs: [Step.Output(artifact: ArtifactRef("audio", [3]), type: .audio)],
                           description: ["provider": "\"local/espeak\""])

    static func record(_ fingerprint: String, blob: String, step: StepID = StepCommitLike.step) -> StepRecord {
        StepRecord(step: step, fingerprint: fingerprint, description: Self.step.description, inputs: [:], outputs: ["audio": blob])
    }

    enum StepCommitLike { static let step = StepID("narration", [3]) }

    @Test func aRecordBelongsToItsFingerprintNotToTheVidfile() throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = FileStateStore(root: root, vidfileKey: "a.vid.yaml")
        let blob = try a.putBlob(Data("speech".utf8))
        try a.append(Self.record("f1", blob: blob))
        // Another vidfile sharing the store (a copy, a rename, a draft) finds the work by fingerprint…
        let b = FileStateStore(root: root, vidfileKey: "b.vid.yaml")
        guard case .done(let r) = b.lookup(Self.step, fingerprint: "f1") else { Issue.record("b does not find a's record"); return }
        #expect(r.outputs["audio"] == blob)
        // …but has no head for the step until it uses it.
        #expect(b.latest(Self.step.id) == nil)
        try b.use("f1", for: Self.step.id)
        #expect(FileStateStore(root: root, vidfileKey: "b.vid.yaml").latest(Self.step.id)?.fingerprint == "f1")
        // One record line for the work, however many vidfiles use it.
        let lines = try String(contentsOfFile: root + "/records.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines[0].contains("\"vidfile\":\"a.vid.yaml\""))
    }

    @Test func aMissingBlobMakesTheStepRunAgain() throws {
        let store = MemoryStateStore()
        #expect({ if case .none = store.lookup(Self.step, fingerprint: "f") { return true } else { return false } }())
        let blob = try store.putBlob(Data("speech".utf8))
        try store.append(Self.record("f", blob: blob))
        #expect({ if case .done = store.lookup(Self.step, fingerprint: "f") { return true } else { return false } }())
        store.dropBlob(blob)
        guard case .outputMissing(let missing, _) = store.lookup(Self.step, fingerprint: "f") else { Issue.record("a lost blob was not noticed"); return }
        #expect(missing == ArtifactRef("audio", [3]))
    }

    @Test func theInMemoryTwinSharesRecordsLikeTheFileStore() throws {
        let a = MemoryStateStore(vidfileKey: "a.vid.yaml")
        let blob = try a.putBlob(Data("x".utf8))
        try a.append(Self.record("f", blob: blob))
        let b = a.sibling(vidfileKey: "b.vid.yaml")
        #expect(b.record(fingerprint: "f")?.vidfile == "a.vid.yaml")
        #expect(b.latest(Self.step.id) == nil)
        #expect(throws: StoreError.self) { try b.use("unknown", for: Self.step.id) }
        #expect(try String(contentsOfFile: b.blobPath(blob), encoding: .utf8) == "x")
    }

    @Test func versionOneStoresKeepTheirResults() throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/records", withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        let old = try encoder.encode(Self.record("legacy", blob: "b0"))
        try (String(decoding: old, as: UTF8.self) + "\n").write(toFile: root + "/records/civilwar.vid.yaml.jsonl", atomically: true, encoding: .utf8)
        let store = FileStateStore(root: root, vidfileKey: "civilwar.vid.yaml")
        #expect(store.record(fingerprint: "legacy") != nil)
        #expect(store.latest(Self.step.id)?.fingerprint == "legacy")
        #expect(FileStateStore(root: root, vidfileKey: "other.vid.yaml").record(fingerprint: "legacy") != nil)
    }

    @Test func aTornLineCostsOnlyItself() throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = FileStateStore(root: root, vidfileKey: "a.vid.yaml")
        try store.append(Self.record("f1", blob: "b1"))
        let h = try #require(FileHandle(forWritingAtPath: root + "/records.jsonl"))
        h.seekToEndOfFile()
        h.write(Data("{\"fingerprint\":\"torn".utf8))
        try h.close()
        try FileStateStore(root: root, vidfileKey: "a.vid.yaml").append(Self.record("f2", blob: "b2", step: StepID("narration", [4])))
        let again = FileStateStore(root: root, vidfileKey: "a.vid.yaml")
        #expect(again.record(fingerprint: "f1") != nil)
        #expect(again.record(fingerprint: "f2") != nil)
    }

    @Test func cleanCacheKeepsWhatAnotherVidfileUses() throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = FileStateStore(root: root, vidfileKey: "a.vid.yaml")
        let shared = try a.putBlob(Data("shared".utf8))
        let own = try a.putBlob(Data("own".utf8))
        try a.append(Self.record("shared", blob: shared))
        try a.append(Self.record("own", blob: own, step: StepID("narration", [4])))
        let b = FileStateStore(root: root, vidfileKey: "b.vid.yaml")
        try b.use("shared", for: Self.step.id)
        let freed = try FileStateStore(root: root, vidfileKey: "a.vid.yaml").forgetVidfile()
        #expect(freed.blobs == 1)
        let after = FileStateStore(root: root, vidfileKey: "b.vid.yaml")
        #expect(after.record(fingerprint: "shared") != nil && after.hasBlob(shared))
        #expect(after.record(fingerprint: "own") == nil && !after.hasBlob(own))
        #expect(FileStateStore(root: root, vidfileKey: "a.vid.yaml").latest(Self.step.id) == nil)
    }

    /// Four callers of one pool at 3 a minute, each with its own open file (as separate
    /// `vidmake produce` processes have): three start at once, the fourth a minute after the first,
    /// and on an injected clock the test takes no time.
    @Test func aMinuteWindowHoldsAcrossOpenersOnAnInjectedClock() throws {
        let root = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let clock = ManualClock(start: 5_000)
        for n in 1...4 {
            // A window of its own each time: another process's view of the same file.
            try MinuteWindow(store: root, pool: "openai", perMinute: 3, clock: clock).acquire(cancel: CancelToken())
            if n <= 3 { #expect(clock.now() == 5_000, "call \(n) waited") }
        }
        #expect(clock.now() >= 5_000 + MinuteRule.window && clock.now() < 5_000 + MinuteRule.window + 1, "\(clock.now())")
        // A fifth waits for the second minute's first slot too: the file kept the fourth start.
        let text = try String(contentsOfFile: root + "/limits/openai", encoding: .utf8)
        #expect(text.split(separator: "\n").compactMap { Double($0) } == [clock.now()], "\(text)")
    }

    @Test func theMinuteRuleNeverLetsAWindowSeeMoreThanItsLimit() {
        var starts: [Double] = []
        var t = 0.0
        var taken: [Double] = []
        while taken.count < 10 {
            if let wait = MinuteRule.wait(&starts, limit: 3, now: t) { t += wait; continue }
            starts.append(t)
            taken.append(t)
        }
        for s in taken { #expect(taken.filter { $0 >= s && $0 < s + 60 }.count <= 3) }
        #expect(taken[3] > 60 && taken[3] < 61.5)
    }
}
