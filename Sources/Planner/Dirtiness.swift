import Foundation
import RecipeParser

/// Why a step must run.
public enum DirtyReason: Sendable, Hashable, CustomStringConvertible {
    /// It never ran (no record of this step, and no record of the same work elsewhere).
    case new
    /// It ran with these inputs before, but an output's blob is gone from the store.
    case outputMissing(ArtifactRef)
    /// A field of its description differs from its last run: provider, an option, a value, the prompt…
    case definitionChanged(field: String)
    /// The content of an input differs from its last run.
    case inputChanged(parameter: String)
    /// The user asked for it (`--force`).
    case forced
    /// An input is made by a step that runs first; whether this one must run is known after.
    case inputPending(parameter: String, from: StepID)

    public var description: String {
        switch self {
        case .new: return "new step"
        case .outputMissing(let a): return "output \(a) missing from the store"
        case .definitionChanged(let f): return "definition changed: \(f)"
        case .inputChanged(let p): return "input \(p) changed"
        case .forced: return "forced"
        case .inputPending(let p, let s): return "input \(p) is rebuilt first by \(s)"
        }
    }

    /// A short key for machine output.
    public var code: String {
        switch self {
        case .new: return "new"
        case .outputMissing: return "output-missing"
        case .definitionChanged: return "definition-changed"
        case .inputChanged: return "input-changed"
        case .forced: return "forced"
        case .inputPending: return "input-pending"
        }
    }
}

/// What the planner knows of one step against the store.
public struct StepStatus: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        /// Nothing to do. `reused` when the result comes from another step's or an earlier run's record.
        case upToDate(reused: Bool)
        case dirty(DirtyReason)
    }

    public var state: State
    /// Known when every input's content is known.
    public var fingerprint: String?
    /// Input parameter → content hash, for the inputs known now.
    public var inputHashes: [String: String]
    /// The record the result comes from, when up to date.
    public var record: StepRecord?

    public var isDirty: Bool { if case .dirty = state { return true } else { return false } }
}

extension StepInput {
    /// The content hash of an artifact input: the artifact's own hash, or for a gathered input
    /// one hash over its members' indices and hashes in order. `vidmake produce` hashes the same way.
    public static func artifactsHash(_ refs: [ArtifactRef], _ hashes: [String], gathered: Bool) -> String {
        if !gathered, let only = hashes.first { return only }
        return SHA256.hex(zip(refs, hashes).map { "\($0.0.index)=\($0.1)" }.joined(separator: "\n"))
    }
}

extension Step {
    /// An output's name relative to the step: `audio` for narration[3]'s audio[3],
    /// `narration[3]` for the script's. Records key outputs this way, so the same work done by
    /// another instance maps onto this one.
    public func relativeKey(_ ref: ArtifactRef) -> String {
        ArtifactRef(ref.name, Array(ref.index.dropFirst(id.index.count))).description
    }

    /// SHA-256 over the canonical description and the content hashes of the inputs.
    public func fingerprint(inputHashes: [String: String]) -> String {
        var text = "vidmake-step-1\n" + canonicalDescription + "\n--\n"
        for k in inputHashes.keys.sorted() { text += "\(k)=\(inputHashes[k]!)\n" }
        return SHA256.hex(text)
    }
}

/// Decides, step by step in dependency order, what is up to date and why the rest is dirty.
public struct DirtyAnalysis: Sendable {
    public var statuses: [StepID: StepStatus] = [:]
    /// Content hash of every artifact whose content is known now (sources and up-to-date outputs).
    public var known: [ArtifactRef: String] = [:]

    public static func analyze(_ graph: BuildGraph, store: StateStore, hasher: FileHashing, forced: Set<StepID> = []) -> DirtyAnalysis {
        var a = DirtyAnalysis()
        let folder = graph.project.folder
        for (ref, source) in graph.sources {
            switch source.content {
            case .text(let t): a.known[ref] = SHA256.hex(t)
            case .file(let path): a.known[ref] = graph.project.file(path).path.flatMap(hasher.hash) ?? "missing"
            }
        }
        for step in graph.steps { a.statuses[step.id] = a.status(of: step, graph: graph, store: store, hasher: hasher, forced: forced) }
        return a
    }

