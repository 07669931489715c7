import Foundation
import Planner
import Producers

/// A per-minute limit shared by processes: the start times of a pool's calls in the last
/// minute, in a file of the state store (`limits/<pool>`), read and written under an `flock`.
/// `vidmake produce` takes a slot before each call of a step, so that the `produce` processes
/// a runner starts side by side (ninja -j) never start more calls in a minute than the pool
/// allows, as the in-process runner does not.
struct MinuteWindow {
    let path: String
    let limit: Int

    init(store root: String, pool: String, perMinute: Int) {
        path = root + "/limits/" + FileStateStore.sanitize(pool)
        limit = perMinute
    }

    /// Waits until a call may start, and records it.
    func acquire(cancel: CancelToken) throws(ProducerError) {
        while true {
            let wait: Double?
            do {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                wait = try take()
            } catch {
                throw ProducerError("cannot keep the per-minute limit in \(path): \(error)")
            }
            guard let wait else { return }
            try cancel.pause(wait)
        }
    }

    /// Records a start now if the window has room (nil); else the seconds until it has.
    private func take() throws -> Double? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StoreError.io("cannot lock \(path): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        lseek(fd, 0, SEEK_SET)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(buffer, count: n)
        }
        let now = Date().timeIntervalSince1970
        // One start time per line; anything unreadable (a torn write) is dropped.
        var starts = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { Double($0) }
            .filter { $0 <= now + 1 }.sorted()
        if let wait = Pool.minuteWait(&starts, limit: limit, now: now) { return wait }
        starts.append(now)
        let text = starts.map { String(format: "%.3f", $0) }.joined(separator: "\n") + "\n"
        ftruncate(fd, 0)
        let bytes = Array(text.utf8)
        guard pwrite(fd, bytes, bytes.count, 0) == bytes.count else { throw StoreError.io("cannot write \(path)") }
        return nil
    }
}
