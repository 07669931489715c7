import BuildState
import Foundation
import Planner
import Producers
import RecipeParser

/// What one `vidmake build` works on: the planned graph, where its state lives, and how to run.
public struct BuildRequest: Sendable {
    public var graph: BuildGraph
    public var store: FileStateStore
    public var hasher: FileHasher
    /// `out/NAME/`, and the edits made there that stand in for their artifacts in this build.
    public var tree: OutputTree
    public var edits: [OutputTree.Edit]
    public var table: ProviderTable
    public var environment: ProviderEnvironment
    public var options: RunOptions
    /// The steps the planner did not find up to date: they size the progress count.
    public var expected: Set<StepID>

    public init(graph: BuildGraph, store: FileStateStore, hasher: FileHasher, tree: OutputTree, edits: [OutputTree.Edit] = [],
                table: ProviderTable = .defaults, environment: ProviderEnvironment = ProviderEnvironment(), options: RunOptions = RunOptions(),
                expected: Set<StepID>) {
        self.graph = graph
        self.store = store
        self.hasher = hasher
        self.tree = tree
        self.edits = edits
        self.table = table
        self.environment = environment
        self.options = options
        self.expected = expected
    }

    /// The steps this build may touch: the targets and what they need, or every step.
    public var scope: Set<StepID> { options.targets.map { graph.closure(upstreamOf: $0) } ?? Set(graph.steps.map(\.id)) }
}

/// What a build did: the revision it logged (what ran and why, what was reused, skipped or
/// failed, time and spend), what became of `out/`, and what went wrong outside any step.
public struct BuildReport: Sendable {
    public var revision: Revision
    public var tree: OutputTree.Report
    public var outcomes: [StepID: StepOutcome]
    /// The store, the out tree or the revision log could not be written (each a sentence).
    public var problems: [String]
    /// Blobs found corrupt and set aside (their steps ran again), each once.
    public var corruptBlobs: [String]
    public var interrupted: Bool
    public var budgetReached: Bool

    /// The disk that filled, as the first failure or problem that says so names it (one line:
    /// the system's cause and the place), for the top of the report.
    public var diskFull: String? {
        (revision.failed.map(\.message) + problems).lazy
            .filter(DiskSpace.isFull).compactMap { $0.split(separator: "\n").first.map(String.init) }.first
    }

    /// 0 built, 1 a step failed, the budget stopped it or the state could not be written, 130 interrupted.
    public var exitStatus: Int32 {
        if interrupted { return 130 }
        return revision.failed.isEmpty && revision.result != "budget" && problems.isEmpty ? 0 : 1
    }
}

/// `vidmake build` as a use case: it holds the vidfile's build lock, runs what is out of date,
/// brings `out/NAME/` up to date, logs the revision, and returns a report. It prints nothing:
/// the CLI draws progress through the `RunReporter` and prints the report.
public final class Build: @unchecked Sendable {
    public let request: BuildRequest
    private let lock: BuildLock
    private let runner: Runner
    private let reporter: RunReporter
    private let revisions: RevisionLog

    /// Takes the build lock; fails if another build of this vidfile holds it.
    public init(_ request: BuildRequest, reporter: RunReporter) throws(BuildLock.Failure) {
        self.request = request
        self.reporter = reporter
        lock = try BuildLock(root: request.store.root, key: request.store.vidfileKey)
        revisions = RevisionLog(root: request.store.root, key: request.store.vidfileKey)
        var options = request.options
        options.buildNumber = revisions.nextNumber()
        runner = Runner(graph: request.graph, store: request.store, hasher: request.hasher, table: request.table, options: options,
                        reporter: reporter, environment: request.environment)
    }

    /// Stops launching steps and cancels the running ones (Ctrl-C).
    public func interrupt() { runner.interrupt() }

    /// The build's spend so far and its budget.
    public var meter: Meter { runner.meter }

    public func run() -> BuildReport {
        let started = Date()
        var problems: [String] = []
        // What killed builds left behind goes first (files no running process owns).
        Leftovers.sweep(store: request.store.root, trees: [request.tree.root])
        do { try runner.run(expected: request.expected) } catch { problems.append("\(error)") }

        // The readable tree follows the store.
        var tree = OutputTree.Report()
        do {
            tree = try request.tree.materialize(request.graph, known: runner.known, store: request.store, hasher: request.hasher, edits: request.edits)
        } catch {
            problems.append("cannot update \(request.tree.relativeRoot): \(error)")
        }
        request.hasher.save()
        request.store.save()

        let revision = makeRevision(started: started)
        do { try revisions.append(revision) } catch { problems.append("cannot write the revision log: \(error)") }
        return withExtendedLifetime(lock) {
            BuildReport(revision: revision, tree: tree, outcomes: runner.outcomes, problems: problems, corruptBlobs: request.store.corruptBlobs,
                        interrupted: runner.wasInterrupted, budgetReached: runner.budgetReached)
        }
    }

    private func makeRevision(started: Date) -> Revision {
        let g = request.graph
        var ran: [Revision.Ran] = []
        var reused: [String] = []
        var skipped: [Revision.Skipped] = []
        var failed: [Revision.Failed] = []
        var pinned: [String] = []
        var upToDate = 0
        var byProvider: [String: Double] = [:]
        let reasons = runner.dirtyReasons
        let scope = request.scope
        for s in g.steps where scope.contains(s.id) {
            switch runner.outcomes[s.id] {
            case .ran(let seconds, let cost, let attempts)?:
                ran.append(Revision.Ran(step: s.id.description, provider: s.provider.description, reason: reasons[s.id]?.description ?? "",
                                        seconds: (seconds * 1000).rounded() / 1000, cost: cost, attempts: attempts))
            case .upToDate?: upToDate += 1
            case .reused?: reused.append(s.id.description)
            case .pinned?: pinned.append(s.id.description)
            case .failed(let e)?: failed.append(Revision.Failed(step: s.id.description, provider: s.provider.description, message: e.description))
            case .skipped(let why)?: skipped.append(Revision.Skipped(step: s.id.description, why: why))
            case .cancelled?: skipped.append(Revision.Skipped(step: s.id.description, why: "cancelled"))
            case nil: skipped.append(Revision.Skipped(step: s.id.description, why: "not reached"))
            }
        }
        // Spend by the provider that was paid (a fallback's calls are its own), failed attempts included.
        for u in runner.meter.usage { byProvider[u.provider, default: 0] += u.cost }
        let vidfileHash = SHA256.hex(fileAt: g.project.vidfilePath) ?? ""
        let result = runner.wasInterrupted ? "interrupted" : !failed.isEmpty ? "failed" : runner.budgetReached && !skipped.isEmpty ? "budget" : "ok"
        return Revision(number: revisions.nextNumber(), result: result,
                        started: started.timeIntervalSince1970, seconds: (Date().timeIntervalSince(started) * 1000).rounded() / 1000,
                        vidfile: vidfileHash, executed: ran, upToDate: upToDate, reused: reused, skipped: skipped, failed: failed,
                        pinned: pinned, edits: request.edits.map { request.tree.relativeRoot + "/" + $0.path },
                        spend: runner.spent, spendByProvider: byProvider)
    }
}
