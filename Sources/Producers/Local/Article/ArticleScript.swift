// `local/article`, the offline script producer: what it reads and makes, the outputs a step asks
// of it, and the run that turns an article into a script. Its helpers are in this folder.

import Foundation
import Planner
import RecipeParser

/// `local/article`: a documentary script made offline — no network, no model — by narrating the
/// article a vidfile names (`source: article.md`). The same inputs give the same script, byte for byte.
///
/// The narration is extractive: every sentence is the article's own, read in the article's order
/// (a sentence too long for its segment is cut at a clause boundary and closed with a period).
/// How the script is made:
///
/// 1. `MarkdownText` reduces the markdown to plain paragraphs; its first `#` heading is the title.
/// 2. `Sentences` splits each paragraph into sentences, and `Word` each sentence into words.
/// 3. `Article` weighs every content word by how often it occurs in the whole article (stop words
///    weigh nothing, words of the inquiry a little more); a passage's information is the mean
///    weight of its content words, plus a little for names and dates.
/// 4. `Narrator` cuts the article into as many consecutive parts as there are segments, balanced by
///    word count, and gives each segment the passage of its part that best fills the segment's word
///    budget (segment seconds × words per minute ÷ 60). The first segment reads the article's lead,
///    the last its ending.
/// 5. `Subjects` finds what each segment shows — the people, places and things its narration names,
///    each under the one name the article gives it in full, and its first date — and `PromptWriter`
///    turns them into image prompts (a wide shot, a portrait or close detail, then other framings)
///    and a motion prompt, each ending with the style.
///
/// The title is the article's first `#` heading, else the topic of the inquiry, else the article's
/// first words; the summary is the article's two most informative sentences, in order.
///
/// Inputs read: `source`, `inquiry`, `audience` (kids: shorter sentences), `duration`, `style`;
/// option `words_per_minute` (default 125: what espeak-ng at its default rate says in a segment, less the pauses around it). Which segments and images exist is read from the step's
/// outputs, so `images_per_segment` is not needed. The narration is in the article's own language —
/// nothing is translated, so `language` is not read — and the stop words and abbreviations it
/// knows are English ones.
public struct ArticleScript: Producer {
    public init() {}

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        let outputs = try ScriptOutputs(job.step.outputs)
        guard let source = try job.text("source"), source.contains(where: { !$0.isWhitespace }) else {
            throw ProducerError("local/article narrates a source text, and this vidfile sets none",
                                help: "set `source: article.md` under inputs:, or choose an LLM provider for the script "
                                    + "(e.g. `script: { provider: openai/gpt-4o-mini }`)")
        }
        let wordsPerMinute = job.intOption("words_per_minute", default: 125)
        guard wordsPerMinute > 0 else {
            throw ProducerError("local/article: words_per_minute must be above 0, not \(wordsPerMinute)")
        }
        try job.cancel.check()

        let article = Article(markdown: source, inquiry: try job.text("inquiry") ?? "")
        guard !article.sentences.isEmpty else {
            throw ProducerError("local/article found no sentences to narrate in the source",
                                help: "the source should be an article in markdown or plain text")
        }
        let segments = outputs.segmentCount
        var passages: [Passage] = []
        if segments > 0 {
            let seconds = job.value("duration")?.duration.map { $0.seconds / Double(segments) } ?? 10
            let narrator = Narrator(article: article, budget: seconds * Double(wordsPerMinute) / 60,
                                    kids: try job.text("audience") == "kids")
            passages = try narrator.passages(count: segments, segmentSeconds: seconds)
        }
        let writer = PromptWriter(style: (try job.text("style") ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        let subjects = passages.map { Subjects($0, in: article) }
        let images = subjects.indices.map { writer.images(outputs.imageCount(segment: $0 + 1), of: subjects[$0]) }

        var produced = Produced()
        for (ref, field) in outputs.fields {
            let text: String
            switch field {
            case .title: text = article.title()
            case .summary: text = article.summary()
            case .narration(let s): text = passages[s - 1].text
            case .imagePrompt(let s, let i): text = images[s - 1][i - 1]
            case .motionPrompt(let s): text = writer.motion(of: subjects[s - 1], closing: s == segments)
            }
            try produced.write(text.trimmingCharacters(in: .whitespacesAndNewlines), for: ref, in: job)
        }
        return produced
    }
}

extension ArticleScript {
    // MARK: - Outputs

    /// The outputs a step asks of `local/article`, understood.
    struct ScriptOutputs {
        enum Field {
            case title, summary
            case narration(segment: Int)
            case imagePrompt(segment: Int, image: Int)
            case motionPrompt(segment: Int)
        }

        /// Every output of the step, in the step's order.
        private(set) var fields: [(ref: ArtifactRef, field: Field)] = []
        /// The highest segment any output names. An overridden narration is absent from the outputs,
        /// but its segment is still there and still takes its part of the article.
        private(set) var segmentCount = 0
        private var images: [Int: Int] = [:]

        static let makes = "title, summary, narration[segment], image_prompt[segment][image] and motion_prompt[segment], as text"

        init(_ outputs: [Step.Output]) throws(ProducerError) {
            var unknown: [String] = []
            for output in outputs {
                guard output.type == .text, let field = Self.field(output.artifact) else {
                    unknown.append(output.type == .text ? "\(output.artifact)" : "\(output.artifact) (\(output.type.rawValue))")
                    continue
                }
                fields.append((output.artifact, field))
                switch field {
                case .title, .summary: break
                case .narration(let s), .motionPrompt(let s): segmentCount = max(segmentCount, s)
                case .imagePrompt(let s, let i):
                    segmentCount = max(segmentCount, s)
                    images[s] = max(images[s] ?? 0, i)
                }
            }
            guard unknown.isEmpty else {
                throw ProducerError("local/article cannot make \(unknown.joined(separator: ", ")); it makes \(Self.makes)",
                                    help: "rename the script's outputs to those, or choose an LLM provider for the script "
                                        + "(e.g. `script: { provider: openai/gpt-4o-mini }`)")
            }
        }

        /// How many image prompts segment `s` has: the highest image any output names.
        func imageCount(segment s: Int) -> Int { images[s] ?? 0 }

        private static func field(_ ref: ArtifactRef) -> Field? {
            let index = ref.index
            guard index.allSatisfy({ $0 >= 1 }) else { return nil }
            switch (ref.name, index.count) {
            case ("title", 0): return .title
            case ("summary", 0): return .summary
            case ("narration", 1): return .narration(segment: index[0])
            case ("image_prompt", 2): return .imagePrompt(segment: index[0], image: index[1])
            case ("motion_prompt", 1): return .motionPrompt(segment: index[0])
            default: return nil
            }
        }
    }
}
