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
        } catch {
            throw StoreError.io("cannot write \(dest): \(error.localizedDescription)")
        }
        try copy(blob, to: tmp)
        chmod(tmp, 0o644)
        guard rename(tmp, dest) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tmp)
            throw StoreError.io("cannot write \(dest): \(why)")
        }
    }

    /// Copies a file's bytes with read(2)/write(2), so that a failure says what the system
    /// said (ENOSPC: "No space left on device"), with the path.
    static func copy(_ source: String, to dest: String) throws(StoreError) {
        let from = open(source, O_RDONLY | O_CLOEXEC)
        guard from >= 0 else { throw StoreError.io("cannot read \(source): \(String(cString: strerror(errno)))") }
        defer { close(from) }
        let to = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard to >= 0 else { throw StoreError.io("cannot write \(dest): \(String(cString: strerror(errno)))") }
        defer { close(to) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = read(from, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { let why = String(cString: strerror(errno)); unlink(dest); throw StoreError.io("cannot read \(source): \(why)") }
            if n == 0 { return }
            var offset = 0
            while offset < n {
                let w = buffer.withUnsafeBytes { Glibc.write(to, $0.baseAddress! + offset, n - offset) }
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else { let why = String(cString: strerror(errno)); unlink(dest); throw StoreError.io("cannot write \(dest): \(why)") }
                offset += w
            }
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
