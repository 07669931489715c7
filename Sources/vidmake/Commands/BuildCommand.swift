import BuildState
import Foundation
import Planner
import Producers
import RecipeParser
import Runner

/// `vidmake build FILE [STEP…]`: run what is out of date, in process.
enum BuildCommand {
    static let command = Command(
        name: "build",
        summary: "Build the video: run every step that is out of date",
        usage: "vidmake build [-n] [-k] [-j N] [--budget USD] [--limit POOL=N[,M/min]]… [--force STEP]… [--pin STEP]… [-v] FILE [STEP…]",
        details: """
        Runs the steps whose inputs or definitions changed since they last ran, each as soon as
        its inputs exist and its provider's pool has room, and records every finished step in
        the state store (.vidmake beside the vidfile). A build that stops for any reason — a
        failure, Ctrl-C, a killed process — resumes where it stopped and never redoes a step
        that had finished. The artifacts appear under out/NAME/ with readable names; a file
        you edit there is used in place of what vidmake made (delete it to go back).

        STEP names a step (narration[3]) or a producer (narration: all its steps); the build
        then makes those and what they need, nothing else.

        Options:
          -n, --dry-run        Show what would run, run nothing
          -k, --keep-going     After a failure, go on with the steps that do not need it
          -j, --jobs N         Local steps at once (default: the number of cores)
          --limit POOL=SPEC    A provider pool's limits, e.g. openai=4,60/min or local/espeak=1
          --force STEP         Run STEP and everything after it even if up to date
          --pin STEP           Keep STEP's last outputs even if its inputs changed
          --retries N          Tries after a transient failure (default 3)
          --budget USD         Refuse to start if the estimate is over USD; stop starting
                               calls once the money actually spent reaches it
          -v, --verbose        Print each step and each command it runs
          --set NAME=VALUE     Override an input for this run
          --state DIR          The state store (default: .vidmake beside the vidfile)
          --providers FILE     Latency, price and limits per provider

        Remote providers read their keys from the environment or a .env file beside the
        vidfile (OPENAI_API_KEY, REPLICATE_API_TOKEN, ELEVENLABS_API_KEY); a key the build
        needs and does not have is an error before anything runs. Every paid call is on
        record: `vidmake log` shows the spend per build and per provider.

        Exit status: 0 built, 1 a step failed, the budget ran out or the vidfile is invalid,
        130 interrupted.
        """,
        run: run)

    struct Flags {
        var dryRun = false
        var keepGoing = false
        var verbose = false
        var jobs: Int?
        var limits: [String: String] = [:]
        var pins: [String] = []
        var retries: Int?
        var budget: Double?
    }

