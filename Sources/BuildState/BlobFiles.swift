import Foundation

/// Files made from blobs and written whole: a reader sees the old file or the new one, never half.
public enum BlobFiles {
    /// Copies a blob to `dest` through a temp file and a rename (a reader sees the old file or
    /// the new one), writable by its owner unlike the blob.
    public static func install(blob: String, at dest: String) throws(StoreError) {
        let tmp = dest + ".vidmake-tmp-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: (dest as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            unlink(tmp)
            try FileManager.default.copyItem(atPath: blob, toPath: tmp)
        } catch {
            unlink(tmp)
            throw StoreError.io("cannot write \(dest): \(error.localizedDescription)")
        }
        chmod(tmp, 0o644)
        guard rename(tmp, dest) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw StoreError.io("cannot write \(dest): \(why)")
        }
    }

    /// Temp file + rename.
    public static func write(_ data: Data, to path: String) throws {
        let tmp = path + ".vidmake-tmp-\(getpid())"
        try create(tmp, data, mode: 0o644)
        guard rename(tmp, path) == 0 else { unlink(tmp); throw StoreError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// Writes a new file in one go, with no temp file of its own (Foundation's `createFile`
    /// makes a `.dat.nosync…` one, which a killed process leaves behind): the callers' names
    /// carry the writer's pid, so `Leftovers` can tell whose it is.
    public static func create(_ path: String, _ data: Data, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StoreError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var offset = 0
        while offset < data.count {
            let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let why = String(cString: strerror(errno))
                unlink(path)
                throw StoreError.io("cannot write \(path): \(why)")
            }
            offset += n
        }
    }
}
