import Foundation

/// Checks a vidfile against the recipe it includes and resolves it into a `Project`.
struct VidfileChecker {
    let file: SourceFile
    let absolutePath: String
    let sources: SourceManager
    let environment: [String: String]
    /// `--set name=value` from the command line, as located scalars.
    let settings: [YAMLPair]
    /// What the checker may ask of this machine (espeak-ng's voices).
    let machine: MachineFacts
    var diags = Diagnostics()
    /// Every voice the vidfile or command line names, by input: the voice, where it is written,
    /// and whether it is the whole video's (rather than one segment's).
    var voiceValues: [String: [(String, SourceSpan, Bool)]] = [:]
    /// Voice inputs set for the whole video (not only per segment).
    var globalVoices: Set<String> = []

    var folder: String { URL(fileURLWithPath: absolutePath).deletingLastPathComponent().path }

    mutating func check(_ root: YAMLNode) -> (Recipe?, Project?) {
        guard let m = MappingReader(root, "a vidfile", keys: Keys.vidfile, &diags,
                                    extraHelp: ["dimensions": "dimensions belong in a recipe; a vidfile sets inputs and overrides",
                                                "recipe": "a vidfile names its recipe with 'include'\(root.pairs?.first { $0.name == "recipe" }?.value.scalar.map { ": write 'include: \($0)'" } ?? "")",
                                                "outputs": "outputs belong to producers in a recipe"]) else { return (nil, nil) }
        checkVersion(m, root, &diags)
        guard let includeNode = m["include"] else {
            // 'recipe: NAME' was reported as the unknown key it is, with the fix.
            if m.lacks("include"), !(root.pairs ?? []).contains(where: { $0.name == "recipe" }) {
                diags.error("the vidfile includes no recipe", at: SourceSpan(root.span.start), help: "add 'include: documentary' (or a path to your own recipe)")
            }
            return (nil, nil)
        }
        guard let name = scalarText(includeNode, "'include'", &diags),
              let recipePath = RecipeLocator.locate(name, vidfileFolder: folder, environment: environment, at: includeNode.span, &diags),
              var recipe = loadRecipe(recipePath, at: includeNode.span) else { return (nil, nil) }

        if let p = m["producers"] { applyProducerChanges(p, to: &recipe) }
        // A broken graph makes every later check guesswork; a bad provider line does not.
        var graph = Diagnostics()
        RecipeChecker(recipe: recipe).check(&graph)
        diags.append(contentsOf: graph)
        if graph.hasErrors { return (recipe, nil) }

        let before = diags.errorCount
        var inputs = readInputValues(m["inputs"], recipe: recipe)
        for s in settings { setInput(s, recipe: recipe, into: &inputs, fromCommandLine: true) }
        // With 'input:' for 'inputs:', the values are there but misspelled: one error says so.
        if m["inputs"] != nil || m.lacks("inputs") {
            requireInputs(recipe: recipe, inputs: inputs, at: m.pair("inputs")?.key.span ?? includeNode.span)
        }
        let inputsOK = diags.errorCount == before

        var perIndex: [String: [Int: Value]] = [:]
        var overrides: [ArtifactOverride] = []
        var segmentKeys: [(Int, SourceSpan)] = []
        if let s = m["segments"] { readSegments(s, recipe: recipe, perIndex: &perIndex, overrides: &overrides, keys: &segmentKeys) }
        if let a = m["artifacts"] { readArtifacts(a, recipe: recipe, overrides: &overrides) }
        var render = recipe.render
        if let r = m["render"] { RenderReader.read(r, into: &render, &diags) }
        // Sizes follow from the inputs; with a bad input they would be a guess, and a
        // "segment 7 does not exist" built on a guess misleads.
        guard inputsOK else { return (recipe, nil) }

        let evaluator = Evaluator(inputs: inputs, perIndex: perIndex)
        guard let sizes = computeSizes(recipe: recipe, evaluator: evaluator, overrides: overrides) else { return (recipe, nil) }
        checkSegmentRange(segmentKeys, overrides: overrides, recipe: recipe, sizes: sizes, inputs: inputs)
        if diags.hasErrors { return (recipe, nil) }
        checkContracts(recipe: recipe, inputs: inputs, perIndex: perIndex, sizes: sizes, overrides: overrides,
                       inputsSpan: m.pair("inputs")?.key.span ?? includeNode.span)
        if diags.hasErrors { return (recipe, nil) }
        let project = Project(vidfile: file.path, vidfilePath: absolutePath, folder: folder, recipe: recipe, inputs: inputs,
                              perIndex: perIndex, sizes: sizes, overrides: overrides, render: render)
        return (recipe, project)
    }

