import RecipeParser

/// The concrete DAG of a project: every step, every source, and who makes each artifact.
/// Steps are in a topological order (producers in recipe order, which the checker proved acyclic,
/// sorted so that every step comes after the steps it reads from).
public struct BuildGraph: Sendable {
    public var project: Project
    public var steps: [Step]
    /// Artifacts the vidfile supplies (overrides): sources of the graph.
    public var sources: [ArtifactRef: Source]
    /// Which step makes each artifact.
    public var producerOf: [ArtifactRef: StepID]
    public var index: [StepID: Int]

    public func step(_ id: StepID) -> Step? { index[id].map { steps[$0] } }

    /// Steps that read an output of `id`, directly.
    public func dependents() -> [StepID: [StepID]] {
        var out: [StepID: [StepID]] = [:]
        for s in steps {
            var seen: Set<StepID> = []
            for r in s.reads { if let p = producerOf[r], seen.insert(p).inserted { out[p, default: []].append(s.id) } }
        }
        return out
    }

    /// Steps whose outputs `id` reads, directly.
    public func dependencies(of s: Step) -> [StepID] {
        var seen: Set<StepID> = []
        return s.reads.compactMap { producerOf[$0] }.filter { seen.insert($0).inserted }
    }

    /// `ids` and every step that needs them (what `--force` reruns).
    public func closure(downstreamOf ids: Set<StepID>) -> Set<StepID> {
        let deps = dependents()
        var out = ids
        var stack = Array(ids)
        while let x = stack.popLast() { for d in deps[x] ?? [] where out.insert(d).inserted { stack.append(d) } }
        return out
    }

    /// `ids` and every step they need (what `vidmake build FILE STEP` builds).
    public func closure(upstreamOf ids: Set<StepID>) -> Set<StepID> {
        var out = ids
        var stack = Array(ids)
        while let x = stack.popLast() {
            guard let s = step(x) else { continue }
            for d in dependencies(of: s) where out.insert(d).inserted { stack.append(d) }
        }
        return out
    }
}

/// Expands a checked project into its build graph.
public struct Planner: Sendable {
    public init() {}

    public func plan(_ project: Project) -> (BuildGraph?, Diagnostics) {
        var expansion = Expansion(project: project)
        expansion.run()
        guard !expansion.diags.hasErrors else { return (nil, expansion.diags) }
        var g = BuildGraph(project: project, steps: expansion.steps, sources: expansion.sources, producerOf: expansion.producerOf, index: [:])
        for (i, s) in g.steps.enumerated() { g.index[s.id] = i }
        // The assembly names the media it read, in the timeline and the OpenTimelineIO file, by
        // their readable names (`segments/03/narration`), which are known only once the graph is:
        // they decide its result, so they enter its description. `vidmake build` and an emitted
        // build plan the same graph, so they give the same names and the same fingerprint.
        let names = ArtifactNames.readable(g)
        for i in g.steps.indices where g.steps[i].kind == .render && g.steps[i].id.index.isEmpty {
            var read: [String: JSON] = [:]
            for ref in g.steps[i].reads { if let name = names[ref] { read[ref.description] = .string(name) } }
            g.steps[i].description[ArtifactNames.descriptionKey] = JSON.object(read).serialized(indent: 0)
        }
        return (g, expansion.diags)
    }
}

/// The work of `Planner.plan`: one pass over the producers in recipe order.
struct Expansion {
    let project: Project
    let recipe: Recipe
    let evaluator: Evaluator
    var steps: [Step] = []
    var sources: [ArtifactRef: Source] = [:]
    var producerOf: [ArtifactRef: StepID] = [:]
    /// Every artifact instance that exists (made by a step or supplied), per artifact name, in index order.
    var existing: [String: [ArtifactRef]] = [:]
    var existingSet: Set<ArtifactRef> = []
    var diags = Diagnostics()

    init(project: Project) {
        self.project = project
        self.recipe = project.recipe
        self.evaluator = project.evaluator
    }

    mutating func run() {
        for o in project.overrides {
            let ref = ArtifactRef(o.artifact, o.index)
            let type = recipe.outputs[o.artifact]?.output.type ?? .text
            sources[ref] = Source(artifact: ref, content: o.content, type: type)
        }
        // Producers in dependency order, so every read finds the instances that exist.
        for p in producerOrder() { expand(p) }
    }

