/// The relations between the parts of a recipe: references resolve, dimensions line up,
/// each artifact has one producer, the producer graph has no cycle, prompts name real inputs.
struct RecipeChecker {
    let recipe: Recipe

    /// What each kind of producer must read and make, so a recipe cannot wire speech into an image model.
    static let contracts: [ProducerKind: (parameters: [String], outputs: [ArtifactType])] = [
        .llm: ([], [.text, .json]),
        .tts: (["text"], [.audio]),
        .image: (["prompt"], [.image]),
        .video: (["prompt"], [.video]),
        .music: ([], [.audio]),
        .align: (["audio"], [.json]),
        .render: ([], [.video, .subtitles, .timeline, .json]),
    ]

    func check(_ diags: inout Diagnostics) {
        checkNames(&diags)
        checkInputs(&diags)
        checkDimensions(&diags)
        for p in recipe.producers { checkProducer(p, &diags) }
        checkCycles(&diags)
        checkUnusedInputs(&diags)
    }

    private func checkNames(_ diags: inout Diagnostics) {
        var producedBy: [String: (String, SourceSpan)] = [:]
        for p in recipe.producers {
            for o in p.outputs {
                if let first = producedBy[o.name] {
                    diags.error("artifact '\(o.name)' is produced twice: by '\(first.0)' and by '\(p.name)'", at: o.span,
                                help: "rename one of the outputs", notes: [.init("first produced here", at: first.1)])
                } else {
                    producedBy[o.name] = (p.name, o.span)
                }
                if let input = recipe.input(o.name) {
                    diags.error("output '\(o.name)' has the name of an input", at: o.span, help: "rename the output or the input",
                                notes: [.init("input declared here", at: input.span)])
                }
            }
        }
    }

    private func checkInputs(_ diags: inout Diagnostics) {
        for i in recipe.inputs {
            guard let per = i.per else { continue }
            guard let d = recipe.dimension(per.value) else {
                diags.error("unknown dimension '\(per.value)' in 'per'", at: per.span,
                            help: Spelling.didYouMean(per.value, recipe.dimensions.map(\.name)))
                continue
            }
            if d.parent != nil {
                diags.error("'per' must name a top-level dimension; '\(d.name)' is within '\(d.parent!.value)'", at: per.span)
            }
        }
    }

    private func checkDimensions(_ diags: inout Diagnostics) {
        for d in recipe.dimensions {
            var chain: [String] = []
            if let parent = d.parent {
                if recipe.dimension(parent.value) == nil {
                    diags.error("unknown dimension '\(parent.value)'", at: parent.span,
                                help: Spelling.didYouMean(parent.value, recipe.dimensions.map(\.name)))
                    continue
                }
                // Follow parents to the top; a loop in the chain is a cycle.
                var cur: DimensionDecl? = d
                var seen: Set<String> = []
                while let c = cur {
                    if seen.contains(c.name) {
                        diags.error("dimension '\(d.name)' is within itself: \((chain + [c.name]).joined(separator: " within "))", at: parent.span,
                                    help: "'within' names the dimension this one nests in, e.g. 'images_per_segment within segment'")
                        break
                    }
                    seen.insert(c.name)
                    chain.append(c.name)
                    cur = c.parent.flatMap { recipe.dimension($0.value) }
                }
            }
            let allowed = Array(chain.dropFirst())
            let checker = ExprChecker(recipe: recipe, allowedIndices: allowed, context: "the count of dimension '\(d.name)'")
            if let t = checker.type(d.count, &diags), t != .int {
                diags.error("the count of dimension '\(d.name)' is \(t), not a whole number", at: d.count.span,
                            help: t == .duration ? "divide by a duration: e.g. duration / 10s" : nil)
            }
        }
    }

