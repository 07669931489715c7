import Foundation
import Planner
import RecipeParser

/// A build graph laid out for an external runner: where every artifact lives as a file, the step
/// spec `vidmake produce` reads for each step, the pools, and what regenerates the build file.
/// The Ninja, shell and JSON emitters are three printings of one `EmitPlan`.
///
/// Every path is relative to the directory the runner runs in (`-C DIR`), so a runner never
/// depends on where vidmake was started. Files go under `build/<name>/` there: the artifacts by
/// the names `out/<name>/` uses (`segments/03/narration.wav`, `civilwar.mp4`), the step specs in
/// `build/<name>/.steps/`, and the vidfile's text overrides as files, so that narration and
/// prompts reach commands only through files.
public struct EmitPlan: Sendable {
    public struct Options: Sendable {
        /// Absolute: where the runner runs.
        public var directory: String
        /// Absolute: the build file (`build.ninja`, `build.sh`, `plan.json`).
        public var output: String
        /// Absolute: the vidmake binary the steps call.
        public var vidmake: String
        /// Absolute: the state store the steps share with `vidmake build`.
        public var stateRoot: String
        /// The vidfile's name in the store.
        public var key: String
        /// The emit command's own options to repeat when regenerating (`--state`, `--providers`), as (flag, absolute path).
        public var regenerateOptions: [(flag: String, path: String)] = []
        /// Absolute: a providers file that regeneration depends on, if any.
        public var providersFile: String?

        public init(directory: String, output: String, vidmake: String, stateRoot: String, key: String) {
            self.directory = directory
            self.output = output
            self.vidmake = vidmake
            self.stateRoot = stateRoot
            self.key = key
        }
    }

    public struct Entry: Sendable {
        public var step: Step
        public var spec: StepSpec
        /// The spec's file.
        public var specPath: String
        /// Files the step reads: its artifacts' files and the project files it names.
        public var inputs: [String]
        /// Files the step makes, in the step's output order.
        public var outputs: [String]
        /// The pool it waits in (a Ninja identifier: `local_espeak`, `openai`).
        public var pool: String
        /// `tts narration[3]`, as the in-process build's status line names a step.
        public var label: String
        /// Steps whose outputs it reads.
        public var after: [StepID]
        public var fingerprint: String?
        public var dirty: DirtyReason?
    }

    public struct Pool: Sendable, Hashable {
        public var name: String
        public var provider: String
        public var depth: Int
        public var perMinute: Int?
    }

    public var options: Options
    public var vidfile: String
    public var name: String
    /// `build/<name>`.
    public var buildDir: String
    public var entries: [Entry]
    public var pools: [Pool]
    /// Files emit writes beside the specs (the vidfile's text overrides), path → content.
    public var sourceFiles: [String: Data]
    /// What the build file is regenerated from: the vidfile, the recipe, prompts, providers.yaml, vidmake itself.
    public var generatorInputs: [String]
    /// The final outputs (those no step reads): Ninja's default targets.
    public var finals: [String]

    public enum Failure: Error, CustomStringConvertible {
        case unrepresentable(String, why: String)
        public var description: String {
            switch self {
            case .unrepresentable(let p, let why): return "cannot emit the path \(p.debugDescription): \(why)"
            }
        }
    }

    public init(graph: BuildGraph, analysis: DirtyAnalysis, table: ProviderTable, options: Options) throws(Failure) {
        self.options = options
        let project = graph.project
        let dir = options.directory
        func rel(_ absolute: String) -> String { Self.relative(absolute, from: dir) }
        vidfile = rel(ProjectPaths.absolute(project.vidfilePath))
        name = ArtifactNames.projectName(project.vidfilePath)
        buildDir = "build/" + name
        let folder = rel(project.folder)
        let state = rel(options.stateRoot)
        let recipe = project.recipe

        // Every artifact's file: a project file for what the vidfile names as a file, else a file
        // under build/<name>/ named as out/<name>/ names it.
        let names = ArtifactNames.readable(graph)
        var paths: [ArtifactRef: String] = [:]
        var sources: [String: Data] = [:]
        for (ref, base) in names {
            let type = recipe.outputs[ref.name]?.output.type ?? .text
            paths[ref] = buildDir + "/" + base + "." + ArtifactNames.plannedExtension(ref, type)
        }
        for (ref, source) in graph.sources {
            switch source.content {
            case .file(let p): paths[ref] = rel(project.folder + "/" + p)
            case .text(let t): if let p = paths[ref] { sources[p] = Data(t.utf8) }
            }
        }
        sourceFiles = sources

        var entries: [Entry] = []
        var pools: [String: Pool] = [:]
        var read: Set<ArtifactRef> = []
        for step in graph.steps {
            var inputs: [String] = []
            var specInputs: [String: StepSpec.InputFile] = [:]
            var after: [StepID] = []
            for i in step.inputs {
                switch i.source {
                case .file(let p): inputs.append(rel(project.folder + "/" + p))
                case .artifacts(let refs, _):
                    for r in refs {
                        guard let p = paths[r] else { continue }
                        read.insert(r)
                        inputs.append(p)
                        let maker = graph.producerOf[r]
                        if let m = maker, !after.contains(m) { after.append(m) }
                        specInputs[r.description] = StepSpec.InputFile(path: p, type: recipe.outputs[r.name]?.output.type ?? .text, producer: maker)
                    }
                case .value, .unset: break
                }
            }
            var outputs: [String] = []
            var specOutputs: [String: String] = [:]
            for o in step.outputs {
                guard let p = paths[o.artifact] else { continue }
                outputs.append(p)
                specOutputs[o.artifact.description] = p
            }
            let poolName = ProviderTable.pool(step.provider)
            let perMinute = table.profile(step.provider).perMinute
            let spec = StepSpec(step: step, render: project.render, folder: folder, state: state, key: options.key,
                                inputs: specInputs, outputs: specOutputs, pool: perMinute == nil ? nil : poolName, perMinute: perMinute)
            let id = Self.identifier(poolName)
            if pools[id] == nil {
                let p = table.profile(step.provider)
                pools[id] = Pool(name: id, provider: poolName, depth: p.concurrency, perMinute: p.perMinute)
            }
            let status = analysis.statuses[step.id]
            var dirty: DirtyReason?
            if case .dirty(let r)? = status?.state { dirty = r }
            entries.append(Entry(step: step, spec: spec, specPath: buildDir + "/.steps/" + Self.fileName(step.id) + ".json",
                                 inputs: Self.unique(inputs), outputs: outputs, pool: id, label: "\(step.kind.rawValue) \(step.id)",
                                 after: after, fingerprint: status?.fingerprint, dirty: dirty))
        }
        self.entries = entries
        self.pools = pools.values.sorted { $0.name < $1.name }
        finals = entries.flatMap { e in e.step.outputs.filter { !read.contains($0.artifact) }.compactMap { paths[$0.artifact] } }

        var generator = [vidfile, rel(recipe.absolutePath)]
        generator += recipe.producers.compactMap { $0.prompt.map { rel($0.absolutePath) } }
        if let p = options.providersFile { generator.append(rel(p)) }
        // A new vidmake may lay the build out differently.
        generator.append(rel(options.vidmake))
        generatorInputs = Self.unique(generator)

        // Ninja and the shell take any byte but NUL in a path; a newline would end a Ninja line.
        for p in generatorInputs + entries.flatMap({ $0.inputs + $0.outputs }) + [rel(options.output), rel(options.vidmake)]
            where p.contains("\n") || p.contains("\r") || p.contains("\0") {
            throw .unrepresentable(p, why: "it contains a line break; rename the file or folder")
        }
    }

