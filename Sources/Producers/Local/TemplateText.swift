import Foundation
import Planner
import RecipeParser

/// `local/template`: an LLM step answered offline by filling its prompt template with its inputs,
/// so that a music prompt reads "… The film is about: <the summary>". One text output.
public struct TemplateText: Producer {
    public init() {}

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        guard job.step.outputs.count == 1, let out = job.step.outputs.first, out.type == .text else {
            throw ProducerError("local/template makes one text output; \(job.step.id) has \(job.step.outputs.count)",
                                help: "use an LLM provider (openai/…, ollama/…) for structured outputs")
        }
        var text = job.step.prompt ?? ""
        if text.isEmpty {
            // No template: the inputs, one per paragraph.
            var parts: [String] = []
            for i in job.step.inputs { if let t = try job.text(i.parameter), !t.isEmpty { parts.append(t) } }
            text = parts.joined(separator: "\n\n")
        } else {
            text = try fill(text, job)
        }
        var produced = Produced()
        // Trimmed, no trailing newline, as every text artifact is: the same words hash the same.
        try produced.write(text.trimmingCharacters(in: .whitespacesAndNewlines), for: out.artifact, in: job)
        return produced
    }

    /// Replaces each `{{name}}` naming an input with its text; other text is left as it is.
    func fill(_ template: String, _ job: Job) throws(ProducerError) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if job.inputs[name] != nil {
                out += (try job.text(name) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}
