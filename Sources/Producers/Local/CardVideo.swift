import Foundation
import Planner
import RecipeParser

/// `local/card` for video: a 5-second clip with a slow, eased Ken Burns move, offline.
///
/// Two modes:
/// - image to video, when the `image` input has a file: the picture is scaled and cropped to fill
///   the frame, then animated; `prompt`, if any, is the motion prompt.
/// - text to video otherwise: the card `CardImage` would draw for `prompt` and `style` (without
///   its inset frame line, which the moving camera would cut), animated.
///
/// The move — zoom in, zoom out, or a pan left, right, up or down — is the one the prompt names
/// ("push in", "zoom out", "pan left", "tilt up"…), else one chosen by a hash of the prompt (or of
/// the picture). It follows media-notes §1.1: the still is upscaled 4x before `zoompan` so the
/// crop window moves in quarter pixels (no wobble), and zoom and position are closed-form
/// smoothstep curves of the frame number. On a card the move is small enough to keep the text
/// inside the frame.
///
/// Output: H.264 (libx264, `-preset veryfast`: a draft-quality placeholder), yuv420p, BT.709
/// tagged, `render.fps`, no audio, `+faststart`, 5 s. The frame is `render.size` rounded down to
/// even numbers (4:2:0 chroma needs even dimensions), so 1001x777 gives 1000x776. Bit-exact flags
/// and no metadata make identical inputs give identical files on the same machine.
public struct CardVideo: Producer {
    public init() {}

    /// The length of a clip.
    static let seconds = 5

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        guard let out = job.step.outputs.first else { throw ProducerError("\(job.step.id) has no output") }
        let width = job.render.size.width & ~1, height = job.render.size.height & ~1
        guard (16...8192).contains(width), (16...8192).contains(height) else {
            throw ProducerError("\(job.step.id): a clip cannot be \(job.render.size)", help: "use a frame size between 16 and 8192 pixels a side")
        }
        let fps = job.render.fps
        guard (1...120).contains(fps) else { throw ProducerError("\(job.step.id): \(fps) frames per second is out of range", help: "use 1 to 120 fps") }

        let prompt = try job.text("prompt") ?? ""
        let still: String
        let motion: CameraMove
        let amplitude: Double
        if let image = job.files("image").first?.path {
            guard FileManager.default.fileExists(atPath: image) else { throw ProducerError("\(job.step.id): cannot read the image \(image)") }
            still = image
            motion = CameraMove.named(in: prompt) ?? CameraMove.chosen(by: prompt + (SHA256.hex(fileAt: image) ?? image))
            amplitude = 1
        } else {
            let design = try CardDesign(job: job)
            still = job.workDir + "/card.png"
            try design.render(width: width, height: height, border: false, to: still, job: job)
            motion = CameraMove.named(in: prompt) ?? CameraMove.chosen(by: prompt)
            amplitude = 0.5
        }

        let frames = CardVideo.seconds * fps
        let mp4 = job.outputPath(out.artifact, ext: "mp4")
        let w4 = 4 * width, h4 = 4 * height
        let graph = [
            // One picture, even if the file is animated (zoompan makes `d` frames per input frame).
            "[0:v]trim=end_frame=1",
            "scale=\(w4):\(h4):force_original_aspect_ratio=increase:out_color_matrix=bt709:out_range=tv",
            "crop=\(w4):\(h4)",
            "format=yuv420p",
            motion.zoompan(frames: frames, width: width, height: height, fps: fps, amplitude: amplitude),
            "setsar=1[v]",
        ].joined(separator: ",")
        try Subprocess.check(["ffmpeg", "-nostdin", "-y", "-v", "error",
                              "-f", "image2", "-pattern_type", "none", "-i", "file:" + still,
                              "-filter_complex", graph, "-map", "[v]", "-frames:v", String(frames), "-an",
                              "-c:v", "libx264", "-preset", "veryfast", "-crf", "20"] + Encoding.x264Threads + ["-pix_fmt", "yuv420p",
                              "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
                              "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags", "+bitexact",
                              "-f", "mp4", "file:" + mp4],
                             cancel: job.cancel, timeout: 600, log: job.log)
        guard Media.sniffExtension(mp4) == "mp4" else { throw ProducerError("ffmpeg wrote no clip for \(job.step.id)") }
        return Produced(files: [out.artifact: mp4])
    }
}

