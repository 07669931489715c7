import Foundation
import Planner
import RecipeParser

/// Makes the outputs of one step from its inputs. A producer is a value with no state of its own:
/// the runner and `vidmake produce` call the same `run` with the same `Job`.
public protocol Producer: Sendable {
    func run(_ job: Job) throws(ProducerError) -> Produced
}

/// One input of a job, resolved to something a producer can read.
public enum JobInput: Sendable {
    /// A value from the vidfile or a default.
    case value(Value)
    /// An optional input left unset.
    case unset
    /// A file of the project, absolute path.
    case file(String)
    /// Artifacts as read-only files (blobs in the store); one unless the input is gathered.
    case artifacts([ArtifactFile], gathered: Bool)
}

/// An artifact's content as a file.
public struct ArtifactFile: Sendable, Hashable {
    public var ref: ArtifactRef
    public var type: ArtifactType
    /// Absolute path; never written to.
    public var path: String
    /// Side data the producing step kept with it, by name (`words`: word timings of speech), as files.
    public var extras: [String: String]

    public init(ref: ArtifactRef, type: ArtifactType, path: String, extras: [String: String] = [:]) {
        self.ref = ref
        self.type = type
        self.path = path
        self.extras = extras
    }

    /// The content as UTF-8 text (text and json artifacts).
    public func text() throws(ProducerError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProducerError("cannot read \(ref) from \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Everything a producer may look at: the step, its inputs, where to write, the frame it is made for.
public struct Job: Sendable {
    public var step: Step
    public var inputs: [String: JobInput]
    /// The project folder (paths in options are relative to it).
    public var folder: String
    /// Render settings: the frame size and rate pictures are made for, and the render's own settings.
    public var render: RenderSettings
    /// An empty folder of the job's own; outputs are written here and moved into the store after.
    public var workDir: String
    public var cancel: CancelToken
    /// Prints a line when the user asked for `-v` (the commands a producer runs).
    public var log: @Sendable (String) -> Void
    /// Keys and base URLs of remote providers.
    public var environment: ProviderEnvironment
    /// Where paid calls are charged, and the budget that may refuse them.
    public var meter: Meter
    /// Per-call prices, for models with no unit prices; and the providers' limits.
    public var providers: ProviderTable
    /// The provider this attempt calls: the step's own, or a fallback of it.
    public var provider: ProviderRef
    /// Where waits take their time (polling a prediction, a retry's backoff).
    public var clock: BuildClock = SystemClock()

    public init(step: Step, inputs: [String: JobInput], folder: String, render: RenderSettings, workDir: String,
                cancel: CancelToken = CancelToken(), log: @escaping @Sendable (String) -> Void = { _ in },
                environment: ProviderEnvironment = ProviderEnvironment(), meter: Meter = Meter(), providers: ProviderTable = .defaults) {
        self.step = step
        self.inputs = inputs
        self.folder = folder
        self.render = render
        self.workDir = workDir
        self.cancel = cancel
        self.log = log
        self.environment = environment
        self.meter = meter
        self.providers = providers
        self.provider = step.provider
    }

    /// Charges a call's usage at list price (the provider table's per-call price when the model has none).
    @discardableResult
    public func charge(_ units: [String: Double], provider p: ProviderRef? = nil) -> Usage {
        let ref = p ?? provider
        let u = Pricing.usage(ref, units, estimate: providers.profile(ref).price)
        meter.charge(u)
        return u
    }

    public var options: [String: Value] { step.options }

    /// A value input, if set.
    public func value(_ parameter: String) -> Value? {
        if case .value(let v)? = inputs[parameter] { return v }
        return nil
    }

    /// A text input: a value's text or a text artifact's content; nil when unset or absent.
    public func text(_ parameter: String) throws(ProducerError) -> String? {
        switch inputs[parameter] {
        case .value(let v)?:
            if case .text(let t) = v { return t }
            return v.description
        case .file(let path)?:
            guard let d = FileManager.default.contents(atPath: path) else { throw ProducerError("cannot read \(path)") }
            return String(decoding: d, as: UTF8.self)
        case .artifacts(let files, _)?:
            var parts: [String] = []
            for f in files { parts.append(try f.text()) }
            return parts.joined(separator: "\n\n")
        case .unset?, nil:
            return nil
        }
    }

    /// The artifact files of an input (empty when it is not an artifact input).
    public func files(_ parameter: String) -> [ArtifactFile] {
        if case .artifacts(let f, _)? = inputs[parameter] { return f }
        return []
    }

    /// An integer option, else a default.
    public func intOption(_ name: String, default d: Int) -> Int {
        if case .int(let n)? = options[name] { return n }
        return d
    }

    /// A text option, else a default.
    public func textOption(_ name: String, default d: String? = nil) -> String? {
        if case .text(let t)? = options[name] { return t }
        return d
    }

    /// Where to write an output: inside the work folder, named after its index (`narration-3.txt`).
    public func outputPath(_ ref: ArtifactRef, ext: String) -> String {
        let name = ([ref.name] + ref.index.map(String.init)).joined(separator: "-")
        return workDir + "/" + name + "." + ext
    }
}

/// What a producer made: a file per output (inside the work folder). What it cost is what it
/// charged to `Job.meter`.
public struct Produced: Sendable {
    public var files: [ArtifactRef: String]
    /// Side data kept with the record, by name (word timings of speech: `words`, as JSON).
    public var extras: [String: Data]

    public init(files: [ArtifactRef: String] = [:], extras: [String: Data] = [:]) {
        self.files = files
        self.extras = extras
    }

    /// Writes a text output and adds it.
    public mutating func write(_ text: String, for ref: ArtifactRef, in job: Job) throws(ProducerError) {
        let path = job.outputPath(ref, ext: "txt")
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw ProducerError("cannot write \(path)")
        }
        files[ref] = path
    }
}

/// Why a step failed: the provider's message, what to do about it, and whether trying again may help.
public struct ProducerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var help: String?
    /// A timeout, a 429, a 5xx: the runner retries with backoff.
    public var transient: Bool
    /// The step was cancelled (Ctrl-C), not failed.
    public var cancelled: Bool
    /// Seconds the provider asked to wait before trying again (`Retry-After`).
    public var retryAfter: Double?
    /// The build's budget is spent: no fallback is tried, and no new call starts.
    public var budgetReached: Bool

    public init(_ message: String, help: String? = nil, transient: Bool = false, cancelled: Bool = false, retryAfter: Double? = nil,
                budgetReached: Bool = false) {
        self.message = message
        self.help = help
        self.transient = transient
        self.cancelled = cancelled
        self.retryAfter = retryAfter
        self.budgetReached = budgetReached
    }

    public static let cancelledError = ProducerError("cancelled", cancelled: true)
    public var description: String { help.map { "\(message)\nhelp: \($0)" } ?? message }
}
