import Foundation
import HTTP
import Planner
import RecipeParser

/// `openai/gpt-image-1`, `openai/dall-e-3`, `openai/dall-e-2`: a still from OpenAI's images API.
///
/// Inputs: `prompt`, and `style` (appended after a comma). Option: `quality` (default `medium`
/// for GPT image models, `standard` for DALL·E).
///
/// The request is media-notes §2.1's `POST /images/generations` with `n: 1` and the model's size
/// nearest the frame's shape (`FrameAspect.openAISize`: 1536x1024, 1024x1536 or 1024x1024;
/// 1792x1024 and 1024x1792 for dall-e-3; dall-e-2 always square). GPT image models always answer
/// in base64 and are asked for PNG; DALL·E is asked for base64 (its URLs expire within the
/// hour), and a reply that still holds only a URL is downloaded. The file is named by its
/// content (`.png`, `.jpg`, `.webp`) and checked like any provider's media.
///
/// Charged `images: 1`, plus the reply's `usage.input_tokens` and `usage.output_tokens` when it
/// has them (GPT image models are priced by token, DALL·E by image).
public struct OpenAIImage: Producer {
    public init() {}

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        let out = try job.onlyOutput()
        let model = job.provider.model
        let body = Self.body(model: model, prompt: try job.promptWithStyle(), width: job.render.size.width, height: job.render.size.height,
                             quality: job.textOption("quality"))
        let api = RemoteAPI(job)
        let (_, reply) = try api.postJSON(Endpoints.openai(job.environment) + "/images/generations", body, timeout: 300)

        var units = ["images": 1.0]
        if let usage = reply["usage"] as? [String: Any] {
            if let n = RemoteAPI.number(usage["input_tokens"]) { units["input_tokens"] = n }
            if let n = RemoteAPI.number(usage["output_tokens"]) { units["output_tokens"] = n }
        }
        job.charge(units)
        try job.cancel.check()

        guard let first = (reply["data"] as? [[String: Any]])?.first else {
            throw ProducerError("\(job.provider) sent no image (an empty `data` list)", transient: true)
        }
        let file = job.workDir + "/image-reply"
        if let b64 = first["b64_json"] as? String {
            _ = try job.writeFile(try api.base64(b64, what: "an image"), to: file)
            try MediaCheck.verify(file, as: .image, from: job.provider.description, cancel: job.cancel)
        } else if let url = first["url"] as? String {
            try api.download(url, to: file, expect: .image)
        } else {
            throw ProducerError("\(job.provider) sent an image with neither `b64_json` nor `url`", transient: true)
        }
        return Produced(files: [out.artifact: try job.install(file, as: out.artifact, fallbackExtension: "png")])
    }

    /// The request body for a model: size by the frame, the response format each family takes.
    static func body(model: String, prompt: String, width: Int, height: Int, quality: String?) -> [String: Any] {
        let dalle = model.hasPrefix("dall-e")
        var body: [String: Any] = [
            "model": model,
            "prompt": prompt,
            "size": FrameAspect.openAISize(model: model, width: width, height: height),
            "quality": quality ?? (dalle ? "standard" : "medium"),
            "n": 1,
        ]
        if dalle { body["response_format"] = "b64_json" } else { body["output_format"] = "png" }
        return body
    }
}
