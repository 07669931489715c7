import Foundation
import RecipeParser

/// What a completed step left behind: the fingerprint it ran under, the description and input
/// hashes that made it (to explain a later rerun), and the hash of every output field.
public struct StepRecord: Codable, Sendable, Hashable {
    public var step: StepID
    public var fingerprint: String
    public var description: [String: String]
    /// Input parameter → content hash (a gathered input hashes its members' hashes in order).
    public var inputs: [String: String]
    /// Output artifact → content hash (a blob in the store).
    public var outputs: [String: String]
    public var seconds: Double
    /// Money spent, in US dollars.
    public var cost: Double
    /// When it completed, seconds since 1970.
    public var completed: Double
    /// The paid calls it made, failed attempts included (nil when it made none).
    public var usage: [Usage]?
    /// The fallback provider that made the outputs, when the step's own provider failed for good.
    public var madeBy: String?
    /// The vidfile whose build made it: provenance for `clean --cache`, never part of its identity.
    public var vidfile: String?

    public init(step: StepID, fingerprint: String, description: [String: String], inputs: [String: String],
                outputs: [String: String], seconds: Double = 0, cost: Double = 0, completed: Double = Date().timeIntervalSince1970,
                usage: [Usage]? = nil, madeBy: String? = nil) {
        self.usage = usage
        self.madeBy = madeBy
        self.step = step
        self.fingerprint = fingerprint
        self.description = description
        self.inputs = inputs
        self.outputs = outputs
        self.seconds = seconds
        self.cost = cost
        self.completed = completed
    }
}

/// The planner's view of the state store: records of past steps and blobs by hash.
///
/// A record belongs to its fingerprint alone: whichever vidfile, step or machine made it, a
/// step with the same fingerprint finds it. `latest` is only the memory of what this vidfile's
/// step last used, to say *why* a step is dirty and to pin it.
public protocol StateStore: Sendable {
    /// The record this vidfile's step last used, to say why it is dirty.
    func latest(_ step: StepID) -> StepRecord?
    /// A record with this fingerprint, from any step of any vidfile: the work was done before.
    func record(fingerprint: String) -> StepRecord?
    /// Whether the blob with this content hash is in the store.
    func hasBlob(_ hash: String) -> Bool
}

/// Content hashes of project files (the state store's stat cache is one).
public protocol FileHashing: AnyObject, Sendable {
    /// The SHA-256 of the file's content, or nil if it cannot be read.
    func hash(_ path: String) -> String?
}

extension StateStore {
    /// The up-to-date rule, the one both `vidmake build` and `vidmake produce` apply: a step is
    /// done when a record with its fingerprint exists and every output it names is in the store.
    /// Returns that record, or the first output whose blob is gone.
    public func lookup(_ step: Step, fingerprint: String) -> Lookup {
        guard let r = record(fingerprint: fingerprint) else { return .none }
        for o in step.outputs {
            guard let h = r.outputs[step.relativeKey(o.artifact)], hasBlob(h) else { return .outputMissing(o.artifact, r) }
        }
        return .done(r)
    }
}

/// What the store knows of a step's fingerprint.
public enum Lookup: Sendable {
    /// No record has this fingerprint.
    case none
    /// A record has it, but this output's blob is gone: the step must run again.
    case outputMissing(ArtifactRef, StepRecord)
    /// The work is done; the record names the outputs.
    case done(StepRecord)
}

/// A store with nothing in it: every step is new.
public struct EmptyStateStore: StateStore {
    public init() {}
    public func latest(_ step: StepID) -> StepRecord? { nil }
    public func record(fingerprint: String) -> StepRecord? { nil }
    public func hasBlob(_ hash: String) -> Bool { false }
}

