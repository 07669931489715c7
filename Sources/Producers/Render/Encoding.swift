import Foundation
import RecipeParser

/// The encoder settings every video piece of a render shares. Scenes, transitions and the final
/// file are cut and joined without re-encoding (the concat demuxer, `-c copy`), which works only
/// if every piece has the same stream parameters; so there is one place that says what they are.
enum Encoding {
    /// The frame the render works at: the vidfile's size, halved for a draft; both even.
    static func frame(_ r: RenderSettings) -> (width: Int, height: Int) {
        var w = r.size.width, h = r.size.height
        if r.quality == .draft { w /= 2; h /= 2 }
        return (max(2, w - w % 2), max(2, h - h % 2))
    }

    /// H.264 High, yuv420p, BT.709, no B-frames (so a piece can be cut exactly at a keyframe:
    /// decode order is display order), a fixed number of encoder threads, bit-exact, no metadata.
    static func video(_ r: RenderSettings) -> [String] {
        let speed = r.quality == .draft ? ["-preset", "ultrafast", "-crf", "28"] : ["-preset", "veryfast", "-crf", "21"]
        return ["-c:v", "libx264"] + speed + x264Threads + [
            "-bf", "0", "-g", String(r.fps * 10), "-pix_fmt", "yuv420p", "-profile:v", "high",
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
            "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
        ]
    }

    /// x264's frame threads. Left to itself x264 takes 1.5 threads per core it may run on
    /// (`sched_getaffinity`), and the number of frame threads changes what it encodes (each thread
    /// sees fewer finished frames to predict from and to plan the rate with) and is written into the
    /// stream's SEI (`threads=3`): the same scene came out different on a 4-core machine, under
    /// `taskset`, or in a container with fewer cores. A fixed number gives the same bytes everywhere;
    /// x264's output does not depend on how its threads are scheduled, only on how many there are.
    static let x264Threads = ["-threads", "4"]

    /// Common ffmpeg flags: no stdin, overwrite, errors only.
    static let ffmpeg = ["ffmpeg", "-nostdin", "-y", "-hide_banner", "-v", "error"]

    /// `%.6f` without trailing zeros, for ffmpeg options and concat lists.
    static func seconds(_ s: Double) -> String {
        var t = String(format: "%.6f", s)
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }
}

/// The layout of one scene, as its render step decided it and the assembly reads it (kept with
/// the scene as side data `layout`).
struct SceneLayout: Codable, Equatable {
    /// Frames of the whole scene video: its own length plus the outgoing transition.
    var frames: Int
    /// Frames of the transition at each end (0 for a cut).
    var transitionFrames: Int
    var fps: Int
    /// Seconds from the scene's start to the first word.
    var lead: Double
    /// Seconds of narration (0 without any).
    var narration: Double
    /// The narration's words, from the scene's start.
    var words: [TimedWord]
    /// `tts` or `estimate`.
    var timing: String
    /// Media shown, in order: artifact names and their share of the scene (seconds).
    var media: [String]
    var mediaSeconds: [Double]

    /// Frames of the scene's own length (where the next scene's transition begins).
    var ownFrames: Int { frames - transitionFrames }
}

/// Word times for a narration: the speech engine's when it reported them, else an estimate.
enum WordTiming {
    /// Reads the `words` side data of a speech artifact (`{"timing": …, "words": [{text, start, end}]}`).
    static func reported(_ file: ArtifactFile) -> (words: [TimedWord], timing: String)? {
        guard let path = file.extras["words"], let data = FileManager.default.contents(atPath: path),
              let o = try? JSONDecoder().decode(Reported.self, from: data), !o.words.isEmpty else { return nil }
        return (o.words, o.timing)
    }

    private struct Reported: Decodable {
        var timing: String
        var words: [TimedWord]
    }

    /// The estimate, when no engine reported times: the words of `text` spread over `start…end`,
    /// each getting a share in proportion to its number of characters (Unicode scalars).
    /// Seconds, to the millisecond.
    static func spread(_ text: String, from start: Double, to end: Double) -> [TimedWord] {
        let tokens = EspeakTiming.tokens(of: text)
        let total = tokens.reduce(0) { $0 + $1.count }
        guard total > 0 else { return [] }
        func seconds(_ characters: Int) -> Double {
            ((start + (end - start) * Double(characters) / Double(total)) * 1000).rounded() / 1000
        }
        var words: [TimedWord] = []
        var before = 0
        for token in tokens {
            words.append(TimedWord(text: token.text, start: seconds(before), end: seconds(before + token.count)))
            before += token.count
        }
        return words
    }
}
