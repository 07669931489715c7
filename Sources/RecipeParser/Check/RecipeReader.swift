import Foundation

/// Reads a recipe document into a `Recipe`: every key checked, every value typed, every
/// reference parsed. Relations between parts (do references resolve? cycles?) are the
/// `RecipeChecker`'s job.
struct RecipeReader {
    let file: SourceFile
    let absolutePath: String
    let sources: SourceManager
    var diags = Diagnostics()

    init(file: SourceFile, absolutePath: String, sources: SourceManager) {
        self.file = file
        self.absolutePath = absolutePath
        self.sources = sources
    }

    mutating func read(_ root: YAMLNode) -> Recipe? {
        guard let m = MappingReader(root, "a recipe", keys: Keys.recipe, &diags,
                                    extraHelp: ["include": "'include' belongs in a vidfile; a recipe declares inputs, dimensions and producers",
                                                "segments": "per-segment overrides belong in a vidfile"]) else { return nil }
        checkVersion(m, root, &diags)
        var name = URL(fileURLWithPath: absolutePath).deletingPathExtension().lastPathComponent
        if let n = m["recipe"], let s = scalarText(n, "'recipe'", &diags) {
            if isIdentifier(s.replacingOccurrences(of: "-", with: "_")) { name = s } else {
                diags.error("recipe name '\(s)' must be a simple name", at: n.span, help: "use letters, digits, '-' and '_'")
            }
        }
        let inputs = m["inputs"].map { readInputs($0) } ?? []
        let dimensions = m["dimensions"].map { readDimensions($0) } ?? []
        let producers = m["producers"].map { readProducers($0) } ?? []
        if m.lacks("producers") {
            diags.error("the recipe has no producers", at: root.span, help: "add a 'producers:' section")
        }
        var render = RenderSettings()
        if let r = m["render"] { RenderReader.read(r, into: &render, &diags) }
        return Recipe(name: name, file: file.path, absolutePath: absolutePath, inputs: inputs, dimensions: dimensions,
                      producers: producers, render: render)
    }

    // MARK: inputs

    private mutating func readInputs(_ node: YAMLNode) -> [InputDecl] {
        var out: [InputDecl] = []
        for p in entries(node, "'inputs'", &diags) {
            guard checkName(p, "input") else { continue }
            if let d = readInput(p) { out.append(d) }
        }
        return out
    }

    private mutating func readInput(_ p: YAMLPair) -> InputDecl? {
        var decl = InputDecl(name: p.name, span: p.key.span, type: .text, defaultValue: nil, min: nil, max: nil, step: nil,
                             optional: false, per: nil, description: nil)
        // `name: text` is short for `name: { type: text }`.
        if case .scalar(let t) = p.value.kind, !p.value.isNull {
            guard let type = readType(t, of: nil, at: p.value.span) else { return nil }
            decl.type = type
            return decl
        }
        guard let m = MappingReader(p.value, "input '\(p.name)'", keys: Keys.inputDecl, &diags) else { return nil }
        guard let typeNode = m["type"] else {
            if m.lacks("type") {
                diags.error("input '\(p.name)' has no type", at: p.key.span, help: "add 'type:' with one of \(ValueType.names.joined(separator: ", "))")
            }
            return nil
        }
        guard let t = scalarText(typeNode, "'type'", &diags), let type = readType(t, of: m["of"], at: typeNode.span) else { return nil }
        decl.type = type
        if m["of"] != nil, case .enumeration = type {} else if let of = m["of"] {
            diags.error("'of' applies only to enum inputs", at: of.span, help: "remove it, or write 'type: enum'")
        }
        let what = "the \(p.name) input"
        for key in ["min", "max", "step"] {
            guard let n = m[key] else { continue }
            guard type.isOrdered else {
                diags.error("'\(key)' applies only to int, number and duration inputs", at: m.pair(key)!.key.span)
                continue
            }
            if key == "step", type == .number {
                diags.error("'step' applies only to int and duration inputs", at: m.pair(key)!.key.span,
                            help: "use an int input, or drop 'step'")
                continue
            }
            let v = ValueParser.parse(n, as: type, "'\(key)' of \(what)", &diags)
            switch key {
            case "min": decl.min = v
            case "max": decl.max = v
            default:
                if let v, let c = ValueParser.compare(v, type == .duration ? .duration(TimeSpan(milliseconds: 0)) : .int(0)), c <= 0 {
                    diags.error("'step' must be greater than zero", at: n.span)
                } else { decl.step = v }
            }
        }
        if let lo = decl.min, let hi = decl.max, let c = ValueParser.compare(lo, hi), c > 0 {
            diags.error("min \(lo) is greater than max \(hi)", at: m["min"]!.span, help: "swap them: min: \(hi), max: \(lo)")
            // Bounds that contradict each other would make every value (the default too) an error.
            decl.min = nil
            decl.max = nil
        }
        if let o = m["optional"] {
            decl.optional = ValueParser.parse(o, as: .bool, "'optional'", &diags)?.bool ?? false
        }
        if let d = m["default"] {
            if let v = ValueParser.parse(d, as: type, "the default of \(p.name)", &diags) {
                if ValueParser.checkBounds(v, decl, at: d.span, "the default of \(p.name)", &diags) { decl.defaultValue = v }
            }
            if decl.optional {
                diags.warning("input '\(p.name)' has a default, so 'optional' changes nothing", at: m.pair("optional")!.key.span)
            }
        }
        if let per = m["per"], let s = scalarText(per, "'per'", &diags) { decl.per = Located(s, per.span) }
        if let desc = m["description"] { decl.description = scalarText(desc, "'description'", &diags) }
        return decl
    }

