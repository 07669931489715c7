import BuildState
import Foundation
import Planner
import Producers
import RecipeParser
import Runner

/// The shared front half of plan, graph, explain (and later build): check the vidfile,
/// print its diagnostics, expand it, and analyze it against the state store.
struct Session {
    var graph: BuildGraph
    var analysis: DirtyAnalysis
    var store: FileStateStore
    var hasher: FileHasher
    /// Latency, price and limits: the shipped defaults under `providers.yaml` beside the vidfile or `--providers FILE`.
    var providers: ProviderTable
    /// The providers file `providers` was read from, if any (absolute).
    var providersFile: String?
    var stateDir: String
    /// The name records, revisions and locks of this vidfile go under in the store.
    var key: String
    /// `out/<name>/`.
    var tree: OutputTree
    /// Out files a person edited that stand in for their artifact this build.
    var edits: [OutputTree.Edit]
    /// Edited out files that cannot stand in (views, or artifacts the vidfile supplies), with why.
    var ignoredEdits: [(edit: OutputTree.Edit, why: String)]
    var forced: Set<StepID>
    /// Keys and base URLs of remote providers: the environment over `.env` beside the vidfile.
    var environment: ProviderEnvironment
    /// The vidfile's and recipe's text, for diagnostics located in them.
    var sources: SourceManager

    struct Options {
        var settings: [(name: String, value: String)] = []
        var stateDir: String?
        var forced: [String] = []
        var providersFile: String?
        /// Emitted builds have their own tree: edits in `out/<name>/` are not theirs to use.
        var ignoreOutEdits = false
    }

    /// A graph command's command line: the shared options, its own flags, and its words.
    struct CommandLine {
        var options = Options()
        var flags: Set<String> = []
        var words: [String] = []
    }

    /// Parses the shared options, the command's own `flags`, and exactly `words` positional words;
    /// `missing` and `wrong` are the usage errors for none and for the wrong number.
    static func parse(_ args: inout Arguments, flags: Set<String> = [], words count: Int, orMore: Bool = false, missing: String, wrong: String) throws(UsageError) -> CommandLine {
        var c = CommandLine()
        while let a = args.next() {
            if try parseCommon(a, &args, into: &c.options) { continue }
            if flags.contains(a) { c.flags.insert(a); continue }
            if a.hasPrefix("-") { throw UsageError(message: "unknown option '\(a)'") }
            c.words.append(a)
        }
        guard c.words.count == count || (orMore && c.words.count > count) else { throw UsageError(message: c.words.isEmpty ? missing : wrong) }
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
        let (g0, planDiags) = Planner().plan(project)
        for d in planDiags.sorted { Output.err(renderer.render(d)) }
        guard var graph = g0 else { return nil }
        let (stateDir, key) = storeLocation(vidfile: project.vidfilePath, stateDir: o.stateDir)
        let store = FileStateStore(root: stateDir, vidfileKey: key)
        let hasher = FileHasher(cachePath: stateDir + "/stat-cache.json")
        let tree = OutputTree(folder: project.folder, name: OutputTree.projectName(project.vidfilePath), stateRoot: stateDir, key: key)

        // Out files a person edited stand in for their artifacts, like overrides in the vidfile.
        var edits: [OutputTree.Edit] = []
        var ignored: [(edit: OutputTree.Edit, why: String)] = []
        for link in o.ignoreOutEdits ? [] : tree.links() {
            Output.err("warning: \(tree.relativeRoot)/\(link) is a symbolic link; vidmake does not follow links under \(tree.relativeRoot), so it is not an edit (copy the file there instead)")
        }
        for e in o.ignoreOutEdits ? [] : tree.edits(hasher: hasher) {
            if e.isView {
                ignored.append((e, "a view of the script's fields; edit the field's own file (e.g. segments/01/narration.txt) instead"))
            } else if let src = graph.sources[e.artifact], graph.producerOf[e.artifact] == nil {
                // An adopted edit: once the vidfile supplies the same content, the file is vidmake's again.
                let supplied: String? = switch src.content {
                case .text(let t): SHA256.hex(t)
                case .file(let p): project.file(p).path.flatMap(hasher.hash)
                }
                if supplied == hasher.hash(tree.root + "/" + e.path) { continue }
                let origin = project.overrides.first { ArtifactRef($0.artifact, $0.index) == src.artifact }
                ignored.append((e, "\(project.vidfile)\(origin.map { ":\($0.span.start.line)" } ?? "") supplies \(e.artifact); edit it there"))
            } else if graph.producerOf[e.artifact] != nil {
                edits.append(e)
            } else {
                ignored.append((e, "\(e.artifact) is no longer part of this build"))
            }
        }
        if !edits.isEmpty {
            var edited = project
            let span = SourceSpan(SourceLocation(file: tree.relativeRoot, line: 0, column: 0))
            for e in edits {
                edited.overrides.append(ArtifactOverride(artifact: e.artifact.name, index: e.artifact.index,
                                                         content: .file(tree.relativeRoot + "/" + e.path), span: span))
            }
            let (g1, d1) = Planner().plan(edited)
            for d in d1.sorted where d.severity == .error { Output.err(renderer.render(d)) }
            guard let g1 else { return nil }
            graph = g1
        }

        var forced: Set<StepID> = []
        guard let named = resolveSteps(o.forced, graph) else { return nil }
        forced = graph.closure(downstreamOf: named)
        var table = ProviderTable.defaults
        let beside = project.folder + "/providers.yaml"
        let providersFile = o.providersFile ?? (FileManager.default.fileExists(atPath: beside) ? ProjectPaths.display(beside) : nil)
        if let file = providersFile {
            var d = Diagnostics()
            let settings = ProviderSettings.load(path: file, sources: sources, into: &d)
            for x in d.sorted { Output.err(renderer.render(x)) }
            guard let settings else { return nil }
            table = table.overlaid(with: settings)
        }
        let (environment, envWarnings) = ProviderEnvironment.load(folder: project.folder)
        for w in envWarnings { Output.err("warning: " + w) }
        let analysis = DirtyAnalysis.analyze(graph, store: store, hasher: hasher, forced: forced)
        if FileManager.default.fileExists(atPath: stateDir) {
            hasher.save()
            store.save()
        }
        for c in store.corruptBlobs { Output.err("warning: \(Session.corruptNotice) \(c)") }
        return Session(graph: graph, analysis: analysis, store: store, hasher: hasher, providers: table,
                       providersFile: providersFile.map(ProjectPaths.absolute), stateDir: stateDir, key: key,
                       tree: tree, edits: edits, ignoredEdits: ignored, forced: forced, environment: environment, sources: sources)
    }

