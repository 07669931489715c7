import Foundation

/// The models the fake runs: FLUX image models, MusicGen, and the MiniMax and Kling video models.
enum ReplicateModel {
    /// Any `owner/flux*`: images, `num_outputs` of them, as an array of URLs.
    case flux
    /// `meta/musicgen`: one WAV, as a single URL.
    case musicgen
    /// Anything under `minimax/` or `kwaivgi/` (Kling): one MP4, as a single URL.
    case video(kling: Bool)

    init?(_ model: String) {
        let parts = model.split(separator: "/")
        guard parts.count == 2 else { return nil }
        let (owner, name) = (parts[0], parts[1])
        if name.hasPrefix("flux") {
            self = .flux
        } else if model == "meta/musicgen" {
            self = .musicgen
        } else if owner == "minimax" || owner == "kwaivgi" {
            self = .video(kling: owner == "kwaivgi")
        } else {
            return nil
        }
    }

    /// Models a bare version hash can name (`POST /v1/predictions` with `"version": "<hex>"`).
    static let catalog = [
        "black-forest-labs/flux-schnell", "black-forest-labs/flux-dev", "black-forest-labs/flux-1.1-pro", "meta/musicgen",
        "minimax/video-01", "minimax/hailuo-02", "kwaivgi/kling-v2.1", "kwaivgi/kling-v1.6-standard",
    ]

    /// A stable 64-hex-digit version id for `model`.
    static func versionHash(of model: String) -> String {
        var generator = SeededGenerator(seed: stableHash(model))
        return (0..<4).map { _ in String(format: "%016llx", generator.next()) }.joined()
    }

    /// FLUX output sizes (about one megapixel, multiples of 16) by aspect ratio.
    static let fluxSizes: [String: (width: Int, height: Int)] = [
        "1:1": (1024, 1024), "16:9": (1344, 768), "9:16": (768, 1344), "21:9": (1536, 640), "9:21": (640, 1536),
        "3:2": (1216, 832), "2:3": (832, 1216), "4:5": (896, 1088), "5:4": (1088, 896), "3:4": (896, 1152), "4:3": (1152, 896),
    ]

    /// What a validated input will produce.
    struct Plan {
        var outputs: [(name: String, output: Prediction.Output)]
        /// Whether `output` is an array of URLs (FLUX) or a single URL.
        var outputIsList: Bool
        /// The nominal `metrics.predict_time`.
        var predictTime: Double
    }

    /// An input field the model rejects.
    struct InvalidInput: Error {
        var field: String
        var description: String
        var type = "invalid"
    }

    /// Validates `input` as the model's schema would and plans its outputs.
    func plan(for input: [String: Any]) -> Result<Plan, InvalidInput> {
        func string(_ name: String) -> String? { input[name] as? String }
        switch self {
        case .flux:
            guard let prompt = string("prompt"), !prompt.isEmpty else {
                return .failure(InvalidInput(field: "input", description: "prompt is required", type: "required"))
            }
            let ratio = string("aspect_ratio") ?? "1:1"
            guard let size = Self.fluxSizes[ratio] else {
                let choices = Self.fluxSizes.keys.sorted().joined(separator: ", ")
                return .failure(InvalidInput(field: "input.aspect_ratio", description: "aspect_ratio must be one of the following: \(choices)",
                                             type: "enum"))
            }
            let count = input["num_outputs"] as? Int ?? 1
            guard (1...4).contains(count) else {
                return .failure(InvalidInput(field: "input.num_outputs", description: "Must be between 1 and 4", type: "number_range"))
            }
            let format = string("output_format") ?? "webp"  // the model's default
            guard format == "png" else {
                return .failure(InvalidInput(field: "input.output_format",
                                             description: "output_format \(format) is unsupported by the fake (ask for png)"))
            }
            let outputs = (0..<count).map { index in
                (name: "out-\(index).png",
                 output: Prediction.Output.image(width: size.width, height: size.height, hash: stableHash("\(prompt)#\(index)")))
            }
            return .success(Plan(outputs: outputs, outputIsList: true, predictTime: 0.5 * Double(count)))

        case .musicgen:
            let seconds = input["duration"] as? Int ?? 8
            guard (1...300).contains(seconds) else {
                return .failure(InvalidInput(field: "input.duration", description: "Must be between 1 and 300", type: "number_range"))
            }
            let format = string("output_format") ?? "wav"
            guard format == "wav" else {
                return .failure(InvalidInput(field: "input.output_format", description: "output_format \(format) is unsupported by the fake (ask for wav)"))
            }
            return .success(Plan(outputs: [("out.wav", .music(seconds: seconds))], outputIsList: false, predictTime: Double(seconds) * 1.5))

        case .video(let kling):
            guard let prompt = string("prompt"), !prompt.isEmpty else {
                return .failure(InvalidInput(field: "input", description: "prompt is required", type: "required"))
            }
            let imageField = kling ? "start_image" : "first_frame_image"
            if let image = input[imageField] {
                guard let text = image as? String, Self.isAcceptableImage(text) else {
                    return .failure(InvalidInput(field: "input.\(imageField)",
                                                 description: "Does not match format 'uri': expected an http(s) URL or a data URI of a PNG or JPEG image"))
                }
            }
            var seconds = 6
            if kling {
                seconds = input["duration"] as? Int ?? 5
                guard seconds == 5 || seconds == 10 else {
                    return .failure(InvalidInput(field: "input.duration", description: "duration must be one of the following: 5, 10", type: "enum"))
                }
            }
            return .success(Plan(outputs: [("output.mp4", .video(seconds: seconds))], outputIsList: false, predictTime: 30))
        }
    }

    /// An http(s) URL, or a `data:image/…;base64,` URI whose bytes start like a PNG or a JPEG.
    static func isAcceptableImage(_ text: String) -> Bool {
        if text.hasPrefix("http://") || text.hasPrefix("https://") { return URL(string: text)?.host != nil }
        guard text.hasPrefix("data:image/"), let comma = text.range(of: ";base64,"),
              let bytes = Data(base64Encoded: String(text[comma.upperBound...]), options: .ignoreUnknownCharacters)
        else { return false }
        return bytes.starts(with: PNG.signature) || bytes.starts(with: [0xFF, 0xD8, 0xFF])
    }
}