    private mutating func readType(_ t: String, of: YAMLNode?, at span: SourceSpan) -> ValueType? {
        switch ValueType.aliases[t] ?? t {
        case "text": return .text
        case "int": return .int
        case "number": return .number
        case "bool": return .bool
        case "duration": return .duration
        case "language": return .language
        case "voice": return .voice
        case "file": return .file
        case "size": return .size
        case "enum":
            guard let of else {
                diags.error("an enum input needs its values", at: span, help: "add 'of: [a, b, c]'")
                return nil
            }
            guard case .sequence(let items) = of.kind, !items.isEmpty else {
                var help = "write 'of: [a, b, c]'"
                let words = (of.scalar ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0 == "|" })
                if words.count > 1 { help = "write 'of: [\(words.joined(separator: ", "))]'" }
                diags.error("'of' must be a list of values, found \(of.describedKind)", at: of.span, help: help)
                return nil
            }
            var cases: [String] = []
            for item in items {
                guard let s = scalarText(item, "an enum value", &diags) else { continue }
                if cases.contains(s) { diags.error("'\(s)' is listed twice", at: item.span) } else { cases.append(s) }
            }
            return cases.isEmpty ? nil : .enumeration(cases)
        default:
            diags.error("unknown type '\(t)'", at: span, help: Spelling.didYouMean(t, ValueType.names) ?? "types: \(ValueType.names.joined(separator: ", "))")
            return nil
        }
    }

    // MARK: dimensions

    private mutating func readDimensions(_ node: YAMLNode) -> [DimensionDecl] {
        var out: [DimensionDecl] = []
        for p in entries(node, "'dimensions'", &diags) {
            guard checkName(p, "dimension") else { continue }
            guard let text = scalarText(p.value, "dimension '\(p.name)'", &diags) else { continue }
            let base = scalarBase(p.value)
            var exprText = text
            var parent: Located<String>?
            if let r = text.range(of: " within ") {
                exprText = String(text[..<r.lowerBound])
                let after = text[r.upperBound...]
                let trimmed = after.trimmingCharacters(in: .whitespaces)
                let offset = text.distance(from: text.startIndex, to: r.upperBound) + (after.count - after.drop { $0 == " " }.count)
                parent = Located(trimmed, base.subspan(offset: offset, length: max(1, trimmed.count)))
                if !isIdentifier(trimmed) {
                    diags.error("'\(trimmed)' is not a dimension name", at: parent!.span)
                    continue
                }
            }
            do {
                var parser = try ExprParser(exprText, at: base)
                let e = try parser.parseExpression()
                out.append(DimensionDecl(name: p.name, span: p.key.span, count: e, parent: parent))
            } catch {
                diags.error(error.message, at: error.span, help: error.help)
            }
        }
        return out
    }

    // MARK: producers

    private mutating func readProducers(_ node: YAMLNode) -> [ProducerDecl] {
        var out: [ProducerDecl] = []
        for p in entries(node, "'producers'", &diags) {
            guard checkName(p, "producer") else { continue }
            if let d = readProducer(p) { out.append(d) }
        }
        return out
    }

    private mutating func readProducer(_ p: YAMLPair) -> ProducerDecl? {
        guard let m = MappingReader(p.value, "producer '\(p.name)'", keys: Keys.producer, &diags) else { return nil }
        guard let kindNode = m["kind"] else {
            if m.lacks("kind") {
                diags.error("producer '\(p.name)' has no kind", at: p.key.span, help: "add 'kind:' with one of \(ProducerKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return nil
        }
        guard let k = scalarText(kindNode, "'kind'", &diags) else { return nil }
        guard let kind = ProducerKind(rawValue: k) else {
            diags.error("unknown producer kind '\(k)'", at: kindNode.span,
                        help: Spelling.didYouMean(k, ProducerKind.allCases.map(\.rawValue)) ?? "kinds: \(ProducerKind.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        guard let providerNode = m["provider"] else {
            guard m.lacks("provider") else { return nil }
            diags.error("producer '\(p.name)' has no provider", at: p.key.span, help: "add 'provider:', e.g. local/\(ProviderCatalog.spec("local")!.defaultModels[kind] ?? "…")")
            return nil
        }
        let providerResult = ProviderLine.read(providerNode: providerNode, modelNode: m["model"], kind: kind, &diags)
        var fallback: [ProviderRef] = []
        if let f = m["fallback"] { fallback = ProviderLine.readFallback(f, kind: kind, &diags) }

        var loop: [Located<String>] = []
        if let f = m["for"] {
            switch f.kind {
            case .scalar(let s) where !f.isNull: loop = [Located(s, f.span)]
            case .sequence(let items):
                for i in items { if let s = scalarText(i, "a 'for' dimension", &diags) { loop.append(Located(s, i.span)) } }
            default: diags.error("'for' must be a dimension or a list of dimensions, found \(f.describedKind)", at: f.span)
            }
        }
        var when: Expr?
        if let w = m["when"], let text = scalarText(w, "'when'", &diags) {
            do {
                var parser = try ExprParser(text, at: scalarBase(w))
                when = try parser.parseExpression()
            } catch { diags.error(error.message, at: error.span, help: error.help) }
        }
        var inputs: [ProducerInput] = []
        if let i = m["inputs"] { inputs = readProducerInputs(i, producer: p.name) }
        var outputs: [OutputDecl] = []
        if let o = m["outputs"] { outputs = readOutputs(o, producer: p.name) } else if m.lacks("outputs") {
            diags.error("producer '\(p.name)' has no outputs", at: p.key.span, help: "add 'outputs:', e.g. { audio[segment]: audio }")
        }
        var prompt: PromptTemplate?
        if let pr = m["prompt"], let path = scalarText(pr, "'prompt'", &diags) {
            prompt = PromptFiles.load(path, relativeTo: absolutePath, at: pr.span, sources: sources, &diags)
        }
        var options: [String: Located<Value>] = [:]
        if let o = m["options"], let provider = providerResult {
            options = OptionsReader.read(o, provider: provider, &diags)
        }
        guard let provider = providerResult else { return nil }
        return ProducerDecl(name: p.name, span: p.key.span, kind: kind, provider: provider, fallback: fallback, prompt: prompt,
                            loop: loop, when: when, inputs: inputs, outputs: outputs, options: options)
    }

    private mutating func readProducerInputs(_ node: YAMLNode, producer: String) -> [ProducerInput] {
        var out: [ProducerInput] = []
        var seen: Set<String> = []
        func add(_ param: String, _ text: String, _ valueNode: YAMLNode, keySpan: SourceSpan, diags: inout Diagnostics) {
            do {
                var parser = try ExprParser(text, at: scalarBase(valueNode))
                let r = try parser.parseReference()
                if seen.contains(param) {
                    diags.error("producer '\(producer)' reads '\(param)' twice", at: keySpan, help: "give the second one another parameter name: { other: \(text) }")
                    return
                }
                seen.insert(param)
                out.append(ProducerInput(parameter: param, source: r))
            } catch {
                diags.error(error.message, at: error.span, help: error.help ?? "inputs are names like style, or indexed like narration[segment]")
            }
        }
        switch node.kind {
        case .sequence(let items):
            for item in items {
                guard let text = scalarText(item, "an input reference", &diags) else { continue }
                let name = String(text.prefix { $0 != "[" }).trimmingCharacters(in: .whitespaces)
                add(name, text, item, keySpan: item.span, diags: &diags)
            }
        case .mapping(let pairs):
            for pair in pairs {
                guard isIdentifier(pair.name) else {
                    diags.error("'\(pair.name)' is not a valid parameter name", at: pair.key.span, help: "use letters, digits and '_'")
                    continue
                }
                guard let text = scalarText(pair.value, "input '\(pair.name)'", &diags) else { continue }
                add(pair.name, text, pair.value, keySpan: pair.key.span, diags: &diags)
            }
        default:
            if !node.isNull { diags.error("'inputs' must be a list of names or a mapping of parameter: reference", at: node.span) }
        }
        return out
    }

    private mutating func readOutputs(_ node: YAMLNode, producer: String) -> [OutputDecl] {
        var out: [OutputDecl] = []
        for pair in entries(node, "'outputs'", &diags) {
            let ref: Reference
            do {
                var parser = try ExprParser(pair.name, at: pair.key.span)
                ref = try parser.parseReference()
            } catch {
                diags.error(error.message, at: error.span, help: "outputs are written name: type or name[dimension]: type")
                continue
            }
            var dims: [String] = []
            var ok = true
            for idx in ref.indices {
                switch idx {
                case .dimension(let d): dims.append(d)
                case .literal(let n):
                    diags.error("an output is indexed by dimensions, not by the number \(n)", at: pair.key.span)
                    ok = false
                }
            }
            guard ok, let t = scalarText(pair.value, "the type of output '\(ref.name)'", &diags) else { continue }
            guard let type = ArtifactType(rawValue: t) else {
                diags.error("unknown artifact type '\(t)'", at: pair.value.span,
                            help: Spelling.didYouMean(t, ArtifactType.allCases.map(\.rawValue)) ?? "types: \(ArtifactType.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            if out.contains(where: { $0.name == ref.name }) {
                diags.error("producer '\(producer)' declares output '\(ref.name)' twice", at: pair.key.span)
                continue
            }
            out.append(OutputDecl(name: ref.name, dimensions: dims, type: type, span: SourceSpan(pair.key.span.start, length: ref.name.count),
                                  typeSpan: pair.value.span))
        }
        return out
    }

    private mutating func checkName(_ p: YAMLPair, _ what: String) -> Bool {
        if isIdentifier(p.name) { return true }
        diags.error("'\(p.name)' is not a valid \(what) name", at: p.key.span, help: "names use letters, digits and '_', and start with a letter")
        return false
    }
}

/// The column where a scalar's text begins (after an opening quote).
func scalarBase(_ node: YAMLNode) -> SourceSpan {
    node.style == .quoted ? node.span.subspan(offset: 1, length: max(1, node.span.length - 2)) : node.span
}

func checkVersion(_ m: MappingReader, _ root: YAMLNode, _ diags: inout Diagnostics) {
    guard let v = m["vidmake"] else {
        diags.error("missing 'vidmake: 1' at the top of the file", at: SourceSpan(root.span.start),
                    help: "the first line of a vidfile or recipe is 'vidmake: 1' (the language version)")
        return
    }
    if v.style == .plain, v.scalar == "1" { return }
    diags.error("unsupported language version \(v.describedKind)", at: v.span, help: "this vidmake reads 'vidmake: 1'")
}

/// `provider:` and `model:` lines, shared by recipes and vidfiles.
enum ProviderLine {
    static func read(providerNode: YAMLNode, modelNode: YAMLNode?, kind: ProducerKind, _ diags: inout Diagnostics) -> ProviderRef? {
        guard let text = scalarText(providerNode, "'provider'", &diags) else { return nil }
        var model: String?
        if let modelNode { model = scalarText(modelNode, "'model'", &diags) }
        return ProviderCatalog.resolve(text, model: model, kind: kind, at: scalarBase(providerNode),
                                       modelSpan: modelNode.map(scalarBase), &diags)
    }

    static func readFallback(_ node: YAMLNode, kind: ProducerKind, _ diags: inout Diagnostics) -> [ProviderRef] {
        let items: [YAMLNode]
        switch node.kind {
        case .sequence(let s): items = s
        case .scalar where !node.isNull: items = [node]
        default:
            diags.error("'fallback' must be a list of providers", at: node.span)
            return []
        }
        return items.compactMap { i in
            guard let t = scalarText(i, "a fallback provider", &diags) else { return nil }
            return ProviderCatalog.resolve(t, model: nil, kind: kind, at: scalarBase(i), &diags)
        }
    }
}

/// `options:` of a producer, checked against its provider's declared options.
enum OptionsReader {
    static func read(_ node: YAMLNode, provider: ProviderRef, _ diags: inout Diagnostics) -> [String: Located<Value>] {
        guard let spec = ProviderCatalog.spec(provider.family) else { return [:] }
        var out: [String: Located<Value>] = [:]
        for p in entries(node, "'options'", &diags) {
            guard let type = spec.options[p.name] else {
                let names = spec.options.keys.sorted()
                // An option of another provider is a left-over from switching providers, not a typo.
                let others = ProviderCatalog.all.filter { $0.options[p.name] != nil }.map(\.family)
                let help = others.isEmpty ? Spelling.didYouMean(p.name, names) ?? "options of \(provider.family): \(names.joined(separator: ", "))"
                    : "'\(p.name)' is an option of \(Spelling.list(others, conjunction: "and")); options of \(provider.family): \(names.joined(separator: ", "))"
                diags.error("provider '\(provider.family)' has no option '\(p.name)'", at: p.key.span, help: help)
                continue
            }
            if let v = ValueParser.parse(p.value, as: type, "option '\(p.name)'", &diags) { out[p.name] = Located(v, p.value.span) }
        }
        return out
    }
}

/// Prompt template files: found relative to the file that names them, kept inside its folder,
/// and scanned for `{{placeholders}}`.
enum PromptFiles {
    static let maxBytes = 256 * 1024

    static func load(_ path: String, relativeTo owner: String, at span: SourceSpan, sources: SourceManager, _ diags: inout Diagnostics) -> PromptTemplate? {
        let folder = URL(fileURLWithPath: owner).deletingLastPathComponent().path
        guard let abs = ProjectPaths.resolve(path, inside: folder, what: "prompt file", at: span,
                                             folderName: "the folder of \(URL(fileURLWithPath: owner).lastPathComponent)", &diags) else { return nil }
        guard let data = TextFileReader.read(path: abs, displayPath: ProjectPaths.display(abs), maxBytes: maxBytes, what: "prompt file",
                                             referencedFrom: span, into: &diags) else { return nil }
        guard let text = TextFileReader.decodeUTF8(data, displayPath: ProjectPaths.display(abs), sources: sources, into: &diags) else { return nil }
        sources.add(SourceFile(path: ProjectPaths.display(abs), text: text))
        return PromptTemplate(path: path, absolutePath: abs, span: span, text: text)
    }

    /// Every `{{` with no `}}` after it on its line: a placeholder left open would be sent as text.
    static func unclosed(in prompt: PromptTemplate) -> [SourceSpan] {
        let display = ProjectPaths.display(prompt.absolutePath)
        var out: [SourceSpan] = []
        for (n, raw) in prompt.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let chars = Array(raw)
            var i = 0
            while i + 1 < chars.count {
                guard chars[i] == "{", chars[i + 1] == "{" else { i += 1; continue }
                var j = i + 2
                while j + 1 < chars.count, !(chars[j] == "}" && chars[j + 1] == "}") { j += 1 }
                if j + 1 >= chars.count {
                    out.append(SourceSpan(SourceLocation(file: display, line: n + 1, column: i + 1), length: 2))
                    break
                }
                i = j + 2
            }
        }
        return out
    }

    /// Every `{{name}}` in the text, with its location in the prompt file.
    static func placeholders(in prompt: PromptTemplate) -> [(name: String, span: SourceSpan)] {
        var out: [(String, SourceSpan)] = []
        let display = ProjectPaths.display(prompt.absolutePath)
        var line = 1
        for raw in prompt.text.split(separator: "\n", omittingEmptySubsequences: false) {
            let chars = Array(raw)
            var i = 0
            while i + 1 < chars.count {
                if chars[i] == "{", chars[i + 1] == "{" {
                    var j = i + 2
                    while j + 1 < chars.count, !(chars[j] == "}" && chars[j + 1] == "}") { j += 1 }
                    if j + 1 < chars.count {
                        let name = String(chars[(i + 2)..<j]).trimmingCharacters(in: .whitespaces)
                        out.append((name, SourceSpan(SourceLocation(file: display, line: line, column: i + 1), length: j + 2 - i)))
                        i = j + 2
                        continue
                    }
                }
                i += 1
            }
            line += 1
        }
        return out
    }
}