    /// Where a vidfile's state lives: `--state DIR`, else `.vidmake` beside it; and the name its
    /// records, revisions and lock go under there.
    static func storeLocation(vidfile: String, stateDir: String?) -> (root: String, key: String) {
        let path = ProjectPaths.absolute(vidfile)
        let folder = (path as NSString).deletingLastPathComponent
        return (stateDir.map(ProjectPaths.absolute) ?? folder + "/.vidmake", FileStateStore.sanitize((path as NSString).lastPathComponent))
    }

    /// Steps named on the command line: `narration[3]`, or a producer's name for all its steps.
    /// Nil after printing which name is unknown.
    static func resolveSteps(_ names: [String], _ graph: BuildGraph) -> Set<StepID>? {
        var out: Set<StepID> = []
        for n in names {
            if let id = StepID.parse(n), graph.step(id) != nil { out.insert(id); continue }
            let all = graph.steps.filter { $0.id.producer == n }.map(\.id)
            guard !all.isEmpty else { unknownStep(n, graph); return nil }
            out.formUnion(all)
        }
        return out
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

    static let corruptNotice = "a stored blob did not match its hash and was set aside; its step runs again:"

    var dirty: [Step] { graph.steps.filter { analysis.statuses[$0.id]?.isDirty ?? true } }

    /// The keys the steps about to run need and do not have, as located errors (at the line
    /// that picks the provider), printed before anything runs; false if any is missing. A step
    /// whose own provider has no key but whose fallback has one gets a warning instead.
    func checkKeys(for steps: [Step]) -> Bool {
        var diags = Diagnostics()
        var seen: Set<String> = []
        let envFile = ProjectPaths.display(graph.project.folder + "/.env")
        for step in steps {
            guard let variable = ProviderCatalog.spec(step.provider.family)?.keyVariable, !environment.hasKey(for: step.provider.family) else { continue }
            let span = step.provider.span
            guard seen.insert("\(variable) \(span.start.file):\(span.start.line):\(span.start.column)").inserted else { continue }
            let users = steps.filter { $0.provider.family == step.provider.family && $0.provider.span == span }.count
            let what = "\(users) step\(users == 1 ? "" : "s") (\(step.id.producer)) use\(users == 1 ? "s" : "") \(step.provider.family)"
            if let usable = step.fallback.first(where: { environment.hasKey(for: $0.family) }) {
                diags.warning("\(variable) is not set: \(what); \(users == 1 ? "it falls" : "they fall") back to \(usable)", at: span,
                              help: "export \(variable)=… or put it in \(envFile)")
            } else {
                diags.error("\(variable) is not set, and \(what)", at: span,
                            help: "export \(variable)=… or put `\(variable)=…` in \(envFile); or pick a local provider here")
            }
        }
        let renderer = DiagnosticRenderer(sources: sources, colour: DiagnosticRenderer.wantsColour(fileDescriptor: 2))
        for d in diags.sorted { Output.err(renderer.render(d)) }
        return diags.errorCount == 0
    }
}

/// `$0.12`, `$0.00`; a sum under a cent keeps its first significant digits (`$0.0003`).
func money(_ d: Double) -> String {
    d > 0 && d < 0.01 ? String(format: "$%.4f", d) : String(format: "$%.2f", d)
}

/// `42s`, `3m 05s`, `1h 02m`.
func clock(_ s: Double) -> String {
    let t = Int(s.rounded())
    if t < 60 { return "\(t)s" }
    if t < 3600 { return String(format: "%dm %02ds", t / 60, t % 60) }
    return String(format: "%dh %02dm", t / 3600, (t % 3600) / 60)
}
