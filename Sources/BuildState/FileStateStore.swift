import Foundation
import Planner
import RecipeParser

/// What a build writes into the state store, on top of the planner's read-only view.
///
/// Two implementations: `FileStateStore` (`.vidmake/` on disk, shared by every vidfile of a
/// project and by the processes of an emitted build) and `MemoryStateStore` (for tests).
public protocol BuildStore: StateStore, AnyObject {
    /// The vidfile whose steps' heads (`latest`) this store remembers.
    var vidfileKey: String { get }
    /// A file holding the blob's content, to hand to a producer (never written to).
    func blobPath(_ hash: String) -> String
    /// Records a finished step under its fingerprint and makes it this vidfile's head for the step.
    func append(_ record: StepRecord) throws
    /// Makes an existing record (found by fingerprint, made by any vidfile) this vidfile's head
    /// for `step`: the next build finds the step plainly up to date, and explains from it.
    func use(_ fingerprint: String, for step: StepID) throws
    /// Moves a finished file into the store under its content hash; returns the hash.
    func adoptFile(_ source: String) throws -> String
    /// Copies a file into the store (the original stays); returns its hash.
    func importFile(_ source: String, hash: String?) throws -> String
    /// Stores bytes as a blob; returns their hash.
    @discardableResult func putBlob(_ data: Data) throws -> String
}

/// The state store on disk (`.vidmake/` beside the vidfile, or `--state DIR`):
///
///     cas/sha256/ab/abcdef…        content-addressed blobs (read-only)
///     records.jsonl                one JSON line per finished step, by fingerprint, for every vidfile
///     heads/<vidfile>.jsonl        step → fingerprint this vidfile last used (last line wins)
///     stat-cache.json              path, size, mtime, inode → hash
///
/// Records belong to their fingerprint, never to a vidfile: a copy, a rename or a draft of a
/// vidfile finds every step it shares with another. Version 1 kept records per vidfile in
/// `records/<vidfile>.jsonl`; those are read as well, so an old store keeps its results.
///
/// Appends are single `write`s of one line under an `flock`; a line cut short by a crash is
/// ignored when read.
public final class FileStateStore: BuildStore, @unchecked Sendable {
    public let root: String
    /// The shared record log.
    public let recordsPath: String
    /// This vidfile's heads.
    public let headsPath: String
    public let vidfileKey: String
    private var heads: [StepID: String] = [:]
    private var byFingerprint: [String: StepRecord] = [:]
    private let lock = NSLock()
    /// What each blob's content was last seen to hash to: a blob is read again only when its
    /// size, mtime or inode changed since it was written or last verified.
    private let verifier: FileHasher
    /// Blobs verified in this process, by hash.
    private var verified: Set<String> = []
    private var corrupt: [String] = []

    /// `vidfileKey` names the vidfile inside a store that several vidfiles share.
    public init(root: String, vidfileKey: String) {
        self.root = root
        self.vidfileKey = vidfileKey
        self.recordsPath = root + "/records.jsonl"
        self.headsPath = root + "/heads/" + Self.sanitize(vidfileKey) + ".jsonl"
        self.verifier = FileHasher(cachePath: root + "/cas/verified.json")
        load()
    }

