/// A generated artifact replaced by the user: literal text or a file. Its producer instance
/// does not run; the artifact becomes a source of the graph.
public struct ArtifactOverride: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        case text(String)
        /// A path relative to the project folder.
        case file(String)
    }

    public var artifact: String
    /// 1-based indices along the artifact's dimensions.
    public var index: [Int]
    public var content: Content
    public var span: SourceSpan

    public init(artifact: String, index: [Int], content: Content, span: SourceSpan) {
        self.artifact = artifact
        self.index = index
        self.content = content
        self.span = span
    }
}

/// How many instances each dimension has, per parent instance.
public struct DimensionSizes: Sendable, Hashable {
    /// dimension → parent index path (empty for a top-level dimension) → count.
    public var counts: [String: [[Int]: Int]] = [:]

    public init() {}

    public func count(_ dimension: String, parent: [Int] = []) -> Int { counts[dimension]?[parent] ?? 0 }

    public var total: Int { counts.values.reduce(0) { $0 + $1.values.reduce(0, +) } }
}

/// A checked vidfile with its recipe: every value typed and in bounds, every override placed,
/// every dimension sized. This is what the planner expands into steps.
public struct Project: Sendable {
    /// The vidfile as the user named it.
    public var vidfile: String
    public var vidfilePath: String
    /// The project folder (the vidfile's); paths in the project are relative to it.
    public var folder: String
    /// The recipe with the vidfile's producer changes applied.
    public var recipe: Recipe
    /// Input values, defaults filled in; optional inputs left unset are absent.
    public var inputs: [String: Value]
    /// Per-segment values set by overrides: input → segment (1-based) → value.
    public var perIndex: [String: [Int: Value]]
    public var sizes: DimensionSizes
    public var overrides: [ArtifactOverride]
    public var render: RenderSettings

    public var evaluator: Evaluator { Evaluator(inputs: inputs, perIndex: perIndex) }

    /// The name the `segments:` section indexes.
    public static let segmentDimension = "segment"
}
