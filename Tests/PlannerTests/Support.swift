import BuildState
import Foundation
@testable import Planner
import RecipeParser
import TestSupport

/// A copy of the civil war example in a scratch folder, so tests can edit the vidfile.
final class ExampleProject {
    let dir: String
    var vidfile: String { dir + "/civilwar.vid.yaml" }

    init() {
        dir = NSTemporaryDirectory() + "vidmake-plan-" + UUID().uuidString
        try! FileManager.default.copyItem(atPath: Repo.example, toPath: dir)
        try? FileManager.default.removeItem(atPath: dir + "/.vidmake")
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// Rewrites the vidfile with a textual substitution (asserting it applied).
    func edit(_ from: String, _ to: String) {
        let text = try! String(contentsOfFile: vidfile, encoding: .utf8)
        precondition(text.contains(from), "vidfile does not contain \(from)")
        try! text.replacingOccurrences(of: from, with: to).write(toFile: vidfile, atomically: true, encoding: .utf8)
    }

    func graph(settings: [(name: String, value: String)] = []) -> BuildGraph {
        let r = Checker(environment: [:], settings: settings).check(path: vidfile)
        guard let p = r.project else { fatalError("check failed: \(r.diagnostics.all.map(\.message))") }
        let (g, d) = Planner().plan(p)
        guard let g else { fatalError("plan failed: \(d.all.map(\.message))") }
        return g
    }

    var store: FileStateStore { FileStateStore(root: dir + "/.vidmake", vidfileKey: "civilwar.vid.yaml") }
    var hasher: FileHasher { FileHasher(cachePath: dir + "/.vidmake/stat-cache.json") }
}

/// Plays the runner's part for the planner's tests: runs every dirty step whose inputs are known,
/// in order, writing a deterministic output blob and a record. Returns the steps it "ran".
@discardableResult
func simulateBuild(_ g: BuildGraph, store: FileStateStore, hasher: FileHasher, forced: Set<StepID> = []) -> [StepID] {
    var ran: [StepID] = []
    var forced = forced
    while true {
        let a = DirtyAnalysis.analyze(g, store: store, hasher: hasher, forced: forced)
        // The first dirty step whose inputs are all known.
        guard let step = g.steps.first(where: { s in
            guard let st = a.statuses[s.id], st.isDirty else { return false }
            if case .dirty(.inputPending) = st.state { return false }
            return true
        }) else { return ran }
        let st = a.statuses[step.id]!
        var hashes = st.inputHashes
        if st.fingerprint == nil {   // forced: inputs are known even so
            for i in step.inputs { if case .hash(let h) = a.inputHash(i, graph: g, hasher: hasher) { hashes[i.parameter] = h } }
        }
        let fp = step.fingerprint(inputHashes: hashes)
        var outputs: [String: String] = [:]
        for o in step.outputs {
            // Content depends on the step's fingerprint and the field: what a deterministic producer does.
            outputs[step.relativeKey(o.artifact)] = try! store.putBlob(Data("\(fp) \(step.relativeKey(o.artifact))".utf8))
        }
        try! store.append(StepRecord(step: step.id, fingerprint: fp, description: step.description, inputs: hashes, outputs: outputs))
        forced.remove(step.id)
        ran.append(step.id)
    }
}
