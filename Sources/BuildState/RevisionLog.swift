import Foundation
import Planner

/// One build, as the log keeps it: when, what ran and why, what was reused, what was skipped,
/// what failed, how long it took and what it cost.
public struct Revision: Codable, Sendable {
    public struct Ran: Codable, Sendable {
        public var step: String
        public var provider: String
        public var reason: String
        public var seconds: Double
        public var cost: Double
        public var attempts: Int

        public init(step: String, provider: String, reason: String, seconds: Double, cost: Double, attempts: Int) {
            self.step = step
            self.provider = provider
            self.reason = reason
            self.seconds = seconds
            self.cost = cost
            self.attempts = attempts
        }
    }

    public struct Skipped: Codable, Sendable {
        public var step: String
        public var why: String

        public init(step: String, why: String) {
            self.step = step
            self.why = why
        }
    }

    public struct Failed: Codable, Sendable {
        public var step: String
        public var provider: String
        public var message: String

        public init(step: String, provider: String, message: String) {
            self.step = step
            self.provider = provider
            self.message = message
        }
    }

    /// 1, 2, 3… per vidfile.
    public var number: Int
    /// `ok`, `failed`, `interrupted`, `dry-run`.
    public var result: String
    public var started: Double
    public var seconds: Double
    /// The vidfile's content hash when the build started.
    public var vidfile: String
    public var executed: [Ran]
    /// Up to date and left alone.
    public var upToDate: Int
    /// Made by an earlier record with the same fingerprint (a revert, a move): no work, no spend.
    public var reused: [String]
    public var skipped: [Skipped]
    public var failed: [Failed]
    public var pinned: [String]
    /// Out files a person edited, used in place of the artifact.
    public var edits: [String]
    public var spend: Double
    public var spendByProvider: [String: Double]

    public init(number: Int, result: String, started: Double, seconds: Double, vidfile: String, executed: [Ran], upToDate: Int, reused: [String], skipped: [Skipped], failed: [Failed], pinned: [String], edits: [String], spend: Double, spendByProvider: [String: Double]) {
        self.number = number
        self.result = result
        self.started = started
        self.seconds = seconds
        self.vidfile = vidfile
        self.executed = executed
        self.upToDate = upToDate
        self.reused = reused
        self.skipped = skipped
        self.failed = failed
        self.pinned = pinned
        self.edits = edits
        self.spend = spend
        self.spendByProvider = spendByProvider
    }
}

/// `revisions/<vidfile>.jsonl` in the store: one line per build, appended.
public struct RevisionLog {
    public let path: String

    public init(root: String, key: String) {
        path = root + "/revisions/" + key + ".jsonl"
    }

    public func all() -> [Revision] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(Revision.self, from: Data($0)) }
    }

    public func nextNumber() -> Int { (all().last?.number ?? 0) + 1 }

    public func append(_ r: Revision) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(r)
        line.append(UInt8(ascii: "\n"))
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // A line cut short by a crash is ended first, so that it costs only itself.
        if let h = FileHandle(forReadingAtPath: path) {
            let size = (try? h.seekToEnd()) ?? 0
            if size > 0 {
                try? h.seek(toOffset: size - 1)
                if let last = try? h.read(upToCount: 1), last != Data([UInt8(ascii: "\n")]) { line.insert(UInt8(ascii: "\n"), at: 0) }
            }
            try? h.close()
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let n = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == line.count else { throw StoreError.io("short write to \(path)") }
    }
}