    /// Writes the spec files and the override files, each only if its content changed (so a
    /// runner's mtime check reruns just the steps whose definition changed), and removes specs of
    /// steps that are gone. Returns the paths written.
    public func writeFiles() throws -> [String] {
        var written: [String] = []
        var wanted: Set<String> = []
        for e in entries {
            wanted.insert((e.specPath as NSString).lastPathComponent)
            if try Self.writeIfChanged(try e.spec.encoded(), to: absolute(e.specPath)) { written.append(e.specPath) }
        }
        for (p, data) in sourceFiles.sorted(by: { $0.key < $1.key }) where try Self.writeIfChanged(data, to: absolute(p)) {
            written.append(p)
        }
        let steps = absolute(buildDir + "/.steps")
        for f in (try? FileManager.default.contentsOfDirectory(atPath: steps)) ?? [] where f.hasSuffix(".json") && !wanted.contains(f) {
            unlink(steps + "/" + f)
        }
        return written
    }

    public func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : options.directory + "/" + path
    }

    /// The build file itself, relative to the runner's directory.
    public var outputPath: String { Self.relative(options.output, from: options.directory) }

    /// The command that writes this build file again, as argv.
    public func regenerateCommand(_ format: String) -> [String] {
        var argv = [options.vidmake, "emit", "--" + format, "--quiet", "-C", ".", "-o", outputPath]
        for (flag, path) in options.regenerateOptions { argv += [flag, Self.relative(path, from: options.directory)] }
        return argv + [vidfile]
    }

    // MARK: helpers

    /// Writes `data` to `path` (temp file + rename) unless the file already holds it.
    public static func writeIfChanged(_ data: Data, to path: String) throws -> Bool {
        if let old = FileManager.default.contents(atPath: path), old == data { return false }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw Failure.unrepresentable(path, why: "cannot write it: \(String(cString: strerror(errno)))")
        }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw Failure.unrepresentable(path, why: "cannot write it: \(String(cString: strerror(errno)))")
        }
        return true
    }

    /// `path` relative to `dir` (both absolute and standardized), with `..` where needed; `.` for the directory itself.
    public static func relative(_ path: String, from dir: String) -> String {
        let p = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        let d = URL(fileURLWithPath: dir).standardizedFileURL.pathComponents
        var common = 0
        while common < p.count, common < d.count, p[common] == d[common] { common += 1 }
        // Only `/` in common: an absolute path reads better than a climb to the root.
        if common <= 1 { return URL(fileURLWithPath: path).standardizedFileURL.path }
        let parts = Array(repeating: "..", count: d.count - common) + p[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// `narration[3]` → `narration-3`, `image[2][1]` → `image-2-1`.
    static func fileName(_ id: StepID) -> String {
        ([id.producer] + id.index.map(String.init)).joined(separator: "-")
    }

    /// A Ninja identifier (pool names): letters, digits and `_`, others as `_`.
    static func identifier(_ s: String) -> String {
        String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    static func unique(_ a: [String]) -> [String] {
        var seen: Set<String> = []
        return a.filter { seen.insert($0).inserted }
    }
}

/// POSIX shell quoting: a word in single quotes, each `'` as `'\''`; plain words stay bare.
public func shellQuote(_ s: String) -> String {
    if !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=+,".contains($0)) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
