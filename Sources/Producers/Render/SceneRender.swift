import Foundation
import Planner
import RecipeParser

/// `local/ffmpeg` for one segment: its scene as a video of its own — the stills with Ken Burns
/// motion (or the clip, conformed to the frame), its subtitles burned in when asked — long
/// enough for its narration, plus the outgoing transition. The assembly cuts the scenes at
/// their keyframes and joins them without re-encoding, so an edit to one segment re-renders
/// one scene.
///
/// Inputs: `audio` (the narration: its length sets the scene's), `text` (the narration's words,
/// for subtitles when the speech engine reported no word times), and either `image` (stills,
/// gathered) or `clip` (a video). Options: `length` (the scene's least length, default 10 s)
/// and `lead` (silence before the voice, default 0.5 s).
struct SceneRender {
    static let trail = 0.5

    func run(_ job: Job) throws(ProducerError) -> Produced {
        guard job.step.outputs.count == 1, let out = job.step.outputs.first, out.type == .video else {
            throw ProducerError("a scene makes one video; \(job.step.id) declares \(job.step.outputs.map(\.artifact.description).joined(separator: ", "))")
        }
        let r = job.render
        let (width, height) = Encoding.frame(r)
        let fps = r.fps
        let length = Self.seconds(job.options["length"]) ?? 10
        let lead = Self.seconds(job.options["lead"]) ?? 0.5

        // The narration decides the length.
        var narration = 0.0
        var words: [TimedWord] = []
        var timing = "none"
        if let audio = job.files("audio").first {
            narration = try Media.duration(audio.path, cancel: job.cancel)
            if let reported = WordTiming.reported(audio) {
                (words, timing) = reported
            } else if let text = try job.text("text") {
                words = WordTiming.spread(text, from: 0, to: narration)
                timing = "estimate"
            }
        }
        let own = max(length, lead + narration + Self.trail)
        let transitionFrames = r.transition.name == "cut" ? 0 : Int((r.transition.duration.seconds * Double(fps)).rounded())
        let ownFrames = Int((own * Double(fps)).rounded(.up))
        let frames = ownFrames + transitionFrames
        let shifted = words.map { TimedWord(text: $0.text, start: $0.start + lead, end: $0.end + lead) }

        var args = Encoding.ffmpeg
        var graph: [String] = []
        var media: [String] = []
        var shares: [Double] = []
        let stills = job.files("image")
        if let clip = job.files("clip").first {
            // A clip: filled to the frame, at the frame rate, looped if short, cut to length.
            args += ["-stream_loop", "-1", "-i", "file:" + clip.path]
            graph.append("[0:v]scale=\(width):\(height):force_original_aspect_ratio=increase,crop=\(width):\(height),setsar=1,fps=\(fps),format=yuv420p,trim=end_frame=\(frames),setpts=PTS-STARTPTS[v0]")
            media = [clip.ref.description]
            shares = [Double(frames) / Double(fps)]
        } else if !stills.isEmpty {
            // Stills share the scene; each moves its own way, and a short dissolve joins them.
            let k = stills.count
            let blend = k > 1 ? min(Int(0.4 * Double(fps)), frames / (2 * k)) : 0
            let each = (frames + (k - 1) * blend) / k
            let upscale = r.quality == .draft ? 1 : 2
            for (i, still) in stills.enumerated() {
                let n = i == k - 1 ? frames + (k - 1) * blend - each * (k - 1) : each
                args += ["-f", "image2", "-pattern_type", "none", "-i", "file:" + still.path]
                let move = CameraMove.chosen(by: "\(job.step.id)/\(still.ref)")
                graph.append("[\(i):v]trim=end_frame=1,scale=\(width * upscale):\(height * upscale):force_original_aspect_ratio=increase,crop=\(width * upscale):\(height * upscale),setsar=1,format=yuv420p,"
                             + move.zoompan(frames: n, width: width, height: height, fps: fps, amplitude: 0.6) + ",setsar=1,settb=AVTB[s\(i)]")
                media.append(still.ref.description)
                shares.append(Double(n) / Double(fps))
            }
            var last = "s0"
            var offset = 0
            for i in 1..<max(1, k) {
                offset += each - blend
                graph.append("[\(last)][s\(i)]xfade=transition=fade:duration=\(Encoding.seconds(Double(blend) / Double(fps))):offset=\(Encoding.seconds(Double(offset) / Double(fps)))[x\(i)]")
                last = "x\(i)"
            }
            graph.append("[\(last)]format=yuv420p[v0]")
        } else {
            // Nothing to show: a dark frame (the narration still plays).
            args += ["-f", "lavfi", "-i", "color=c=0x101010:s=\(width)x\(height):r=\(fps)"]
            graph.append("[0:v]format=yuv420p[v0]")
            media = []
            shares = []
        }

        // Subtitles burned in: an ASS file of this scene's words, drawn by libass, in the style
        // asked for at the size asked for (a draft scales it with the frame).
        var final = "v0"
        var burned: Data?
        if r.subtitles == .burn, !shifted.isEmpty {
            try Fonts.check(family: r.subtitleStyle.font, cancel: job.cancel)
            let ass = job.workDir + "/subtitles.ass"
            let style = SubtitleStyle(r.subtitleStyle, scale: Double(height) / Double(max(1, r.size.height)))
            let cues = Subtitles.cues(shifted, maxLineLength: style.maxLine)
            let text = Subtitles.ass(cues, width: width, height: height, style: style, karaoke: r.karaoke)
            burned = Data(text.utf8)
            guard FileManager.default.createFile(atPath: ass, contents: burned) else { throw ProducerError("cannot write \(ass)") }
            graph.append("[v0]ass=filename=\(FFmpegEscape.path(ass))[v1]")
            final = "v1"
        }

        let script = job.workDir + "/scene.filtergraph"
        guard FileManager.default.createFile(atPath: script, contents: Data(graph.joined(separator: ";\n").utf8)) else {
            throw ProducerError("cannot write \(script)")
        }
        let mp4 = job.outputPath(out.artifact, ext: "mp4")
        // Keyframes where the assembly cuts: after the incoming transition, and where the outgoing one starts.
        let keys = "expr:eq(n,\(transitionFrames))+eq(n,\(ownFrames))"
        args += ["-filter_complex_script", script, "-map", "[\(final)]", "-frames:v", String(frames), "-an", "-r", String(fps),
                 "-force_key_frames", keys] + Encoding.video(r) + ["-f", "mp4", "file:" + mp4]
        try Subprocess.check(args, cancel: job.cancel, timeout: 1800, log: job.log)
        guard Media.sniffExtension(mp4) == "mp4" else { throw ProducerError("ffmpeg wrote no scene for \(job.step.id)") }

        let layout = SceneLayout(frames: frames, transitionFrames: transitionFrames, fps: fps, lead: lead, narration: narration,
                                 words: shifted, timing: timing, media: media, mediaSeconds: shares)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(layout) else { throw ProducerError("cannot encode the layout of \(job.step.id)") }
        var extras = ["layout": data]
        // The ASS file burned in, kept with the scene: what libass was asked to draw, for whoever
        // wonders why a subtitle looks as it does (the work folder is gone after the step).
        if let burned { extras["subtitles"] = burned }
        return Produced(files: [out.artifact: mp4], extras: extras)
    }

    static func seconds(_ v: Value?) -> Double? {
        switch v {
        case .duration(let t)?: return t.seconds
        case .int(let n)?: return Double(n)
        case .number(let d)?: return d
        default: return nil
        }
    }
}
