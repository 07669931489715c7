import Foundation
import Planner
import Producers
import Runner

/// Progress of a build: on a terminal one status line redrawn in place
/// (`[12/48] tts narration[3] · 0:42 · est. $0.00`); piped, a plain line per finished step.
final class BuildReporter: RunReporter, @unchecked Sendable {
    let terminal: Bool
    let verbose: Bool
    private let lock = NSLock()
    private var lineShown = false
    private var running: [StepID: Step] = [:]
    private var lastDone = 0
    private var lastTotal = 0
    private var elapsed = 0.0
    private var spend = 0.0
    private var estimate: Double

    init(terminal: Bool, verbose: Bool, estimate: Double) {
        self.terminal = terminal
        self.verbose = verbose
        self.estimate = estimate
    }

    func stepStarted(_ step: Step, reason: DirtyReason) {
        lock.withLock {
            running[step.id] = step
            if verbose { emit("start \(step.kind.rawValue) \(step.id) (\(step.provider)): \(reason)") }
            redraw()
        }
    }

    func stepFinished(_ step: Step, _ outcome: StepOutcome, done: Int, total: Int) {
        lock.withLock {
            running[step.id] = nil
            lastDone = done
            lastTotal = total
            switch outcome {
            case .ran(let seconds, let cost, let attempts):
                spend += cost
                if !terminal || verbose {
                    var line = "[\(done)/\(max(done, total))] \(step.kind.rawValue) \(step.id) \(String(format: "%.1fs", seconds))"
                    if cost > 0 { line += " \(money(cost))" }
                    if attempts > 1 { line += " (\(attempts) tries)" }
                    emit(line)
                }
            case .failed:
                emit("FAILED \(step.kind.rawValue) \(step.id) (\(step.provider))")
            case .pinned:
                emit("pinned \(step.id): kept its last outputs")
            case .reused:
                if verbose { emit("reused \(step.id): the same work was done before") }
            case .upToDate, .skipped, .cancelled:
                break
            }
            redraw()
        }
    }

    func log(_ line: String) {
        lock.withLock { emit(line) }
    }

    func tick(running _: [Step], done: Int, total: Int, elapsed: Double, spend: Double) {
        lock.withLock {
            self.lastDone = done
            self.lastTotal = total
            self.elapsed = elapsed
            redraw()
        }
    }

    /// Clears the status line (before the summary).
    func finish() {
        lock.withLock {
            if terminal && lineShown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            lineShown = false
        }
    }

    private func emit(_ line: String) {
        if terminal && lineShown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); lineShown = false }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private func redraw() {
        guard terminal, let step = running.values.sorted(by: { $0.id < $1.id }).first else { return }
        let t = Int(elapsed)
        var line = "[\(lastDone)/\(max(lastDone, lastTotal))] \(step.kind.rawValue) \(step.id)"
        if running.count > 1 { line += " +\(running.count - 1)" }
        line += String(format: " · %d:%02d · est. %@", t / 60, t % 60, money(max(spend, estimate)))
        var cols = winsize()
        let width = ioctl(2, UInt(TIOCGWINSZ), &cols) == 0 && cols.ws_col > 10 ? Int(cols.ws_col) - 1 : 79
        if line.count > width { line = String(line.prefix(width)) }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        lineShown = true
    }
}