    public static func sanitize(_ key: String) -> String {
        String(key.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    /// Version 1's per-vidfile record logs.
    var legacyDirectory: String { root + "/records" }

    private func load() {
        let decoder = JSONDecoder()
        // Version 1: records per vidfile; this vidfile's also give its heads.
        let ownLegacy = Self.sanitize(vidfileKey) + ".jsonl"
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: legacyDirectory)) ?? []).sorted() where name.hasSuffix(".jsonl") {
            for r in Self.lines(legacyDirectory + "/" + name, as: StepRecord.self, decoder) {
                if byFingerprint[r.fingerprint] == nil { byFingerprint[r.fingerprint] = r }
                if name == ownLegacy { heads[r.step] = r.fingerprint }
            }
        }
        for r in Self.lines(recordsPath, as: StepRecord.self, decoder) where byFingerprint[r.fingerprint] == nil {
            byFingerprint[r.fingerprint] = r
        }
        for h in Self.lines(headsPath, as: Head.self, decoder) { heads[h.step] = h.fingerprint }
    }

    static func lines<T: Decodable>(_ path: String, as: T.Type, _ decoder: JSONDecoder) -> [T] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(T.self, from: Data($0)) }
    }

    struct Head: Codable {
        var step: StepID
        var fingerprint: String
    }

    public func latest(_ step: StepID) -> StepRecord? {
        lock.withLock { heads[step].flatMap { byFingerprint[$0] } }
    }

    public func record(fingerprint: String) -> StepRecord? { lock.withLock { byFingerprint[fingerprint] } }

    public func blobPath(_ hash: String) -> String {
        "\(root)/cas/sha256/\(hash.prefix(2))/\(hash)"
    }

    /// Whether the blob is in the store *and its content has its hash*. A blob whose bytes no
    /// longer match (a bad disk, a stray write) is moved to `corrupt/`, reported once
    /// (`corruptBlobs`), and counts as missing: the step that made it runs again. It is never
    /// copied out, handed to a producer, or taken for a person's edit.
    public func hasBlob(_ hash: String) -> Bool {
        if lock.withLock({ verified.contains(hash) }) { return true }
        let path = blobPath(hash)
        guard let actual = verifier.hash(path) else { return false }
        if actual == hash {
            lock.withLock { _ = verified.insert(hash) }
            return true
        }
        quarantine(hash)
        return false
    }

    /// Blobs found corrupt by this process, as `hash (moved to …)`, in the order found.
    public var corruptBlobs: [String] { lock.withLock { corrupt } }

    private func quarantine(_ hash: String) {
        let path = blobPath(hash)
        let dir = root + "/corrupt"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let dest = dir + "/" + hash + "-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        if rename(path, dest) != 0 { unlink(path) }
        verifier.forget(path)
        lock.withLock {
            verified.remove(hash)
            corrupt.append("\(hash.prefix(12))… (moved to \(ProjectPaths.display(dest)))")
        }
    }

    /// A blob just written under its hash: known good without reading it again.
    private func wrote(_ hash: String) {
        verifier.remember(blobPath(hash), hash: hash)
        lock.withLock { _ = verified.insert(hash) }
    }

    /// Writes what was learnt about the blobs back (the build and `produce` call it at their end).
    public func save() { verifier.save() }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(value)
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// Appends the record to the shared log (unless its fingerprint is there already), then the
    /// head. Several processes may append at once (`vidmake produce` under ninja -j): each append
    /// holds an exclusive `flock` on the log, and a line cut short by a killed writer is closed first.
    public func append(_ record: StepRecord) throws {
        var record = record
        record.vidfile = record.vidfile ?? vidfileKey
        if lock.withLock({ byFingerprint[record.fingerprint] }) == nil {
            try AppendLog.append(try Self.encode(record), to: recordsPath)
        }
        lock.withLock { byFingerprint[record.fingerprint] = byFingerprint[record.fingerprint] ?? record }
        try use(record.fingerprint, for: record.step)
    }

    public func use(_ fingerprint: String, for step: StepID) throws {
        if lock.withLock({ heads[step] }) == fingerprint { return }
        try AppendLog.append(try Self.encode(Head(step: step, fingerprint: fingerprint)), to: headsPath)
        lock.withLock { heads[step] = fingerprint }
    }

    /// Moves a finished file into the store under its content hash (a rename on the same file
    /// system, else a copy to a temp file and a rename) and returns the hash. The blob is made
    /// read-only: nothing edits a blob in place.
    public func adoptFile(_ source: String) throws -> String {
        guard let hash = SHA256.hex(fileAt: source) else { throw StoreError.io("cannot read \(source)") }
        let path = blobPath(hash)
        if hasBlob(hash) { unlink(source); return hash }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        chmod(source, 0o444)
        if rename(source, path) == 0 { wrote(hash); return hash }
        try importCopy(of: source, hash: hash)
        unlink(source)
        return hash
    }

    public func importFile(_ source: String, hash known: String? = nil) throws -> String {
        guard let hash = known ?? SHA256.hex(fileAt: source) else { throw StoreError.io("cannot read \(source)") }
        if !hasBlob(hash) { try importCopy(of: source, hash: hash) }
        return hash
    }

    private func importCopy(of source: String, hash: String) throws {
        let path = blobPath(hash)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let tmp = path + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try BlobFiles.copy(source, to: tmp)
        chmod(tmp, 0o444)
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw StoreError.io("cannot rename into \(path): \(String(cString: strerror(errno)))")
        }
        wrote(hash)
    }

    @discardableResult
    public func putBlob(_ data: Data) throws -> String {
        let hash = SHA256.hex(data)
        let path = blobPath(hash)
        if hasBlob(hash) { return hash }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let tmp = path + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try BlobFiles.create(tmp, data, mode: 0o444)
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw StoreError.io("cannot rename into \(path): \(String(cString: strerror(errno)))")
        }
        wrote(hash)
        return hash
    }

    /// This vidfile's heads, step → record.
    public var latestRecords: [StepID: StepRecord] {
        lock.withLock { heads.compactMapValues { byFingerprint[$0] } }
    }

    /// `vidmake clean --cache`: forgets this vidfile's heads and the records it made that no other
    /// vidfile's heads use, then deletes the blobs no remaining record names. Returns the blobs
    /// deleted and their bytes. The record log is rewritten in place under its lock, so a
    /// `produce` of another vidfile appending at the same time waits and then appends.
    public func forgetVidfile() throws -> (blobs: Int, bytes: Int64) {
        let decoder = JSONDecoder()
        var otherHeads: Set<String> = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/heads")) ?? [] where name.hasSuffix(".jsonl") {
            let path = root + "/heads/" + name
            if path == headsPath { continue }
            var last: [StepID: String] = [:]
            for h in Self.lines(path, as: Head.self, decoder) { last[h.step] = h.fingerprint }
            otherHeads.formUnion(last.values)
        }
        let mine = Set(lock.withLock { heads.values })
        func keep(_ r: StepRecord, legacyOwner: String?) -> Bool {
            if otherHeads.contains(r.fingerprint) { return true }
            let owner = r.vidfile ?? legacyOwner
            return owner != vidfileKey && !mine.contains(r.fingerprint)
        }
        var referenced: Set<String> = []
        try LockedFile.update(recordsPath) { data in
            var out = Data()
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let r = try? decoder.decode(StepRecord.self, from: Data(line)), keep(r, legacyOwner: nil) else { continue }
                referenced.formUnion(r.outputs.values)
                out.append(contentsOf: line)
                out.append(UInt8(ascii: "\n"))
            }
            return out
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: legacyDirectory)) ?? [] where name.hasSuffix(".jsonl") {
            let path = legacyDirectory + "/" + name
            let owner = String(name.dropLast(".jsonl".count))
            if owner == Self.sanitize(vidfileKey) { unlink(path); continue }
            for r in Self.lines(path, as: StepRecord.self, decoder) where keep(r, legacyOwner: owner) { referenced.formUnion(r.outputs.values) }
        }
        unlink(headsPath)
        lock.withLock {
            heads = [:]
            byFingerprint = byFingerprint.filter { keep($0.value, legacyOwner: nil) }
        }
        var freed = 0
        var bytes: Int64 = 0
        let cas = root + "/cas/sha256"
        for sub in (try? FileManager.default.contentsOfDirectory(atPath: cas)) ?? [] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: cas + "/" + sub)) ?? [] where !referenced.contains(name) {
                let p = cas + "/" + sub + "/" + name
                var st = stat()
                if stat(p, &st) == 0 { bytes += Int64(st.st_size) }
                if unlink(p) == 0 { freed += 1 }
            }
            rmdir(cas + "/" + sub)
        }
        return (freed, bytes)
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case io(String)
    public var description: String {
        switch self { case .io(let s): return s }
    }
}
