import Foundation
import HTTP
import Planner
import RecipeParser

extension RemoteAPI {
    /// Fetches a provider's output file (a CDN URL, followed through redirects, sent no
    /// credentials) into `path`, then checks that it is whole media of the kind expected.
    /// Provider outputs expire (Replicate's within the hour), so this runs as soon as they exist.
    func download(_ url: String, to path: String, expect type: ArtifactType) throws(ProducerError) {
        guard let scheme = URLComponents(string: url)?.scheme, scheme == "https" || scheme == "http" else {
            throw ProducerError(redact("\(provider): the output is not a downloadable URL: \(RemoteAPI.excerpt(url))"))
        }
        var req = HTTPRequest(url: url)
        req.followRedirects = true
        req.responseFile = path
        req.timeout = timeout(900)
        req.maxResponseBytes = 4 << 30
        _ = try send(req, newCall: false)
        try MediaCheck.verify(path, as: type, from: provider.description, cancel: job.cancel)
    }
}

/// Provider output is checked before it becomes an artifact: an image that does not decode,
/// audio ffprobe rejects, a video cut short are failures (transient: a second call usually
/// gives a good file), never artifacts.
public enum MediaCheck {
    public static func verify(_ path: String, as type: ArtifactType, from provider: String, cancel: CancelToken) throws(ProducerError) {
        var st = stat()
        guard stat(path, &st) == 0, st.st_size > 0 else {
            throw ProducerError("\(provider) sent an empty file", transient: true)
        }
        let kind = Media.sniffExtension(path)
        let allowed: Set<String>
        switch type {
        case .image: allowed = ["png", "jpg", "webp", "gif"]
        case .audio: allowed = ["wav", "mp3", "flac", "ogg", "m4a", "mp4"]
        case .video: allowed = ["mp4", "mkv", "webm", "m4a", "gif"]
        default: return
        }
        guard let kind, allowed.contains(kind) else {
            throw ProducerError("\(provider) sent \(kind.map { "a \($0) file" } ?? "a file that is not media") where \(type.rawValue) was expected",
                                transient: true)
        }
        // Decode it all: a truncated or corrupt file fails here rather than in the render.
        var argv = ["ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", path]
        if type == .image { argv += ["-frames:v", "1"] }
        argv += ["-f", "null", "-"]
        let r = try Subprocess.run(argv, cancel: cancel, timeout: 300)
        guard r.status == 0 else {
            throw ProducerError("\(provider) sent a \(kind) file that does not decode: " + Subprocess.lastLines(r.stderr, 2), transient: true)
        }
        if type != .image {
            let streams = try Media.streams(path, cancel: cancel)
            let need = type == .audio ? "audio" : "video"
            guard streams.contains(need) else {
                throw ProducerError("\(provider) sent a \(kind) file with no \(need) stream", transient: true)
            }
        }
    }
}
