import Foundation
import Planner
import Producers

/// A per-minute limit shared by processes: the start times of a pool's calls in the last
/// minute, in a file of the state store (`limits/<pool>`), read and written under an `flock`.
/// `vidmake produce` takes a slot before each call of a step, so that the `produce` processes
/// a runner starts side by side (ninja -j) never start more calls in a minute than the pool
/// allows, as the in-process runner does not.
public struct MinuteWindow {
    public let path: String
    public let limit: Int
    public let clock: BuildClock

    public init(store root: String, pool: String, perMinute: Int, clock: BuildClock = SystemClock()) {
        path = root + "/limits/" + FileStateStore.sanitize(pool)
        limit = perMinute
        self.clock = clock
    }

    /// Waits until a call may start, and records it.
    public func acquire(cancel: CancelToken) throws(ProducerError) {
        while true {
            let wait: Double?
            do {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                wait = try take()
            } catch {
                throw ProducerError("cannot keep the per-minute limit in \(path): \(error)")
            }
            guard let wait else { return }
            try cancel.pause(wait, clock: clock)
        }
    }

    /// Records a start now if the window has room (nil); else the seconds until it has.
    private func take() throws -> Double? {
        var wait: Double?
        try LockedFile.update(path, create: true) { data in
            let now = clock.now()
            // One start time per line; anything unreadable (a torn write) is dropped.
            var starts = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { Double($0) }
                .filter { $0 <= now + 1 }.sorted()
            wait = MinuteRule.wait(&starts, limit: limit, now: now)
            guard wait == nil else { return nil }
            starts.append(now)
            return Data((starts.map { String(format: "%.3f", $0) }.joined(separator: "\n") + "\n").utf8)
        }
        return wait
    }
}

/// The per-minute rule, for the in-process pools and the store's shared windows alike: a call
/// starts only if fewer than `limit` started in the `window` seconds before it, so no sliding
/// minute ever sees more than the limit (a token bucket would let a burst through on top).
/// The window is a little longer than a minute: the provider counts arrivals, and the first
/// call of a window may have taken longer to arrive (a new connection, TLS) than the last.
public enum MinuteRule {
    public static let window = 60.5

    /// Nil if a call may start now (the caller records it), else the seconds until one may;
    /// `starts` is pruned to the window.
    public static func wait(_ starts: inout [Double], limit: Int, now: Double) -> Double? {
        starts.removeAll { $0 <= now - window }
        return starts.count >= limit ? starts[starts.count - limit] + window - now + 0.001 : nil
    }
}
