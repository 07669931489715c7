import BuildState
import Foundation
import Planner
import Producers
import RecipeParser

/// One step run outside the in-process runner (`vidmake produce SPEC`), exactly as the runner
/// would run it: the inputs go into the store and the producer reads them there as blobs, the
/// fingerprint is taken the same way, work done before under that fingerprint is reused instead of
/// paid for again, and the outputs are committed to the store (blobs, then the record) before
/// they are copied to the files the spec names.
///
/// An output file is written only when its content changed (temp file + rename), so a runner
/// that compares mtimes (Ninja with `restat = 1`) stops at an unchanged output.
public struct Production {
    public enum Outcome: Sendable, Equatable {
        /// The store has this step's outputs under its current fingerprint.
        case upToDate
        /// The same work was done before (a revert, or another vidfile's identical step).
        case reused
        case ran(seconds: Double, cost: Double, attempts: Int)
    }

    public struct Result: Sendable {
        public var outcome: Outcome
        /// Output files whose content changed, relative as the spec names them.
        public var written: [String]
    }

    public let spec: StepSpec
    /// The directory relative paths in the spec are relative to (where the runner runs).
    public let base: String
    public var retries = 3
    public var backoff = 1.0

    public init(spec: StepSpec, base: String) {
        self.spec = spec
        self.base = base
    }

    func resolve(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : base + "/" + path
        return URL(fileURLWithPath: joined).standardizedFileURL.path
    }

    public var storeRoot: String { resolve(spec.state) }

    /// Runs the step (or finds it done) and brings its output files up to date.
    public func run(cancel: CancelToken, log: @escaping @Sendable (String) -> Void) throws(ProducerError) -> Result {
        let step = spec.step
        let store = FileStateStore(root: storeRoot, vidfileKey: spec.key)
        // The store's stat cache, as `vidmake build` uses it: a file is read and hashed again only
        // when its size, mtime or inode changed. Concurrent saves lose entries, never corrupt it.
        let hasher = FileHasher(cachePath: storeRoot + "/stat-cache.json")
        defer {
            hasher.save()
            store.save()
            for c in store.corruptBlobs { log("warning: a stored blob was corrupt and is rebuilt: \(c)") }
        }
        let folder = resolve(spec.folder)
        var inputs: [String: JobInput] = [:]
        var hashes: [String: String] = [:]
        for input in step.inputs {
            switch input.source {
            case .value(let v): inputs[input.parameter] = .value(v)
            case .unset: inputs[input.parameter] = .unset
            case .file(let p):
                let path = try projectFile(p, in: folder, for: "\(step.id)'s \(input.parameter) input")
                guard let h = hasher.hash(path) else {
                    throw ProducerError("\(step.id): cannot read \(path), its \(input.parameter) input", help: "the vidfile names this file; check that it exists")
                }
                hashes[input.parameter] = h
                inputs[input.parameter] = .file(path)
            case .artifacts(let refs, let gathered):
                var files: [ArtifactFile] = []
                var hs: [String] = []
                for ref in refs {
                    let (file, h) = try ingest(ref, into: store, hasher: hasher)
                    files.append(file)
                    hs.append(h)
                }
                hashes[input.parameter] = StepInput.artifactsHash(refs, hs, gathered: gathered)
                inputs[input.parameter] = .artifacts(files, gathered: gathered)
            }
        }
        let fingerprint = step.fingerprint(inputHashes: hashes)

        if case .done(let r) = store.lookup(step, fingerprint: fingerprint) {
            let reused: Bool
            do { reused = try StepExecution.reuse(step, r, in: store) } catch { throw ProducerError("cannot record \(step.id): \(error)") }
            var hashesByRef: [ArtifactRef: String] = [:]
            for o in step.outputs { hashesByRef[o.artifact] = r.outputs[step.relativeKey(o.artifact)] }
            return Result(outcome: reused ? .reused : .upToDate, written: try materialize(hashesByRef, store: store, hasher: hasher))
        }

        let name = step.id.description.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "-" }
        let workDir = storeRoot + "/tmp/produce-" + String(name) + "-\(getpid())-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        defer { try? FileManager.default.removeItem(atPath: workDir) }
        // Keys and base URLs as `vidmake build` reads them: the environment over `.env` beside the vidfile.
        let (environment, warnings) = ProviderEnvironment.load(folder: folder)
        for w in warnings { log("warning: " + w) }
        let meter = Meter().recording(to: Ledger(root: storeRoot), vidfile: spec.key, build: nil, step: step.id, log: log)
        let job = Job(step: step, inputs: inputs, folder: folder, render: spec.render, workDir: workDir, cancel: cancel, log: log,
                      environment: environment, meter: meter)
        let attempts = Attempts(retries: retries, backoff: backoff, log: log)
        do throws(ProducerError) {
            let done = try StepExecution.execute(job, in: store, fingerprint: fingerprint, inputHashes: hashes, attempts: attempts) { job throws(ProducerError) in
                // The pool's calls per minute hold across the processes a runner starts side by side.
                if let pool = spec.pool, let perMinute = spec.perMinute, ProviderTable.pool(job.provider) == pool {
                    try MinuteWindow(store: storeRoot, pool: pool, perMinute: perMinute).acquire(cancel: cancel)
                }
            }
            return Result(outcome: .ran(seconds: done.seconds, cost: done.cost, attempts: done.attempts),
                          written: try materialize(done.outputs, store: store, hasher: hasher))
        } catch {
            if error.cancelled || cancel.isCancelled { throw ProducerError("\(step.id): interrupted", cancelled: true) }
            throw error
        }
    }

    /// An input artifact's file goes into the store (the producer reads blobs, as in process);
    /// its producing step's record supplies the side data it was made with.
    private func ingest(_ ref: ArtifactRef, into store: BuildStore, hasher: FileHasher) throws(ProducerError) -> (ArtifactFile, String) {
        let step = spec.step
        guard let file = spec.inputs[ref.description] else {
            throw ProducerError("\(step.id): the spec names no file for its input \(ref)", help: "regenerate the build file with vidmake emit")
        }
        let path = resolve(file.path)
        guard let hash = hasher.hash(path) else {
            let maker = file.producer.map { "; the step \($0) makes it: run it first" } ?? ""
            throw ProducerError("\(step.id): its input \(ref) is missing (\(path))\(maker)")
        }
        if !store.hasBlob(hash) {
            do { _ = try store.importFile(path, hash: hash) } catch { throw ProducerError("cannot store \(ref) from \(path): \(error)") }
        }
        var extras: [String: String] = [:]
        if let maker = file.producer, let r = store.latest(maker),
           r.outputs[ArtifactRef(ref.name, Array(ref.index.dropFirst(maker.index.count))).description] == hash {
            extras = StepExecution.extras(of: r).mapValues { store.blobPath($0) }
        }
        return (ArtifactFile(ref: ref, type: file.type, path: store.blobPath(hash), extras: extras), hash)
    }

    /// Copies each output's blob to its file unless the file already has that content.
    private func materialize(_ outputs: [ArtifactRef: String], store: BuildStore, hasher: FileHasher) throws(ProducerError) -> [String] {
        var written: [String] = []
        for (ref, hash) in outputs.sorted(by: { $0.key < $1.key }) {
            guard let rel = spec.outputs[ref.description] else { continue }
            let dest = resolve(rel)
            if hasher.hash(dest) == hash { continue }
            do { try BlobFiles.install(blob: store.blobPath(hash), at: dest) } catch { throw ProducerError(error.description) }
            _ = hasher.hash(dest)   // known now, for the steps that read it
            written.append(rel)
        }
        return written
    }
}
