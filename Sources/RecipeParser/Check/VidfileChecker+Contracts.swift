import Foundation

/// The checks that need the whole project — inputs, sizes, overrides and the provider each
/// producer ended up with — held against `ProviderCatalog.contracts` and this machine, so that
/// what `check` accepts is what the producers can build.
extension VidfileChecker {
    mutating func checkContracts(recipe: Recipe, inputs: [String: Value], perIndex: [String: [Int: Value]],
                                 sizes: DimensionSizes, overrides: [ArtifactOverride], inputsSpan: SourceSpan) {
        let evaluator = Evaluator(inputs: inputs, perIndex: perIndex)
        // A voice the recipe's default gives, where the vidfile sets none.
        for decl in recipe.inputs where decl.type == .voice && !globalVoices.contains(decl.name) {
            if case .text(let v)? = decl.defaultValue { voiceValues[decl.name, default: []].append((v, decl.span, true)) }
        }
        for p in recipe.producers {
            let roleScene = !p.loop.isEmpty
            for provider in [p.provider] + p.fallback {
                guard let c = ProviderCatalog.contract(for: provider, kind: p.kind) else { continue }
                let who = "producer '\(p.name)' (\(provider))"
                for (param, help) in c.requires.sorted(by: { $0.key < $1.key }) {
                    guard let wired = p.inputs.first(where: { $0.parameter == param }) else {
                        diags.error("\(who) needs an input '\(param)', and the recipe gives it none", at: provider.span, help: help)
                        continue
                    }
                    let name = wired.source.name
                    if recipe.input(name) != nil, inputs[name] == nil, perIndex[name]?.isEmpty ?? true {
                        diags.error("\(who) needs '\(name)', and the vidfile sets none", at: inputsSpan, help: help,
                                    notes: [.init("the provider is chosen here", at: provider.span)])
                    }
                }
                if let reads = roleScene ? (c.sceneReads ?? c.reads) : c.reads {
                    for i in p.inputs where !reads.contains(i.parameter) {
                        let role = c.kind == .render ? (roleScene ? " in a scene" : " in the assembly") : ""
                        diags.error("\(who) does not read an input '\(i.parameter)'\(role): the video would silently lack it", at: i.source.span,
                                    help: Spelling.didYouMean(i.parameter, reads) ?? "it reads: \(reads.sorted().joined(separator: ", "))")
                    }
                }
                if let makes = c.makes {
                    for o in p.outputs where !makes.contains(o.name) {
                        diags.error("\(who) cannot make '\(o.name)'", at: o.span,
                                    help: Spelling.didYouMean(o.name, makes) ?? "it makes: \(makes.sorted().joined(separator: ", "))")
                    }
                }
                for (option, help) in c.requiredOptions.sorted(by: { $0.key < $1.key }) where p.options[option] == nil {
                    diags.error("\(who) needs option '\(option)'", at: provider.span, help: help)
                }
                for need in c.needs { check(need, producer: p, provider: provider, recipe: recipe) }
            }
            // Options that name files are project files, by the one path rule.
            if let spec = ProviderCatalog.spec(p.provider.family) {
                for (name, located) in p.options.sorted(by: { $0.key < $1.key }) where spec.options[name] == .file {
                    if case .text(let path) = located.value {
                        _ = ProjectPaths.resolve(path, inside: folder, what: "file", at: located.span, &diags)
                    }
                }
            }
            checkLiteralIndices(p, recipe: recipe, sizes: sizes)
        }
        checkOverridesRun(recipe: recipe, evaluator: evaluator, overrides: overrides)
        checkSpokenLength(recipe: recipe, overrides: overrides)
    }

    /// Words a voice speaks per minute, for estimates before any audio exists.
    static let wordsPerMinute = 165.0

