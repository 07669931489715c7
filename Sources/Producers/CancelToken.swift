import Foundation

/// Cancels a job: the runner calls `cancel()` on Ctrl-C; producers check `isCancelled` between
/// pieces of work, and the child processes they start are stopped (their process group gets
/// SIGTERM, then SIGKILL after a grace period).
public final class CancelToken: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var groups: Set<pid_t> = []

    public init() {}

    public var isCancelled: Bool { lock.withLock { cancelled } }

    public func cancel() {
        let pids: Set<pid_t> = lock.withLock {
            cancelled = true
            return groups
        }
        for p in pids { kill(-p, SIGTERM) }
        guard !pids.isEmpty else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [weak self] in
            guard let self else { return }
            for p in self.lock.withLock({ self.groups }) { kill(-p, SIGKILL) }
        }
    }

    /// Registers a child's process group; false (and the caller kills it) if already cancelled.
    func register(_ pid: pid_t) -> Bool {
        lock.withLock {
            groups.insert(pid)
            return !cancelled
        }
    }

    func unregister(_ pid: pid_t) { _ = lock.withLock { groups.remove(pid) } }

    public func check() throws(ProducerError) {
        if isCancelled { throw ProducerError.cancelledError }
    }

    /// Sleeps for `seconds` on `clock`, waking early (and throwing) when cancelled.
    public func pause(_ seconds: Double, clock: BuildClock = SystemClock()) throws(ProducerError) {
        try check()
        clock.sleep(seconds, cancel: self)
        try check()
    }
}
