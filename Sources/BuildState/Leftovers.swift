import Foundation

/// Temp files that a killed writer left behind: `NAME.vidmake-tmp-PID` (files written into
/// `out/` or `build/`), `NAME.tmp-PID-N` (blobs, the stat cache), and `.dat.nosync…` (written
/// by an older vidmake through Foundation). Each is removed once no running process owns it:
/// a pid that is not alive, or, for names without a pid, an hour untouched.
public enum Leftovers {
    /// The pid a temp file's name carries, and whether the name is a temp file's at all.
    static func owner(_ name: String, markers: [String]) -> (isTemp: Bool, pid: pid_t?) {
        if name.hasPrefix(".dat.nosync") { return (true, nil) }
        for marker in markers {
            guard let r = name.range(of: marker, options: .backwards) else { continue }
            let digits = name[r.upperBound...].prefix { $0.isNumber }
            guard !digits.isEmpty, let pid = pid_t(digits) else { continue }
            let rest = name[r.upperBound...].dropFirst(digits.count)
            guard rest.isEmpty || rest.first == "-" else { continue }
            return (true, pid)
        }
        return (false, nil)
    }

    static func alive(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// Removes the leftovers under the state store and the output trees (recursively, except
    /// `discarded/` and `corrupt/`, which hold people's files); returns how many and their bytes.
    /// In an output tree only vidmake's own marker counts: a person's `notes.tmp-1` is theirs.
    @discardableResult
    public static func sweep(store: String, trees: [String], now: Date = Date()) -> (files: Int, bytes: Int64) {
        var files = 0
        var bytes: Int64 = 0
        let roots = [(store, [".vidmake-tmp-", ".tmp-"])] + trees.map { ($0, [".vidmake-tmp-"]) }
        for (root, markers) in roots {
            guard let e = FileManager.default.enumerator(atPath: root) else { continue }
            while let rel = e.nextObject() as? String {
                if root == store && (rel == "discarded" || rel == "corrupt") { e.skipDescendants(); continue }
                let name = (rel as NSString).lastPathComponent
                let (isTemp, pid) = owner(name, markers: markers)
                guard isTemp else { continue }
                let path = root + "/" + rel
                var st = stat()
                guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                if let pid {
                    if pid == getpid() || alive(pid) { continue }
                } else if now.timeIntervalSince1970 - Double(st.st_mtim.tv_sec) < 3600 {
                    continue
                }
                if unlink(path) == 0 {
                    files += 1
                    bytes += Int64(st.st_size)
                }
            }
        }
        return (files, bytes)
    }
}
