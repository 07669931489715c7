import Foundation

/// One build of a vidfile at a time: a `flock` on `locks/<vidfile>.lock` in the store.
/// `vidmake build` holds it exclusively; each `vidmake produce` of a Ninja or shell build holds it
/// shared, so the steps of one external build run side by side while an in-process build of the
/// same vidfile is refused (and the other way round). The kernel drops the lock when the process
/// ends, however it ends, so a killed build never leaves a stale lock behind.
public final class BuildLock {
    private let fd: Int32
    private let shared: Bool
    public let path: String

    public enum Failure: Error, CustomStringConvertible {
        case held(path: String, holder: String)
        case heldByBuild(path: String, holder: String)
        case io(String)
        public var description: String {
            switch self {
            case .held(_, let holder): return "another vidmake build of this vidfile is running (\(holder)); wait for it to finish, or stop it"
            case .heldByBuild(_, let holder): return "a vidmake build of this vidfile is running (\(holder)); wait for it to finish before running the emitted build"
            case .io(let s): return s
            }
        }
    }

    public init(root: String, key: String, shared: Bool = false) throws(Failure) {
        let dir = root + "/locks"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        path = dir + "/" + key + ".lock"
        self.shared = shared
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0 else {
            let note = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            if shared { throw .heldByBuild(path: path, holder: note.isEmpty ? "lock \(path)" : note) }
            // Shared holders write no note: an emitted build's steps are running.
            throw .held(path: path, holder: note.isEmpty ? "steps of an emitted Ninja or shell build" : note)
        }
        guard !shared else { return }
        let note = "pid \(getpid()), started \(ISO8601DateFormatter().string(from: Date()))\n"
        ftruncate(fd, 0)
        _ = note.withCString { write(fd, $0, strlen($0)) }
    }

    deinit {
        if !shared { ftruncate(fd, 0) }
        flock(fd, LOCK_UN)
        close(fd)
    }
}
