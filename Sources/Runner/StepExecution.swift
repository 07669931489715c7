import BuildState
import Foundation
import Planner
import Producers
import RecipeParser

/// The one path a step takes, whether the in-process runner or `vidmake produce` runs it:
/// found done by its fingerprint (`StateStore.lookup`, the only up-to-date rule) and reused,
/// or run — its producer tried by `Attempts` — and committed to the store (outputs as blobs,
/// then the record).
public enum StepExecution {
    /// What a run of a step made.
    public struct Executed: Sendable {
        public var outputs: [ArtifactRef: String]
        /// Side data (`words` → blob hash), for the steps that read the outputs.
        public var extras: [String: String]
        public var cost: Double
        public var attempts: Int
        public var seconds: Double
    }

    /// A step found done under its fingerprint: the record becomes this vidfile's head for the
    /// step (if it is not already), so the next build finds it plainly up to date. Returns
    /// whether it was reused (made under another head: a revert, a copy, another vidfile).
    @discardableResult
    public static func reuse(_ step: Step, _ record: StepRecord, in store: BuildStore) throws -> Bool {
        guard store.latest(step.id)?.fingerprint != record.fingerprint else { return false }
        try store.use(record.fingerprint, for: step.id)
        return true
    }

    /// Runs a step that is not done: each try of `attempts` (retries, then fallbacks) calls the
    /// provider's producer after `beforeCall`, and the first to succeed is committed.
    static func execute(_ job: Job, in store: BuildStore, fingerprint: String, inputHashes: [String: String], attempts: Attempts,
                        beforeCall: (Job) throws(ProducerError) -> Void = { _ in }) throws(ProducerError) -> Executed {
        let started = Date()
        let done: Attempts.Outcome<(outputs: [ArtifactRef: String], extras: [String: String], cost: Double)>
        do throws(ProducerError) {
            done = try attempts.run(job) { (job: Job) throws(ProducerError) in
                try beforeCall(job)
                return try produce(job, to: store, fingerprint: fingerprint, inputHashes: inputHashes, since: started)
            }
        } catch where !error.cancelled && DiskSpace.isFull(error.message) {
            // The system's cause first, with the place; what the program said after it.
            var full = error
            full.message = DiskSpace.message(writingIn: job.workDir) + "\n" + error.message
            full.help = "free some space there (or build with --state on a larger disk); the finished steps are kept"
            throw full
        }
        return Executed(outputs: done.value.outputs, extras: done.value.extras, cost: done.value.cost, attempts: done.attempts,
                        seconds: Date().timeIntervalSince(started))
    }