    /// An analysis that knows only the graph's sources; the runner evaluates each step as its
    /// inputs become known, so that a rebuilt input with unchanged content cuts off the work after it.
    public static func start(_ graph: BuildGraph, hasher: FileHashing) -> DirtyAnalysis {
        var a = DirtyAnalysis()
        let folder = graph.project.folder
        for (ref, source) in graph.sources {
            switch source.content {
            case .text(let t): a.known[ref] = SHA256.hex(t)
            case .file(let path): a.known[ref] = graph.project.file(path).path.flatMap(hasher.hash) ?? "missing"
            }
        }
        return a
    }

    /// The status of a step whose producers have all finished: up to date (its outputs become
    /// known), or dirty and why.
    public mutating func evaluate(_ step: Step, graph: BuildGraph, store: StateStore, hasher: FileHashing, forced: Set<StepID>) -> StepStatus {
        let s = status(of: step, graph: graph, store: store, hasher: hasher, forced: forced)
        statuses[step.id] = s
        return s
    }

    /// Records the content of an artifact a step has just made.
    public mutating func learn(_ ref: ArtifactRef, hash: String) { known[ref] = hash }

    /// The content hash of a step input, or the step that must run first.
    enum InputHash {
        case none
        case hash(String)
        case pending(StepID)
    }

    func inputHash(_ input: StepInput, graph: BuildGraph, hasher: FileHashing) -> InputHash {
        switch input.source {
        case .value, .unset: return .none
        case .file(let path): return .hash(graph.project.file(path).path.flatMap(hasher.hash) ?? "missing")
        case .artifacts(let refs, let gathered):
            var hashes: [String] = []
            for r in refs {
                guard let h = known[r] else { return .pending(graph.producerOf[r] ?? StepID(r.name, r.index)) }
                hashes.append(h)
            }
            return .hash(StepInput.artifactsHash(refs, hashes, gathered: gathered))
        }
    }

    mutating func status(of step: Step, graph: BuildGraph, store: StateStore, hasher: FileHashing, forced: Set<StepID>) -> StepStatus {
        var hashes: [String: String] = [:]
        var pending: DirtyReason?
        for i in step.inputs {
            switch inputHash(i, graph: graph, hasher: hasher) {
            case .none: break
            case .hash(let h): hashes[i.parameter] = h
            case .pending(let from): if pending == nil { pending = .inputPending(parameter: i.parameter, from: from) }
            }
        }
        if forced.contains(step.id) {
            return StepStatus(state: .dirty(.forced), fingerprint: pending == nil ? step.fingerprint(inputHashes: hashes) : nil,
                              inputHashes: hashes, record: nil)
        }
        if let pending { return StepStatus(state: .dirty(pending), fingerprint: nil, inputHashes: hashes, record: nil) }
        let fp = step.fingerprint(inputHashes: hashes)
        let latest = store.latest(step.id)
        switch store.lookup(step, fingerprint: fp) {
        case .done(let r):
            for o in step.outputs { known[o.artifact] = r.outputs[step.relativeKey(o.artifact)] }
            return StepStatus(state: .upToDate(reused: latest?.fingerprint != fp), fingerprint: fp, inputHashes: hashes, record: r)
        case .outputMissing(let artifact, let r):
            return StepStatus(state: .dirty(.outputMissing(artifact)), fingerprint: fp, inputHashes: hashes, record: r)
        case .none: break
        }
        guard let last = latest else { return StepStatus(state: .dirty(.new), fingerprint: fp, inputHashes: hashes, record: nil) }
        for field in Set(step.description.keys).union(last.description.keys).sorted() where step.description[field] != last.description[field] {
            return StepStatus(state: .dirty(.definitionChanged(field: field)), fingerprint: fp, inputHashes: hashes, record: nil)
        }
        for p in Set(hashes.keys).union(last.inputs.keys).sorted() where hashes[p] != last.inputs[p] {
            return StepStatus(state: .dirty(.inputChanged(parameter: p)), fingerprint: fp, inputHashes: hashes, record: nil)
        }
        return StepStatus(state: .dirty(.definitionChanged(field: "fingerprint format")), fingerprint: fp, inputHashes: hashes, record: nil)
    }
}
