import Foundation

/// One build of a vidfile at a time: an exclusive `flock` on `locks/<vidfile>.lock` in the store.
/// The kernel drops the lock when the process ends, however it ends, so a killed build never
/// leaves a stale lock behind.
public final class BuildLock {
    private let fd: Int32
    public let path: String

    public enum Failure: Error, CustomStringConvertible {
        case held(path: String, holder: String)
        case io(String)
        public var description: String {
            switch self {
            case .held(_, let holder): return "another vidmake build of this vidfile is running (\(holder)); wait for it to finish, or stop it"
            case .io(let s): return s
            }
        }
    }

    public init(root: String, key: String) throws(Failure) {
        let dir = root + "/locks"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        path = dir + "/" + key + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw .held(path: path, holder: holder.flatMap { $0.isEmpty ? nil : $0 } ?? "lock \(path)")
        }
        let note = "pid \(getpid()), started \(ISO8601DateFormatter().string(from: Date()))\n"
        ftruncate(fd, 0)
        _ = note.withCString { write(fd, $0, strlen($0)) }
    }

    deinit {
        ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
}