    static func run(_ args: inout Arguments) -> Int32 {
        var o = Session.Options()
        var f = Flags()
        var words: [String] = []
        do throws(UsageError) {
            while let a = args.next() {
                if try Session.parseCommon(a, &args, into: &o) { continue }
                switch a {
                case "-n", "--dry-run": f.dryRun = true
                case "-k", "--keep-going": f.keepGoing = true
                case "-v", "--verbose": f.verbose = true
                case "-j", "--jobs":
                    guard let v = args.next(), let n = Int(v), n >= 1, n <= 256 else { throw UsageError(message: "-j needs a number of jobs from 1 to 256") }
                    f.jobs = n
                case "--budget":
                    guard let v = args.next(), let d = Double(v.hasPrefix("$") ? String(v.dropFirst()) : v), d >= 0, d.isFinite else {
                        throw UsageError(message: "--budget needs an amount in US dollars, e.g. --budget 2.50")
                    }
                    f.budget = d
                case "--retries":
                    guard let v = args.next(), let n = Int(v), n >= 0, n <= 20 else { throw UsageError(message: "--retries needs a number from 0 to 20") }
                    f.retries = n
                case "--limit":
                    guard let v = args.next(), let eq = v.firstIndex(of: "="), eq != v.startIndex else {
                        throw UsageError(message: "--limit needs POOL=N[,M/min], e.g. --limit openai=4,60/min")
                    }
                    f.limits[String(v[..<eq])] = String(v[v.index(after: eq)...])
                case "--pin":
                    guard let v = args.next() else { throw UsageError(message: "--pin needs a step, e.g. image[3][2]") }
                    f.pins.append(v)
                default:
                    if a.hasPrefix("-j"), let n = Int(a.dropFirst(2)), n >= 1 { f.jobs = n; continue }
                    if a.hasPrefix("-") { throw UsageError(message: "unknown option '\(a)'") }
                    words.append(a)
                }
            }
            guard !words.isEmpty else { throw UsageError(message: "no vidfile given") }
        } catch {
            return Output.usageError(error.message, command)
        }
        let file = words[0]
        guard let session = Session.open(file, o) else { return ExitCode.failure }
        let g = session.graph

        var options = RunOptions()
        options.keepGoing = f.keepGoing
        options.verbose = f.verbose
        options.forced = session.forced
        if let j = f.jobs { options.jobs = j }
        if let r = f.retries { options.retries = r }
        options.budget = f.budget
        for (pool, spec) in f.limits {
            let known = Set(g.steps.map { ProviderTable.pool($0.provider) } + g.steps.map(\.provider.family))
            guard known.contains(pool) else {
                var msg = "vidmake build: --limit: no pool '\(pool)' in this build"
                if let s = Spelling.suggest(pool, from: Array(known)) { msg += "; did you mean '\(s)'?" } else { msg += "; pools: " + known.sorted().joined(separator: ", ") }
                Output.err(msg)
                return ExitCode.usage
            }
            let profile = session.providers.entries[pool] ?? ProviderProfile(latency: 1, price: 0, concurrency: 1)
            guard let l = PoolLimit.parse(spec, default: PoolLimit(concurrency: profile.concurrency, perMinute: profile.perMinute)) else {
                return Output.usageError("--limit \(pool)=\(spec): write N calls at once and/or M per minute, e.g. 4,60/min", command)
            }
            options.limits[pool] = l
        }
        guard let pins = Session.resolveSteps(f.pins, g) else { return ExitCode.usage }
        options.pinned = pins
        if words.count > 1 {
            guard let targets = Session.resolveSteps(Array(words.dropFirst()), g) else { return ExitCode.usage }
            options.targets = targets
        }
        let scope = options.targets.map { g.closure(upstreamOf: $0) } ?? Set(g.steps.map(\.id))
        let expected = Set(session.dirty.map(\.id)).intersection(scope).subtracting(pins)
        let estimate = Estimate.of(g, running: expected, table: session.providers)

        for (e, why) in session.ignoredEdits { Output.err("warning: \(session.tree.relativeRoot)/\(e.path) was edited, but it is not used: \(why)") }
        for e in session.edits { Output.err("note: using your edit of \(session.tree.relativeRoot)/\(e.path) for \(e.artifact) (vidmake discard or delete the file to go back, vidmake adopt to keep it)") }

        if f.dryRun {
            return dryRun(session, expected: expected, estimate: estimate)
        }
        // Checked before anything runs or is paid for: the keys, then the budget.
        guard session.checkKeys(for: g.steps.filter { expected.contains($0.id) }) else {
            Output.err("vidmake build: nothing was run")
            return ExitCode.failure
        }
        if let budget = f.budget, estimate.cost > budget {
            Output.err("vidmake build: the estimate is \(money(estimate.cost)), over the budget of \(money(budget)); nothing was run")
            for l in estimate.lines where l.cost > 0 {
                Output.err("  \(l.provider.padding(toLength: 34, withPad: " ", startingAt: 0)) \(l.calls) call\(l.calls == 1 ? " " : "s") \(money(l.cost))")
            }
            Output.err("help: raise --budget, build a part first (vidmake build FILE script), or pick cheaper providers (prices: providers.yaml)")
            return ExitCode.failure
        }

        let reporter = BuildReporter(terminal: isatty(2) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb",
                                     verbose: f.verbose, estimate: estimate.cost)
        let request = BuildRequest(graph: g, store: session.store, hasher: session.hasher, tree: session.tree, edits: session.edits,
                                   table: session.providers, environment: session.environment, options: options, expected: expected)
        let build: Build
        do { build = try Build(request, reporter: reporter) } catch {
            Output.err("vidmake build: \(error)")
            return ExitCode.failure
        }
        let signals = SignalTrap { build.interrupt() }
        let reportedCorrupt = session.store.corruptBlobs.count   // Session.open printed these
        let report = build.run()
        signals.release()
        reporter.finish()
        for c in report.corruptBlobs.dropFirst(reportedCorrupt) { Output.err("warning: \(Session.corruptNotice) \(c)") }

        for k in report.tree.kept where !session.edits.contains(where: { $0.path == k }) && !session.ignoredEdits.contains(where: { $0.edit.path == k }) {
            Output.err("warning: left \(session.tree.relativeRoot)/\(k) alone: vidmake did not write it (move it away to let the build write there)")
        }
        summarize(report, session: session, budget: f.budget)
        for p in report.problems where p.split(separator: "\n").first.map(String.init) != report.diskFull { Output.err("vidmake build: \(p)") }
        return report.exitStatus
    }

