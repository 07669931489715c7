import BuildState
import Foundation
import Planner
import RecipeParser
import Runner

/// `vidmake status FILE`: what is out of date and why, and which out files a person edited.
enum StatusCommand {
    static let command = Command(
        name: "status",
        summary: "Show which steps are out of date and why, and which outputs you edited",
        usage: "vidmake status [--json] [--set NAME=VALUE]… [--state DIR] FILE",
        details: """
        Lists the steps a build would run, each with its reason; the files under out/NAME/
        that were edited since vidmake wrote them (a build uses them in place of what vidmake
        made); and the last build. Runs nothing.

        Options:
          --json              The same as JSON
          --set NAME=VALUE    Override an input for this run
          --state DIR         The state store (default: .vidmake beside the vidfile)
        """,
        run: run)

    static func run(_ args: inout Arguments) -> Int32 {
        let cl: Session.CommandLine
        do { cl = try Session.parse(&args, flags: ["--json"], words: 1, missing: "no vidfile given", wrong: "status takes one vidfile") } catch {
            return Output.usageError(error.message, command)
        }
        guard let session = Session.open(cl.words[0], cl.options) else { return ExitCode.failure }
        let g = session.graph
        let dirty = session.dirty
        let last = RevisionLog(root: session.stateDir, key: session.key).all().last
        let root = session.tree.relativeRoot
        if cl.flags.contains("--json") {
            let steps: [JSON] = dirty.map { s in
                var o: [String: JSON] = ["step": .string(s.id.description), "provider": .string(s.provider.description)]
                if case .dirty(let r)? = session.analysis.statuses[s.id]?.state { o["reason"] = .string(r.code); o["why"] = .string(r.description) }
                return .object(o)
            }
            var top: [String: JSON] = [
                "vidfile": .string(g.project.vidfile),
                "steps": .int(g.steps.count),
                "dirty": .array(steps),
                "edited": .array(session.edits.map { .object(["path": .string(root + "/" + $0.path), "artifact": .string($0.artifact.description), "used": .bool(true)]) }
                    + session.ignoredEdits.map { .object(["path": .string(root + "/" + $0.edit.path), "artifact": .string($0.edit.artifact.description), "used": .bool(false), "why": .string($0.why)]) }),
            ]
            if let last { top["last_build"] = .object(["number": .int(last.number), "result": .string(last.result), "executed": .int(last.executed.count)]) }
            Output.out(JSON.object(top).serialized())
            return ExitCode.ok
        }
        if dirty.isEmpty {
            Output.out("\(g.project.vidfile): up to date (\(g.steps.count) steps)")
        } else {
            Output.out("\(g.project.vidfile): \(dirty.count) of \(g.steps.count) steps out of date")
            let width = min(24, dirty.map(\.id.description.count).max() ?? 8)
            for s in dirty {
                guard case .dirty(let r)? = session.analysis.statuses[s.id]?.state else { continue }
                Output.out("  \(s.id.description.padding(toLength: width, withPad: " ", startingAt: 0))  \(r)")
            }
        }
        if !session.edits.isEmpty {
            Output.out("edited in \(root) (the next build uses them; delete a file to go back):")
            for e in session.edits { Output.out("  \(e.path)  → \(e.artifact)") }
        }
        if !session.ignoredEdits.isEmpty {
            Output.out("edited in \(root) but not used:")
            for (e, why) in session.ignoredEdits { Output.out("  \(e.path): \(why)") }
        }
        if let last {
            Output.out("last build: #\(last.number) \(last.result), \(LogCommand.date(last.started)), ran \(last.executed.count), \(String(format: "%.2fs", last.seconds)), \(money(last.spend))")
        } else {
            Output.out("never built")
        }
        return ExitCode.ok
    }
}

