import Planner
import RecipeParser

/// `vidmake explain FILE STEP`: one step's inputs, description, fingerprint, and why it is dirty.
enum ExplainCommand {
    static let command = Command(
        name: "explain",
        summary: "Show one step: its inputs, description, fingerprint and state",
        usage: "vidmake explain [--set NAME=VALUE]… [--state DIR] FILE STEP",
        details: """
        STEP is a step id as 'vidmake plan --json' lists them: script, narration[3], image[3][2], render.
        """,
        run: run)

    static func run(_ args: inout Arguments) -> Int32 {
        let cl: Session.CommandLine
        do { cl = try Session.parse(&args, words: 2, missing: "explain takes a vidfile and a step", wrong: "explain takes a vidfile and a step") } catch {
            return Output.usageError(error.message, command)
        }
        let words = cl.words, o = cl.options
        guard let s = Session.open(words[0], o) else { return ExitCode.failure }
        guard let id = StepID.parse(words[1]), let step = s.graph.step(id) else {
            Session.unknownStep(words[1], s.graph)
            return ExitCode.failure
        }
        let st = s.analysis.statuses[id]
        var lines = ["step \(id)", "  kind      \(step.kind.rawValue)", "  provider  \(step.provider)"]
        if !step.fallback.isEmpty { lines.append("  fallback  \(step.fallback.map(\.description).joined(separator: ", "))") }
        switch st?.state {
        case .upToDate(let reused)?: lines.append("  state     up to date" + (reused ? " (result reused from an identical earlier step)" : ""))
        case .dirty(let r)?: lines.append("  state     dirty: \(r)")
        case nil: break
        }
        lines.append("  fingerprint \(st?.fingerprint ?? "(not known until its inputs are built)")")
        lines.append("inputs:")
        for i in step.inputs {
            let hash = st?.inputHashes[i.parameter].map { "  sha256:\($0.prefix(12))" } ?? ""
            switch i.source {
            case .value(let v): lines.append("  \(i.parameter) = \(JSON.quote(v.description))")
            case .unset: lines.append("  \(i.parameter) = (unset)")
            case .file(let p): lines.append("  \(i.parameter) = file \(p)\(hash)")
            case .artifacts(let refs, let gathered):
                let shown = refs.count > 8 ? refs.prefix(8).map(\.description).joined(separator: ", ") + ", … (\(refs.count))" : refs.map(\.description).joined(separator: ", ")
                lines.append("  \(i.parameter) = \(gathered ? "all of " : "")\(shown.isEmpty ? "(none)" : shown)\(hash)")
            }
        }
        lines.append("outputs:")
        for out in step.outputs { lines.append("  \(out.artifact): \(out.type.rawValue)") }
        lines.append("description:")
        for k in step.description.keys.sorted() {
            let v = step.description[k]!
            lines.append("  \(k) = \(v.count > 300 ? String(v.prefix(300)) + "…" : v)")
        }
        Output.out(lines.joined(separator: "\n"))
        return ExitCode.ok
    }
}
