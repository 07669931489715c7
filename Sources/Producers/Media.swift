import Foundation
import RecipeParser

/// Small facts about media files, from their bytes or from ffprobe.
public enum Media {
    /// The file extension a blob's content calls for: `png`, `jpg`, `webp`, `wav`, `mp3`, `mp4`…;
    /// `bin` when unknown.
    public static func sniffExtension(_ path: String) -> String? { MediaSniff.format(ofFileAt: path) }

    /// The extension of an artifact's file in `out/NAME/`: by type for text, JSON, subtitles and
    /// timelines (WebVTT and OpenTimelineIO told apart by their first bytes), by content for media.
    /// One rule for the tree a build writes and for the names the render writes into the timeline.
    public static func fileExtension(_ type: ArtifactType, file path: String) -> String {
        switch type {
        case .text: return "txt"
        case .json: return "json"
        case .timeline: return starts(path, with: "OTIO_SCHEMA", within: 64) ? "otio" : "json"
        case .subtitles: return starts(path, with: "WEBVTT", within: 8) ? "vtt" : "srt"
        case .image, .audio, .video: return sniffExtension(path) ?? "bin"
        }
    }

    /// Whether `marker` occurs in the first bytes of a file.
    static func starts(_ path: String, with marker: String, within n: Int) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        let head = (try? h.read(upToCount: n + marker.utf8.count)) ?? Data()
        return String(decoding: head, as: UTF8.self).contains(marker)
    }

    /// The duration in seconds of a media file, from ffprobe.
    public static func duration(_ path: String, cancel: CancelToken) throws(ProducerError) -> Double {
        let r = try Subprocess.check(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", "--", path],
                                     cancel: cancel, timeout: 60, captureStdout: true)
        let text = String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let d = Double(text), d.isFinite, d > 0 else {
            throw ProducerError("ffprobe reports no duration for \(path)")
        }
        return d
    }

    /// The streams of a media file (`video`, `audio`), from ffprobe; fails if ffprobe cannot read it.
    public static func streams(_ path: String, cancel: CancelToken) throws(ProducerError) -> [String] {
        let r = try Subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "default=nw=1:nk=1", "--", path],
                                   cancel: cancel, timeout: 60, captureStdout: true)
        guard r.status == 0 else { throw ProducerError("not a media file ffprobe can read: \(path)\n" + Subprocess.lastLines(r.stderr, 4)) }
        return String(decoding: r.stdout, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
    }
}
