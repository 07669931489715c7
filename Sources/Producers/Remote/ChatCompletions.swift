import Foundation
import HTTP
import Planner
import RecipeParser

/// An LLM step over the OpenAI chat-completions API: OpenAI itself, or any server that speaks
/// it (Ollama at `localhost:11434/v1`, vLLM, llama.cpp, OpenRouter through `OPENAI_BASE_URL`).
///
/// The reply is structured output (`response_format: json_schema`, strict) shaped by the step's
/// outputs, and it is checked, not trusted: every field present and non-empty, every array
/// exactly as long as the build needs. A reply that fails the check gets one repair turn that
/// shows the model its mistakes; `finish_reason: length` and refusals fail the step with what to
/// do. Every call's reported token usage is charged, the repair turn included.
public struct ChatCompletions: Producer {
    public init() {}

    static let system = """
        You write text for a video production pipeline. Your reply is parsed by a program: \
        reply with one JSON object that matches the schema exactly, every field present, every \
        array exactly as long as asked. Values are plain text for a narrator or an image \
        generator: no markdown, no lists, no stage directions, no quotation marks around the text.
        """

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        let api = RemoteAPI(job)
        let shape = StructuredReply(step: job.step)
        guard !shape.fields.isEmpty else { throw ProducerError("\(job.step.id) has no outputs for \(api.provider) to write") }
        let base = api.family == "ollama" ? Endpoints.ollama(job.environment) : Endpoints.openai(job.environment)
        let url = base + "/chat/completions"

        var messages: [[String: Any]] = [
            ["role": "system", "content": Self.system + "\n\n" + shape.shapeDescription],
            ["role": "user", "content": try userPrompt(job)],
        ]
        var body: [String: Any] = [
            "model": api.provider.model,
            "response_format": ["type": "json_schema",
                                "json_schema": ["name": Self.schemaName(job.step.id.producer), "strict": true, "schema": shape.schema]],
        ]
        // Only what the vidfile set: some models accept no temperature but the default.
        if let t = job.numberOption("temperature") { body["temperature"] = t }
        if case .int(let n)? = job.options["seed"] { body["seed"] = n }
        if case .int(let n)? = job.options["max_tokens"] {
            body[api.family == "openai" && job.environment["OPENAI_BASE_URL"] == nil ? "max_completion_tokens" : "max_tokens"] = n
        }
        if api.family == "ollama", case .int(let n)? = job.options["num_ctx"] { body["options"] = ["num_ctx": n] }

        var lastProblems: StructuredReply.Problems?
        for turn in 1...2 {
            body["messages"] = messages
            let (_, reply) = try api.postJSON(url, body, timeout: 300)
            let content = try answer(reply, api)
            switch shape.read(content) {
            case .success(let values):
                return try write(values, job)
            case .failure(let problems):
                lastProblems = problems
                job.log("\(job.step.id): the reply does not fit (\(problems.summary(3))); asking once more")
                if turn == 1 {
                    messages.append(["role": "assistant", "content": content])
                    messages.append(["role": "user", "content": """
                        Your reply does not match the required JSON: \(problems.summary(12)). \
                        Reply again with the complete JSON object, fixing exactly these problems and keeping everything else.
                        """])
                }
            }
        }
        throw ProducerError(api.redact("\(api.provider) replied twice with JSON that does not fit \(job.step.id): \(lastProblems?.summary() ?? "")"),
                            help: "a larger model follows the schema more reliably; or set a lower `temperature` under this producer's options")
    }

    /// The prompt: the recipe's template with the artifact and file placeholders filled in;
    /// with no template, the inputs one per paragraph.
    func userPrompt(_ job: Job) throws(ProducerError) -> String {
        if let p = job.step.prompt, !p.isEmpty { return try TemplateText().fill(p, job) }
        var parts: [String] = []
        for i in job.step.inputs {
            if let t = try job.text(i.parameter), !t.isEmpty { parts.append("\(i.parameter):\n\(t)") }
        }
        return parts.joined(separator: "\n\n")
    }

    /// The message content of a reply, after charging its usage; finish reasons other than
    /// `stop` and refusals are failures.
    func answer(_ reply: [String: Any], _ api: RemoteAPI) throws(ProducerError) -> String {
        if let usage = reply["usage"] as? [String: Any] {
            var units: [String: Double] = [:]
            if let p = RemoteAPI.number(usage["prompt_tokens"]) { units["input_tokens"] = p }
            if let c = RemoteAPI.number(usage["completion_tokens"]) { units["output_tokens"] = c }
            api.job.charge(units)
        } else {
            api.job.charge([:])
        }
        guard let choice = (reply["choices"] as? [[String: Any]])?.first, let message = choice["message"] as? [String: Any] else {
            throw ProducerError("\(api.provider): the reply has no choices[0].message", transient: true)
        }
        if let refusal = message["refusal"] as? String, !refusal.isEmpty {
            throw ProducerError(api.redact("\(api.provider) refused to write \(api.job.step.id): \(RemoteAPI.excerpt(refusal))"),
                                help: "reword the inquiry or the prompt, or pick another model")
        }
        let finish = choice["finish_reason"] as? String
        if finish == "length" {
            throw ProducerError("\(api.provider) stopped at its token limit before finishing \(api.job.step.id)",
                                help: "raise `max_tokens` under this producer's options, or ask for a shorter video")
        }
        if finish == "content_filter" {
            throw ProducerError("\(api.provider)'s content filter stopped the reply for \(api.job.step.id)",
                                help: "reword the inquiry or the prompt")
        }
        guard let content = message["content"] as? String, !content.isEmpty else {
            throw ProducerError("\(api.provider): the reply has no content", transient: true)
        }
        return Self.unfenced(content)
    }

    /// Writes each output the step makes (overridden ones are not its to write).
    func write(_ values: [StructuredReply.Field: String], _ job: Job) throws(ProducerError) -> Produced {
        var produced = Produced()
        let depth = job.step.id.index.count
        for o in job.step.outputs {
            let f = StructuredReply.Field(name: o.artifact.name, index: Array(o.artifact.index.dropFirst(depth)), type: o.type)
            guard let text = values[f] else { throw ProducerError("the reply has no \(o.artifact)") }
            if o.type == .json {
                let path = job.outputPath(o.artifact, ext: "json")
                guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw ProducerError("cannot write \(path)") }
                produced.files[o.artifact] = path
            } else {
                try produced.write(text, for: o.artifact, in: job)
            }
        }
        return produced
    }

    /// Some servers wrap JSON in a markdown fence despite the schema.
    static func unfenced(_ s: String) -> String {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        guard t.hasPrefix("```"), t.hasSuffix("```"), let nl = t.firstIndex(of: "\n") else { return t }
        return String(t[t.index(after: nl)..<t.index(t.endIndex, offsetBy: -3)]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `json_schema.name` allows `[a-zA-Z0-9_-]`, at most 64.
    static func schemaName(_ s: String) -> String {
        let n = String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") ? $0 : "_" }.prefix(64))
        return n.isEmpty ? "reply" : n
    }
}
