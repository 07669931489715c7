import BuildState
import Foundation
import Planner
import Producers
import Runner

/// `vidmake produce SPEC`: one step of an emitted build, run as `vidmake build` would run it.
enum ProduceCommand {
    static let command = Command(
        name: "produce",
        summary: "Run one step of an emitted build from its spec file",
        usage: "vidmake produce [--status] [-v] [--retries N] SPEC",
        details: """
        Runs the step a spec file (written by `vidmake emit` under build/<name>/.steps/)
        describes, with the same producer code, outputs and store records as `vidmake build`:
        its inputs are read from their files, its fingerprint is taken over them, work done
        before under that fingerprint is reused (nothing is paid twice), and its outputs are
        committed to the state store and then copied to their files — each only if its
        content changed, so Ninja's `restat` stops at an unchanged output. Provider keys come
        from the environment. Relative paths in the spec are relative to the current directory.

        Options:
          --status        Print what happened: ran, reused or up-to-date
          -v, --verbose   Print the commands the producer runs
          --retries N     Tries after a transient failure (a timeout, a 429, a 5xx), default 3

        Exit status: 0 done, 1 the step failed, 2 wrong command line, 130 interrupted.
        """,
        run: run)

    static func run(_ args: inout Arguments) -> Int32 {
        var status = false, verbose = false
        var retries = 3
        var words: [String] = []
        while let a = args.next() {
            switch a {
            case "--status": status = true
            case "-v", "--verbose": verbose = true
            case "--retries":
                guard let v = args.next(), let n = Int(v), (0...20).contains(n) else {
                    return Output.usageError("--retries needs a number from 0 to 20", command)
                }
                retries = n
            default:
                if a.hasPrefix("-") { return Output.usageError("unknown option '\(a)'", command) }
                words.append(a)
            }
        }
        guard words.count == 1 else { return Output.usageError(words.isEmpty ? "no spec file given" : "produce takes one spec file", command) }
        let spec: StepSpec
        do { spec = try StepSpec.read(words[0]) } catch {
            Output.err("vidmake produce: \(error)")
            return ExitCode.failure
        }
        var production = Production(spec: spec, base: FileManager.default.currentDirectoryPath)
        production.retries = retries
        let step = spec.step
        let lock: BuildLock
        do { lock = try BuildLock(root: production.storeRoot, key: FileStateStore.sanitize(spec.key), shared: true) } catch {
            Output.err("vidmake produce: \(step.id): \(error)")
            return ExitCode.failure
        }
        let token = CancelToken()
        let signals = SignalTrap(announce: false) { token.cancel() }
        defer { signals.release() }
        let result: Production.Result
        let loud = verbose
        do {
            result = try withExtendedLifetime(lock) {
                try production.run(cancel: token, log: { line in if loud { Output.err(line) } })
            }
        } catch let e as ProducerError {
            if e.cancelled { Output.err("vidmake produce: \(step.id) interrupted"); return 130 }
            var msg = "vidmake produce: \(step.kind.rawValue) \(step.id) (\(step.provider)) failed: \(e.message)"
            if let help = e.help { msg += "\n  help: \(help)" }
            Output.err(msg)
            return ExitCode.failure
        } catch {
            Output.err("vidmake produce: \(step.id): \(error)")
            return ExitCode.failure
        }
        if status {
            switch result.outcome {
            case .ran: Output.out("ran")
            case .reused: Output.out("reused")
            case .upToDate: Output.out("up-to-date")
            }
        }
        if verbose, case .ran(let seconds, let cost, _) = result.outcome {
            Output.err("\(step.kind.rawValue) \(step.id) \(String(format: "%.1fs", seconds))\(cost > 0 ? " " + money(cost) : "")")
        }
        return ExitCode.ok
    }
}
