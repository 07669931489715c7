import Foundation
import Planner

/// The plan as JSON for other engines (docs/emit.md documents every field): the steps in
/// dependency order with the command that runs each, the files each reads and makes, its pool,
/// its fingerprint when its inputs are known, and whether the state store has it up to date.
public enum JSONPlanEmitter {
    public static let format = 1

    struct Document: Encodable {
        var format: Int
        var vidmake: String
        var vidfile: String
        var directory: String
        var state: String
        var regenerate: [String]
        var regenerate_inputs: [String]
        var pools: [PoolDoc]
        var sources: [SourceDoc]
        var steps: [StepDoc]
        var defaults: [String]
    }

    struct PoolDoc: Encodable {
        var name: String
        var provider: String
        var concurrency: Int
        var per_minute: Int?
    }

    struct SourceDoc: Encodable {
        var path: String
        var bytes: Int
    }

    struct StepDoc: Encodable {
        var id: String
        var producer: String
        var kind: String
        var provider: String
        var pool: String
        var label: String
        var spec: String
        var command: [String]
        var inputs: [String]
        var outputs: [OutputDoc]
        var after: [String]
        var fingerprint: String?
        var state: String
        var reason: String?
    }

    struct OutputDoc: Encodable {
        var artifact: String
        var type: String
        var path: String
    }

    public static func emit(_ plan: EmitPlan, version: String) throws -> String {
        let doc = Document(
            format: format, vidmake: version, vidfile: plan.vidfile, directory: ".",
            state: plan.entries.first?.spec.state ?? EmitPlan.relative(plan.options.stateRoot, from: plan.options.directory),
            regenerate: plan.regenerateCommand("json"), regenerate_inputs: plan.generatorInputs,
            pools: plan.pools.map { PoolDoc(name: $0.name, provider: $0.provider, concurrency: $0.depth, per_minute: $0.perMinute) },
            sources: plan.sourceFiles.keys.sorted().map { SourceDoc(path: $0, bytes: plan.sourceFiles[$0]?.count ?? 0) },
            steps: plan.entries.map { e in
                StepDoc(id: e.step.id.description, producer: e.step.id.producer, kind: e.step.kind.rawValue,
                        provider: e.step.provider.description, pool: e.pool, label: e.label, spec: e.specPath,
                        command: [plan.options.vidmake, "produce", e.specPath], inputs: e.inputs,
                        outputs: zip(e.step.outputs, e.outputs).map { OutputDoc(artifact: $0.0.artifact.description, type: $0.0.type.rawValue, path: $0.1) },
                        after: e.after.map(\.description), fingerprint: e.fingerprint,
                        state: e.dirty == nil ? "up-to-date" : "dirty", reason: e.dirty?.description)
            },
            defaults: plan.finals)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
    }
}
