import Foundation

/// What a media file is, by its first bytes, whatever its name says. One rule for the checker
/// (a vidfile's picture must be a picture before anything runs) and for every producer that
/// names or accepts a file (`Media.sniffExtension`).
public enum MediaSniff {
    /// The file's format as an extension (`png`, `jpg`, `webp`, `gif`, `wav`, `mp3`, `flac`,
    /// `ogg`, `m4a`, `mp4`, `mkv`), or nil when the bytes are none of these.
    public static func format(ofFileAt path: String) -> String? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        return format(of: [UInt8]((try? h.read(upToCount: 16)) ?? Data()))
    }

    public static func format(of b: [UInt8]) -> String? {
        func at(_ i: Int, _ s: String) -> Bool { b.count >= i + s.utf8.count && Array(b[i..<i + s.utf8.count]) == Array(s.utf8) }
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "png" }
        if b.starts(with: [0xFF, 0xD8, 0xFF]) { return "jpg" }
        if at(0, "RIFF") && at(8, "WEBP") { return "webp" }
        if at(0, "RIFF") && at(8, "WAVE") { return "wav" }
        if at(0, "ID3") || (b.count > 1 && b[0] == 0xFF && (b[1] & 0xE0) == 0xE0) { return "mp3" }
        if at(0, "fLaC") { return "flac" }
        if at(0, "OggS") { return "ogg" }
        if at(4, "ftyp") { return at(8, "M4A ") ? "m4a" : "mp4" }
        if b.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return "mkv" }
        if at(0, "GIF8") { return "gif" }
        return nil
    }

    /// The formats a file of `type` may hold, in the words a message uses.
    public static func formats(for type: ArtifactType) -> (Set<String>, String)? {
        switch type {
        case .image: return (["png", "jpg", "webp", "gif"], "PNG, JPEG, WebP or GIF")
        case .audio: return (["wav", "mp3", "flac", "ogg", "m4a"], "WAV, MP3, FLAC, Ogg or M4A")
        case .video: return (["mp4", "mkv"], "MP4 (or MOV) or Matroska")
        default: return nil
        }
    }

    /// Why the file at `path` cannot be a `type` artifact, by its bytes — "photos/a.png is not an
    /// image: its bytes are not PNG, JPEG, WebP or GIF" — or nil when it can. Video is told by its
    /// container only where the bytes say one (old QuickTime files carry no signature).
    public static func mismatch(_ path: String, shown: String, as type: ArtifactType) -> String? {
        guard let (ok, words) = formats(for: type) else { return nil }
        let found = format(ofFileAt: path)
        if type == .video, found == nil, ["mov", "webm"].contains((path as NSString).pathExtension.lowercased()) { return nil }
        if let found, ok.contains(found) { return nil }
        let article = type == .image ? "an image" : type == .audio ? "audio" : "a video"
        return "\(shown) is not \(article): its bytes are not \(words)"
            + (found.map { " (they are \($0 == "jpg" ? "JPEG" : $0.uppercased()))" } ?? "")
    }
}