    /// Producers sorted so each comes after those whose artifacts it reads (the graph is acyclic).
    private func producerOrder() -> [ProducerDecl] {
        var done: Set<String> = []
        var out: [ProducerDecl] = []
        var pending = recipe.producers
        while !pending.isEmpty {
            let before = pending.count
            pending.removeAll { p in
                let needs = p.inputs.compactMap { recipe.outputs[$0.source.name]?.producer.name }.filter { $0 != p.name }
                if needs.allSatisfy(done.contains) { out.append(p); done.insert(p.name); return true }
                return false
            }
            if pending.count == before { out += pending; break }
        }
        return out
    }

    /// Every index path of `dims` (nested dimensions sized per parent).
    func paths(_ dims: [String], prefix: [Int] = []) -> [[Int]] {
        var out: [[Int]] = [prefix]
        for d in dims.dropFirst(prefix.count) {
            var next: [[Int]] = []
            next.reserveCapacity(out.count)
            for p in out {
                let parent = Array(p.suffix(parentDepth(d)))
                let n = project.sizes.count(d, parent: parent)
                if n > 0 { for i in 1...n { next.append(p + [i]) } }
            }
            out = next
        }
        return out
    }

    /// How many enclosing dimensions a dimension's count is keyed by.
    private func parentDepth(_ d: String) -> Int {
        var n = 0
        var cur = recipe.dimension(d)?.parent?.value
        while let c = cur, n < 16 { n += 1; cur = recipe.dimension(c)?.parent?.value }
        return n
    }

    mutating func expand(_ p: ProducerDecl) {
        let loop = p.loop.map(\.value)
        for path in paths(loop) {
            var at: [String: Int] = [:]
            for (k, d) in loop.enumerated() { at[d] = path[k] }
            if let w = p.when {
                do {
                    guard case .bool(true) = try evaluator.evaluate(w, at: at) else { continue }
                } catch {
                    diags.error("cannot decide 'when' of \(StepID(p.name, path)): \(error.message)", at: error.span)
                    continue
                }
            }
            let id = StepID(p.name, path)
            // Outputs: the instance's fields, each dimension beyond the loop enumerated.
            var outputs: [Step.Output] = []
            var made: [Step.Output] = []
            for o in p.outputs {
                for full in paths(o.dimensions, prefix: path) {
                    let ref = ArtifactRef(o.name, full)
                    made.append(Step.Output(artifact: ref, type: o.type))
                    if sources[ref] == nil { outputs.append(Step.Output(artifact: ref, type: o.type)) }
                    if existingSet.insert(ref).inserted { existing[o.name, default: []].append(ref) }
                }
            }
            // An instance whose every output the vidfile supplies does not run.
            guard !outputs.isEmpty else { continue }
            var inputs: [StepInput] = []
            var ok = true
            for i in p.inputs {
                guard let input = resolve(i, at: at, step: id) else { ok = false; continue }
                inputs.append(input)
            }
            guard ok else { continue }
            // A `file` provider's file is an input: its content, not its name, decides the result.
            if p.provider.family == "file", case .text(let path)? = p.options["path"]?.value {
                inputs.append(StepInput(parameter: "file", source: .file(path)))
            }
            for o in outputs { producerOf[o.artifact] = id }
            let step = Step(id: id, kind: p.kind, provider: p.provider, fallback: p.fallback, inputs: inputs, outputs: outputs,
                            description: describe(p, inputs: inputs, outputs: made),
                            options: p.options.mapValues(\.value),
                            prompt: p.prompt.map { template($0.text, inputs: inputs) },
                            outputDimensions: Dictionary(p.outputs.map { ($0.name, Array($0.dimensions.dropFirst(p.loop.count))) }) { a, _ in a })
            steps.append(step)
        }
        // Supplied instances exist even where no step would have made them (e.g. a row of files).
        for (ref, _) in sources.sorted(by: { $0.key < $1.key }) where p.outputs.contains(where: { $0.name == ref.name }) {
            if existingSet.insert(ref).inserted { existing[ref.name, default: []].append(ref) }
        }
        for o in p.outputs { existing[o.name]?.sort() }
    }

