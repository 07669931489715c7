import Foundation
import RecipeParser

/// What a completed step left behind: the fingerprint it ran under, the description and input
/// hashes that made it (to explain a later rerun), and the hash of every output field.
public struct StepRecord: Codable, Sendable, Hashable {
    public var step: StepID
    public var fingerprint: String
    public var description: [String: String]
    /// Input parameter → content hash (a gathered input hashes its members' hashes in order).
    public var inputs: [String: String]
    /// Output artifact → content hash (a blob in the store).
    public var outputs: [String: String]
    public var seconds: Double
    /// Money spent, in US dollars.
    public var cost: Double
    /// When it completed, seconds since 1970.
    public var completed: Double
    /// The paid calls it made, failed attempts included (nil when it made none).
    public var usage: [Usage]?
    /// The fallback provider that made the outputs, when the step's own provider failed for good.
    public var madeBy: String?

    public init(step: StepID, fingerprint: String, description: [String: String], inputs: [String: String],
                outputs: [String: String], seconds: Double = 0, cost: Double = 0, completed: Double = Date().timeIntervalSince1970,
                usage: [Usage]? = nil, madeBy: String? = nil) {
        self.usage = usage
        self.madeBy = madeBy
        self.step = step
        self.fingerprint = fingerprint
        self.description = description
        self.inputs = inputs
        self.outputs = outputs
        self.seconds = seconds
        self.cost = cost
        self.completed = completed
    }
}

/// The planner's view of the state store: records of past steps and blobs by hash.
public protocol StateStore: Sendable {
    /// The latest record of a step, to say why it is dirty.
    func latest(_ step: StepID) -> StepRecord?
    /// A record with this fingerprint, from any step: the work was done before.
    func record(fingerprint: String) -> StepRecord?
    /// Whether the blob with this content hash is in the store.
    func hasBlob(_ hash: String) -> Bool
}

/// The state store on disk (`.vidmake/` beside the vidfile, or `--state DIR`):
///
///     cas/sha256/ab/abcdef…        content-addressed blobs
///     records/<vidfile>.jsonl      one JSON line per completed step, appended (last wins)
///     stat-cache.json              path, size, mtime, inode → hash
///
/// Appends are single `write`s of one line; a line cut short by a crash is ignored when read.
public final class FileStateStore: StateStore, @unchecked Sendable {
    public let root: String
    public let recordsPath: String
    /// The vidfile's name in the store.
    public let vidfileKey: String
    private var byStep: [StepID: StepRecord] = [:]
    private var byFingerprint: [String: StepRecord] = [:]
    private let lock = NSLock()

    /// `vidfileKey` names the vidfile inside a store that several vidfiles may share.
    public init(root: String, vidfileKey: String) {
        self.root = root
        self.vidfileKey = vidfileKey
        self.recordsPath = root + "/records/" + Self.sanitize(vidfileKey) + ".jsonl"
        load()
    }