    /// The dimension names a value declared with these dims must be nested in, outermost first.
    private func ancestors(_ dim: String) -> [String] {
        var out: [String] = []
        var cur = recipe.dimension(dim)?.parent?.value
        // Unknown parents and loops are reported once, by checkDimensions; they add no ancestors.
        while let c = cur, c != dim, recipe.dimension(c) != nil, !out.contains(c), out.count < 16 {
            out.insert(c, at: 0)
            cur = recipe.dimension(c)?.parent?.value
        }
        return out
    }

    private func checkProducer(_ p: ProducerDecl, _ diags: inout Diagnostics) {
        let context = "producer '\(p.name)'"
        var loopNames: [String] = []
        for d in p.loop {
            guard recipe.dimension(d.value) != nil else {
                diags.error("unknown dimension '\(d.value)' in 'for'", at: d.span, help: Spelling.didYouMean(d.value, recipe.dimensions.map(\.name)))
                return
            }
            if loopNames.contains(d.value) { diags.error("'\(d.value)' is listed twice in 'for'", at: d.span); return }
            for a in ancestors(d.value) where !loopNames.contains(a) {
                diags.error("'\(d.value)' is within '\(a)', so '\(a)' must come before it in 'for'", at: d.span,
                            help: "write for: [\((ancestors(d.value) + [d.value]).joined(separator: ", "))]")
                return
            }
            loopNames.append(d.value)
        }
        if let w = p.when {
            let checker = ExprChecker(recipe: recipe, allowedIndices: loopNames, context: "the 'when' of \(context)")
            if let t = checker.type(w, &diags), t != .bool {
                diags.error("'when' must be true or false, but \(w) is \(t)", at: w.span,
                            help: t.isNumeric ? "compare it: e.g. \(w) > 0" : nil)
            }
        }
        let outputs = recipe.outputs
        for input in p.inputs {
            let r = input.source
            let declared: [String]
            if let i = recipe.input(r.name) {
                if let per = i.per, recipe.dimension(per.value) == nil { continue }
                declared = i.per.map { [$0.value] } ?? []
            } else if let o = outputs[r.name] {
                declared = o.output.dimensions
            } else {
                var help = Spelling.didYouMean(r.name, recipe.inputs.map(\.name) + outputs.keys.sorted())
                if let other = recipe.producer(r.name) {
                    help = "'\(r.name)' is a producer; read one of its outputs: \(other.outputs.map(\.name).joined(separator: ", "))"
                } else if recipe.dimension(r.name) != nil {
                    help = "'\(r.name)' is a dimension; prompts get its count as {{\(r.name)_count}}"
                }
                diags.error("unknown input or artifact '\(r.name)' in \(context)", at: r.span, help: help)
                continue
            }
            _ = IndexCheck.check(r, declared: declared, loop: loopNames, gathering: true, context: context, &diags)
        }
        for o in p.outputs {
            var ok = true
            for d in o.dimensions where recipe.dimension(d) == nil {
                diags.error("unknown dimension '\(d)' in output '\(o.name)'", at: o.span, help: Spelling.didYouMean(d, recipe.dimensions.map(\.name)))
                ok = false
            }
            guard ok else { continue }
            if Array(o.dimensions.prefix(loopNames.count)) != loopNames {
                let want = loopNames.map { "[\($0)]" }.joined()
                diags.error("\(context) runs for \(loopNames.joined(separator: " and ")), so output '\(o.name)' must be indexed \(want) first", at: o.span,
                            help: "write \(o.name)\(want)\(o.dimensions.filter { !loopNames.contains($0) }.map { "[\($0)]" }.joined()): \(o.type.rawValue)")
                continue
            }
            for (k, d) in o.dimensions.enumerated() {
                for a in ancestors(d) where !o.dimensions.prefix(k).contains(a) {
                    diags.error("'\(d)' is within '\(a)', so output '\(o.name)' must be indexed by \(a) first", at: o.span,
                                help: "write \(o.name)\((ancestors(d) + [d]).map { "[\($0)]" }.joined())")
                }
            }
        }
        if let contract = Self.contracts[p.kind] {
            for param in contract.parameters where !p.inputs.contains(where: { $0.parameter == param }) {
                diags.error("\(p.kind.rawValue) producer '\(p.name)' needs an input named '\(param)'", at: p.span,
                            help: "add it to 'inputs', e.g. { \(param): ... }")
            }
            for o in p.outputs where !contract.outputs.contains(o.type) {
                diags.error("\(p.kind.rawValue) producer '\(p.name)' cannot make \(o.type.rawValue) ('\(o.name)')", at: o.typeSpan ?? o.span,
                            help: "\(p.kind.rawValue) producers make \(contract.outputs.map(\.rawValue).joined(separator: " or "))")
            }
        }
        if let prompt = p.prompt {
            let known = Set(p.inputs.map(\.parameter) + recipe.dimensions.filter { $0.parent == nil }.map { "\($0.name)_count" })
            for span in PromptFiles.unclosed(in: prompt) {
                diags.error("'{{' opens a placeholder that is never closed", at: span,
                            help: "close it with '}}' on the same line: {{name}}",
                            notes: [.init("prompt of '\(p.name)' named here", at: prompt.span)])
            }
            for (name, span) in PromptFiles.placeholders(in: prompt) where !known.contains(name) {
                diags.error("placeholder {{\(name)}} names no input of producer '\(p.name)'", at: span,
                            help: Spelling.didYouMean(name, known) ?? "the producer reads: \(known.sorted().joined(separator: ", "))",
                            notes: [.init("prompt of '\(p.name)' named here", at: prompt.span)])
            }
        }
    }