/// `vidmake log FILE`: the builds of a vidfile.
enum LogCommand {
    static let command = Command(
        name: "log",
        summary: "Show past builds: what ran, was reused or skipped, time and spend",
        usage: "vidmake log [--json | --calls] [--state DIR] FILE",
        details: """
        One line per build, newest last: its number, when it started, its result, how many
        steps ran, were reused from the store, were up to date or were skipped, how long it
        took and what it spent. Under a build that paid for anything, one line per provider
        with its calls, the usage the provider reported (tokens, characters, images,
        seconds) and its cost at list price; failed attempts count, because they were paid
        for. Calls made by emitted builds (vidmake produce) are listed by day. Last, the
        spend per provider over all builds. A cost marked ~ is an estimate (no list price
        is known for that model).

        Options:
          --json          Every revision as JSON
          --calls         Every paid call of the spend ledger as JSON
          --state DIR     The state store (default: .vidmake beside the vidfile)
        """,
        run: run)

    static func run(_ args: inout Arguments) -> Int32 {
        var json = false
        var calls = false
        var stateDir: String?
        var words: [String] = []
        while let a = args.next() {
            switch a {
            case "--json": json = true
            case "--calls": calls = true
            case "--state":
                guard let s = args.next() else { return Output.usageError("--state needs a folder", command) }
                stateDir = s
            default:
                if a.hasPrefix("-") { return Output.usageError("unknown option '\(a)'", command) }
                words.append(a)
            }
        }
        guard words.count == 1 else { return Output.usageError(words.isEmpty ? "no vidfile given" : "log takes one vidfile", command) }
        let file = words[0]
        guard FileManager.default.fileExists(atPath: file) else {
            Output.err("vidmake log: \(file): no such file")
            return ExitCode.failure
        }
        let (root, key) = Session.storeLocation(vidfile: file, stateDir: stateDir)
        let revisions = RevisionLog(root: root, key: key).all()
        let ledger = Ledger(root: root).entries().filter { $0.vidfile == key }
        if calls {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            Output.out(String(decoding: (try? encoder.encode(ledger)) ?? Data("[]".utf8), as: UTF8.self))
            return ExitCode.ok
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            let data = (try? encoder.encode(revisions)) ?? Data("[]".utf8)
            Output.out(String(decoding: data, as: UTF8.self))
            return ExitCode.ok
        }
        if revisions.isEmpty && ledger.isEmpty { Output.out("\(file): never built"); return ExitCode.ok }
        let byBuild = Dictionary(grouping: ledger.filter { $0.build != nil }) { $0.build! }
        for r in revisions {
            var line = "#\(r.number)  \(date(r.started))  \(r.result.padding(toLength: 11, withPad: " ", startingAt: 0)) ran \(r.executed.count)"
            if !r.reused.isEmpty { line += ", reused \(r.reused.count)" }
            line += ", up to date \(r.upToDate)"
            if !r.skipped.isEmpty { line += ", skipped \(r.skipped.count)" }
            if !r.failed.isEmpty { line += ", failed \(r.failed.count)" }
            line += String(format: "  %.2fs  ", r.seconds) + money(r.spend)
            let paid = r.spendByProvider.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            if !paid.isEmpty && byBuild[r.number] == nil { line += " (" + paid.map { "\($0.key) \(money($0.value))" }.joined(separator: ", ") + ")" }
            Output.out(line)
            for l in providerLines(byBuild[r.number] ?? []) { Output.out("    " + l) }
        }
        // Emitted builds have no revision: their calls by day.
        let emitted = Dictionary(grouping: ledger.filter { $0.build == nil }) { String(date($0.time).prefix(10)) }
        for day in emitted.keys.sorted() {
            let entries = emitted[day]!
            Output.out("\(day)  vidmake produce (emitted builds)  \(entries.count) call\(entries.count == 1 ? "" : "s")  \(money(entries.reduce(0) { $0 + $1.usage.cost }))")
            for l in providerLines(entries) { Output.out("    " + l) }
        }
        let total = revisions.reduce(0) { $0 + $1.spend } + ledger.filter { $0.build == nil }.reduce(0) { $0 + $1.usage.cost }
        Output.out("\(revisions.count) build\(revisions.count == 1 ? "" : "s"), spent \(money(total)) in all")
        if !ledger.isEmpty {
            Output.out("by provider:")
            for l in providerLines(ledger) { Output.out("    " + l) }
        }
        return ExitCode.ok
    }

