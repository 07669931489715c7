import Planner

/// A Ninja build file for an `EmitPlan`: a pool per provider, one `build` edge per step calling
/// `vidmake produce` with the step's spec, and a generator edge that rewrites the file (and the
/// specs) when the vidfile, the recipe, a prompt or providers.yaml changes.
///
/// `restat = 1` everywhere: `vidmake produce` and `vidmake emit` leave a file untouched when its
/// content did not change, and Ninja then skips what depends on it. Deterministic: the same plan
/// gives the same bytes. Paths are escaped by Ninja's rules (`$$`, `$ `, `$:`); commands take
/// paths through `$in` (which Ninja quotes for the shell) or shell-quoted by us.
public enum NinjaEmitter {
    /// Ninja 1.10 records the newest input's mtime for a `restat` edge whose output did not change.
    public static let requiredVersion = "1.10"

    public static func emit(_ plan: EmitPlan, version: String) -> String {
        var o = """
        # Ninja build file for \(plan.vidfile), written by `vidmake emit --ninja` (vidmake \(version)).
        # Do not edit: it is rewritten when the vidfile, the recipe, a prompt or providers.yaml changes.
        # Each step runs `vidmake produce` with its spec (\(plan.buildDir)/.steps/); the steps share the
        # state store with `vidmake build`, so work either of them did is reused, not paid for again.
        # Ninja pools cap each provider's calls at once; its calls per minute are kept by the
        # `vidmake produce` processes themselves, through a window file in the state store.

        ninja_required_version = \(requiredVersion)
        builddir = \(value(plan.buildDir))
        vidmake = \(value(shellQuote(plan.options.vidmake)))


        """
        for p in plan.pools {
            o += "# \(p.provider)\(p.perMinute.map { ", at most \($0) calls a minute" } ?? "")\n"
            o += "pool \(p.name)\n  depth = \(p.depth)\n\n"
        }
        let regen = plan.regenerateCommand("ninja")
        o += """
        rule produce
          command = $vidmake produce $in
          description = $label
          restat = 1

        rule regenerate
          command = $vidmake \(value(regen.dropFirst().map(shellQuote).joined(separator: " ")))
          description = regenerating \(value(plan.outputPath))
          generator = 1
          restat = 1

        build \(list([plan.outputPath, "|"] + plan.entries.map(\.specPath) + plan.sourceFiles.keys.sorted())): regenerate \(list(plan.generatorInputs))


        """
        for e in plan.entries {
            o += "build \(list(e.outputs)): produce \(list([e.specPath] + (e.inputs.isEmpty ? [] : ["|"] + e.inputs)))"
            o += "\n  label = \(value(e.label))\n  pool = \(e.pool)\n\n"
        }
        o += "default \(list(plan.finals))\n"
        return o
    }

    /// Paths (and `|`) of a `build` line, escaped; more than two go on lines of their own.
    static func list(_ paths: [String]) -> String {
        let words = paths.map { $0 == "|" ? $0 : path($0) }
        guard paths.filter({ $0 != "|" }).count > 2 else { return words.joined(separator: " ") }
        return "$\n    " + words.joined(separator: " $\n    ")
    }

    /// A path in a `build` line: `$`, space and `:` escaped with `$`.
    public static func path(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "$": out += "$$"
            case " ": out += "$ "
            case ":": out += "$:"
            default: out.append(c)
            }
        }
        return out
    }

    /// A variable's value: `$` escaped (spaces and colons are literal there).
    public static func value(_ s: String) -> String {
        s.replacingOccurrences(of: "$", with: "$$")
    }
}