/// A camera move over a still: zoom and centre (as fractions of the picture) at the start and the
/// end, eased with smoothstep in between.
struct CameraMove: Equatable {
    var name: String
    var zoom: (from: Double, to: Double)
    /// Offsets of the centre from the middle, as a fraction of the picture's width and height.
    var dx: (from: Double, to: Double)
    var dy: (from: Double, to: Double)

    static func == (a: CameraMove, b: CameraMove) -> Bool { a.name == b.name }

    /// At full amplitude: zoom 1 to 1.2, pans at 1.2x across 14 % of the picture (the window of a
    /// 1.2x zoom can move ±8.3 % before zoompan clamps it).
    static let zoomIn = CameraMove(name: "zoom in", zoom: (1, 1.2), dx: (0, 0), dy: (0, 0))
    static let zoomOut = CameraMove(name: "zoom out", zoom: (1.2, 1), dx: (0, 0), dy: (0, 0))
    static let panLeft = CameraMove(name: "pan left", zoom: (1.2, 1.2), dx: (0.07, -0.07), dy: (0, 0))
    static let panRight = CameraMove(name: "pan right", zoom: (1.2, 1.2), dx: (-0.07, 0.07), dy: (0, 0))
    static let panUp = CameraMove(name: "pan up", zoom: (1.2, 1.2), dx: (0, 0), dy: (0.07, -0.07))
    static let panDown = CameraMove(name: "pan down", zoom: (1.2, 1.2), dx: (0, 0), dy: (-0.07, 0.07))
    static let all = [zoomIn, zoomOut, panLeft, panRight, panUp, panDown]

    /// The words of a motion prompt that name a move.
    static let phrases: [(String, CameraMove)] = [
        ("zoom in", zoomIn), ("push in", zoomIn), ("dolly in", zoomIn), ("move in", zoomIn), ("close in", zoomIn),
        ("zoom out", zoomOut), ("pull out", zoomOut), ("pull back", zoomOut), ("dolly out", zoomOut),
        ("pan left", panLeft), ("truck left", panLeft), ("pan right", panRight), ("truck right", panRight),
        ("pan up", panUp), ("tilt up", panUp), ("pan down", panDown), ("tilt down", panDown),
    ]

    /// The move the prompt names first, if any.
    static func named(in prompt: String) -> CameraMove? {
        let text = " " + CardText.tokens(prompt).joined(separator: " ") + " "
        return phrases
            .compactMap { phrase, move in text.range(of: " \(phrase) ").map { ($0.lowerBound, move) } }
            .min { $0.0 < $1.0 }?.1
    }

    /// A move chosen by the SHA-256 of a text.
    static func chosen(by text: String) -> CameraMove {
        all[Int(CardText.hash(text) % UInt64(all.count))]
    }

    /// The zoompan filter for this move over `frames` frames; `amplitude` scales the move (0.5 on
    /// a card: zoom to 1.1, pans of 7 %).
    func zoompan(frames: Int, width: Int, height: Int, fps: Int, amplitude: Double) -> String {
        // p = on/(N-1) runs 0…1 over the clip; smoothstep e = p²(3-2p).
        let p = "(on/\(max(1, frames - 1)))"
        let e = "(\(p)*\(p)*(3-2*\(p)))"
        func curve(_ a: Double, _ b: Double) -> String {
            "(" + String(format: "%.5f%+.5f", a, b - a) + "*" + e + ")"
        }
        func scaled(_ v: (from: Double, to: Double), around base: Double) -> (Double, Double) {
            (base + (v.from - base) * amplitude, base + (v.to - base) * amplitude)
        }
        let z = scaled(zoom, around: 1), x = scaled(dx, around: 0), y = scaled(dy, around: 0)
        return "zoompan=z='\(curve(z.0, z.1))'"
            + ":x='(0.5+\(curve(x.0, x.1)))*iw-iw/zoom/2'"
            + ":y='(0.5+\(curve(y.0, y.1)))*ih-ih/zoom/2'"
            + ":d=\(frames):s=\(width)x\(height):fps=\(fps)"
    }
}
