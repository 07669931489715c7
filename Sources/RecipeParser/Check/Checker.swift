import Foundation

/// The outcome of checking one file.
public struct CheckResult: Sendable {
    /// What the file is: a vidfile or a recipe.
    public enum FileKind: String, Sendable { case vidfile, recipe }

    public var kind: FileKind?
    /// The recipe, after the vidfile's producer changes; present when it could be read.
    public var recipe: Recipe?
    /// The resolved project; present only for a vidfile with no errors.
    public var project: Project?
    public var diagnostics: Diagnostics

    public var ok: Bool { !diagnostics.hasErrors }
}

/// The front end: reads a vidfile or recipe, checks everything that can be checked before any
/// work runs, and reports every problem of the file at once.
public struct Checker: Sendable {
    public var sources: SourceManager
    public var environment: [String: String]
    /// `--set name=value` overrides of inputs, in command-line order.
    public var settings: [(name: String, value: String)]
    /// What may be asked of the machine: espeak-ng's voices.
    public var machine: MachineFacts

    public init(sources: SourceManager = SourceManager(), environment: [String: String] = ProcessInfo.processInfo.environment,
                settings: [(name: String, value: String)] = [], machine: MachineFacts = LiveMachine.shared) {
        self.machine = machine
        self.sources = sources
        self.environment = environment
        self.settings = settings
    }

    public func check(path: String) -> CheckResult {
        var diags = Diagnostics()
        let absolute = ProjectPaths.absolute(path)
        guard let (file, root) = YAMLLoader().loadFile(at: absolute, displayPath: path, sources: sources, referencedFrom: nil, into: &diags) else {
            return CheckResult(kind: nil, recipe: nil, project: nil, diagnostics: diags)
        }
        let isRecipe: Bool
        if case .mapping(let pairs) = root.kind {
            let recipeProducers = pairs.contains { $0.name == "producers" && $0.value.scalar == nil && Self.looksLikeRecipeProducers($0.value) }
            let recipeShaped = recipeProducers || pairs.contains { $0.name == "dimensions" }
            // `recipe: documentary` in a vidfile (copied from the recipe) is a vidfile that names its recipe wrongly.
            let vidfileShaped = path.hasSuffix(".vid.yaml") || pairs.contains { ["segments", "artifacts"].contains($0.name) }
                || pairs.contains { $0.name == "inputs" && Self.looksLikeInputValues($0.value) }
            isRecipe = (pairs.contains { $0.name == "recipe" } && (recipeShaped || !vidfileShaped))
                || (!pairs.contains { $0.name == "include" } && recipeProducers)
        } else {
            var help = "a vidfile starts with 'vidmake: 1' and 'include: RECIPE'"
            if case .sequence(let items) = root.kind, !items.isEmpty, items.allSatisfy({ if case .mapping = $0.kind { return true }; return false }) {
                help = "remove the '- ' in front of each key: the file is one mapping, not a list of them"
            }
            diags.error("the file must be a mapping of keys to values, found \(root.describedKind)", at: root.span, help: help)
            return CheckResult(kind: nil, recipe: nil, project: nil, diagnostics: diags)
        }
        if isRecipe {
            var reader = RecipeReader(file: file, absolutePath: absolute, sources: sources)
            let recipe = reader.read(root)
            diags.append(contentsOf: reader.diags)
            if let recipe, !reader.diags.hasErrors { RecipeChecker(recipe: recipe).check(&diags) }
            return CheckResult(kind: .recipe, recipe: recipe, project: nil, diagnostics: diags)
        }
        var checker = VidfileChecker(file: file, absolutePath: absolute, sources: sources, environment: environment,
                                     settings: commandLineSettings(), machine: machine)
        let (recipe, project) = checker.check(root)
        diags.append(contentsOf: checker.diags)
        return CheckResult(kind: .vidfile, recipe: recipe, project: diags.hasErrors ? nil : project, diagnostics: diags)
    }

    /// A recipe's producers have `kind:`; a vidfile's do not.
    private static func looksLikeRecipeProducers(_ node: YAMLNode) -> Bool {
        guard case .mapping(let pairs) = node.kind else { return false }
        return pairs.contains { p in
            if case .mapping(let inner) = p.value.kind { return inner.contains { $0.name == "kind" } }
            return false
        }
    }

    /// A vidfile's inputs are values (`inquiry: Tell me …`); a recipe's are types (`inquiry: text`, `{ type: text }`).
    private static func looksLikeInputValues(_ node: YAMLNode) -> Bool {
        guard case .mapping(let pairs) = node.kind else { return false }
        return pairs.contains { p in
            guard let s = p.value.scalar, !p.value.isNull else { return false }
            return !ValueType.isTypeName(s)
        }
    }

    /// `--set` values become a small source file, so their diagnostics point at the command line.
    private func commandLineSettings() -> [YAMLPair] {
        guard !settings.isEmpty else { return [] }
        let path = "<--set>"
        let text = settings.map { "\($0.name)=\($0.value)" }.joined(separator: "\n")
        sources.add(SourceFile(path: path, text: text))
        return settings.enumerated().map { i, s in
            let keySpan = SourceSpan(SourceLocation(file: path, line: i + 1, column: 1), length: s.name.count)
            let valueSpan = SourceSpan(SourceLocation(file: path, line: i + 1, column: s.name.count + 2), length: s.value.count)
            // Values from the command line are typed like plain YAML scalars: 60s, 3, true.
            return YAMLPair(key: YAMLNode(.scalar(s.name), style: .plain, span: keySpan),
                            value: YAMLNode(.scalar(s.value), style: .plain, span: valueSpan))
        }
    }
}

/// `vidmake schema`: a JSON Schema (draft-07) of vidfiles, for YAML editors.
public enum VidfileSchema {
    public static func vidfile() -> JSON {
        var root = S.object(Keys.vidfile)
        if case .object(var o) = root {
            o["$schema"] = .string("http://json-schema.org/draft-07/schema#")
            o["$id"] = .string("https://vidmake.dev/schema/vidfile-1.json")
            o["title"] = .string("vidmake vidfile")
            o["description"] = .string("A vidfile: the inputs, provider choices and per-segment edits of one video; it includes a recipe.")
            o["required"] = .array([.string("vidmake"), .string("include")])
            root = .object(o)
        }
        return root
    }

    public static func recipe() -> JSON {
        var root = S.object(Keys.recipe)
        if case .object(var o) = root {
            o["$schema"] = .string("http://json-schema.org/draft-07/schema#")
            o["$id"] = .string("https://vidmake.dev/schema/recipe-1.json")
            o["title"] = .string("vidmake recipe")
            o["required"] = .array([.string("vidmake"), .string("producers")])
            root = .object(o)
        }
        return root
    }
}
