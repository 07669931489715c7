import Foundation
import Planner

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

/// A small file that several processes read and rewrite whole: under an exclusive `flock`, read,
/// transformed, and rewritten in place (truncate, then one write), so a writer waiting on the
/// lock sees the new content and appends to the same file.
public enum LockedFile {
    /// `transform` returns the new content, or nil to leave the file as it is. A missing file is
    /// created when `create` is set, else nothing happens.
    public static func update(_ path: String, create: Bool = false, _ transform: (Data) throws -> Data?) throws {
        let fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0o644)
        guard fd >= 0 else {
            if errno == ENOENT && !create { return }
            throw StoreError.io("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StoreError.io("cannot lock \(path): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(buffer, count: n)
        }
        guard let out = try transform(data) else { return }
        guard ftruncate(fd, 0) == 0 else { throw StoreError.io("cannot rewrite \(path): \(String(cString: strerror(errno)))") }
        let written = out.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == out.count else { throw StoreError.io("short write to \(path)") }
    }
}
