import BuildState
import Foundation
import Planner
import Producers
import RecipeParser

/// How a build runs.
public struct RunOptions: Sendable {
    /// Build these steps and what they need; nil builds everything.
    public var targets: Set<StepID>?
    /// `-k`: after a failure, go on with the steps that do not depend on it.
    public var keepGoing = false
    /// `--force`: run these even if up to date (the CLI passes them with everything after them).
    public var forced: Set<StepID> = []
    /// `--pin`: keep these steps' last outputs even if their inputs changed.
    public var pinned: Set<StepID> = []
    /// `-j`: local steps at once (they share the machine's cores).
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// `--limit POOL=N[,M/min]`: a pool's limits over the provider table's.
    public var limits: [String: PoolLimit] = [:]
    /// Tries of a step after a transient failure, beyond the first.
    public var retries = 3
    /// Base of the exponential backoff, seconds.
    public var backoff = 1.0
    /// `-v`: print the commands producers run.
    public var verbose = false
    /// `--budget`: US dollars; no call starts once actual spend reaches it.
    public var budget: Double?
    /// The revision this build will be, for the spend ledger.
    public var buildNumber: Int?
    /// Where pools, retries and per-minute windows take their time (a test injects a `ManualClock`).
    public var clock: BuildClock = SystemClock()

    public init() {}
}

/// What became of one step in a build.
public enum StepOutcome: Sendable {
    case upToDate
    /// Made before under the same fingerprint (a revert, or the same work elsewhere).
    case reused
    case pinned
    case ran(seconds: Double, cost: Double, attempts: Int)
    case failed(ProducerError)
    case skipped(String)
    case cancelled
}

/// Receives the build's progress; the CLI draws a status line or plain lines from it.
public protocol RunReporter: AnyObject, Sendable {
    func stepStarted(_ step: Step, reason: DirtyReason)
    func stepFinished(_ step: Step, _ outcome: StepOutcome, done: Int, total: Int)
    func log(_ line: String)
    /// Called about twice a second while steps run.
    func tick(running: [Step], done: Int, total: Int, elapsed: Double, spend: Double)
}

/// Runs a build graph in process: a step starts the moment its inputs exist and its provider's
/// pool has room; each finished step is committed to the store (outputs as blobs, then the record)
/// before anything depends on it, so a build stopped at any instant resumes without redoing it.
public final class Runner: @unchecked Sendable {
    let graph: BuildGraph
    let store: FileStateStore
    let hasher: FileHasher
    let table: ProviderTable
    let options: RunOptions
    let reporter: RunReporter
    let tmpRoot: String
    let environment: ProviderEnvironment
    /// The build's spend, with the budget; every charge is also written to the ledger.
    public let meter: Meter
    let ledger: Ledger

    private let cond = NSCondition()
    // Everything below is guarded by `cond`.
    private var analysis: DirtyAnalysis
    private var waitingOn: [StepID: Int] = [:]
    private var dependents: [StepID: [StepID]] = [:]
    private var ready: Set<Int> = []
    private var queued = Queue()
    private var running: [StepID: CancelToken] = [:]
    private var events: [Event] = []
    private var pools: [String: Pool] = [:]
    private var cpu: Pool
    public private(set) var outcomes: [StepID: StepOutcome] = [:]
    private var reasons: [StepID: DirtyReason] = [:]
    private var expected: Set<StepID> = []
    /// Side data of finished steps (`#words` → blob hash), handed to the steps that read their outputs.
    private var extras: [StepID: [String: String]] = [:]
    /// Real paths of the project files the build reads, by the relative path the project names.
    private var files: [String: String] = [:]
    private var interrupted = false
    private var failedAny = false
    private var total = 0
    private var done = 0
    private let started: Double
    private let clock: BuildClock

