import BuildState
import Foundation
import Planner
import Producers
import RecipeParser
import Runner
import Testing
import TestSupport

/// `vidmake build` in the test's own process, through the same use case the CLI calls
/// (`Runner.Build`), so a test can inject what a process cannot be handed: a clock.
enum InProcess {
    final class Quiet: RunReporter, @unchecked Sendable {
        func stepStarted(_ step: Step, reason: DirtyReason) {}
        func stepFinished(_ step: Step, _ outcome: StepOutcome, done: Int, total: Int) {}
        func log(_ line: String) {}
        func tick(running: [Step], done: Int, total: Int, elapsed: Double, spend: Double) {}
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func build(_ s: Scratch, environment: [String: String] = [:], options: RunOptions) throws -> BuildReport {
        let sources = SourceManager()
        let checked = Checker(sources: sources).check(path: s.vidfile)
        guard let project = checked.project else {
            throw Failure(description: checked.diagnostics.sorted.map { DiagnosticRenderer(sources: sources, colour: false).render($0) }.joined(separator: "\n"))
        }
        let (graph, diags) = Planner().plan(project)
        guard let graph else { throw Failure(description: "\(diags.sorted)") }
        let root = s.dir + "/.vidmake"
        let key = (s.vidfile as NSString).lastPathComponent
        let store = FileStateStore(root: root, vidfileKey: key)
        let hasher = FileHasher(cachePath: root + "/stat-cache.json")
        let tree = OutputTree(folder: project.folder, name: OutputTree.projectName(project.vidfilePath), stateRoot: root, key: key)
        let analysis = DirtyAnalysis.analyze(graph, store: store, hasher: hasher)
        let scope = options.targets.map { graph.closure(upstreamOf: $0) } ?? Set(graph.steps.map(\.id))
        let expected = Set(graph.steps.filter { analysis.statuses[$0.id]?.isDirty ?? true }.map(\.id)).intersection(scope)
        let request = BuildRequest(graph: graph, store: store, hasher: hasher, tree: tree, environment: ProviderEnvironment(environment),
                                   options: options, expected: expected)
        return try Build(request, reporter: Quiet()).run()
    }
}