    public static func sanitize(_ key: String) -> String {
        String(key.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    private func load() {
        guard let data = FileManager.default.contents(atPath: recordsPath) else { return }
        let decoder = JSONDecoder()
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let r = try? decoder.decode(StepRecord.self, from: Data(line)) else { continue }
            byStep[r.step] = r
            byFingerprint[r.fingerprint] = r
        }
    }

    public func latest(_ step: StepID) -> StepRecord? { lock.withLock { byStep[step] } }
    public func record(fingerprint: String) -> StepRecord? { lock.withLock { byFingerprint[fingerprint] } }

    public func blobPath(_ hash: String) -> String {
        "\(root)/cas/sha256/\(hash.prefix(2))/\(hash)"
    }

    public func hasBlob(_ hash: String) -> Bool { FileManager.default.fileExists(atPath: blobPath(hash)) }

    /// Appends a record (one line, one write) and makes it current. Several processes may append
    /// at once (`vidmake produce` under ninja -j): each append holds an exclusive `flock` on the
    /// log, and a line cut short by a killed writer is closed first, judged from the file itself.
    public func append(_ record: StepRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        try AppendLog.append(line, to: recordsPath)
        lock.withLock {
            byStep[record.step] = record
            byFingerprint[record.fingerprint] = record
        }
    }

    /// Moves a finished file into the store under its content hash (a rename on the same file
    /// system, else a copy to a temp file and a rename) and returns the hash. The blob is made
    /// read-only: nothing edits a blob in place.
    public func adoptFile(_ source: String) throws -> String {
        guard let hash = SHA256.hex(fileAt: source) else { throw StoreError.io("cannot read \(source)") }
        let path = blobPath(hash)
        if FileManager.default.fileExists(atPath: path) { unlink(source); return hash }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        chmod(source, 0o444)
        if rename(source, path) == 0 { return hash }
        try importCopy(of: source, hash: hash)
        unlink(source)
        return hash
    }

    /// Copies a file into the store (the original stays) and returns its hash.
    public func importFile(_ source: String, hash known: String? = nil) throws -> String {
        guard let hash = known ?? SHA256.hex(fileAt: source) else { throw StoreError.io("cannot read \(source)") }
        if !hasBlob(hash) { try importCopy(of: source, hash: hash) }
        return hash
    }

    private func importCopy(of source: String, hash: String) throws {
        let path = blobPath(hash)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let tmp = path + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        do { try FileManager.default.copyItem(atPath: source, toPath: tmp) } catch {
            unlink(tmp)
            throw StoreError.io("cannot copy \(source) into the store: \(error.localizedDescription)")
        }
        chmod(tmp, 0o444)
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw StoreError.io("cannot rename into \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Every record of this vidfile, latest per step.
    public var latestRecords: [StepID: StepRecord] { lock.withLock { byStep } }

    /// The hashes every vidfile's records in this store refer to, except those of `exceptKey`'s file.
    public func referencedBlobs(exceptRecordsAt excluded: String?) -> Set<String> {
        var out: Set<String> = []
        let dir = root + "/records"
        let decoder = JSONDecoder()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasSuffix(".jsonl") {
            let path = dir + "/" + name
            if path == excluded { continue }
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")) {
                if let r = try? decoder.decode(StepRecord.self, from: Data(line)) { out.formUnion(r.outputs.values) }
            }
        }
        return out
    }

    /// Stores bytes as a blob (temp file + rename) and returns their hash.
    @discardableResult
    public func putBlob(_ data: Data) throws -> String {
        let hash = SHA256.hex(data)
        let path = blobPath(hash)
        if FileManager.default.fileExists(atPath: path) { return hash }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let tmp = path + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o444]) else { throw StoreError.io("cannot write \(tmp)") }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw StoreError.io("cannot rename into \(path): \(String(cString: strerror(errno)))")
        }
        return hash
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case io(String)
    public var description: String {
        switch self { case .io(let s): return s }
    }
}

/// A store with nothing in it: every step is new.
public struct EmptyStateStore: StateStore {
    public init() {}
    public func latest(_ step: StepID) -> StepRecord? { nil }
    public func record(fingerprint: String) -> StepRecord? { nil }
    public func hasBlob(_ hash: String) -> Bool { false }
}

/// Hashes project files, reading a file only when its size, mtime or inode changed since it was
/// last hashed (the swift-driver rule: mtime says when to look, the hash says what changed).
public final class FileHasher: @unchecked Sendable {
    struct Entry: Codable, Equatable {
        var size: Int64
        var mtime: Int64   // nanoseconds
        var inode: UInt64
        var hash: String
    }

    private var cache: [String: Entry] = [:]
    private var dirty = false
    private let cachePath: String?
    private let lock = NSLock()
    /// How many files were read and hashed (not answered from the cache): for tests and `-v`.
    public private(set) var filesHashed = 0

    /// With `cachePath`, the cache persists across runs (`save()`).
    public init(cachePath: String?) {
        self.cachePath = cachePath
        if let cachePath, let data = FileManager.default.contents(atPath: cachePath),
           let c = try? JSONDecoder().decode([String: Entry].self, from: data) {
            cache = c
        }
    }

    public func hash(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        let key = (size: Int64(st.st_size), mtime: mtime, inode: UInt64(st.st_ino))
        if let e = lock.withLock({ cache[path] }), e.size == key.size, e.mtime == key.mtime, e.inode == key.inode { return e.hash }
        guard let h = SHA256.hex(fileAt: path) else { return nil }
        lock.withLock {
            filesHashed += 1
            cache[path] = Entry(size: key.size, mtime: key.mtime, inode: key.inode, hash: h)
            dirty = true
        }
        return h
    }

    /// Writes the cache back (temp file + rename) if anything changed.
    public func save() {
        guard let cachePath else { return }
        let (snapshot, changed) = lock.withLock { (cache, dirty) }
        guard changed else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(snapshot) else { return }
        try? FileManager.default.createDirectory(atPath: (cachePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let tmp = cachePath + ".tmp-\(getpid())"
        if FileManager.default.createFile(atPath: tmp, contents: data), rename(tmp, cachePath) == 0 {
            lock.withLock { dirty = false }
        } else {
            unlink(tmp)
        }
    }
}
