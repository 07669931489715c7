import Foundation

/// Where vidmake's waits get their time: pools, retries, per-minute windows and the runner's
/// loop. Injected so that a test of a 60 s limit runs in milliseconds and is exact.
/// (Not Swift's `Clock`: these are plain seconds since 1970, shared with files in the store.)
public protocol BuildClock: Sendable {
    /// Seconds since 1970.
    func now() -> Double
    /// Waits until `deadline` (seconds since 1970) or until `cancel` is cancelled, whichever is first.
    func sleep(until deadline: Double, cancel: CancelToken?)
    /// Waits on `condition` (locked by the caller) until it is signalled or `deadline` passes.
    func wait(on condition: NSCondition, until deadline: Double)
}

extension BuildClock {
    /// Waits `seconds`, waking early when cancelled.
    public func sleep(_ seconds: Double, cancel: CancelToken? = nil) {
        sleep(until: now() + seconds, cancel: cancel)
    }
}

/// The real time.
public struct SystemClock: BuildClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
    public func sleep(until deadline: Double, cancel: CancelToken?) {
        while true {
            if cancel?.isCancelled == true { return }
            let left = deadline - now()
            if left <= 0 { return }
            Thread.sleep(forTimeInterval: min(left, 0.05))
        }
    }
    public func wait(on condition: NSCondition, until deadline: Double) {
        _ = condition.wait(until: Date(timeIntervalSince1970: deadline))
    }
}

/// A clock for tests: time stands still until something sleeps, and a sleep moves it to the
/// sleeper's deadline at once (never backwards), so every wait is instant and the order of
/// events is what real time would give.
public final class ManualClock: BuildClock, @unchecked Sendable {
    private let lock = NSLock()
    private var time: Double

    public init(start: Double = 1_000_000) { time = start }

    public func now() -> Double { lock.withLock { time } }

    public func sleep(until deadline: Double, cancel: CancelToken?) {
        lock.withLock { time = max(time, deadline) }
    }

    /// Time moves to the deadline at once; the condition is given a moment for what is under way.
    public func wait(on condition: NSCondition, until deadline: Double) {
        lock.withLock { time = max(time, deadline) }
        _ = condition.wait(until: Date().addingTimeInterval(0.001))
    }

    /// Moves time on by `seconds`.
    public func advance(_ seconds: Double) { lock.withLock { time += seconds } }
}
