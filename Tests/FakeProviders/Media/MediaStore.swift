import Foundation

/// Process-wide caches of the expensive media: encoded PNGs (a few MB each) and ffmpeg-made MP4s.
/// Shared by every server in the process so tests that start many servers pay once.
final class MediaStore: @unchecked Sendable {
    static let shared = MediaStore()

    private struct ImageKey: Hashable {
        var width: Int, height: Int, colour: PNG.Colour
    }

    /// Encoded images kept at most; the oldest goes first.
    private static let imageCapacity = 12

    private let lock = NSLock()
    private var images: [ImageKey: Data] = [:]
    private var imageOrder: [ImageKey] = []
    /// Held while ffmpeg runs, so concurrent first requests make each video once.
    private let videoLock = NSLock()
    private var videos: [Int: Data] = [:]

    /// A PNG of that size painted in the palette colour `hash` picks.
    func png(width: Int, height: Int, hash: UInt64) -> Data {
        let key = ImageKey(width: width, height: height, colour: PNG.palette[Int(hash % UInt64(PNG.palette.count))])
        if let cached = lock.withLock({ images[key] }) { return cached }
        let png = PNG.encode(width: key.width, height: key.height, colour: key.colour)
        lock.withLock {
            if images[key] == nil {
                images[key] = png
                imageOrder.append(key)
                if imageOrder.count > Self.imageCapacity { images[imageOrder.removeFirst()] = nil }
            }
        }
        return png
    }

    /// An MP4 (H.264, yuv420p, 640x360, 25 fps) of `seconds`, made once with ffmpeg's `testsrc2`.
    func mp4(seconds: Int) throws -> Data {
        videoLock.lock()
        defer { videoLock.unlock() }
        if let cached = videos[seconds] { return cached }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fake-providers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("video.mp4")
        let log = folder.appendingPathComponent("ffmpeg.log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw ServerError(description: "cannot create \(log.path)")
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.ffmpegPath)
        process.arguments = [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=\(seconds)",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
            output.path,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let video = try? Data(contentsOf: output) else {
            let message = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw ServerError(description: "ffmpeg failed (\(process.terminationStatus)): \(message)")
        }
        videos[seconds] = video
        return video
    }

    /// ffmpeg on PATH, else /usr/bin/ffmpeg.
    private static let ffmpegPath: String = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/ffmpeg"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/bin/ffmpeg"
    }()
}