    /// A narration written into the vidfile that would take more than twice its scene to say is
    /// a mistake (a paragraph pasted into one segment): refused at its line, with the time it needs.
    private mutating func checkSpokenLength(recipe: Recipe, overrides: [ArtifactOverride]) {
        for o in overrides {
            guard case .text(let text) = o.content,
                  recipe.producers.contains(where: { $0.kind == .tts && $0.inputs.contains { $0.parameter == "text" && $0.source.name == o.artifact } })
            else { continue }
            let scene = recipe.producers.first { $0.kind == .render && !$0.loop.isEmpty && $0.inputs.contains { $0.source.name == o.artifact } }
            let length = scene?.options["length"]?.value.duration?.seconds ?? 10
            let words = text.split(whereSeparator: { $0.isWhitespace }).count
            let seconds = Double(words) / Self.wordsPerMinute * 60
            guard seconds > 2 * length else { continue }
            let place = o.index.first.map { "segment \($0)'s " } ?? ""
            let fits = Int(2 * length * Self.wordsPerMinute / 60)
            diags.error("\(place)'\(o.artifact)' is \(words) words, about \(Int(seconds.rounded())) s spoken at \(Int(Self.wordsPerMinute)) words a minute; its scene is \(Int(length)) s",
                        at: o.span, help: "shorten it to about \(fits) words or fewer, or spread it over more segments")
        }
    }

    private mutating func check(_ need: ProducerContract.Need, producer p: ProducerDecl, provider: ProviderRef, recipe: Recipe) {
        switch need {
        case .espeakVoice(let parameter):
            guard let wired = p.inputs.first(where: { $0.parameter == parameter }),
                  let installed = machine.espeakVoices() else { return }
            for (voice, span, _) in voiceValues[wired.source.name] ?? [] {
                let base = LiveMachine.baseVoice(voice)
                if base.hasPrefix("mb-") || installed.contains(base) { continue }
                let similar = installed.filter { $0.contains("-") || $0.count <= 3 }.sorted()
                diags.error("espeak-ng has no voice '\(voice)' (producer '\(p.name)' speaks with \(provider))", at: span,
                            help: Spelling.didYouMean(base, similar).map { $0 + "; list them with: espeak-ng --voices" }
                                ?? "list the voices with: espeak-ng --voices")
            }
        case .fontFile(let option):
            guard let located = p.options[option], case .text(let path) = located.value else { return }
            _ = ProjectPaths.resolve(path, inside: folder, what: "font file", at: located.span, &diags)
        }
    }

    /// `image_prompt[segment][3]` reads the third image of every segment: each must have one.
    private mutating func checkLiteralIndices(_ p: ProducerDecl, recipe: Recipe, sizes: DimensionSizes) {
        for i in p.inputs {
            guard let (_, output) = recipe.outputs[i.source.name] else { continue }
            for (k, index) in i.source.indices.enumerated() {
                guard case .literal(let n) = index, k < output.dimensions.count, k > 0 else { continue }
                let dim = output.dimensions[k]
                let fewest = sizes.counts[dim]?.values.min() ?? 0
                if n > fewest {
                    diags.error("'\(i.source)' reads \(dim) \(n), but some \(output.dimensions[k - 1]) has only \(fewest)", at: i.source.span,
                                help: "read \(dim) 1 to \(fewest), or raise the input that sizes '\(dim)'")
                }
            }
        }
    }

    /// An override of an artifact whose producer does not run for that index would be ignored.
    private mutating func checkOverridesRun(recipe: Recipe, evaluator: Evaluator, overrides: [ArtifactOverride]) {
        var reported: Set<[String]> = []
        for o in overrides {
            guard let (owner, output) = recipe.outputs[o.artifact], let p = recipe.producer(owner.name), let when = p.when else { continue }
            var at: [String: Int] = [:]
            for (k, d) in output.dimensions.enumerated() where k < o.index.count { at[d] = o.index[k] }
            guard case .bool(false)? = try? evaluator.evaluate(when, at: at) else { continue }
            let place = zip(output.dimensions, o.index).prefix(1).map { "\($0) \($1)" }.joined(separator: ", ")
            guard reported.insert([o.artifact] + o.index.prefix(max(0, o.index.count - 1)).map(String.init)).inserted else { continue }
            diags.error("\(place.isEmpty ? "the video" : place) makes no '\(o.artifact)': producer '\(p.name)' runs only when \(when.unparenthesized)",
                        at: o.span, help: "remove this override, or change the input the condition reads",
                        notes: [.init("the condition", at: when.span)])
        }
    }
}
