import Foundation
import Planner
import RecipeParser

/// The shared front half of plan, graph, explain (and later build): check the vidfile,
/// print its diagnostics, expand it, and analyze it against the state store.
struct Session {
    var graph: BuildGraph
    var analysis: DirtyAnalysis
    var store: FileStateStore
    var hasher: FileHasher
    /// Latency, price and limits: the shipped defaults under `providers.yaml` beside the vidfile or `--providers FILE`.
    var providers: ProviderTable

    struct Options {
        var settings: [(name: String, value: String)] = []
        var stateDir: String?
        var forced: [String] = []
        var providersFile: String?
    }

    /// A graph command's command line: the shared options, its own flags, and its words.
    struct CommandLine {
        var options = Options()
        var flags: Set<String> = []
        var words: [String] = []
    }

    /// Parses the shared options, the command's own `flags`, and exactly `words` positional words;
    /// `missing` and `wrong` are the usage errors for none and for the wrong number.
    static func parse(_ args: inout Arguments, flags: Set<String> = [], words count: Int, missing: String, wrong: String) throws(UsageError) -> CommandLine {
        var c = CommandLine()
        while let a = args.next() {
            if try parseCommon(a, &args, into: &c.options) { continue }
            if flags.contains(a) { c.flags.insert(a); continue }
            if a.hasPrefix("-") { throw UsageError(message: "unknown option '\(a)'") }
            c.words.append(a)
        }
        guard c.words.count == count else { throw UsageError(message: c.words.isEmpty ? missing : wrong) }
        return c
    }

    /// Parses the options every graph command shares; returns false for an unknown option.
    static func parseCommon(_ a: String, _ args: inout Arguments, into o: inout Options) throws(UsageError) -> Bool {
        switch a {
        case "--set", "-S":
            guard let s = args.next() else { throw UsageError(message: "--set needs NAME=VALUE") }
            o.settings.append(try CheckCommand.parseSetting(s))
        case "--state":
            guard let s = args.next() else { throw UsageError(message: "--state needs a folder") }
            o.stateDir = s
        case "--providers":
            guard let s = args.next() else { throw UsageError(message: "--providers needs a file") }
            o.providersFile = s
        case "--force":
            guard let s = args.next() else { throw UsageError(message: "--force needs a step, e.g. narration[3]") }
            o.forced.append(s)
        default:
            if a.hasPrefix("--set=") { o.settings.append(try CheckCommand.parseSetting(String(a.dropFirst(6)))); return true }
            return false
        }
        return true
    }

    /// Nil after printing why (diagnostics, or an unknown step); the exit status is then 1.
    static func open(_ file: String, _ o: Options) -> Session? {
        let sources = SourceManager()
        let result = Checker(sources: sources, settings: o.settings).check(path: file)
        let renderer = DiagnosticRenderer(sources: sources, colour: DiagnosticRenderer.wantsColour(fileDescriptor: 2))
        for d in result.diagnostics.sorted { Output.err(renderer.render(d)) }
        guard let project = result.project else {
            if result.kind == .recipe { Output.err("\(file): is a recipe; plan a vidfile that includes it") }
            else { Output.err("\(file): \(DiagnosticRenderer.summary(errors: result.diagnostics.errorCount, warnings: result.diagnostics.warningCount))") }
            return nil
        }
        let (g, planDiags) = Planner().plan(project)
        for d in planDiags.sorted { Output.err(renderer.render(d)) }
        guard let graph = g else { return nil }
        let stateDir = o.stateDir.map(ProjectPaths.absolute) ?? project.folder + "/.vidmake"
        let key = (project.vidfilePath as NSString).lastPathComponent
        let store = FileStateStore(root: stateDir, vidfileKey: key)
        let hasher = FileHasher(cachePath: stateDir + "/stat-cache.json")
        var forced: Set<StepID> = []
        for f in o.forced {
            guard let id = StepID.parse(f), graph.step(id) != nil else {
                unknownStep(f, graph)
                return nil
            }
            forced.insert(id)
        }
        var table = ProviderTable.defaults
        let beside = project.folder + "/providers.yaml"
        if let file = o.providersFile ?? (FileManager.default.fileExists(atPath: beside) ? ProjectPaths.display(beside) : nil) {
            var d = Diagnostics()
            let settings = ProviderSettings.load(path: file, sources: sources, into: &d)
            for x in d.sorted { Output.err(renderer.render(x)) }
            guard let settings else { return nil }
            table = table.overlaid(with: settings)
        }
        let analysis = DirtyAnalysis.analyze(graph, store: store, hasher: hasher, forced: forced)
        if FileManager.default.fileExists(atPath: stateDir) { hasher.save() }
        return Session(graph: graph, analysis: analysis, store: store, hasher: hasher, providers: table)
    }

    static func unknownStep(_ name: String, _ graph: BuildGraph) {
        var msg = "vidmake: no step '\(name)' in this build"
        let names = graph.steps.map(\.id.description)
        if let s = Spelling.suggest(name, from: names) { msg += "; did you mean '\(s)'?" } else {
            let producers = Array(Set(graph.steps.map(\.id.producer))).sorted()
            msg += "\nsteps are named like \(graph.steps.first.map(\.id.description) ?? "render"); producers: \(producers.joined(separator: ", "))"
        }
        Output.err(msg)
    }

    var dirty: [Step] { graph.steps.filter { analysis.statuses[$0.id]?.isDirty ?? true } }
}

/// `$0.12`, `$0.00`.
func money(_ d: Double) -> String { String(format: "$%.2f", d) }

/// `42s`, `3m 05s`, `1h 02m`.
func clock(_ s: Double) -> String {
    let t = Int(s.rounded())
    if t < 60 { return "\(t)s" }
    if t < 3600 { return String(format: "%dm %02ds", t / 60, t % 60) }
    return String(format: "%dh %02dm", t / 3600, (t % 3600) / 60)
}
