import Foundation

/// A full disk, named as the system names it. A child that runs out of space says so in its
/// own words on one of many stderr lines ("av_interleaved_write_frame(): No space left on
/// device"), Foundation in others ("There isn’t enough space"); vidmake says it once, first,
/// with the place: the file system, how much is free, and the folder it was writing in.
public enum DiskSpace {
    /// Whether `text` reports ENOSPC (or a quota, which is the same to the user).
    public static func isFull(_ text: String) -> Bool {
        let t = text.lowercased()
        return ["no space left on device", "enospc", "there isn’t enough space", "there isn't enough space", "disk quota exceeded"]
            .contains { t.contains($0) }
    }

    /// "no space left on device: /mnt/fast (216 KB free) while writing in /mnt/fast/.vidmake/tmp/…".
    public static func message(writingIn folder: String) -> String {
        var where_ = folder
        while !FileManager.default.fileExists(atPath: where_), where_ != "/" { where_ = (where_ as NSString).deletingLastPathComponent }
        let mount = mountPoint(of: where_)
        var fs = statvfs()
        let free = statvfs(where_, &fs) == 0 ? " (\(bytes(Int64(fs.f_bavail) * Int64(fs.f_frsize))) free)" : ""
        return "no space left on device: \(mount)\(free) while writing in \(folder)"
    }

    /// The deepest folder above `path` on the same file system.
    static func mountPoint(of path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return path }
        var current = path
        while current != "/" {
            let parent = (current as NSString).deletingLastPathComponent
            var ps = stat()
            guard stat(parent, &ps) == 0, ps.st_dev == st.st_dev else { break }
            current = parent
        }
        return current
    }

    static func bytes(_ n: Int64) -> String {
        n >= 1 << 30 ? String(format: "%.1f GB", Double(n) / Double(1 << 30))
            : n >= 1 << 20 ? String(format: "%.1f MB", Double(n) / Double(1 << 20))
            : "\(n / 1024) KB"
    }
}
