import Emitters
import Foundation
import Planner
import RecipeParser

/// `vidmake emit --ninja|--sh|--json FILE`: the build graph for an external runner.
enum EmitCommand {
    static let command = Command(
        name: "emit",
        summary: "Write the build as a Ninja file, a shell script or a JSON plan",
        usage: "vidmake emit (--ninja | --sh | --json) [-o FILE] [-C DIR] [--state DIR] [--providers FILE] FILE",
        details: """
        Writes the same steps `vidmake build` runs for another runner to execute. Each step
        becomes `vidmake produce SPEC`, where SPEC is a file under build/<name>/.steps/ holding
        the step, its inputs' and outputs' files and the render settings: narration and prompts
        never appear on a command line. Outputs go to build/<name>/ under DIR, named as in
        out/<name>/. The steps share the state store with `vidmake build`: what one of them
        made, the other reuses.

          --ninja   build.ninja: a pool per provider, `restat` so unchanged outputs stop the
                    rebuild there, and a generator edge that rewrites the file when the
                    vidfile, the recipe, a prompt or providers.yaml changes. Run: ninja -C DIR
          --sh      build.sh: a POSIX script that runs the steps in order (up-to-date steps do
                    nothing) and stops at the first failure. Run: sh DIR/build.sh
          --json    plan.json: steps, commands, files, pools and fingerprints (docs/emit.md)

        Options:
          -o FILE             The file to write (default: DIR/build.ninja, DIR/build.sh or
                              DIR/plan.json; `-o -` writes a JSON plan to standard output)
          -C DIR              The directory the runner will run in (default: the current one);
                              every path in the emitted files is relative to it
          --state DIR         The state store (default: .vidmake beside the vidfile)
          --providers FILE    Limits per provider for the pools (default: providers.yaml beside
                              the vidfile, if there is one)
          --quiet             Print nothing when nothing changed (used when regenerating)

        Emitted files hold no secret: providers read their keys from the environment when a
        step runs. Edits in out/<name>/ belong to `vidmake build` and are not used here.
        """,
        run: run)

    enum Format: String { case ninja, sh, json }

    static func run(_ args: inout Arguments) -> Int32 {
        var format: Format?
        var output: String?
        var directory: String?
        var quiet = false
        var o = Session.Options()
        o.ignoreOutEdits = true
        var words: [String] = []
        do throws(UsageError) {
            while let a = args.next() {
                switch a {
                case "--ninja", "--sh", "--json":
                    let f = Format(rawValue: String(a.dropFirst(2)))!
                    if let format, format != f { throw UsageError(message: "choose one of --ninja, --sh and --json") }
                    format = f
                case "-o":
                    guard let v = args.next() else { throw UsageError(message: "-o needs a file") }
                    output = v
                case "-C":
                    guard let v = args.next() else { throw UsageError(message: "-C needs a directory") }
                    directory = v
                case "--quiet", "-q": quiet = true
                case "--set", "-S":
                    throw UsageError(message: "emit does not take --set: an emitted build regenerates from the vidfile alone; put the value in the vidfile")
                case "--force":
                    throw UsageError(message: "emit does not take --force; delete the step's outputs (or run `vidmake build --force`) instead")
                default:
                    if try Session.parseCommon(a, &args, into: &o) { continue }
                    if a.hasPrefix("-") { throw UsageError(message: "unknown option '\(a)'") }
                    words.append(a)
                }
            }
            guard let format else { throw UsageError(message: "say what to emit: --ninja, --sh or --json") }
            guard words.count == 1 else { throw UsageError(message: words.isEmpty ? "no vidfile given" : "emit takes one vidfile") }
            if output == "-" && format != .json {
                throw UsageError(message: "a \(format == .ninja ? "Ninja file" : "shell script") regenerates itself, so it must be a file; give -o FILE")
            }
            return emit(format, vidfile: words[0], output: output, directory: directory, quiet: quiet, options: o)
        } catch {
            return Output.usageError(error.message, command)
        }
    }

    static func emit(_ format: Format, vidfile: String, output: String?, directory: String?, quiet: Bool, options o: Session.Options) -> Int32 {
        let dir = ProjectPaths.absolute(directory ?? ".")
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), !isDir.boolValue {
            Output.err("vidmake emit: -C \(directory ?? "."): not a directory")
            return ExitCode.failure
        }
        guard let session = Session.open(vidfile, o) else { return ExitCode.failure }
        let defaultName = ["ninja": "build.ninja", "sh": "build.sh", "json": "plan.json"][format.rawValue]!
        let out = output == "-" ? nil : ProjectPaths.absolute(output ?? dir + "/" + defaultName)
        let exe = URL(fileURLWithPath: CommandLine.executablePath).resolvingSymlinksInPath().path
        var options = EmitPlan.Options(directory: dir, output: out ?? dir + "/" + defaultName, vidmake: exe,
                                       stateRoot: session.stateDir, key: session.key)
        if let s = o.stateDir { options.regenerateOptions.append(("--state", ProjectPaths.absolute(s))) }
        if let p = o.providersFile { options.regenerateOptions.append(("--providers", ProjectPaths.absolute(p))) }
        options.providersFile = session.providersFile
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let plan = try EmitPlan(graph: session.graph, analysis: session.analysis, table: session.providers, options: options)
            let text: String
            switch format {
            case .ninja: text = NinjaEmitter.emit(plan, version: CommandLineInterface.version)
            case .sh: text = ShellEmitter.emit(plan, version: CommandLineInterface.version)
            case .json: text = try JSONPlanEmitter.emit(plan, version: CommandLineInterface.version)
            }
            let specs = try plan.writeFiles()
            guard let out else {
                Output.out(text)
                return ExitCode.ok
            }
            let wrote = try EmitPlan.writeIfChanged(Data(text.utf8), to: out)
            if format == .sh { chmod(out, 0o755) }
            if !quiet || wrote || !specs.isEmpty {
                let what = wrote ? "wrote" : "unchanged:"
                let extra = specs.isEmpty ? "" : " (\(specs.count) step file\(specs.count == 1 ? "" : "s") updated)"
                Output.err("vidmake emit: \(what) \(EmitPlan.relative(out, from: ProjectPaths.absolute(".")))\(extra): \(plan.entries.count) steps")
            }
            return ExitCode.ok
        } catch {
            Output.err("vidmake emit: \(error)")
            return ExitCode.failure
        }
    }
}
