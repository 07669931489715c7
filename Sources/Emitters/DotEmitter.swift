import Planner
import RecipeParser

/// Graphviz `dot` of a build graph: one node per step and per source, coloured by state.
public enum DotEmitter {
    public static func emit(_ graph: BuildGraph, statuses: [StepID: StepStatus]) -> String {
        var out = "digraph vidmake {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"DejaVu Sans\", fontsize=10];\n"
        for s in graph.steps {
            let (fill, state): (String, String)
            switch statuses[s.id]?.state {
            case .upToDate(let reused)?: (fill, state) = ("#c8e6c9", reused ? "up to date (reused)" : "up to date")
            case .dirty(let r)?: (fill, state) = (r.code == "input-pending" ? "#ffe0b2" : "#ffcdd2", r.description)
            case nil: (fill, state) = ("#eeeeee", "unknown")
            }
            out += "  \(quote(s.id.description)) [label=\(quote("\(s.id)\n\(s.provider)\n\(state)")), fillcolor=\"\(fill)\"];\n"
        }
        for ref in graph.sources.keys.sorted() {
            out += "  \(quote("source:" + ref.description)) [label=\(quote("\(ref)\n(from the vidfile)")), shape=note, fillcolor=\"#e3f2fd\"];\n"
        }
        for s in graph.steps {
            var seen: Set<String> = []
            for r in s.reads {
                let from = graph.producerOf[r].map(\.description) ?? "source:" + r.description
                if seen.insert(from).inserted { out += "  \(quote(from)) -> \(quote(s.id.description));\n" }
            }
        }
        return out + "}\n"
    }

    /// A dot ID: double-quoted, with `"` and `\` escaped and newlines as `\n`.
    static func quote(_ s: String) -> String {
        var o = "\""
        for c in s {
            switch c {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            default: o.append(c)
            }
        }
        return o + "\""
    }
}
