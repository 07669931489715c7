import Foundation
import Planner
import RecipeParser

/// `local/ffmpeg` for the whole video: joins the scenes (cut at their keyframes and copied, with
/// only the transitions between them encoded), places every narration exactly, lays the music
/// bed under it (looped, faded, ducked), brings the loudness to the target (measured, then a
/// fixed gain, through a limiter if the peaks need one; the result measured again), and writes the
/// subtitles (SRT and WebVTT), the timeline (JSON and OpenTimelineIO) and the metadata.
///
/// Inputs: `scene`, `clip_scene`, `animation_scene` (scenes by segment, gathered; each carries its
/// layout), `audio` (the narrations), `music`, `title`, `summary`. Outputs by name: `video`,
/// `subtitles` (SRT), `captions` (WebVTT), `timeline` (JSON), `otio`, `metadata`.
struct Assembly {
    struct Scene {
        var index: Int
        var file: ArtifactFile
        var layout: SceneLayout
        var narration: ArtifactFile?
        /// First frame in the final video.
        var startFrame = 0
    }

    func run(_ job: Job) throws(ProducerError) -> Produced {
        let r = job.render
        let fps = r.fps
        let (width, height) = Encoding.frame(r)
        var byIndex: [Int: Scene] = [:]
        for name in ["scene", "clip_scene", "animation_scene"] {
            for f in job.files(name) {
                guard let i = f.ref.index.first else { continue }
                guard let path = f.extras["layout"], let data = FileManager.default.contents(atPath: path),
                      let layout = try? JSONDecoder().decode(SceneLayout.self, from: data) else {
                    throw ProducerError("scene \(f.ref) has no layout", help: "rebuild it: vidmake build --force \(f.ref.name)")
                }
                byIndex[i] = Scene(index: i, file: f, layout: layout)
            }
        }
        guard !byIndex.isEmpty else { throw ProducerError("there are no scenes to assemble") }
        for a in job.files("audio") { if let i = a.ref.index.first { byIndex[i]?.narration = a } }
        var scenes = byIndex.keys.sorted().compactMap { byIndex[$0] }
        for s in scenes where s.layout.fps != fps {
            throw ProducerError("scene \(s.file.ref) was made at \(s.layout.fps) fps, the render is at \(fps)")
        }

        // Where each scene starts: the previous one's own length later.
        var frame = 0
        for i in scenes.indices {
            scenes[i].startFrame = frame
            frame += scenes[i].layout.ownFrames
        }
        let totalFrames = frame
        let total = Double(totalFrames) / Double(fps)
        let transitionFrames = scenes[0].layout.transitionFrames

        // Video: bodies copied, transitions encoded; the audio is mixed meanwhile (work on both cores).
        let list = job.workDir + "/scenes.ffconcat"
        var concat = "ffconcat version 1.0\n"
        let audio = job.workDir + "/audio.m4a"
        // Every transition in one file (one encoder start, not one per transition), each starting on a keyframe.
        let transitions = job.workDir + "/transitions.mp4"
        let t = Double(transitionFrames) / Double(fps)
        for (k, s) in scenes.enumerated() {
            if k > 0 && transitionFrames > 0 {
                concat += "file \(Self.quoted(transitions))\n"
                if k > 1 { concat += "inpoint \(Encoding.seconds(Double(k - 1) * t + 0.000_001))\n" }
                concat += "outpoint \(Encoding.seconds(Double(k) * t - 0.000_001))\n"
            }
            concat += "file \(Self.quoted(s.file.path))\n"
            // Just past the keyframe when cutting in, so the demuxer starts at it, not the one before.
            if k > 0 && transitionFrames > 0 { concat += "inpoint \(Encoding.seconds(t + 0.000_001))\n" }
            concat += "outpoint \(Encoding.seconds(Double(s.layout.ownFrames) / Double(fps) - 0.000_001))\n"
        }
        guard FileManager.default.createFile(atPath: list, contents: Data(concat.utf8)) else { throw ProducerError("cannot write \(list)") }
        // The audio is mixed while the transitions encode: work on both cores.
        let work: [Work] = scenes.count > 1 && transitionFrames > 0 ? [.audio, .transitions(transitions)] : [.audio]
        let loudness = try perform(work, scenes: scenes, total: total, audio: audio, job: job)

        let outputs = Dictionary(job.step.outputs.map { ($0.artifact.name, $0.artifact) }, uniquingKeysWith: { a, _ in a })
        var produced = Produced()
        if let ref = outputs["video"] {
            let mp4 = job.outputPath(ref, ext: "mp4")
            try Subprocess.check(Encoding.ffmpeg + ["-f", "concat", "-safe", "0", "-i", "file:" + list, "-i", "file:" + audio,
                                                    "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-t", Encoding.seconds(total),
                                                    "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact",
                                                    "-f", "mp4", "file:" + mp4],
                                 cancel: job.cancel, timeout: 1800, log: job.log)
            let streams = try Media.streams(mp4, cancel: job.cancel)
            guard streams.contains("video"), streams.contains("audio") else {
                throw ProducerError("the rendered file lacks a stream: it has \(streams.joined(separator: ", "))")
            }
            produced.files[ref] = mp4
        }

        // The timeline every writer describes.
        let timeline = try self.timeline(scenes, total: total, width: width, height: height, job: job)
        let cues = Subtitles.cues(timeline.words, maxLineLength: r.subtitleStyle.maxLine)
        func write(_ text: String, _ name: String, _ ext: String) throws(ProducerError) {
            guard let ref = outputs[name] else { return }
            let path = job.outputPath(ref, ext: ext)
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw ProducerError("cannot write \(path)") }
            produced.files[ref] = path
        }
        try write(Subtitles.srt(cues), "subtitles", "srt")
        try write(Subtitles.webVTT(cues), "captions", "vtt")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        if let data = try? encoder.encode(timeline) { try write(String(decoding: data, as: UTF8.self) + "\n", "timeline", "json") }
        try write(OTIO.json(timeline, name: timeline.title), "otio", "otio")
        try write(Metadata.json(timeline, tags: Metadata.tags(title: timeline.title, summary: timeline.summary)), "metadata", "json")
        if let extra = job.step.outputs.first(where: { produced.files[$0.artifact] == nil }) {
            throw ProducerError("local/ffmpeg cannot make \(extra.artifact)",
                                help: "the assembly makes video, subtitles (SRT), captions (WebVTT), timeline, otio and metadata")
        }
        produced.extras["loudness"] = Data(String(format: "{\"integrated\":%.2f}", loudness).utf8)
        return produced
    }

    /// The transitions between consecutive scenes (dissolves or other xfades), one after the
    /// other in one file, encoded like the scenes so that they join them without re-encoding;
    /// each starts on a keyframe, where the concat list cuts it.
    func transitions(_ scenes: [Scene], into path: String, job: Job) throws(ProducerError) {
        let r = job.render
        let t = scenes[0].layout.transitionFrames
        let fps = Double(r.fps)
        var inputs: [String] = []
        var graph: [String] = []
        var joined = ""
        for k in 1..<scenes.count {
            let a = scenes[k - 1], b = scenes[k]
            // The outgoing scene from its keyframe at `ownFrames`: a seek a quarter frame past it
            // lands on that keyframe, and without accurate seeking nothing after it is dropped.
            let seek = Encoding.seconds((Double(a.layout.ownFrames) + 0.25) / fps)
            let length = Encoding.seconds(Double(t) / fps)
            inputs += ["-noaccurate_seek", "-ss", seek, "-t", length, "-i", "file:" + a.file.path, "-t", length, "-i", "file:" + b.file.path]
            let i = 2 * (k - 1)
            graph.append("[\(i):v]trim=end_frame=\(t),setpts=PTS-STARTPTS,settb=AVTB[a\(k)]")
            graph.append("[\(i + 1):v]trim=end_frame=\(t),setpts=PTS-STARTPTS,settb=AVTB[b\(k)]")
            graph.append("[a\(k)][b\(k)]xfade=transition=\(r.transition.name):duration=\(length):offset=0,format=yuv420p[x\(k)]")
            joined += "[x\(k)]"
        }
        graph.append(joined + "concat=n=\(scenes.count - 1):v=1:a=0[v]")
        let script = job.workDir + "/transitions.filtergraph"
        guard FileManager.default.createFile(atPath: script, contents: Data(graph.joined(separator: ";\n").utf8)) else {
            throw ProducerError("cannot write \(script)")
        }
        try Subprocess.check(Encoding.ffmpeg + inputs + ["-filter_complex_script", script, "-map", "[v]", "-frames:v", String(t * (scenes.count - 1)),
                                                         "-an", "-r", String(r.fps), "-force_key_frames", "expr:eq(mod(n,\(t)),0)"]
                                 + Encoding.video(r) + ["-f", "mp4", "file:" + path],
                             cancel: job.cancel, timeout: 900, log: job.log)
    }

    /// Mixes the narrations at their places with the music bed, brings the mix to the target
    /// loudness, and encodes AAC. Returns the integrated loudness reached.
    func mix(_ scenes: [Scene], total: Double, into path: String, job: Job) throws(ProducerError) -> Double {
        let r = job.render
        let fps = Double(r.fps)
        var inputs: [String] = []
        var graph: [String] = []
        var voices: [String] = []
        for s in scenes {
            guard let n = s.narration else { continue }
            let k = inputs.count / 2
            inputs += ["-i", "file:" + n.path]
            let ms = Int(((Double(s.startFrame) / fps + s.layout.lead) * 1000).rounded())
            graph.append("[\(k):a]aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,adelay=\(ms):all=1[n\(k)]")
            voices.append("[n\(k)]")
        }
        let end = Encoding.seconds(total)
        if voices.isEmpty {
            graph.append("anullsrc=r=48000:cl=stereo,atrim=0:\(end)[voice]")
        } else {
            graph.append(voices.joined() + "amix=inputs=\(voices.count):normalize=0:duration=longest,apad,atrim=0:\(end)[voice]")
        }
        var out = "voice"
        if let music = job.files("music").first, let gain = r.music.gainDB {
            let k = inputs.count / 2
            inputs += ["-stream_loop", "-1", "-i", "file:" + music.path]
            let fadeOut = min(3, total / 4)
            graph.append("[\(k):a]aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,atrim=0:\(end),asetpts=PTS-STARTPTS,volume=\(Encoding.seconds(gain))dB,"
                         + "afade=t=in:d=\(Encoding.seconds(min(2, total / 4))),afade=t=out:st=\(Encoding.seconds(total - fadeOut)):d=\(Encoding.seconds(fadeOut))[bed]")
            if r.music.duck && !voices.isEmpty {
                graph.append("[voice]asplit=2[v1][sc]")
                graph.append("[bed][sc]sidechaincompress=threshold=0.02:ratio=6:attack=60:release=700[ducked]")
                graph.append("[v1][ducked]amix=inputs=2:normalize=0:duration=first[mix]")
            } else {
                graph.append("[voice][bed]amix=inputs=2:normalize=0:duration=first[mix]")
            }
            out = "mix"
        }
        // Pass 1 mixes, once, into a float WAV that the passes after it read (no clipping, and
        // no second decode of every narration), measuring the mix on the way: EBU R128
        // integrated loudness and true peak.
        let mixed = job.workDir + "/mix.wav"
        let mixGraph = (graph + ["[\(out)]ebur128=peak=true:framelog=verbose[a]"]).joined(separator: ";")
        let m = try Subprocess.run(Self.measuring + inputs + ["-filter_complex", mixGraph, "-map", "[a]", "-c:a", "pcm_f32le",
                                                              "-fflags", "+bitexact", "-f", "wav", "file:" + mixed],
                                   cancel: job.cancel, timeout: 900, log: job.log)
        guard m.status == 0, let measured = Self.ebur128Summary(m.stderr) else {
            throw ProducerError("could not mix and measure the audio:\n" + Subprocess.lastLines(m.stderr, 6))
        }
        // Then a fixed gain brings the mix to the target: it keeps the mix as it was made
        // (loudnorm's dynamic mode would pump it), with a limiter only if the peaks would come
        // too near the ceiling, and then the gain that reaches the target through the limiter.
        var level = "anull"
        if measured.integrated > -70 {
            let gain = r.loudness - measured.integrated
            if measured.truePeak + gain > Self.truePeakCeiling - Self.codecHeadroom {
                level = Self.level(try limitedGain(from: gain, target: r.loudness, mix: mixed, job: job), limit: true)
            } else {
                level = Self.level(gain, limit: false)
            }
        }
        // The encode measures what it encodes, so the loudness reported is the video's, not a hope.
        let encode = try Subprocess.run(Self.measuring + ["-i", "file:" + mixed, "-af",
                                                          "\(level),ebur128=framelog=verbose,aresample=48000,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo",
                                                          "-c:a", "aac", "-b:a", "192k", "-map_metadata", "-1", "-fflags", "+bitexact",
                                                          "-flags:a", "+bitexact", "-f", "mp4", "file:" + path],
                                        cancel: job.cancel, timeout: 900, log: job.log)
        guard encode.status == 0 else {
            throw ProducerError("ffmpeg exited with status \(encode.status) encoding the audio:\n" + Subprocess.lastLines(encode.stderr, 8))
        }
        return Self.ebur128Summary(encode.stderr)?.integrated ?? .nan
    }

    /// ffmpeg for a pass whose stderr is read for the ebur128 summary (logged at info level).
    static let measuring = ["ffmpeg", "-nostdin", "-y", "-hide_banner", "-nostats", "-v", "info"]

    /// The highest true peak the video's audio may have, dBTP.
    static let truePeakCeiling = -1.5
    /// How far under the ceiling the mix is kept before AAC encodes it: the encoder adds to the
    /// peaks, by half a dB at 192 kb/s on the example's limited speech (measured with ebur128
    /// before and after), and by nearly a dB when the limiter is driven hard.
    static let codecHeadroom = 0.5

    /// The filter that applies `gain` dB, then, if asked, holds sample peaks half a dB further
    /// under the ceiling (-2.5 dBFS), room for the peaks between samples.
    static func level(_ gain: Double, limit: Bool) -> String {
        let hold = pow(10, (truePeakCeiling - codecHeadroom - 0.5) / 20)
        return "volume=\(String(format: "%.3f", gain))dB"
            + (limit ? ",alimiter=limit=\(String(format: "%.4f", hold)):attack=5:release=50:level=disabled" : "")
    }

    /// The gain (dB) that brings the mix to `target` through the limiter, starting from the gain
    /// that would without it. A limiter takes loudness away with the peaks — 0.5 to 0.8 LU on the
    /// example's speech — and takes more the harder it is driven, so making up the shortfall once
    /// closes only about half of it. So the gain is found by measuring the limited mix: the
    /// shortfall added once, then the secant through the last two measurements, until a
    /// measurement is within 0.1 LU, three at most, each a pass over the mixed WAV (a quarter of
    /// a second per minute of audio). The best gain measured wins; it is never raised more than
    /// 6 dB, and a limiter that no longer gives loudness for gain ends the search.
    func limitedGain(from start: Double, target: Double, mix: String, job: Job) throws(ProducerError) -> Double {
        var tried: [(gain: Double, loudness: Double)] = []
        var gain = start
        for _ in 0..<3 {
            let reached = try loudness(of: mix, Self.level(gain, limit: true), job: job)
            job.log(String(format: "loudness: %+.2f dB and the limiter give %.1f LUFS (target %.1f)", gain, reached, target))
            tried.append((gain, reached))
            guard reached > -70, abs(target - reached) > 0.1 else { break }
            var step = target - reached
            if tried.count > 1 {
                let (a, b) = (tried[tried.count - 2], tried[tried.count - 1])
                guard b.loudness - a.loudness > 0.05 else { break }
                step *= (b.gain - a.gain) / (b.loudness - a.loudness)
            }
            gain = min(start + 6, gain + step)
        }
        return tried.min { abs(target - $0.loudness) < abs(target - $1.loudness) }?.gain ?? start
    }

    /// The integrated loudness of an audio file after `filter`.
    func loudness(of file: String, _ filter: String, job: Job) throws(ProducerError) -> Double {
        let r = try Subprocess.run(Self.measuring + ["-i", "file:" + file, "-af", filter + ",ebur128=framelog=verbose", "-f", "null", "-"],
                                   cancel: job.cancel, timeout: 900, log: job.log)
        guard r.status == 0, let summary = Self.ebur128Summary(r.stderr) else {
            throw ProducerError("could not measure the limited mix's loudness:\n" + Subprocess.lastLines(r.stderr, 6))
        }
        return summary.integrated
    }

    /// Integrated loudness (LUFS) and true peak (dBTP) from the summary `ebur128=peak=true` prints.
    static func ebur128Summary(_ stderr: String) -> (integrated: Double, truePeak: Double)? {
        guard let summary = stderr.range(of: "Summary:", options: .backwards) else { return nil }
        var integrated: Double?
        var peak: Double?
        var inTruePeak = false
        for line in stderr[summary.upperBound...].split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("True peak") { inTruePeak = true }
            let number = t.split(separator: " ").dropFirst().compactMap { Double($0) }.first
            if t.hasPrefix("I:") { integrated = number }
            if inTruePeak && t.hasPrefix("Peak:") { peak = number }
        }
        guard let integrated else { return nil }
        return (integrated, peak ?? 0)
    }

    enum Work {
        case audio
        /// Every transition, into one file.
        case transitions(String)
    }

    /// Does the pieces of work on the machine's cores (each runs its own ffmpeg); the first
    /// failure wins. Returns the loudness the audio mix reached.
    func perform(_ work: [Work], scenes: [Scene], total: Double, audio: String, job: Job) throws(ProducerError) -> Double {
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: work.count) { i in
            do throws(ProducerError) {
                switch work[i] {
                case .audio: results.loudness(try mix(scenes, total: total, into: audio, job: job))
                case .transitions(let path): try transitions(scenes, into: path, job: job)
                }
            } catch {
                results.fail(i, error)
            }
        }
        if let e = results.firstFailure { throw e }
        return results.loudnessValue
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var failures: [Int: ProducerError] = [:]
        private var lufs = Double.nan
        func fail(_ i: Int, _ e: ProducerError) { lock.withLock { failures[i] = e } }
        func loudness(_ v: Double) { lock.withLock { lufs = v } }
        var firstFailure: ProducerError? { lock.withLock { failures.keys.min().flatMap { failures[$0] } } }
        var loudnessValue: Double { lock.withLock { lufs } }
    }

    func timeline(_ scenes: [Scene], total: Double, width: Int, height: Int, job: Job) throws(ProducerError) -> Timeline {
        let fps = Double(job.render.fps)
        let names = ArtifactNames.described(job.step)
        func name(_ f: ArtifactFile) -> String { Self.name(of: f, names) }
        var out: [Timeline.Scene] = []
        for s in scenes {
            let start = Double(s.startFrame) / fps
            var t = start
            var media: [Timeline.Media] = []
            for (artifact, share) in zip(s.layout.media, s.layout.mediaSeconds) {
                media.append(Timeline.Media(kind: s.file.ref.name == "scene" ? .still : .clip, artifact: artifact, path: name(s.file), start: t, duration: share))
                t += share
            }
            var narration: Timeline.Narration?
            if let n = s.narration {
                let text = s.layout.words.map(\.text).joined(separator: " ")
                narration = Timeline.Narration(artifact: n.ref.description, path: name(n), start: start + s.layout.lead, duration: s.layout.narration,
                                               text: text, words: s.layout.words.map { TimedWord(text: $0.text, start: $0.start + start, end: $0.end + start) },
                                               timing: s.layout.timing)
            }
            out.append(Timeline.Scene(index: s.index, start: start, duration: Double(s.layout.frames) / fps, media: media, narration: narration))
        }
        let music = job.files("music").first.map { Timeline.Music(artifact: $0.ref.description, path: name($0), gainDB: job.render.music.gainDB ?? 0, duck: job.render.music.duck) }
        let title = (try job.text("title"))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let summary = (try job.text("summary"))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let tr = job.render.transition
        return Timeline(title: title.isEmpty ? "Untitled" : title, summary: summary, width: width, height: height, fps: job.render.fps,
                        transition: tr.name, transitionSeconds: tr.name == "cut" ? 0 : Double(scenes[0].layout.transitionFrames) / fps,
                        duration: total, scenes: out, music: music)
    }

    /// How the timeline and the OpenTimelineIO file name an input: by its readable name, relative
    /// to the tree the build writes (`out/NAME/`, or `build/NAME/` for an emitted build), with the
    /// extension its content calls for, as that tree names the file (`segments/03/narration.wav`).
    /// So the same inputs give the same bytes in any checkout, and the files open where they lie.
    /// The store path the render read would differ from one checkout to the next; it is used only
    /// for a job planned without names (made by hand, not by the planner).
    static func name(of file: ArtifactFile, _ names: [String: String]) -> String {
        guard let base = names[file.ref.description] else { return file.path }
        return base + "." + Media.fileExtension(file.type, file: file.path)
    }

    /// A path in an ffconcat list: single-quoted, a `'` written as `'\''`.
    static func quoted(_ path: String) -> String {
        "'" + ("file:" + path).replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