    private mutating func resolve(_ i: ProducerInput, at: [String: Int], step: StepID) -> StepInput? {
        let r = i.source
        if let decl = recipe.input(r.name) {
            var index: Int?
            if let first = r.indices.first {
                switch first {
                case .dimension(let d): index = at[d]
                case .literal(let n): index = n
                }
            }
            let value = index.flatMap { project.perIndex[r.name]?[$0] } ?? project.inputs[r.name]
            guard let value else { return StepInput(parameter: i.parameter, source: .unset) }
            if decl.type == .file, case .text(let path) = value { return StepInput(parameter: i.parameter, source: .file(path)) }
            return StepInput(parameter: i.parameter, source: .value(value))
        }
        // An artifact: bound indices select, the rest is gathered.
        var prefix: [Int] = []
        for idx in r.indices {
            switch idx {
            case .dimension(let d): prefix.append(at[d] ?? 0)
            case .literal(let n): prefix.append(n)
            }
        }
        let dims = recipe.outputs[r.name]?.output.dimensions.count ?? 0
        if prefix.count == dims {
            let ref = ArtifactRef(r.name, prefix)
            guard existingSet.contains(ref) else {
                diags.error("step \(step) reads \(ref), which nothing makes", at: r.span,
                            help: "the producer of '\(r.name)' does not run for \(ref) (its 'when' is false there, or the index is out of range); make this producer's 'when' match it")
                return nil
            }
            return StepInput(parameter: i.parameter, source: .artifacts([ref], gathered: false))
        }
        return StepInput(parameter: i.parameter, source: .artifacts(Array(instances(r.name, prefix: prefix)), gathered: true))
    }

    /// The instances of an artifact whose index starts with `prefix`, in order. They are contiguous in
    /// the sorted list, so a binary search finds them: a step per segment that gathers its segment's
    /// images costs log n, not a scan of every image.
    func instances(_ name: String, prefix: [Int]) -> ArraySlice<ArtifactRef> {
        guard let all = existing[name] else { return [] }
        var lo = 0, hi = all.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if all[mid].index.lexicographicallyPrecedes(prefix) { lo = mid + 1 } else { hi = mid }
        }
        var end = lo
        while end < all.count, all[end].index.starts(with: prefix) { end += 1 }
        return all[lo..<end]
    }

    /// The canonical description: everything that decides the result and is known before running.
    /// Indices are left out on purpose: two instances with the same settings and the same input
    /// contents are the same work, so an edit that is reverted, or moved, costs nothing.
    private func describe(_ p: ProducerDecl, inputs: [StepInput], outputs: [Step.Output]) -> [String: String] {
        var d: [String: String] = [:]
        d["kind"] = JSON.quote(p.kind.rawValue)
        d["provider"] = JSON.quote(p.provider.description)
        var options: [String: JSON] = [:]
        for (k, v) in p.options { options[k] = .string(v.value.description) }
        d["options"] = JSON.object(options).serialized(indent: 0)
        for i in inputs {
            let key = "input." + i.parameter
            switch i.source {
            case .value(let v): d[key] = JSON.quote(v.description)
            case .unset: d[key] = "null"
            case .file(let path): d[key] = "file " + JSON.quote(path)
            case .artifacts(let refs, let gathered):
                // The contents enter through the input hashes; the shape (how many, in which order) enters here.
                d[key] = gathered ? "gathered \(refs.count)" : "artifact"
            }
        }
        if let prompt = p.prompt {
            d["prompt"] = JSON.quote(template(prompt.text, inputs: inputs))
        }
        // Pictures are made for the frame: local ones at its size, remote ones at its aspect.
        if p.kind == .image || p.kind == .video {
            let size = project.render.size
            d["frame"] = JSON.quote(p.provider.family == "local" ? size.description : Self.aspect(size))
        }
        // A render step depends on the render settings: a scene (per segment) on the picture's,
        // the assembly on all of them, so a new music level re-mixes without re-rendering scenes
        // (and a subtitle style re-renders scenes only when the subtitles are burned in).
        if p.kind == .render {
            d["render"] = JSON.object(project.render.fingerprintFields(scene: !p.loop.isEmpty)).serialized(indent: 0)
        }
        // Output fields with their indices relative to the instance: a script lists narration[1]…[6],
        // overridden or not, so that overriding one more field does not redo the others.
        let depth = p.loop.count
        d["outputs"] = JSON.array(outputs.map {
            .string(ArtifactRef($0.artifact.name, Array($0.artifact.index.dropFirst(depth))).description + ":" + $0.type.rawValue)
        }).serialized(indent: 0)
        return d
    }

    /// `16:9`, `9:16`, `1:1`: the size's ratio in lowest terms.
    static func aspect(_ s: FrameSize) -> String {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let g = max(1, gcd(s.width, s.height))
        return "\(s.width / g):\(s.height / g)"
    }

    /// Fills placeholders whose values are known when planning; artifact placeholders stay for the producer to fill.
    private func template(_ text: String, inputs: [StepInput]) -> String {
        var values: [String: String] = [:]
        for i in inputs { if case .value(let v) = i.source { values[i.parameter] = v.description } }
        for d in recipe.dimensions where d.parent == nil { values["\(d.name)_count"] = String(project.sizes.count(d.name)) }
        guard text.contains("{{") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { out += rest[open.lowerBound...]; return out }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out += values[name] ?? String(rest[open.lowerBound..<close.upperBound])
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