    private mutating func loadRecipe(_ path: String, at span: SourceSpan) -> Recipe? {
        guard let (recipeFile, root) = YAMLLoader().loadFile(at: path, displayPath: ProjectPaths.display(path), sources: sources,
                                                              referencedFrom: span, into: &diags) else { return nil }
        var reader = RecipeReader(file: recipeFile, absolutePath: path, sources: sources)
        let name = (path as NSString).lastPathComponent
        let keys = Set((root.pairs ?? []).map(\.name))
        guard !keys.contains("include"), keys.contains("recipe") || keys.contains("producers") else {
            let isVidfile = keys.contains("include")
            diags.error(isVidfile ? "'\(name)' is a vidfile, not a recipe" : "'\(name)' is not a recipe", at: span,
                        help: isVidfile ? "include the recipe that vidfile includes" : "a recipe declares 'recipe:', 'inputs:' and 'producers:'")
            return nil
        }
        let recipe = reader.read(root)
        diags.append(contentsOf: reader.diags)
        return reader.diags.hasErrors ? nil : recipe
    }

    // MARK: producers

    private mutating func applyProducerChanges(_ node: YAMLNode, to recipe: inout Recipe) {
        for p in entries(node, "'producers'", &diags) {
            guard let index = recipe.producers.firstIndex(where: { $0.name == p.name }) else {
                var help = Spelling.didYouMean(p.name, recipe.producers.map(\.name)) ?? "producers of \(recipe.name): \(recipe.producers.map(\.name).joined(separator: ", "))"
                if let owner = recipe.outputs[p.name]?.producer, owner.name != p.name {
                    help = "'\(p.name)' is an artifact made by producer '\(owner.name)'"
                }
                diags.error("recipe '\(recipe.name)' has no producer '\(p.name)'", at: p.key.span, help: help)
                continue
            }
            guard let m = MappingReader(p.value, "producer '\(p.name)'", keys: Keys.producerOverride, &diags,
                                        extraHelp: ["kind": "a vidfile chooses providers; the kind is fixed by the recipe",
                                                    "inputs": "a producer's inputs are wired in the recipe",
                                                    "outputs": "a producer's outputs are declared in the recipe"]) else { continue }
            var producer = recipe.producers[index]
            if let providerNode = m["provider"] ?? m["model"] {
                let pn = m["provider"]
                var ref: ProviderRef?
                if let pn {
                    ref = ProviderLine.read(providerNode: pn, modelNode: m["model"], kind: producer.kind, &diags)
                } else if let model = scalarText(providerNode, "'model'", &diags) {
                    ref = ProviderCatalog.resolve(producer.provider.family, model: model, kind: producer.kind, at: providerNode.span, &diags)
                }
                if let ref {
                    if ref.family != producer.provider.family { producer.options = [:] }
                    producer.provider = ref
                }
            }
            if let f = m["fallback"] { producer.fallback = ProviderLine.readFallback(f, kind: producer.kind, &diags) }
            if let pr = m["prompt"], let path = scalarText(pr, "'prompt'", &diags) {
                producer.prompt = PromptFiles.load(path, relativeTo: absolutePath, at: pr.span, sources: sources, &diags)
            }
            if let o = m["options"] {
                for (k, v) in OptionsReader.read(o, provider: producer.provider, &diags) { producer.options[k] = v }
            }
            recipe.producers[index] = producer
        }
    }

    // MARK: inputs

    private mutating func readInputValues(_ node: YAMLNode?, recipe: Recipe) -> [String: Value] {
        var values: [String: Value] = [:]
        for i in recipe.inputs { if let d = i.defaultValue { values[i.name] = d } }
        guard let node else { return values }
        for p in entries(node, "'inputs'", &diags) { setInput(p, recipe: recipe, into: &values, fromCommandLine: false) }
        return values
    }

