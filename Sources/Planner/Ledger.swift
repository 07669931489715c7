import Foundation

/// One paid call: what a provider reported using (tokens, characters, images, seconds) and
/// what that costs at list price.
public struct Usage: Sendable, Codable, Hashable {
    /// `openai/gpt-4o-mini`: the provider and model that served the call.
    public var provider: String
    /// By unit: `input_tokens`, `output_tokens`, `characters`, `images`, `audio_seconds`, `predict_seconds`, `outputs`, `video_seconds`.
    public var units: [String: Double]
    /// US dollars.
    public var cost: Double
    /// No unit price is known for this model: `cost` is the provider table's per-call estimate.
    public var estimated: Bool

    public init(provider: String, units: [String: Double], cost: Double, estimated: Bool = false) {
        self.provider = provider
        self.units = units
        self.cost = cost
        self.estimated = estimated
    }
}

/// The spend ledger: every paid call, appended the moment it is charged (money spent by a
/// step that later fails, or by a build that is killed, is on record too). One JSON line per
/// call in `ledger.jsonl` at the store's root; many processes may append at once.
public struct Ledger: Sendable {
    public struct Entry: Sendable, Codable, Hashable {
        /// Seconds since 1970.
        public var time: Double
        /// The vidfile's key in the store.
        public var vidfile: String
        /// The build's revision number (`vidmake build`), or nil for `vidmake produce` (emitted builds).
        public var build: Int?
        public var step: String
        public var usage: Usage

        public init(time: Double = Date().timeIntervalSince1970, vidfile: String, build: Int?, step: String, usage: Usage) {
            self.time = time
            self.vidfile = vidfile
            self.build = build
            self.step = step
            self.usage = usage
        }
    }

    public let path: String

    public init(root: String) { path = root + "/ledger.jsonl" }

    public func append(_ e: Entry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(e)
        line.append(UInt8(ascii: "\n"))
        try AppendLog.append(line, to: path)
    }

    /// Every entry, oldest first; a torn or foreign line is skipped.
    public func entries() -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(Entry.self, from: Data($0)) }
    }
}

/// Appending whole lines to a log that several processes write: an exclusive `flock` per append,
/// one `write`, and a line cut short by a killed writer closed first (judged from the file).
public enum AppendLog {
    public static func append(_ line: Data, to path: String) throws {
        var line = line
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StoreError.io("cannot lock \(path): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        var st = stat()
        if fstat(fd, &st) == 0, st.st_size > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, st.st_size - 1) == 1, last != UInt8(ascii: "\n") { line.insert(UInt8(ascii: "\n"), at: 0) }
        }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw StoreError.io("short write to \(path)") }
    }
}
