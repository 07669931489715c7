import Foundation
import RecipeParser

/// `vidmake check FILE…`: type-check vidfiles and recipes without running anything.
enum CheckCommand {
    static let command = Command(
        name: "check",
        summary: "Check vidfiles and recipes for mistakes, without running anything",
        usage: "vidmake check [--format text|json] [--set NAME=VALUE]… FILE…",
        details: """
        Reads each FILE (a vidfile, or a recipe on its own), resolves its recipe, and reports
        every problem found: unknown keys, wrong types and units, values out of bounds,
        undefined references, dimension mismatches, cycles, missing files.

        Options:
          --format text|json   Diagnostics as text (default) or as a JSON array
          --set NAME=VALUE     Override an input for this run, as if set in the vidfile
          -q, --quiet          Print nothing when a file is valid

        Exit status: 0 when every file is valid (warnings allowed), 1 when any has errors.
        """,
        run: run)

    struct Options {
        var format = "text"
        var quiet = false
        var settings: [(name: String, value: String)] = []
        var files: [String] = []
    }

    static func parse(_ args: inout Arguments) throws(UsageError) -> Options {
        var o = Options()
        while let a = args.next() {
            switch a {
            case "--format":
                guard let f = args.next(), ["text", "json"].contains(f) else { throw UsageError(message: "--format takes text or json") }
                o.format = f
            case _ where a.hasPrefix("--format="):
                let f = String(a.dropFirst("--format=".count))
                guard ["text", "json"].contains(f) else { throw UsageError(message: "--format takes text or json") }
                o.format = f
            case "--set", "-S":
                guard let s = args.next() else { throw UsageError(message: "--set needs NAME=VALUE") }
                o.settings.append(try parseSetting(s))
            case "-q", "--quiet":
                o.quiet = true
            case "--":
                while let f = args.next() { o.files.append(f) }
            default:
                if a.hasPrefix("-") && a != "-" { throw UsageError(message: "unknown option '\(a)'") }
                o.files.append(a)
            }
        }
        if o.files.isEmpty { throw UsageError(message: "no file given") }
        return o
    }

    static func parseSetting(_ s: String) throws(UsageError) -> (name: String, value: String) {
        guard let eq = s.firstIndex(of: "="), eq != s.startIndex else {
            throw UsageError(message: "--set takes NAME=VALUE, e.g. --set duration=90s; got '\(s)'")
        }
        return (String(s[..<eq]), String(s[s.index(after: eq)...]))
    }

    static func run(_ args: inout Arguments) -> Int32 {
        let o: Options
        do { o = try parse(&args) } catch { return Output.usageError(error.message, command) }
        let sources = SourceManager()
        var all: [Diagnostic] = []
        var failed = false
        for f in o.files {
            let result = Checker(sources: sources, settings: o.settings).check(path: f)
            let sorted = result.diagnostics.sorted
            all += sorted
            if !result.ok { failed = true }
            if o.format == "text" {
                let renderer = DiagnosticRenderer(sources: sources, colour: DiagnosticRenderer.wantsColour(fileDescriptor: 2))
                for d in sorted { Output.err(renderer.render(d)) }
                if result.diagnostics.suppressed > 0 {
                    Output.err("… and \(result.diagnostics.suppressed) more, not shown (vidmake shows the first \(Diagnostics.limit))")
                }
                if !o.quiet || !result.ok {
                    let summary = DiagnosticRenderer.summary(errors: result.diagnostics.errorCount, warnings: result.diagnostics.warningCount)
                    if result.ok {
                        let what = result.kind == .recipe ? "recipe" : "vidfile"
                        var line = "\(f): ok (\(what)"
                        if let p = result.project {
                            line += ", \(p.recipe.name), \(p.sizes.count(Project.segmentDimension)) segments"
                        }
                        line += result.diagnostics.warningCount > 0 ? "; \(summary))" : ")"
                        Output.out(line)
                    } else {
                        Output.err("\(f): \(summary)")
                    }
                }
            }
        }
        if o.format == "json" { Output.out(DiagnosticJSON.encode(all)) }
        return failed ? ExitCode.failure : ExitCode.ok
    }
}
