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
        guard FileManager.default.createFile(atPath: tmp, contents: data) else { throw StoreError.io("cannot write \(tmp)") }
        guard rename(tmp, path) == 0 else { unlink(tmp); throw StoreError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}
