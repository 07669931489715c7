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
        let cl: Session.CommandLine
        do { cl = try Session.parse(&args, words: 1, missing: "no vidfile given", wrong: "graph takes one vidfile") } catch {
            return Output.usageError(error.message, command)
        }
        let files = cl.words, o = cl.options
        guard let s = Session.open(files[0], o) else { return ExitCode.failure }
        Output.out(DotEmitter.emit(s.graph, statuses: s.analysis.statuses))
        return ExitCode.ok
    }
}