    /// One line per provider: calls, the usage reported, the cost (`~` when estimated).
    static func providerLines(_ entries: [Ledger.Entry]) -> [String] {
        let groups = Dictionary(grouping: entries) { $0.usage.provider }
        let width = groups.keys.map(\.count).max() ?? 0
        return groups.keys.sorted().map { p in
            let calls = groups[p]!
            var units: [String: Double] = [:]
            for c in calls { for (u, v) in c.usage.units { units[u, default: 0] += v } }
            let cost = calls.reduce(0) { $0 + $1.usage.cost }
            let shown = units.keys.sorted().filter { units[$0]! > 0 }.map { "\(amount(units[$0]!)) \($0.replacingOccurrences(of: "_", with: " "))" }
            let estimated = calls.contains { $0.usage.estimated } ? "~" : ""
            return "\(p.padding(toLength: width, withPad: " ", startingAt: 0))  \(calls.count) call\(calls.count == 1 ? " " : "s")  "
                + String(format: "%@$%.4f", estimated, cost) + (shown.isEmpty ? "" : "  (" + shown.joined(separator: ", ") + ")")
        }
    }

    /// `1,204`, `12.5`.
    static func amount(_ v: Double) -> String {
        if v == v.rounded() && v < 1e12 {
            let f = NumberFormatter()
            f.numberStyle = .decimal
            f.locale = Locale(identifier: "en_US")
            return f.string(from: NSNumber(value: Int(v))) ?? String(Int(v))
        }
        return String(format: "%.1f", v)
    }

    static func date(_ t: Double) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}

/// `vidmake clean FILE`: remove the outputs (and with --cache the stored results).
enum CleanCommand {
    static let command = Command(
        name: "clean",
        summary: "Remove the built files under out/ (and with --cache, the stored results)",
        usage: "vidmake clean [--cache] [--state DIR] FILE",
        details: """
        Removes the files vidmake wrote under out/NAME/; files you edited there are kept (and
        listed). The state store keeps every result, so the next build puts the files back
        without running a step.

        With --cache, also forgets the step records this vidfile made or uses that no other
        vidfile sharing the store uses, and deletes the stored blobs no remaining record
        refers to: the next build runs (and pays for) those steps again.

        Options:
          --cache         Also remove this vidfile's records and unshared blobs
          --state DIR     The state store (default: .vidmake beside the vidfile)
        """,
        run: run)

    static func run(_ args: inout Arguments) -> Int32 {
        let cl: Session.CommandLine
        do { cl = try Session.parse(&args, flags: ["--cache"], words: 1, missing: "no vidfile given", wrong: "clean takes one vidfile") } catch {
            return Output.usageError(error.message, command)
        }
        guard let session = Session.open(cl.words[0], cl.options) else { return ExitCode.failure }
        let lock: BuildLock
        do { lock = try BuildLock(root: session.stateDir, key: session.key) } catch {
            Output.err("vidmake clean: \(error)")
            return ExitCode.failure
        }
        defer { withExtendedLifetime(lock) {} }
        Leftovers.sweep(store: session.stateDir, trees: [session.tree.root])
        let (removed, kept) = session.tree.clean(hasher: session.hasher)
        Output.out("removed \(removed) file\(removed == 1 ? "" : "s") from \(session.tree.relativeRoot)")
        for k in kept { Output.out("kept \(session.tree.relativeRoot)/\(k): you edited it (delete it yourself to drop the edit)") }
        if cl.flags.contains("--cache") {
            let freed: Int
            let bytes: Int64
            do { (freed, bytes) = try session.store.forgetVidfile() } catch {
                Output.err("vidmake clean: \(error)")
                return ExitCode.failure
            }
            Output.out("removed \(freed) stored blob\(freed == 1 ? "" : "s") (\(ByteCountFormatter.string(fromByteCount: bytes, countStyle: .file))) and the step records only \(session.graph.project.vidfile) used")
        }
        session.hasher.save()
        return ExitCode.ok
    }
}