    /// Moves the outputs into the store, then appends the record: the record is the commit point.
    public static func commit(_ step: Step, _ produced: Produced, to store: BuildStore, fingerprint: String, inputHashes: [String: String], seconds: Double,
                              cost: Double = 0, usage: [Usage] = [], madeBy: ProviderRef? = nil) throws(ProducerError) -> ([ArtifactRef: String], [String: String]) {
        var hashes: [ArtifactRef: String] = [:]
        var record: [String: String] = [:]
        CrashPoint.reach(.beforeBlobs)
        for o in step.outputs {
            guard let path = produced.files[o.artifact] else {
                throw ProducerError("\(step.provider) made no \(o.artifact) for \(step.id)")
            }
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
                throw ProducerError("\(step.provider) reported \(o.artifact) at \(path), but there is no file there")
            }
            if o.type.isFile && st.st_size == 0 { throw ProducerError("\(step.provider) made an empty file for \(o.artifact)") }
            do {
                let h = try store.adoptFile(path)
                hashes[o.artifact] = h
                record[step.relativeKey(o.artifact)] = h
            } catch {
                throw ProducerError("cannot store \(o.artifact): \(error)")
            }
        }
        for (name, data) in produced.extras.sorted(by: { $0.key < $1.key }) {
            do { record["#" + name] = try store.putBlob(data) } catch { throw ProducerError("cannot store \(name) of \(step.id): \(error)") }
        }
        let r = StepRecord(step: step.id, fingerprint: fingerprint, description: step.description, inputs: inputHashes,
                           outputs: record, seconds: seconds, cost: cost, usage: usage.isEmpty ? nil : usage,
                           madeBy: madeBy.flatMap { $0.description == step.provider.description ? nil : $0.description })
        CrashPoint.reach(.beforeRecord)
        if ProcessInfo.processInfo.environment["VIDMAKE_CRASH_AT"]?.hasPrefix("torn:") == true {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let line = try? encoder.encode(r), let log = (store as? FileStateStore)?.recordsPath { CrashPoint.tear(line, into: log) }
        }
        do { try CrashPoint.atomically(then: .afterRecord) { try store.append(r) } } catch { throw ProducerError("cannot record \(step.id): \(error)") }
        return (hashes, extras(of: r))
    }

    /// One try of a step: the producer of the job's provider runs, and what it made is committed
    /// with every call the job paid for (failed tries and fallbacks included).
    private static func produce(_ job: Job, to store: BuildStore, fingerprint: String, inputHashes: [String: String],
                        since clock: Date) throws(ProducerError) -> (outputs: [ArtifactRef: String], extras: [String: String], cost: Double) {
        let step = job.step
        guard let producer = ProducerRegistry.producer(for: job.provider, kind: step.kind) else {
            throw ProducerError("no producer for \(job.provider) (\(step.kind.rawValue))",
                                help: "this version of vidmake has no \(job.provider) \(step.kind.rawValue) producer; pick another provider")
        }
        CrashPoint.reach(.running)
        let produced = try producer.run(job)
        let cost = job.meter.total
        let (outputs, extras) = try commit(step, produced, to: store, fingerprint: fingerprint, inputHashes: inputHashes,
                                           seconds: Date().timeIntervalSince(clock), cost: cost, usage: job.meter.usage, madeBy: job.provider)
        return (outputs, extras, cost)
    }

    /// Side data of a record (`#words` → blob hash), by name.
    public static func extras(of r: StepRecord) -> [String: String] {
        var out: [String: String] = [:]
        for (k, h) in r.outputs where k.hasPrefix("#") { out[String(k.dropFirst())] = h }
        return out
    }

    /// How long to wait before try `attempt + 1` after a transient failure: what the provider
    /// asked for (`Retry-After`), else exponential backoff with ±25 % jitter; and the line that says so.
    public static func retryDelay(_ e: ProducerError, step: StepID, attempt: Int, of tries: Int, backoff: Double) -> (seconds: Double, message: String) {
        let delay = e.retryAfter ?? backoff * pow(2, Double(attempt - 1)) * Double.random(in: 0.75...1.25)
        return (delay, "\(step): \(e.message); retrying in \(String(format: "%.1f", delay)) s (attempt \(attempt + 1) of \(tries))")
    }
}

extension Meter {
    /// A job's meter under this one whose every charge also goes to the spend ledger at once:
    /// a step that fails later has still spent it.
    func recording(to ledger: Ledger, vidfile: String, build: Int?, step: StepID, log: @escaping @Sendable (String) -> Void) -> Meter {
        let name = step.description
        return child { usage in
            do { try ledger.append(Ledger.Entry(vidfile: vidfile, build: build, step: name, usage: usage)) } catch {
                log("vidmake: cannot write the spend ledger: \(error)")
            }
        }
    }
}

/// The real path of a file the project names, read by a step of `build` or `produce`: the
/// confinement rule again at the moment of reading (a link may have changed since `check`).
func projectFile(_ relative: String, in folder: String, for what: String) throws(ProducerError) -> String {
    switch ProjectPaths.confined(relative, inside: folder) {
    case .inside(let real): return real
    case .missing:
        throw ProducerError("cannot read \(relative), \(what): it does not exist", help: "the vidfile names this file; check that it exists")
    case .outside(let real):
        throw ProducerError("\(relative), \(what), leads outside the project folder (to \(real))",
                            help: "vidmake reads only files inside the project's folder; copy the file in instead of linking to it")
    }
}
