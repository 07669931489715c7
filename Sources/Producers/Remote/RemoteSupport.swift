import Foundation
import HTTP
import Planner
import RecipeParser

/// What the remote media producers share: the one output they make, the prompt they send, the
/// frame they make pictures for, files that arrive as base64, and waiting that a Ctrl-C ends.
extension Job {
    /// The single output of a step that makes one file (speech, an image, a clip, a bed).
    func onlyOutput() throws(ProducerError) -> Step.Output {
        guard step.outputs.count == 1, let out = step.outputs.first else {
            let declared = step.outputs.isEmpty ? "none" : step.outputs.map(\.artifact.description).joined(separator: ", ")
            throw ProducerError("\(step.id): \(provider) makes one \(step.kind.rawValue) output; the step declares \(declared)",
                                help: "give the producer exactly one output")
        }
        return out
    }

    /// A number option (an int is a number too), else `d`.
    func numberOption(_ name: String, default d: Double? = nil) -> Double? {
        switch options[name] {
        case .number(let x)?: return x
        case .int(let n)?: return Double(n)
        default: return d
        }
    }

    /// The `text` input of a speech step, trimmed; a clear error when there is nothing to say.
    func narration() throws(ProducerError) -> String {
        guard let text = try text("text")?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            throw ProducerError("\(step.id): the narration to speak is empty",
                                help: "give the segment some narration (an override, or a script producer that writes it)")
        }
        return text
    }

    /// The `prompt` input, with the `style` input after a comma when one is set; a clear error
    /// when there is no prompt.
    func promptWithStyle() throws(ProducerError) -> String {
        let prompt = (try text("prompt") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !prompt.isEmpty else {
            throw ProducerError("\(step.id): the prompt is empty", help: "give the step a prompt (an override, or a script producer that writes it)")
        }
        let style = (try text("style") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return style.isEmpty ? prompt : prompt + ", " + style
    }

    /// The file of an input: its first artifact, or a project file; nil when unset.
    func filePath(_ parameter: String) -> String? {
        switch inputs[parameter] {
        case .artifacts(let files, _)?: return files.first?.path
        case .file(let path)?: return path
        default: return nil
        }
    }

    /// Seconds from a duration, int or number input; nil when unset or of another type.
    func seconds(_ parameter: String) -> Double? {
        switch value(parameter) {
        case .duration(let t)?: return t.seconds
        case .int(let n)?: return Double(n)
        case .number(let x)?: return x
        default: return nil
        }
    }

    /// Moves a finished file to the output's path, named with the extension its content calls
    /// for (`image-2-1.png`, `clip-3.mp4`), and returns that path.
    func install(_ file: String, as ref: ArtifactRef, fallbackExtension: String) throws(ProducerError) -> String {
        let path = outputPath(ref, ext: Media.sniffExtension(file) ?? fallbackExtension)
        guard path == file || rename(file, path) == 0 else {
            throw ProducerError("cannot move \(file) to \(path): \(String(cString: strerror(errno)))")
        }
        return path
    }

    /// Writes bytes (a reply's base64 content, the words JSON) to `path` and returns it.
    func writeFile(_ data: Data, to path: String) throws(ProducerError) -> String {
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw ProducerError("cannot write \(path)") }
        return path
    }
}

extension Media {
    /// The size of a file in bytes; nil when it cannot be read.
    static func size(_ path: String) -> Int64? {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : nil
    }
}

extension String {
    /// Nil when empty.
    var nonEmpty: String? { isEmpty ? nil : self }
}

extension RemoteAPI {
    /// Sends a request whose outcome does not matter (cancelling a prediction the user no longer
    /// wants): no budget check, not stopped by the job's cancellation (it usually runs because of
    /// it), a short time limit, and any failure only logged.
    func sendBestEffort(_ request: HTTPRequest) {
        var req = request
        req.timeout = min(req.timeout, 10)
        job.log("\(req.method) \(req.displayURL) (best effort)")
        do {
            let r = try HTTPClient().send(req)
            if !r.isSuccess { job.log("\(req.method) \(req.displayURL) → \(r.status); ignored") }
        } catch {
            job.log(redact("\(req.method) \(req.displayURL) failed: \(error.message); ignored"))
        }
    }

    /// Bytes of base64 text (standard alphabet, line breaks tolerated); nil when it does not decode.
    static func base64(_ text: String) -> Data? { Data(base64Encoded: text, options: .ignoreUnknownCharacters) }

    /// A JSON number (an NSNumber from JSONSerialization) as a finite Double.
    static func number(_ any: Any?) -> Double? {
        guard let d = (any as? NSNumber)?.doubleValue, d.isFinite else { return nil }
        return d
    }

    /// Bytes a reply carries as base64 (a standard alphabet, line breaks tolerated); a reply
    /// that does not decode is transient, like any malformed reply.
    func base64(_ text: String, what: String) throws(ProducerError) -> Data {
        guard let data = Self.base64(text), !data.isEmpty else {
            throw ProducerError("\(provider) sent \(what) that is not base64", transient: true)
        }
        return data
    }
}

/// Shapes of pictures: providers take an aspect ratio or one of a few sizes, and the frame is
/// whatever the render says. The nearest is the one whose ratio is closest on a log scale, so
/// that 2:1 is as far from 1:1 as 1:2 is.
enum FrameAspect {
    /// The aspect ratios Replicate's image models (FLUX and most others) accept.
    static let replicateImage = ["1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"]
    /// The aspect ratios Kling accepts for text to video.
    static let kling = ["16:9", "9:16", "1:1"]

    /// Of `choices` (`W:H` or `WxH`), the one nearest the frame's shape; the earlier one on a tie.
    static func nearest(width: Int, height: Int, among choices: [String]) -> String {
        guard width > 0, height > 0 else { return choices.first ?? "1:1" }
        let target = log(Double(width) / Double(height))
        var best: (choice: String, distance: Double)?
        for c in choices {
            let sides = c.split(whereSeparator: { $0 == ":" || $0 == "x" }).compactMap { Double($0) }
            guard sides.count == 2, sides[0] > 0, sides[1] > 0 else { continue }
            let d = abs(log(sides[0] / sides[1]) - target)
            if d < (best?.distance ?? .infinity) - 1e-12 { best = (c, d) }
        }
        return best?.choice ?? choices.first ?? "1:1"
    }

    /// The size an OpenAI image model is asked for: the one of its sizes nearest the frame.
    static func openAISize(model: String, width: Int, height: Int) -> String {
        switch model {
        case "dall-e-2": return "1024x1024"
        case "dall-e-3": return nearest(width: width, height: height, among: ["1792x1024", "1024x1792", "1024x1024"])
        default: return nearest(width: width, height: height, among: ["1536x1024", "1024x1536", "1024x1024"])
        }
    }
}

/// The `words` side data of speech: the narration's own words (what subtitles show) with the
/// times a provider reported, in the JSON `local/espeak` writes (see `EspeakSpeech.WordTimes`).
enum SpeechWords {
    /// The JSON for `timing` (`whisper`, `elevenlabs`), or nil when there are no words to keep
    /// (the render then estimates times from the narration and the audio's length).
    static func json(timing: String, words: [TimedWord]) throws(ProducerError) -> Data? {
        guard !words.isEmpty else { return nil }
        return try EspeakSpeech.json(EspeakSpeech.WordTimes(timing: timing, words: words))
    }
}
