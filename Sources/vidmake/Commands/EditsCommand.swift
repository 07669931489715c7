import BuildState
import Foundation
import Planner
import RecipeParser

/// `vidmake adopt FILE [PATH…]` and `vidmake discard FILE [PATH…]`: the two ways an edit made in
/// `out/NAME/` stops being one (besides deleting the file). Until then it stays in force on
/// every build.
enum EditsCommand {
    static let adopt = Command(
        name: "adopt",
        summary: "Copy edits you made under out/ into the project and print the override to add",
        usage: "vidmake adopt [--state DIR] FILE [PATH…]",
        details: """
        Copies each edited file (all of them when no PATH is given) to NAME.edits/ beside the
        vidfile and prints the segments: or artifacts: lines that make it an override. Once the
        vidfile has them, the file under out/ is vidmake's again. A file that exists at the
        destination with other content is never written over.

        PATH is a file under out/NAME/ (out/civilwar/segments/03/narration.txt, or
        segments/03/narration.txt) or the artifact it holds (narration[3]).
        """,
        run: { runAdopt(&$0) })

    static let discard = Command(
        name: "discard",
        summary: "Drop edits you made under out/ and put the generated files back",
        usage: "vidmake discard [--state DIR] FILE [PATH…]",
        details: """
        Moves each edited file (all of them when no PATH is given) into .vidmake/discarded/
        (nothing you wrote is deleted) and puts back the file vidmake made, from the store. The
        next build uses the generated artifact again.

        PATH is a file under out/NAME/ or the artifact it holds, as for adopt.
        """,
        run: { runDiscard(&$0) })

    /// The session and the edits the paths name (every edit when none is named); nil after printing why.
    static func open(_ args: inout Arguments, _ command: Command) -> (Session, [OutputTree.Edit])?? {
        let cl: Session.CommandLine
        do { cl = try Session.parse(&args, words: 1, orMore: true, missing: "no vidfile given", wrong: "") } catch {
            _ = Output.usageError(error.message, command)
            return .some(nil)
        }
        guard let session = Session.open(cl.words[0], cl.options) else { return nil }
        let all = session.edits.sorted { $0.path < $1.path } + session.ignoredEdits.map(\.edit).filter { !$0.isView }
        var chosen: [OutputTree.Edit] = []
        for word in cl.words.dropFirst() {
            let root = session.tree.relativeRoot + "/"
            var rel = word
            if let r = rel.range(of: root) { rel = String(rel[r.upperBound...]) }
            if let e = all.first(where: { $0.path == rel || $0.artifact.description == word }) {
                if !chosen.contains(e) { chosen.append(e) }
                continue
            }
            var msg = "vidmake \(command.name): \(word) is not an edited file of \(session.tree.relativeRoot)"
            if all.isEmpty { msg += "; nothing there is edited" } else if let s = Spelling.suggest(rel, from: all.map(\.path)) {
                msg += "; did you mean '\(s)'?"
            } else { msg += "; edited: " + all.map(\.path).joined(separator: ", ") }
            Output.err(msg)
            return .some(nil)
        }
        if cl.words.count == 1 { chosen = all }
        return (session, chosen)
    }

    static func runAdopt(_ args: inout Arguments) -> Int32 {
        guard let opened = open(&args, adopt) else { return ExitCode.failure }
        guard let (session, edits) = opened else { return ExitCode.usage }
        if edits.isEmpty { Output.out("nothing to adopt: no file under \(session.tree.relativeRoot) is edited"); return ExitCode.ok }
        let project = session.graph.project
        let name = OutputTree.projectName(project.vidfilePath)
        var failed = false
        var adopted: [OutputTree.Adoption] = []
        for e in edits {
            do {
                let a = try session.tree.adopt(e, folder: project.folder, name: name)
                Output.out("copied \(session.tree.relativeRoot)/\(e.path) to \(a.copied.joined(separator: ", "))")
                adopted.append(a)
            } catch {
                Output.err("vidmake adopt: \(error)")
                failed = true
            }
        }
        if !adopted.isEmpty {
            Output.out("add to \(project.vidfile) (merged into its segments: or artifacts: if it has one):\n")
            Output.out(OutputTree.overrideYAML(adopted))
        }
        return failed ? ExitCode.failure : ExitCode.ok
    }

    static func runDiscard(_ args: inout Arguments) -> Int32 {
        guard let opened = open(&args, discard) else { return ExitCode.failure }
        guard let (session, edits) = opened else { return ExitCode.usage }
        if edits.isEmpty { Output.out("nothing to discard: no file under \(session.tree.relativeRoot) is edited"); return ExitCode.ok }
        let lock: BuildLock
        do { lock = try BuildLock(root: session.stateDir, key: session.key) } catch {
            Output.err("vidmake discard: \(error)")
            return ExitCode.failure
        }
        defer { withExtendedLifetime(lock) {} }
        var failed = false
        for e in edits {
            do {
                let to = try session.tree.discard(e, store: session.store, stateRoot: session.stateDir, hasher: session.hasher)
                Output.out("discarded \(session.tree.relativeRoot)/\(e.path) (moved to \(ProjectPaths.display(to)))")
            } catch {
                Output.err("vidmake discard: \(error)")
                failed = true
            }
        }
        session.hasher.save()
        return failed ? ExitCode.failure : ExitCode.ok
    }
}
