import Foundation
import Planner

/// The state store's in-memory twin, for tests: records, heads and blobs in dictionaries.
/// A blob handed to a producer by path is written once to a scratch folder of its own
/// (`blobPath`), since producers read files.
public final class MemoryStateStore: BuildStore, @unchecked Sendable {
    public let vidfileKey: String
    private let lock = NSLock()
    private var records: [String: StepRecord] = [:]
    private var heads: [StepID: String] = [:]
    private var blobs: [String: Data] = [:]
    private let scratch: String

    public init(vidfileKey: String = "test.vid.yaml") {
        self.vidfileKey = vidfileKey
        scratch = NSTemporaryDirectory() + "vidmake-memory-store-" + UUID().uuidString
    }

    deinit { try? FileManager.default.removeItem(atPath: scratch) }

    /// Another vidfile's view of the same records and blobs (its own heads), as two vidfiles share `.vidmake/`.
    public func sibling(vidfileKey: String) -> MemoryStateStore {
        let s = MemoryStateStore(vidfileKey: vidfileKey)
        lock.withLock {
            s.records = records
            s.blobs = blobs
        }
        return s
    }

    public func latest(_ step: StepID) -> StepRecord? { lock.withLock { heads[step].flatMap { records[$0] } } }
    public func record(fingerprint: String) -> StepRecord? { lock.withLock { records[fingerprint] } }
    public func hasBlob(_ hash: String) -> Bool { lock.withLock { blobs[hash] != nil } }

    /// Removes a blob, as a test of a store that lost one.
    public func dropBlob(_ hash: String) { _ = lock.withLock { blobs.removeValue(forKey: hash) } }

    public func blobPath(_ hash: String) -> String {
        let path = scratch + "/" + hash
        if !FileManager.default.fileExists(atPath: path), let data = lock.withLock({ blobs[hash] }) {
            try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o444])
        }
        return path
    }

    public func append(_ record: StepRecord) throws {
        var record = record
        record.vidfile = record.vidfile ?? vidfileKey
        lock.withLock {
            if records[record.fingerprint] == nil { records[record.fingerprint] = record }
            heads[record.step] = record.fingerprint
        }
    }

    public func use(_ fingerprint: String, for step: StepID) throws {
        try lock.withLock {
            guard records[fingerprint] != nil else { throw StoreError.io("no record \(fingerprint)") }
            heads[step] = fingerprint
        }
    }

    public func adoptFile(_ source: String) throws -> String {
        let hash = try importFile(source, hash: nil)
        unlink(source)
        return hash
    }

    public func importFile(_ source: String, hash: String?) throws -> String {
        guard let data = FileManager.default.contents(atPath: source) else { throw StoreError.io("cannot read \(source)") }
        return try putBlob(data)
    }

    @discardableResult
    public func putBlob(_ data: Data) throws -> String {
        let hash = SHA256.hex(data)
        lock.withLock { blobs[hash] = data }
        return hash
    }
}