    enum Event {
        case finished(StepID, outputs: [ArtifactRef: String], extras: [String: String], seconds: Double, cost: Double, attempts: Int)
        case failed(StepID, ProducerError)
        case cancelled(StepID)
        /// Not run after all (the budget was spent before its call).
        case stopped(StepID)
    }

    public init(graph: BuildGraph, store: FileStateStore, hasher: FileHasher, table: ProviderTable, options: RunOptions, reporter: RunReporter,
                environment: ProviderEnvironment = ProviderEnvironment()) {
        self.environment = environment
        self.ledger = Ledger(root: store.root)
        self.meter = Meter(budget: options.budget)
        self.graph = graph
        self.store = store
        self.hasher = hasher
        self.table = table
        self.options = options
        self.reporter = reporter
        // Each vidfile's build (under its lock) owns its own work folders: builds of other vidfiles sharing the store run beside it.
        self.tmpRoot = store.root + "/tmp/build-" + FileStateStore.sanitize(store.vidfileKey)
        self.analysis = DirtyAnalysis.start(graph, hasher: hasher)
        self.cpu = Pool(limit: PoolLimit(concurrency: max(1, options.jobs)))
        self.clock = options.clock
        self.started = options.clock.now()
    }

    /// The content of every artifact known now (sources, up-to-date and finished outputs).
    public var known: [ArtifactRef: String] { cond.withLock { analysis.known } }

    /// Stops launching steps and cancels the running ones (Ctrl-C).
    public func interrupt() {
        cond.withLock {
            interrupted = true
            for t in running.values { t.cancel() }
            cond.broadcast()
        }
    }

    public var wasInterrupted: Bool { cond.withLock { interrupted } }

    /// Runs the build to its end (or to the first failure without `-k`, or to an interrupt).
    /// `expected` (the steps the first analysis did not find up to date) sizes the progress
    /// count; it shrinks as some of them turn out to be up to date after all.
    public func run(expected: Set<StepID>) throws {
        try confineFiles()
        try ingestSources()
        cleanTmp()
        let scope = options.targets.map { graph.closure(upstreamOf: $0) } ?? Set(graph.steps.map(\.id))
        cond.lock()
        total = expected.count
        self.expected = expected
        for s in graph.steps where scope.contains(s.id) {
            let deps = graph.dependencies(of: s)
            waitingOn[s.id] = deps.count
            for d in deps { dependents[d, default: []].append(s.id) }
            if deps.isEmpty { ready.insert(graph.index[s.id]!) }
        }
        var lastTick = 0.0
        while true {
            while !events.isEmpty { handle(events.removeFirst()) }
            var wake: Double?
            if !interrupted && (!failedAny || options.keepGoing) && !meter.budgetReached {
                evaluateReady()
                wake = launch()
            }
            let stopping = interrupted || (failedAny && !options.keepGoing) || meter.budgetReached
            if running.isEmpty && events.isEmpty && (stopping || (ready.isEmpty && queued.isEmpty)) { break }
            let now = clock.now() - started
            if now - lastTick >= 0.5 {
                lastTick = now
                let r = running.keys.sorted().compactMap(graph.step)
                let (d, t, sp) = (done, total, meter.total)
                cond.unlock()
                reporter.tick(running: r, done: d, total: t, elapsed: now, spend: sp)
                cond.lock()
                continue
            }
            if let wake {
                // A pool waits for its minute: on the build's clock.
                clock.wait(on: cond, until: clock.now() + max(0.01, min(wake, 0.5)))
            } else {
                // Waiting for a running step to finish.
                _ = cond.wait(until: Date().addingTimeInterval(0.5))
            }
        }
        // Whatever never got to run says why.
        for s in graph.steps where scope.contains(s.id) && outcomes[s.id] == nil {
            outcomes[s.id] = .skipped(interrupted ? "interrupted"
                                      : meter.budgetReached ? budgetSpent
                                      : "not started after a failure (use -k to keep going)")
        }
        cond.unlock()
        cleanTmp()
    }

