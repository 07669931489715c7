import Emitters
import Planner

/// `vidmake graph FILE`: the build graph as Graphviz dot, steps coloured by state.
enum GraphCommand {
    static let command = Command(
        name: "graph",
        summary: "Print the build graph as Graphviz dot, steps coloured by state",
        usage: "vidmake graph [--set NAME=VALUE]… [--state DIR] FILE",
        details: """
        Green: up to date. Red: dirty. Orange: waits for an input that is rebuilt first.
        Blue notes: artifacts the vidfile supplies. Render it with e.g.
            vidmake graph civilwar.vid.yaml | dot -Tsvg > graph.svg
        """,
        run: run)

    static func run(_ args: inout Arguments) -> Int32 {
        var o = Session.Options()
        var files: [String] = []
        do throws(UsageError) {
            while let a = args.next() {
                if try Session.parseCommon(a, &args, into: &o) { continue }
                if a.hasPrefix("-") { throw UsageError(message: "unknown option '\(a)'") }
                files.append(a)
            }
            guard files.count == 1 else { throw UsageError(message: files.isEmpty ? "no vidfile given" : "graph takes one vidfile") }
        } catch { return Output.usageError(error.message, command) }
        guard let s = Session.open(files[0], o) else { return ExitCode.failure }
        Output.out(DotEmitter.emit(s.graph, statuses: s.analysis.statuses))
        return ExitCode.ok
    }
}
