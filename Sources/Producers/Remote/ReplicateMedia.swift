import Foundation
import HTTP
import Planner
import RecipeParser

/// `replicate/<owner>/<name>` for image, video and music: any Replicate model, run through
/// `ReplicatePredictions`, with inputs built for the kind of step.
///
/// - image (FLUX and most image models): `prompt` (with `style` after a comma), `aspect_ratio`
///   (the one of `FrameAspect.replicateImage` nearest the frame), `num_outputs: 1`,
///   `output_format: png`; options `seed`, `num_inference_steps`, `output_format`.
/// - music (musicgen): `prompt` (the `prompt` input, else `mood`), `duration` (whole seconds: the
///   `duration` input, the video's length, capped by the `duration` option or 30 s; the render
///   loops a shorter bed), `output_format: wav`, and for musicgen `model_version` (option, default
///   `stereo-melody-large`) and `normalization_strategy: loudness`; option `seed`.
/// - video: `prompt` (with `style`). Image to video when the step has an `image` input: the still
///   goes as a `data:` URI (10 MB at most) in `first_frame_image` for MiniMax models, `start_image`
///   for Kling, `image` for others. Kling also gets `duration` (option, default 5) and, with no
///   image, the `aspect_ratio` of 16:9, 9:16 and 1:1 nearest the frame; MiniMax gets
///   `prompt_optimizer: true` (and `duration` when the option is set: hailuo-02 takes 6 or 10).
///
/// The step's one output is the prediction's first file, named by its content (`.png`, `.wav`,
/// `.mp4`); more files (a model that ignores `num_outputs`) are not fetched. Charged by
/// `outputs` (files the prediction made), `predict_seconds` (its GPU time) and, for video,
/// `video_seconds` (the clip's length); Pricing prices the unit each model is billed by.
public struct ReplicateMedia: Producer {
    public init() {}

    /// The largest still sent for image to video; a data URI that big is already a large request.
    static let maxImageBytes: Int64 = 10 * 1000 * 1000

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        let out = try job.onlyOutput()
        let model = job.provider.model
        let size = job.render.size
        let input: [String: Any]
        switch job.step.kind {
        case .image:
            input = Self.imageInput(prompt: try job.promptWithStyle(), width: size.width, height: size.height, options: job.options)
        case .music:
            let prompt = [try job.text("prompt"), try job.text("mood")].compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }
                .first { !$0.isEmpty }
            guard let prompt else {
                throw ProducerError("\(job.step.id): the music has no prompt", help: "wire a prompt (or a mood) to the step")
            }
            input = Self.musicInput(model: model, prompt: prompt, seconds: job.seconds("duration"), options: job.options)
        case .video:
            var image: String?
            if let path = job.filePath("image") { image = try Self.imageDataURI(path, step: job.step.id) }
            input = Self.videoInput(model: model, prompt: try job.promptWithStyle(), image: image, width: size.width, height: size.height,
                                    options: job.options)
        default:
            throw ProducerError("\(job.provider) does not make \(job.step.kind.noun)")
        }

        let replicate = ReplicatePredictions(job)
        let p = try replicate.run(model: model, input: input)
        var units = ["outputs": Double(p.outputs.count)]
        if let t = p.predictTime { units["predict_seconds"] = t }
        guard let first = p.outputs.first else {
            job.charge(units)
            throw ProducerError("\(job.provider): the prediction succeeded but made no file", transient: true)
        }
        if p.outputs.count > 1 { job.log("\(job.provider): \(p.outputs.count) files; keeping the first") }

        let file = job.workDir + "/prediction-output"
        do {
            try replicate.fetch(first, to: file, expect: out.type)
        } catch {
            job.charge(units)   // made, and paid for, even if it cannot be fetched
            throw error
        }
        if out.type == .video { units["video_seconds"] = try? Media.duration(file, cancel: job.cancel) }
        job.charge(units)
        let fallback = out.type == .video ? "mp4" : out.type == .audio ? "wav" : "png"
        return Produced(files: [out.artifact: try job.install(file, as: out.artifact, fallbackExtension: fallback)])
    }

    // MARK: inputs

    static func imageInput(prompt: String, width: Int, height: Int, options: [String: Value]) -> [String: Any] {
        var input: [String: Any] = [
            "prompt": prompt,
            "aspect_ratio": FrameAspect.nearest(width: width, height: height, among: FrameAspect.replicateImage),
            "num_outputs": 1,
            "output_format": options["output_format"]?.text ?? "png",
        ]
        if let seed = options["seed"]?.int { input["seed"] = seed }
        if let steps = options["num_inference_steps"]?.int { input["num_inference_steps"] = steps }
        return input
    }

    /// `seconds` is the video's length; the bed is at most the `duration` option (default 30 s).
    static func musicInput(model: String, prompt: String, seconds: Double?, options: [String: Value]) -> [String: Any] {
        let cap = max(1, options["duration"]?.int ?? 30)
        let wanted = seconds.map { Int($0.rounded(.up)) } ?? cap
        var input: [String: Any] = [
            "prompt": prompt,
            "duration": min(max(1, wanted), cap),
            "output_format": options["output_format"]?.text ?? "wav",
        ]
        if model.contains("musicgen") {
            input["model_version"] = options["model_version"]?.text ?? "stereo-melody-large"
            input["normalization_strategy"] = "loudness"
        }
        if let seed = options["seed"]?.int { input["seed"] = seed }
        return input
    }

    /// `image` is the start frame as a `data:` URI, for image to video.
    static func videoInput(model: String, prompt: String, image: String?, width: Int, height: Int, options: [String: Value]) -> [String: Any] {
        let name = model.lowercased()
        let kling = name.contains("kling"), minimax = name.hasPrefix("minimax/") || name.contains("hailuo")
        var input: [String: Any] = ["prompt": prompt]
        if let image { input[minimax ? "first_frame_image" : kling ? "start_image" : "image"] = image }
        if kling {
            input["duration"] = options["duration"]?.int ?? 5
            if image == nil { input["aspect_ratio"] = FrameAspect.nearest(width: width, height: height, among: FrameAspect.kling) }
        }
        if minimax {
            input["prompt_optimizer"] = true
            if let d = options["duration"]?.int { input["duration"] = d }
        }
        return input
    }

    /// A still as a `data:` URI with its own MIME type; refused when it is not an image or is
    /// larger than `maxImageBytes`.
    static func imageDataURI(_ path: String, step: StepID) throws(ProducerError) -> String {
        guard let size = Media.size(path), let data = FileManager.default.contents(atPath: path) else {
            throw ProducerError("\(step): cannot read the image \(path)")
        }
        guard size <= maxImageBytes else {
            throw ProducerError("\(step): the start image is \(String(format: "%.1f", Double(size) / 1e6)) MB; at most 10 MB can be sent",
                                help: "use a smaller image (a JPEG, or fewer pixels)")
        }
        let types = ["png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"]
        guard let type = Media.sniffExtension(path).flatMap({ types[$0] }) else {
            throw ProducerError("\(step): the start image \(path) is not a PNG, JPEG, WebP or GIF")
        }
        return "data:\(type);base64," + data.base64EncodedString()
    }
}