    static func dryRun(_ session: Session, expected: Set<StepID>, estimate: Estimate) -> Int32 {
        let g = session.graph
        if expected.isEmpty {
            Output.out("nothing to do: all \(g.steps.count) steps are up to date")
            return ExitCode.ok
        }
        Output.out("would run \(expected.count) of \(g.steps.count) steps (estimated \(money(estimate.cost)), \(clock(estimate.seconds))):")
        for s in g.steps where expected.contains(s.id) {
            let why = session.analysis.statuses[s.id].flatMap { if case .dirty(let r) = $0.state { return r.description } else { return nil } } ?? ""
            Output.out("  \(s.kind.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(s.id.description.padding(toLength: 18, withPad: " ", startingAt: 0)) \(s.provider.description.padding(toLength: 16, withPad: " ", startingAt: 0)) \(why)")
        }
        Output.out("(steps after a rebuilt input run only if that input's content changes)")
        return ExitCode.ok
    }

    static func summarize(_ report: BuildReport, session: Session, budget: Double?) {
        let g = session.graph
        let r = report.revision
        let tree = report.tree
        // A full disk fails every step that writes: its cause is said once, first.
        let full = report.diskFull
        if let full { Output.err("error: \(full)\n  help: free some space there (or build with --state on a larger disk); the finished steps are kept") }
        for f in r.failed {
            if full != nil && DiskSpace.isFull(f.message) {
                Output.err("error: \(f.step) (\(f.provider)) failed: no space left on device")
            } else {
                Output.err("error: \(f.step) (\(f.provider)) failed: \(f.message)")
            }
        }
        let notStarted = r.skipped.filter { !$0.why.hasPrefix("needs ") }.count
        if !r.failed.isEmpty {
            let blocked = r.skipped.filter { $0.why.hasPrefix("needs ") }.count
            var line = "vidmake build: \(r.failed.count) step\(r.failed.count == 1 ? "" : "s") failed"
            if blocked > 0 { line += ", \(blocked) after \(r.failed.count == 1 ? "it" : "them") skipped" }
            if notStarted > 0 { line += ", \(notStarted) not started (-k goes on with independent steps)" }
            Output.err(line + "; the \(r.executed.count) that finished are kept, and the next build resumes")
        }
        if report.budgetReached {
            let left = r.skipped.count
            Output.err("vidmake build: stopped at the budget: spent \(money(r.spend)) of \(money(budget ?? 0)); "
                       + "\(r.executed.count) steps finished and are kept, \(left) left for the next build")
        }
        if r.result == "interrupted" {
            Output.err("vidmake build: interrupted; \(r.executed.count) steps finished and are kept, \(r.skipped.count) left for the next build")
            return
        }
        let time = String(format: "%.2fs", r.seconds)
        if r.executed.isEmpty && r.failed.isEmpty {
            var line = "nothing to do: all \(g.steps.count) steps up to date"
            if !r.reused.isEmpty { line = "nothing to run: \(r.reused.count) step\(r.reused.count == 1 ? "" : "s") reused from the store, the rest up to date" }
            if tree.written > 0 { line += "; restored \(tree.written) files in \(session.tree.relativeRoot)" }
            Output.out("\(line) (\(time))")
            return
        }
        guard r.failed.isEmpty else { return }
        var parts = ["ran \(r.executed.count) step\(r.executed.count == 1 ? "" : "s")"]
        if !r.reused.isEmpty { parts.append("reused \(r.reused.count)") }
        if r.upToDate > 0 { parts.append("\(r.upToDate) up to date") }
        if !r.pinned.isEmpty { parts.append("\(r.pinned.count) pinned") }
        Output.out("built \(session.tree.relativeRoot): " + parts.joined(separator: ", ") + " in \(time), spent \(money(r.spend))")
    }
}

/// Ctrl-C (and SIGTERM) during a build: the first stops launching and cancels the running steps;
/// a second one exits at once (the store is consistent at every instant).
final class SignalTrap: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0

    init(announce: Bool = true, _ handler: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [self] in
                let n = lock.withLock { count += 1; return count }
                if n == 1 {
                    // Over the progress line on a terminal; a plain line in a log.
                    let clear = isatty(2) == 1 ? "\r\u{1B}[K" : ""
                    if announce { FileHandle.standardError.write(Data((clear + "vidmake: stopping (press Ctrl-C again to quit at once)\n").utf8)) }
                    handler()
                } else {
                    _exit(130)
                }
            }
            s.resume()
            sources.append(s)
        }
    }

    func release() {
        for s in sources { s.cancel() }
        for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, SIG_DFL) }
    }
}