    /// Steps whose inputs all exist: decide, without running anything, whether each is up to date.
    private func evaluateReady() {
        var changed = true
        while changed {
            changed = false
            for i in ready.sorted() {
                ready.remove(i)
                let step = graph.steps[i]
                let status = analysis.evaluate(step, graph: graph, store: store, hasher: hasher, forced: options.forced)
                switch status.state {
                case .upToDate(let reused):
                    if reused, let r = status.record { try? StepExecution.reuse(step, r, in: store) }
                    if let r = status.record { extras[step.id] = StepExecution.extras(of: r) }
                    complete(step, outcome: reused ? .reused : .upToDate, outputs: status.record.map { outputs(of: step, $0) } ?? [:])
                    changed = true
                case .dirty(let reason):
                    if options.pinned.contains(step.id), let last = store.latest(step.id),
                       step.outputs.allSatisfy({ last.outputs[step.relativeKey($0.artifact)].map(store.hasBlob) ?? false }) {
                        extras[step.id] = StepExecution.extras(of: last)
                        complete(step, outcome: .pinned, outputs: outputs(of: step, last))
                        changed = true
                    } else {
                        reasons[step.id] = reason
                        queued.insert(i, reason, local: Self.isLocal(step))
                    }
                }
            }
        }
    }

    private func outputs(of step: Step, _ r: StepRecord) -> [ArtifactRef: String] {
        var out: [ArtifactRef: String] = [:]
        for o in step.outputs { out[o.artifact] = r.outputs[step.relativeKey(o.artifact)] }
        return out
    }

    /// Starts queued steps in graph order while their pools have room; returns when to look again
    /// for a pool waiting on its per-minute limit.
    private func launch() -> Double? {
        var wake: Double?
        let now = clock.now() - started
        for i in queued.order {
            // With every core busy only a remote step can start: stop looking once none is left.
            if cpu.running >= cpu.limit.concurrency && queued.remote == 0 { break }
            let step = graph.steps[i]
            let name = ProviderTable.pool(step.provider)
            var pool = pools[name] ?? Pool(limit: limit(for: step.provider, pool: name))
            let local = Self.isLocal(step)
            if local && cpu.running >= cpu.limit.concurrency { continue }
            let (ok, wait) = pool.acquire(now: now)
            pools[name] = pool
            guard ok else {
                if let wait { wake = min(wake ?? wait, wait) }
                continue
            }
            if local { _ = cpu.acquire(now: now) }
            let reason = queued.remove(i)!
            let token = CancelToken()
            running[step.id] = token
            reporter.stepStarted(step, reason: reason)
            let job = makeJob(step, token: token)
            let fingerprint = analysis.statuses[step.id]?.fingerprint ?? step.fingerprint(inputHashes: analysis.statuses[step.id]?.inputHashes ?? [:])
            let inputs = analysis.statuses[step.id]?.inputHashes ?? [:]
            let thread = Thread { [self] in self.work(step, job: job, fingerprint: fingerprint, inputHashes: inputs, pool: name) }
            thread.stackSize = 4 << 20
            thread.start()
        }
        return wake
    }

    static func isLocal(_ step: Step) -> Bool { step.provider.family == "local" || step.provider.family == "file" }

    /// Steps waiting for room, in graph order (kept sorted as they come, so that starting one
    /// does not sort them all again: a 10,000-segment build queues thousands).
    struct Queue {
        private(set) var order: [Int] = []
        private var reasons: [Int: DirtyReason] = [:]
        private var localSteps: Set<Int> = []
        /// How many of them are not local (they may start while every core is busy).
        var remote: Int { order.count - localSteps.count }
        var isEmpty: Bool { order.isEmpty }

        mutating func insert(_ i: Int, _ reason: DirtyReason, local: Bool) {
            guard reasons.updateValue(reason, forKey: i) == nil else { return }
            order.insert(i, at: position(of: i))
            if local { localSteps.insert(i) }
        }