    private mutating func setInput(_ p: YAMLPair, recipe: Recipe, into values: inout [String: Value], fromCommandLine: Bool) {
        guard let decl = recipe.input(p.name) else {
            var help = Spelling.didYouMean(p.name, recipe.inputs.map(\.name)) ?? "inputs of \(recipe.name): \(recipe.inputs.map(\.name).joined(separator: ", "))"
            if recipe.producer(p.name) != nil { help = "'\(p.name)' is a producer; choose its provider under 'producers:'" }
            else if let (_, output) = recipe.outputs[p.name] {
                help = output.dimensions.isEmpty ? "'\(p.name)' is an artifact; override it under 'artifacts:'"
                    : "'\(p.name)' is an artifact per \(output.dimensions[0]); override it for one \(output.dimensions[0]) under 'segments:'"
            }
            diags.error("recipe '\(recipe.name)' has no input '\(p.name)'", at: p.key.span, help: help)
            return
        }
        // A later setting (--set after the vidfile) replaces the earlier one: only it is checked.
        let perSegment = (voiceValues[p.name] ?? []).filter { !$0.2 }
        guard let v = value(p.value, for: decl) else { return }
        if decl.type == .voice, let last = voiceValues[p.name]?.last {
            voiceValues[p.name] = perSegment + [(last.0, last.1, true)]
            globalVoices.insert(p.name)
        }
        values[p.name] = v
    }

    /// A typed, bounded value for an input; file inputs are resolved inside the project folder.
    private mutating func value(_ node: YAMLNode, for decl: InputDecl) -> Value? {
        guard let v = ValueParser.parse(node, as: decl.type, "input '\(decl.name)'", &diags) else { return nil }
        guard ValueParser.checkBounds(v, decl, at: node.span, "input '\(decl.name)'", &diags) else { return nil }
        if decl.type == .voice, case .text(let voice) = v { voiceValues[decl.name, default: []].append((voice, scalarBase(node), false)) }
        if decl.type == .file, case .text(let path) = v {
            guard ProjectPaths.resolve(path, inside: folder, what: "file", at: scalarBase(node), &diags) != nil else { return nil }
        }
        return v
    }

    private mutating func requireInputs(recipe: Recipe, inputs: [String: Value], at span: SourceSpan) {
        for i in recipe.inputs where inputs[i.name] == nil && !i.optional {
            diags.error("input '\(i.name)' is required: recipe '\(recipe.name)' gives it no default", at: span,
                        help: "add '\(i.name): …' under 'inputs:' (a \(i.type.noun))", notes: [.init("declared here", at: i.span)])
        }
    }

    // MARK: overrides

    private mutating func readSegments(_ node: YAMLNode, recipe: Recipe, perIndex: inout [String: [Int: Value]],
                                       overrides: inout [ArtifactOverride], keys: inout [(Int, SourceSpan)]) {
        let segment = Project.segmentDimension
        guard recipe.dimension(segment) != nil else {
            diags.error("recipe '\(recipe.name)' has no '\(segment)' dimension, so it has no segments to override", at: node.span)
            return
        }
        let perInputs = recipe.inputs.filter { $0.per?.value == segment }.map(\.name)
        let segmentArtifacts = recipe.outputs.filter { $0.value.output.dimensions.first == segment }.map(\.key).sorted()
        for p in entries(node, "'segments'", &diags) {
            // A quoted "3" is segment 3 as well (the JSON Schema cannot tell them apart).
            guard p.key.style != .block, p.name.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(p.name), n >= 1 else {
                diags.error("'\(p.name)' is not a segment number", at: p.key.span, help: "segments are numbered from 1: write e.g. '3:'")
                continue
            }
            // `3:` and `03:` are different YAML keys but one segment.
            if let first = keys.first(where: { $0.0 == n }) {
                diags.error("segment \(n) is given twice", at: p.key.span, help: "merge the two into one '\(n):' entry",
                            notes: [.init("first given here", at: first.1)])
                continue
            }
            keys.append((n, p.key.span))
            for e in entries(p.value, "segment \(n)", &diags) {
                if let decl = recipe.input(e.name) {
                    guard decl.per?.value == segment else {
                        diags.error("input '\(e.name)' is the same for every segment; it cannot be set for segment \(n)", at: e.key.span,
                                    help: "set it under 'inputs:', or declare it 'per: segment' in the recipe")
                        continue
                    }
                    if let v = value(e.value, for: decl) { perIndex[e.name, default: [:]][n] = v }
                } else if let (_, output) = recipe.outputs[e.name] {
                    guard output.dimensions.first == segment else {
                        diags.error("artifact '\(e.name)' is not per segment", at: e.key.span,
                                    help: output.dimensions.isEmpty ? "override it under 'artifacts:'" : nil)
                        continue
                    }
                    overrides += artifactOverride(e, output: output, prefix: [n])
                } else {
                    var help = Spelling.didYouMean(e.name, perInputs + segmentArtifacts)
                        ?? "a segment can set: \((perInputs + segmentArtifacts).joined(separator: ", "))"
                    if let p = recipe.producer(e.name) {
                        help = "'\(e.name)' is a producer; override one of its artifacts: \(p.outputs.map(\.name).joined(separator: ", "))"
                    }
                    diags.error("'\(e.name)' is neither a per-segment input nor an artifact", at: e.key.span, help: help)
                }
            }
        }
    }

