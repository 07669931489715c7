import Foundation
import BuildState
import Planner

/// A provider's limits: how many calls at once, and how many per minute.
public struct PoolLimit: Sendable, Hashable, CustomStringConvertible {
    public var concurrency: Int
    /// Calls per minute; nil for no limit.
    public var perMinute: Int?

    public init(concurrency: Int, perMinute: Int? = nil) {
        self.concurrency = concurrency
        self.perMinute = perMinute
    }

    public var description: String { "\(concurrency)" + (perMinute.map { ",\($0)/min" } ?? "") }

    /// Parses `4`, `4,60/min`, `,60/min`.
    public static func parse(_ text: String, default d: PoolLimit) -> PoolLimit? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count) else { return nil }
        var out = d
        if !parts[0].isEmpty {
            guard let n = Int(parts[0]), n >= 1, n <= 1000 else { return nil }
            out.concurrency = n
        }
        if parts.count == 2 {
            var p = parts[1]
            for suffix in ["/min", "/m", "rpm"] where p.hasSuffix(suffix) { p.removeLast(suffix.count) }
            guard let n = Int(p), n >= 1, n <= 100_000 else { return nil }
            out.perMinute = n
        }
        return out
    }
}

/// A pool's state while running: calls in flight, and the start times of the last minute's
/// calls (the per-minute rule is `MinuteRule`, shared with the store's windows).
struct Pool {
    var limit: PoolLimit
    var running = 0
    var starts: [Double] = []

    init(limit: PoolLimit) { self.limit = limit }

    /// Takes a slot if one is free and the minute allows; else says how long until it does
    /// (nil: wait for a running call to finish).
    mutating func acquire(now: Double) -> (ok: Bool, wait: Double?) {
        guard running < limit.concurrency else { return (false, nil) }
        if let wait = takeMinute(now: now) { return (false, wait) }
        running += 1
        return (true, nil)
    }

    /// Records a call starting now if the per-minute limit allows it (nil); else the seconds
    /// until it does. A retry takes only this: it already holds its concurrency slot.
    mutating func takeMinute(now: Double) -> Double? {
        guard let pm = limit.perMinute else { return nil }
        if let wait = MinuteRule.wait(&starts, limit: pm, now: now) { return wait }
        starts.append(now)
        return nil
    }

    mutating func release() { running -= 1 }
}
