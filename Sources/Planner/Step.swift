import RecipeParser

/// One producer instance of the build graph, as data: what it runs, what it reads, what it
/// makes. The in-process runner and the emitters are two consumers of the same `Step`s.
public struct Step: Sendable, Hashable, Codable {
    public var id: StepID
    public var kind: ProducerKind
    /// `local/espeak`, `openai/gpt-4o-mini`.
    public var provider: ProviderRef
    public var fallback: [ProviderRef]
    /// What the step reads, by the producer's parameter names.
    public var inputs: [StepInput]
    /// What the step makes, field by field: a multi-output step (a script) lists every field
    /// so that downstream steps depend only on the one they read.
    public var outputs: [Output]
    /// Every resolved setting that decides the result, without secrets: the canonical
    /// description the fingerprint is taken over. Field name → canonical JSON text.
    public var description: [String: String]
    /// The provider options as the recipe and vidfile set them (`rate`, `palette`, …): already in
    /// the description, kept typed here for the producer.
    public var options: [String: Value] = [:]
    /// The prompt with the placeholders known when planning filled in; artifact placeholders
    /// (`{{summary}}`) are left for the producer. Also in the description.
    public var prompt: String?
    /// Each output's dimensions below the step's own (`narration` → `[segment]` for a script that
    /// makes every segment): an LLM's reply is shaped by them. Not part of the fingerprint.
    public var outputDimensions: [String: [String]]?

    public struct Output: Sendable, Hashable, Codable {
        public var artifact: ArtifactRef
        public var type: ArtifactType
        public init(artifact: ArtifactRef, type: ArtifactType) {
            self.artifact = artifact
            self.type = type
        }
    }

    public init(id: StepID, kind: ProducerKind, provider: ProviderRef, fallback: [ProviderRef] = [], inputs: [StepInput],
                outputs: [Output], description: [String: String] = [:], options: [String: Value] = [:], prompt: String? = nil,
                outputDimensions: [String: [String]]? = nil) {
        self.id = id
        self.kind = kind
        self.provider = provider
        self.fallback = fallback
        self.inputs = inputs
        self.outputs = outputs
        self.description = description
        self.options = options
        self.prompt = prompt
        self.outputDimensions = outputDimensions
    }

    /// Artifacts this step reads, in parameter order.
    public var reads: [ArtifactRef] { inputs.flatMap(\.artifacts) }

    /// The description as one canonical text: sorted fields, one per line.
    public var canonicalDescription: String {
        description.keys.sorted().map { "\($0)=\(description[$0]!)" }.joined(separator: "\n")
    }
}

/// One parameter of a step.
public struct StepInput: Sendable, Hashable, Codable {
    public enum Source: Sendable, Hashable, Codable {
        /// A value set in the vidfile or by default; part of the description.
        case value(Value)
        /// An optional input left unset.
        case unset
        /// A file of the project (a `file` input): its content is an input of the step.
        case file(String)
        /// One artifact, or (gathered) all instances of an artifact that exist, in order.
        case artifacts([ArtifactRef], gathered: Bool)
    }

    public var parameter: String
    public var source: Source

    public init(parameter: String, source: Source) {
        self.parameter = parameter
        self.source = source
    }

    public var artifacts: [ArtifactRef] {
        if case .artifacts(let a, _) = source { return a }
        return []
    }
}

/// Where an artifact comes from when no step makes it: the vidfile's overrides.
public struct Source: Sendable, Hashable {
    public var artifact: ArtifactRef
    public var content: ArtifactOverride.Content
    public var type: ArtifactType
}