    /// A producer that (through others) reads its own output can never run.
    private func checkCycles(_ diags: inout Diagnostics) {
        let outputs = recipe.outputs
        // Edges: producer → the producers whose artifacts it reads, with where it reads them.
        var edges: [String: [(String, SourceSpan)]] = [:]
        for p in recipe.producers {
            // A name that is an input reads the input (checkNames reports an output of the same name).
            edges[p.name] = p.inputs.compactMap { i in
                recipe.input(i.source.name) != nil ? nil : outputs[i.source.name].map { ($0.producer.name, i.source.span) }
            }
        }
        var state: [String: Int] = [:]   // 1 visiting, 2 done
        var path: [(String, SourceSpan?)] = []
        var reported = false
        func visit(_ n: String, via: SourceSpan?) {
            if reported { return }
            state[n] = 1
            path.append((n, via))
            for (m, span) in edges[n] ?? [] {
                if state[m] == 1, let start = path.firstIndex(where: { $0.0 == m }) {
                    let cycle = Array(path[start...]) + [(m, span)]
                    let names = cycle.map(\.0).joined(separator: " → ")
                    let notes = cycle.dropFirst().compactMap { step in step.1.map { Diagnostic.Note("reads an artifact of '\(step.0)' here", at: $0) } }
                    diags.error("producers form a cycle: \(names)", at: recipe.producer(m)?.span, help: "a producer cannot depend on its own outputs", notes: notes)
                    reported = true
                    return
                }
                if state[m] == nil { visit(m, via: span) }
            }
            path.removeLast()
            state[n] = 2
        }
        for p in recipe.producers where state[p.name] == nil { visit(p.name, via: nil) }
    }

    private func checkUnusedInputs(_ diags: inout Diagnostics) {
        var used: Set<String> = []
        for d in recipe.dimensions { used.formUnion(d.count.references.map(\.name)) }
        for p in recipe.producers {
            used.formUnion(p.inputs.map(\.source.name))
            if let w = p.when { used.formUnion(w.references.map(\.name)) }
        }
        for i in recipe.inputs where !used.contains(i.name) {
            diags.warning("input '\(i.name)' is not read by any producer", at: i.span,
                          help: "read it in a producer's 'inputs', or remove it")
        }
    }
}
