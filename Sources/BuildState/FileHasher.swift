import Foundation
import Planner

/// Hashes project files, reading a file only when its size, mtime or inode changed since it was
/// last hashed (the swift-driver rule: mtime says when to look, the hash says what changed).
public final class FileHasher: FileHashing, @unchecked Sendable {
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

    /// The content hash of the file at `path`; nil if it is missing, unreadable or a symbolic
    /// link (never followed: a link in `out/` is not an edit, and project files come here by
    /// their real path).
    public func hash(_ path: String) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
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

    /// Records that the file at `path`, as it is now, has `hash` (it was just written with that
    /// content): the next `hash(path)` answers from the cache until the file changes.
    public func remember(_ path: String, hash: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        lock.withLock {
            cache[path] = Entry(size: Int64(st.st_size), mtime: mtime, inode: UInt64(st.st_ino), hash: hash)
            dirty = true
        }
    }

    /// Forgets a path (a file that was removed).
    public func forget(_ path: String) {
        lock.withLock { if cache.removeValue(forKey: path) != nil { dirty = true } }
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
        let tmp = cachePath + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        if (try? BlobFiles.create(tmp, data, mode: 0o644)) != nil, rename(tmp, cachePath) == 0 {
            lock.withLock { dirty = false }
        } else {
            unlink(tmp)
        }
    }
}
