import Foundation
import Planner
import RecipeParser

/// `vidmake plan FILE`: what a build would run and why, what it would cost, how long it would take.
enum PlanCommand {
    static let command = Command(
        name: "plan",
        summary: "Show what a build would run and why, its calls, cost and time",
        usage: "vidmake plan [--json] [--set NAME=VALUE]… [--force STEP]… [--state DIR] FILE",
        details: """
        Expands the vidfile into steps and compares them with the state store: each step is
        up to date, or dirty with a reason (new, definition changed, input changed, output
        missing, forced, or an input that is rebuilt first). Nothing runs and nothing is paid.

        Options:
          --json              The plan as JSON: every step with its state, reason and fingerprint
          --set NAME=VALUE    Override an input for this run
          --force STEP        Treat STEP (e.g. narration[3]) as dirty
          --state DIR         The state store (default: .vidmake beside the vidfile)
          --providers FILE    Latency, price and limits per provider (default: providers.yaml
                              beside the vidfile, if there is one, over the shipped table)
        """,
        run: run)

    static func run(_ args: inout Arguments) -> Int32 {
        let cl: Session.CommandLine
        do { cl = try Session.parse(&args, flags: ["--json"], words: 1, missing: "no vidfile given", wrong: "plan takes one vidfile") } catch {
            return Output.usageError(error.message, command)
        }
        let files = cl.words, json = cl.flags.contains("--json"), o = cl.options
        guard let session = Session.open(files[0], o) else { return ExitCode.failure }
        let g = session.graph
        let running = Set(session.dirty.map(\.id))
        let estimate = Estimate.of(g, running: running, table: session.providers)
        if json {
            Output.out(planJSON(session, estimate: estimate).serialized())
            return ExitCode.ok
        }
        Output.out("\(files[0]): \(g.steps.count) steps, \(running.count) to run, \(g.steps.count - running.count) up to date")
        // Grouped by producer, in graph order, with the reasons counted.
        var order: [String] = []
        var groups: [String: [Step]] = [:]
        for s in g.steps {
            if groups[s.id.producer] == nil { order.append(s.id.producer) }
            groups[s.id.producer, default: []].append(s)
        }
        let width = order.map(\.count).max() ?? 8
        for p in order {
            let steps = groups[p]!
            var reasons: [String: Int] = [:]
            var upToDate = 0
            for s in steps {
                switch session.analysis.statuses[s.id]?.state {
                case .upToDate?, nil: upToDate += 1
                case .dirty(let r)?: reasons[reasonSummary(r), default: 0] += 1
                }
            }
            let run = steps.count - upToDate
            let why = reasons.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
                .map { $0.value == run && reasons.count == 1 ? $0.key : "\($0.key) (\($0.value))" }.joined(separator: ", ")
            let provider = steps[0].provider.description
            let counts = run == 0 ? "up to date" : "\(run) to run" + (upToDate > 0 ? ", \(upToDate) up to date" : "")
            Output.out("  \(p.padding(toLength: width, withPad: " ", startingAt: 0))  \(provider.padding(toLength: 22, withPad: " ", startingAt: 0)) \(counts)\(why.isEmpty ? "" : ": " + why)")
        }
        if !estimate.lines.isEmpty {
            Output.out("calls: " + estimate.lines.map { "\($0.provider) \($0.calls)" + ($0.cost > 0 ? " (\(money($0.cost)))" : "") }.joined(separator: ", "))
        }
        Output.out("estimated cost \(money(estimate.cost)), critical path \(clock(estimate.seconds))")
        return ExitCode.ok
    }

    /// "input text changed" without the producing step, so that counts group.
    static func reasonSummary(_ r: DirtyReason) -> String {
        if case .inputPending(let p, let from) = r { return "waits for \(p) from \(from.producer)" }
        return r.description
    }

    static func planJSON(_ session: Session, estimate: Estimate) -> JSON {
        let g = session.graph
        let steps: [JSON] = g.steps.map { s in
            let st = session.analysis.statuses[s.id]
            var o: [String: JSON] = [
                "id": .string(s.id.description), "kind": .string(s.kind.rawValue), "provider": .string(s.provider.description),
                "reads": .array(s.reads.map { .string($0.description) }),
                "outputs": .array(s.outputs.map { .string($0.artifact.description) }),
                "fingerprint": st?.fingerprint.map { .string($0) } ?? .null,
            ]
            switch st?.state {
            case .upToDate(let reused)?: o["state"] = .string("up-to-date"); o["reused"] = .bool(reused)
            case .dirty(let r)?: o["state"] = .string("dirty"); o["reason"] = .string(r.code); o["why"] = .string(r.description)
            case nil: o["state"] = .null
            }
            return .object(o)
        }
        return .object([
            "vidfile": .string(g.project.vidfile),
            "steps": .array(steps),
            "sources": .array(g.sources.keys.sorted().map { .string($0.description) }),
            "estimate": .object([
                "calls": .object(Dictionary(uniqueKeysWithValues: estimate.lines.map { ($0.provider, JSON.int($0.calls)) })),
                "cost": .number((estimate.cost * 10000).rounded() / 10000),
                "seconds": .number(estimate.seconds.rounded()),
            ]),
        ])
    }
}