    private mutating func readArtifacts(_ node: YAMLNode, recipe: Recipe, overrides: inout [ArtifactOverride]) {
        for e in entries(node, "'artifacts'", &diags) {
            guard let (_, output) = recipe.outputs[e.name] else {
                diags.error("recipe '\(recipe.name)' makes no artifact '\(e.name)'", at: e.key.span,
                            help: Spelling.didYouMean(e.name, recipe.outputs.keys.sorted()))
                continue
            }
            guard output.dimensions.isEmpty else {
                diags.error("artifact '\(e.name)' is per \(output.dimensions[0])", at: e.key.span,
                            help: "override one \(output.dimensions[0]) under 'segments:'")
                continue
            }
            overrides += artifactOverride(e, output: output, prefix: [])
        }
    }

    /// One override per artifact instance the entry covers: a scalar for one instance, a list for a row.
    private mutating func artifactOverride(_ e: YAMLPair, output: OutputDecl, prefix: [Int]) -> [ArtifactOverride] {
        let remaining = output.dimensions.count - prefix.count
        if remaining == 0 {
            return content(e.value, type: output.type, what: "'\(e.name)'").map {
                [ArtifactOverride(artifact: e.name, index: prefix, content: $0, span: e.key.span)]
            } ?? []
        }
        guard remaining == 1 else {
            diags.error("artifact '\(e.name)' has \(output.dimensions.count) dimensions; vidmake can override it by \(output.dimensions[0]) and one more", at: e.key.span)
            return []
        }
        let items: [YAMLNode]
        switch e.value.kind {
        case .sequence(let s): items = s
        case .scalar where !e.value.isNull: items = [e.value]
        default:
            diags.error("'\(e.name)' needs a list, one entry per \(output.dimensions.last!)", at: e.value.span)
            return []
        }
        if items.isEmpty {
            diags.error("an empty list leaves no \(output.dimensions.last!) for '\(e.name)'", at: e.value.span, help: "give at least one entry")
            return []
        }
        var out: [ArtifactOverride] = []
        for (j, item) in items.enumerated() {
            if let c = content(item, type: output.type, what: "entry \(j + 1) of '\(e.name)'") {
                out.append(ArtifactOverride(artifact: e.name, index: prefix + [j + 1], content: c, span: e.key.span))
            }
        }
        return out
    }

    /// A picture, sound or clip the vidfile names must be one by its bytes: a text file called
    /// `.png` fails here, at its line, not in the render after paid steps ran.
    private mutating func mediaFile(_ path: String, at real: String, type: ArtifactType, span: SourceSpan) -> String? {
        guard let why = MediaSniff.mismatch(real, shown: "'\(path)'", as: type) else { return path }
        diags.error(why, at: span, help: "name a \(MediaSniff.formats(for: type)?.1 ?? "") file; vidmake reads a file by its content, whatever its name")
        return nil
    }

