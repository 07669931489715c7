import Foundation

/// Crash testing, as SQLite does it: `VIDMAKE_CRASH_AT=<point>:<n>` makes the process kill
/// itself with SIGKILL the n-th time a commit reaches that point, so a test can stop a build at
/// exact instants (after n steps, between a step's blobs and its record, halfway through writing
/// a record) and check that the next build finishes the job without redoing finished work.
/// Unset — always, outside tests — it costs one environment lookup per process.
public enum CrashPoint: String, Sendable {
    /// A producer is running (the kill comes 50 ms after it starts, mid-work).
    case running = "run"
    /// Half of its record line is written (a torn write).
    case tornRecord = "torn"
    /// A step finished; none of its outputs are in the store yet.
    case beforeBlobs = "blobs"
    /// Its outputs are in the store; its record is not written.
    case beforeRecord = "record"
    /// Its record is written: the step is complete.
    case afterRecord = "commit"

    private static let target: (CrashPoint, Int)? = {
        guard let spec = ProcessInfo.processInfo.environment["VIDMAKE_CRASH_AT"] else { return nil }
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let point = CrashPoint(rawValue: String(parts[0])), let n = Int(parts[1]), n >= 1 else { return nil }
        return (point, n)
    }()

    private static let counter = Counter()

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [CrashPoint: Int] = [:]
        func bump(_ p: CrashPoint) -> Int { lock.withLock { counts[p, default: 0] += 1; return counts[p]! } }
    }

    public static func reach(_ point: CrashPoint) {
        guard let (p, n) = target, p == point else { return }
        guard counter.bump(point) == n else { return }
        if point == .running {
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { kill(getpid(), SIGKILL) }
        } else {
            kill(getpid(), SIGKILL)
        }
    }

    private static let section = NSLock()

    /// Runs `body` (a record's append) and then reaches `point` as one step while crash testing,
    /// so no other worker's record lands between the n-th append and the kill: `commit:n` leaves
    /// exactly n records. Outside tests it only calls `body`.
    public static func atomically<T, E: Error>(then point: CrashPoint, _ body: () throws(E) -> T) throws(E) -> T {
        guard target != nil else { return try body() }
        section.lock()
        defer { section.unlock() }
        let result = try body()
        reach(point)
        return result
    }

    /// At `torn:n`, appends the first half of the line to the log and dies there.
    public static func tear(_ line: Data, into path: String) {
        guard let (p, n) = target, p == .tornRecord, counter.bump(.tornRecord) == n else { return }
        if let h = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) {
            h.seekToEndOfFile()
            h.write(line.prefix(line.count / 2))
            try? h.close()
        }
        kill(getpid(), SIGKILL)
    }
}