        @discardableResult
        mutating func remove(_ i: Int) -> DirtyReason? {
            guard let r = reasons.removeValue(forKey: i) else { return nil }
            order.remove(at: position(of: i))
            localSteps.remove(i)
            return r
        }

        /// The first place in `order` not below `i`.
        private func position(of i: Int) -> Int {
            var lo = 0, hi = order.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if order[mid] < i { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    private func limit(for provider: ProviderRef, pool: String) -> PoolLimit {
        if let l = options.limits[pool] ?? options.limits[provider.family] { return l }
        let p = table.profile(provider)
        return PoolLimit(concurrency: p.concurrency, perMinute: p.perMinute)
    }

    private func makeJob(_ step: Step, token: CancelToken) -> Job {
        var inputs: [String: JobInput] = [:]
        let recipe = graph.project.recipe
        for i in step.inputs {
            switch i.source {
            case .value(let v): inputs[i.parameter] = .value(v)
            case .unset: inputs[i.parameter] = .unset
            case .file(let p): inputs[i.parameter] = .file(files[p] ?? graph.project.folder + "/" + p)
            case .artifacts(let refs, let gathered):
                inputs[i.parameter] = .artifacts(refs.map { ref in
                    let side = graph.producerOf[ref].flatMap { extras[$0] } ?? [:]
                    return ArtifactFile(ref: ref, type: recipe.outputs[ref.name]?.output.type ?? .text, path: store.blobPath(analysis.known[ref] ?? "missing"),
                                        extras: side.mapValues { store.blobPath($0) })
                }, gathered: gathered)
            }
        }
        let dir = tmpRoot + "/" + step.id.description.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "-" } + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let verbose = options.verbose
        let reporter = self.reporter
        let meter = self.meter.recording(to: ledger, vidfile: store.vidfileKey, build: options.buildNumber, step: step.id,
                                         log: { reporter.log($0) })
        var job = Job(step: step, inputs: inputs, folder: graph.project.folder, render: graph.project.render, workDir: dir, cancel: token,
                      log: { line in if verbose { reporter.log(line) } }, environment: environment, meter: meter, providers: table)
        job.clock = clock
        return job
    }

    /// On a worker thread: run the producer (retrying transient failures, then the fallbacks),
    /// then commit its outputs.
    private func work(_ step: Step, job: Job, fingerprint: String, inputHashes: [String: String], pool: String) {
        let event: Event
        defer {
            try? FileManager.default.removeItem(atPath: job.workDir)
            cond.withLock {
                events.append(event)
                cond.broadcast()
            }
        }
        let reporter = self.reporter
        var attempts = Attempts(retries: options.retries, backoff: options.backoff, clock: clock, log: { reporter.log($0) })
        attempts.admitRetry = { [self] in admitRetry(pool) }
        do throws(ProducerError) {
            let done = try StepExecution.execute(job, in: store, fingerprint: fingerprint, inputHashes: inputHashes, attempts: attempts)
            event = .finished(step.id, outputs: done.outputs, extras: done.extras, seconds: done.seconds, cost: done.cost, attempts: done.attempts)
        } catch {
            if error.budgetReached { event = .stopped(step.id) }
            else { event = error.cancelled || job.cancel.isCancelled ? .cancelled(step.id) : .failed(step.id, error) }
        }
    }

    /// A retry is another call: it waits for the pool's per-minute limit like a first call.
    private func admitRetry(_ pool: String) -> Bool {
        while true {
            let wait: Double? = cond.withLock {
                if interrupted { return -1 }
                return pools[pool]?.takeMinute(now: clock.now() - started)
            }
            guard let w = wait else { return true }
            if w < 0 { return false }
            clock.sleep(min(w, 0.5))
        }
    }

    private func handle(_ e: Event) {
        switch e {
        case .finished(let id, let outputs, let side, let seconds, let cost, let attempts):
            release(id)
            extras[id] = side
            complete(graph.step(id)!, outcome: .ran(seconds: seconds, cost: cost, attempts: attempts), outputs: outputs)
        case .failed(let id, let error):
            release(id)
            failedAny = true
            finish(id, .failed(error))
            for d in graph.closure(downstreamOf: [id]) where d != id && outcomes[d] == nil {
                if let i = graph.index[d] { ready.remove(i); queued.remove(i) }
                outcomes[d] = .skipped("needs \(id), which failed")
            }
        case .cancelled(let id):
            release(id)
            finish(id, .cancelled)
        case .stopped(let id):
            release(id)
            finish(id, .skipped(budgetSpent))
        }
    }

    private func release(_ id: StepID) {
        guard let step = graph.step(id) else { return }
        running[id] = nil
        pools[ProviderTable.pool(step.provider)]?.release()
        if step.provider.family == "local" || step.provider.family == "file" { cpu.release() }
    }

    private func finish(_ id: StepID, _ outcome: StepOutcome) {
        outcomes[id] = outcome
        guard let step = graph.step(id) else { return }
        if case .ran = outcome { done += 1 } else if case .failed = outcome { done += 1 }
        let (d, t) = (done, total)
        cond.unlock()
        reporter.stepFinished(step, outcome, done: d, total: t)
        cond.lock()
    }

    /// A step's outputs exist: its dependents may become ready.
    private func complete(_ step: Step, outcome: StepOutcome, outputs: [ArtifactRef: String]) {
        for (ref, h) in outputs { analysis.learn(ref, hash: h) }
        switch outcome {
        case .ran: break
        default: total = max(done, total - (reasons[step.id] == nil && expected.contains(step.id) ? 1 : 0))
        }
        finish(step.id, outcome)
        for d in dependents[step.id] ?? [] {
            guard let n = waitingOn[d] else { continue }
            waitingOn[d] = n - 1
            if n - 1 == 0, outcomes[d] == nil, let i = graph.index[d] { ready.insert(i) }
        }
    }


    /// Sources (the vidfile's overrides, edited out files) go into the store, so that producers
    /// read every artifact the same way.
    /// Every project file the build reads, by its real path, confined to the project folder
    /// before anything runs.
    private func confineFiles() throws {
        for (ref, source) in graph.sources.sorted(by: { $0.key < $1.key }) {
            if case .file(let p) = source.content { files[p] = try projectFile(p, in: graph.project.folder, for: "the file of \(ref)") }
        }
        for step in graph.steps {
            for i in step.inputs {
                if case .file(let p) = i.source, files[p] == nil { files[p] = try projectFile(p, in: graph.project.folder, for: "\(step.id)'s \(i.parameter) input") }
            }
        }
    }

    private func ingestSources() throws {
        for (ref, source) in graph.sources.sorted(by: { $0.key < $1.key }) {
            guard let hash = analysis.known[ref], !store.hasBlob(hash) else { continue }
            switch source.content {
            case .text(let t): try store.putBlob(Data(t.utf8))
            case .file(let p): _ = try store.importFile(files[p] ?? graph.project.folder + "/" + p, hash: hash)
            }
        }
    }

    /// Work folders of a build that was killed are garbage once no build holds the lock.
    private func cleanTmp() {
        try? FileManager.default.removeItem(atPath: tmpRoot)
        rmdir((tmpRoot as NSString).deletingLastPathComponent)   // tmp/ itself, once no build of another vidfile uses it
    }

    /// Money spent by this build's calls, failed attempts included.
    public var spent: Double { meter.total }
    public var budgetReached: Bool { meter.budgetReached }
    private var budgetSpent: String { "not started: the budget of \(String(format: "$%.2f", options.budget ?? 0)) is spent" }
    public var statuses: [StepID: StepStatus] { cond.withLock { analysis.statuses } }
    public var dirtyReasons: [StepID: DirtyReason] { cond.withLock { reasons } }
}