    private mutating func content(_ node: YAMLNode, type: ArtifactType, what: String) -> ArtifactOverride.Content? {
        if case .mapping = node.kind {
            guard let m = MappingReader(node, what, keys: [KeySpec("file", "", S.string())], &diags) else { return nil }
            guard let f = m["file"] else {
                // Unknown keys were reported already; only a truly empty mapping needs its own error.
                if node.pairs?.isEmpty ?? true {
                    diags.error("\(what) is an empty mapping", at: node.span,
                                help: "write the text itself, or { file: path/to/file }")
                }
                return nil
            }
            guard let path = scalarText(f, "'file'", &diags) else { return nil }
            guard let real = ProjectPaths.resolve(path, inside: folder, what: "file", at: scalarBase(f), &diags) else { return nil }
            return mediaFile(path, at: real, type: type, span: scalarBase(f)).map { .file($0) }
        }
        guard case .scalar(let s) = node.kind, !node.isNull else {
            diags.error("\(what) must be \(type.isFile ? "a file path" : "text"), found \(node.describedKind)", at: node.span)
            return nil
        }
        if type.isFile {
            guard let real = ProjectPaths.resolve(s, inside: folder, what: "file", at: scalarBase(node), &diags) else { return nil }
            return mediaFile(s, at: real, type: type, span: scalarBase(node)).map { .file($0) }
        }
        if s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            diags.error("\(what) is empty", at: node.span, help: "write the text, or remove the override")
            return nil
        }
        return .text(s)
    }

    // MARK: sizes

    static let maxInstances = 100_000

    private mutating func computeSizes(recipe: Recipe, evaluator: Evaluator, overrides: [ArtifactOverride]) -> DimensionSizes? {
        var sizes = DimensionSizes()
        // Parents before children.
        var order: [DimensionDecl] = []
        var pending = recipe.dimensions
        while !pending.isEmpty {
            let before = pending.count
            pending.removeAll { d in
                if d.parent == nil || order.contains(where: { $0.name == d.parent!.value }) { order.append(d); return true }
                return false
            }
            if pending.count == before { return nil }
        }
        var total = 0
        for d in order {
            var chain: [String] = []
            var cur = d.parent?.value
            while let c = cur { chain.insert(c, at: 0); cur = recipe.dimension(c)?.parent?.value }
            for path in parentPaths(chain, sizes) {
                var at: [String: Int] = [:]
                for (k, name) in chain.enumerated() { at[name] = path[k] }
                var count: Int
                do {
                    guard case .int(let n) = try evaluator.evaluate(d.count, at: at) else { return nil }
                    count = n
                } catch {
                    diags.error("cannot size dimension '\(d.name)': \(error.message)", at: error.span)
                    return nil
                }
                // A list override of a row (e.g. segment 5's images) sets that row's count.
                let rows = chain.isEmpty ? [] : overrides.filter { o in
                    recipe.outputs[o.artifact]?.output.dimensions == chain + [d.name] && Array(o.index.prefix(path.count)) == path
                }
                if let longest = rows.map({ $0.index.last ?? 0 }).max() {
                    // The row may be longer than the input asks, not longer than the input allows.
                    if case .reference(let r) = d.count, let decl = recipe.input(r.name), case .int(let most)? = decl.max, longest > most,
                       let row = rows.max(by: { ($0.index.last ?? 0) < ($1.index.last ?? 0) }) {
                        let place = zip(chain, path).map { "\($0) \($1)" }.joined(separator: ", ")
                        diags.error("\(longest) entries for \(place)'s '\(row.artifact)': '\(r.name)' allows at most \(most) \(d.name)s", at: row.span,
                                    help: "give at most \(most) entries", notes: [.init("the maximum", at: decl.span)])
                        return nil
                    }
                    count = longest
                }
                let suffix = path.isEmpty ? "" : " in \(zip(chain, path).map { "\($0) \($1)" }.joined(separator: ", "))"
                guard count >= 1 else {
                    diags.error("dimension '\(d.name)' has \(count) instances\(suffix)", at: d.count.span,
                                help: "its count is \(d.count.unparenthesized); check the inputs it uses")
                    return nil
                }
                total += count
                guard count <= Self.maxInstances, total <= Self.maxInstances * 10 else {
                    diags.error("dimension '\(d.name)' has \(count) instances\(suffix); vidmake plans at most \(Self.maxInstances) per dimension", at: d.count.span)
                    return nil
                }
                sizes.counts[d.name, default: [:]][path] = count
            }
        }
        return sizes
    }

    /// Every index path of the dimensions in `chain`.
    private func parentPaths(_ chain: [String], _ sizes: DimensionSizes) -> [[Int]] {
        var paths: [[Int]] = [[]]
        for name in chain {
            var next: [[Int]] = []
            for p in paths {
                let n = sizes.count(name, parent: p)
                if n > 0 { for i in 1...n { next.append(p + [i]) } }
            }
            paths = next
        }
        return paths
    }

    private mutating func checkSegmentRange(_ keys: [(Int, SourceSpan)], overrides: [ArtifactOverride], recipe: Recipe,
                                            sizes: DimensionSizes, inputs: [String: Value]) {
        let count = sizes.count(Project.segmentDimension)
        guard let dim = recipe.dimension(Project.segmentDimension) else { return }
        let used = dim.count.references.map { "\($0.name) \(inputs[$0.name].map(\.description) ?? "?")" }.joined(separator: ", ")
        let formula = dim.count.unparenthesized
        for (n, span) in keys where n > count {
            diags.error("segment \(n) does not exist: this video has \(count) segment\(count == 1 ? "" : "s")", at: span,
                        help: "\(used) gives \(count) (segment: \(formula)); use a number from 1 to \(count)")
        }
    }
}
