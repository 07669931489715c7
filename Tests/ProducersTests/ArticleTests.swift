import Foundation
import Testing
import Planner
@testable import Producers
import RecipeParser

/// `local/article`, the offline script producer, run on the civil war example and on small
/// articles made to show one behaviour each.
@Suite final class ArticleTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/civilwar/article.md").path
    static let style = "archival photograph, sepia"

    private var dirs: [String] = []

    deinit {
        for dir in dirs { try? FileManager.default.removeItem(atPath: dir) }
    }

    // MARK: Helpers

    private func tempDir() -> String {
        let dir = NSTemporaryDirectory() + "vidmake-article-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        dirs.append(dir)
        return dir
    }

    /// The recipe's script outputs for `segments` segments of `images` images each, less `without`.
    private func outputs(segments: Int, images: Int = 2, without: Set<ArtifactRef> = []) -> [Step.Output] {
        var refs = [ArtifactRef("title"), ArtifactRef("summary")]
        for s in 1...segments {
            refs.append(ArtifactRef("narration", [s]))
            for i in 1...images { refs.append(ArtifactRef("image_prompt", [s, i])) }
            refs.append(ArtifactRef("motion_prompt", [s]))
        }
        return refs.filter { !without.contains($0) }.map { Step.Output(artifact: $0, type: .text) }
    }

    private func job(source: JobInput, seconds: Double = 60, outputs: [Step.Output], audience: String = "general",
                     inquiry: String = "Tell me about the American Civil War", options: [String: Value] = [:]) -> Job {
        let inputs: [String: JobInput] = [
            "inquiry": .value(.text(inquiry)),
            "source": source,
            "audience": .value(.text(audience)),
            "language": .value(.text("en")),
            "duration": .value(.duration(TimeSpan(seconds: seconds))),
            "style": .value(.text(Self.style)),
            "images_per_segment": .value(.int(2)),
        ]
        let stepInputs = inputs.keys.sorted().map { name -> StepInput in
            switch inputs[name] {
            case .value(let v)?: return StepInput(parameter: name, source: .value(v))
            case .file(let path)?: return StepInput(parameter: name, source: .file(path))
            default: return StepInput(parameter: name, source: .unset)
            }
        }
        let step = Step(id: StepID("script"), kind: .llm, provider: ProviderRef(family: "local", model: "article"),
                        inputs: stepInputs, outputs: outputs, options: options)
        return Job(step: step, inputs: inputs, folder: (Self.example as NSString).deletingLastPathComponent,
                   render: RenderSettings(), workDir: tempDir())
    }

    private func article(_ text: String) -> JobInput {
        let path = tempDir() + "/article.md"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        return .file(path)
    }

    /// Runs a job; the texts it wrote, by artifact.
    private func run(_ job: Job) throws -> [ArtifactRef: String] {
        let produced = try ArticleScript().run(job)
        var texts: [ArtifactRef: String] = [:]
        for (ref, path) in produced.files {
            texts[ref] = try String(contentsOfFile: path, encoding: .utf8)
        }
        return texts
    }

    private func narrations(_ texts: [ArtifactRef: String], _ segments: Int) -> [String] {
        (1...segments).compactMap { texts[ArtifactRef("narration", [$0])] }
    }

    private func words(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }

    /// The text with whitespace collapsed, for finding narration in it.
    private func flat(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }

    private func endsSentence(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: "\"'”’)"))
        return [".", "!", "?"].contains(trimmed.last.map(String.init) ?? "")
    }

    // MARK: The example

    @Test func exampleMakesExactlyTheRequestedFiles() throws {
        let outputs = outputs(segments: 6)
        let job = job(source: .file(Self.example), outputs: outputs)
        let texts = try run(job)
        #expect(Set(texts.keys) == Set(outputs.map(\.artifact)))
        let written = try FileManager.default.contentsOfDirectory(atPath: job.workDir)
        #expect(written.count == outputs.count, "no other files in the work folder: \(written.sorted())")
        for (ref, text) in texts {
            #expect(!text.isEmpty, "\(ref) is empty")
            #expect(text == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(ref) is not trimmed")
        }
        #expect(texts[ArtifactRef("title")] == "The American Civil War")
    }

    @Test func exampleNarrationFillsTenSecondSegmentsInArticleOrder() throws {
        let texts = try run(job(source: .file(Self.example), outputs: outputs(segments: 6)))
        let narration = narrations(texts, 6)
        #expect(narration.count == 6)
        let source = flat(try String(contentsOfFile: Self.example, encoding: .utf8))
        var last = source.startIndex
        for (s, text) in narration.enumerated() {
            let n = words(text)
            #expect((12...28).contains(n), "narration[\(s + 1)] has \(n) words, for a budget of 21: \(text)")
            #expect(endsSentence(text), "narration[\(s + 1)] does not end a sentence: \(text)")
            // Extractive: the article's own words (a sentence cut short has its own closing period).
            let body = String(text.dropLast())
            guard let found = source.range(of: body, range: last..<source.endIndex) else {
                Issue.record("narration[\(s + 1)] is not the article's text, after the segment before: \(text)")
                return
            }
            last = found.upperBound
        }
        #expect(narration[0].hasPrefix("Between 1861 and 1865"), "the first segment is the article's lead: \(narration[0])")
        #expect(narration[5].hasSuffix("long after the guns fell silent."), "the last segment closes: \(narration[5])")
    }

    @Test func exampleImagePromptsEndWithTheStyleAndDiffer() throws {
        let texts = try run(job(source: .file(Self.example), outputs: outputs(segments: 6)))
        var prompts: [String] = []
        for s in 1...6 {
            let first = try #require(texts[ArtifactRef("image_prompt", [s, 1])])
            let second = try #require(texts[ArtifactRef("image_prompt", [s, 2])])
            #expect(first != second, "segment \(s)")
            prompts += [first, second]
            let motion = try #require(texts[ArtifactRef("motion_prompt", [s])])
            #expect(motion.hasSuffix(", " + Self.style) && motion.hasPrefix("Slow "), "\(motion)")
        }
        #expect(prompts.count == 12)
        for prompt in prompts {
            #expect(prompt.hasSuffix(", " + Self.style), "\(prompt)")
            #expect(words(prompt) > words(Self.style) + 2, "\(prompt)")
            #expect(!(prompt.contains("\n")), "\(prompt)")
        }
    }

    @Test func fiveImagesOfASegmentAreAllDifferent() throws {
        let texts = try run(job(source: .file(Self.example), outputs: outputs(segments: 6, images: 5)))
        for s in 1...6 {
            let prompts = (1...5).compactMap { texts[ArtifactRef("image_prompt", [s, $0])] }
            #expect(Set(prompts).count == 5, "segment \(s): \(prompts)")
        }
    }

    @Test func titleAndSummaryAlone() throws {
        let outputs = [Step.Output(artifact: ArtifactRef("title"), type: .text), Step.Output(artifact: ArtifactRef("summary"), type: .text)]
        let texts = try run(job(source: .file(Self.example), outputs: outputs))
        #expect(Set(texts.keys) == [ArtifactRef("title"), ArtifactRef("summary")])
        let summary = try #require(texts[ArtifactRef("summary")])
        let source = flat(try String(contentsOfFile: Self.example, encoding: .utf8))
        #expect(ArticleScript.Sentences.split(summary).count == 2, "\(summary)")
        for sentence in ArticleScript.Sentences.split(summary) { #expect(source.contains(sentence), "\(sentence)") }
    }

    @Test func exampleIsDeterministic() throws {
        let outputs = outputs(segments: 6)
        let a = try run(job(source: .file(Self.example), outputs: outputs))
        let b = try run(job(source: .file(Self.example), outputs: outputs))
        #expect(a == b)
    }

    /// The vidfile overrides narration[3]: the step does not make it, but segment 3 still takes its
    /// part of the article, so the other segments say what they would have said.
    @Test func overriddenNarrationKeepsTheOtherSegments() throws {
        let all = try run(job(source: .file(Self.example), outputs: outputs(segments: 6)))
        let outputs = outputs(segments: 6, without: [ArtifactRef("narration", [3])])
        let some = try run(job(source: .file(Self.example), outputs: outputs))
        #expect(Set(some.keys) == Set(outputs.map(\.artifact)))
        #expect(some[ArtifactRef("narration", [3])] == nil)
        for s in [1, 2, 4, 5, 6] { #expect(some[ArtifactRef("narration", [s])] == all[ArtifactRef("narration", [s])]) }
        #expect(some[ArtifactRef("image_prompt", [3, 1])] == all[ArtifactRef("image_prompt", [3, 1])])
    }

    @Test func wordsPerMinuteSetsTheBudget() throws {
        let texts = try run(job(source: .file(Self.example), outputs: outputs(segments: 6),
                                options: ["words_per_minute": .int(300)]))
        let counts = narrations(texts, 6).map(words)
        #expect(counts.reduce(0, +) > 6 * 35, "\(counts)")
    }

    @Test func kidsGetShorterSentences() throws {
        let general = narrations(try run(job(source: .file(Self.example), outputs: outputs(segments: 6))), 6)
        let kids = narrations(try run(job(source: .file(Self.example), outputs: outputs(segments: 6), audience: "kids")), 6)
        func meanSentence(_ texts: [String]) -> Double {
            let sentences = texts.flatMap { $0.split(separator: ".").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty } }
            return Double(texts.map(words).reduce(0, +)) / Double(sentences.count)
        }
        #expect(meanSentence(kids) < meanSentence(general))
    }

    // MARK: Failing clearly

    @Test func missingSourceSaysWhatToDo() throws {
        let e = #expect(throws: ProducerError.self) { try self.run(self.job(source: .unset, outputs: self.outputs(segments: 6))) }
        #expect(e?.message == "local/article narrates a source text, and this vidfile sets none")
        #expect(e?.help?.contains("source: article.md") == true)
        #expect(e?.help?.contains("provider") == true)
        let blank = article("  \n\n "), headingOnly = article("# Only a heading\n\n---\n")
        #expect(throws: (any Error).self) { try self.run(self.job(source: blank, outputs: self.outputs(segments: 6))) }
        let noSentences = #expect(throws: ProducerError.self) { try self.run(self.job(source: headingOnly, outputs: self.outputs(segments: 6))) }
        #expect(noSentences?.message == "local/article found no sentences to narrate in the source")
    }

    @Test func unknownOutputsAreNamed() throws {
        let outputs = outputs(segments: 1) + [Step.Output(artifact: ArtifactRef("quiz", [1]), type: .text),
                                              Step.Output(artifact: ArtifactRef("title_card"), type: .image)]
        let error = #expect(throws: ProducerError.self) { try self.run(self.job(source: .file(Self.example), outputs: outputs)) }
        let message = error?.message ?? ""
        #expect(message.contains("quiz[1]") && message.contains("title_card (image)"), "\(message)")
        #expect(message.contains("narration[segment]"), "\(message)")
    }

    // MARK: Short and long articles

    /// A short article for a long video: its sentences are split at clause breaks so that each of
    /// the 30 segments has something of its own to say, in order, never repeated.
    @Test func shortArticleIsSplitIntoClauses() throws {
        let sentences = (1...20).map {
            "In year \($0) the village of Ashford built bridge number \($0) over the river, and its farmers carried load \($0) across it to market."
        }
        let texts = try run(job(source: article(sentences.joined(separator: " ")), seconds: 300, outputs: outputs(segments: 30)))
        let narration = narrations(texts, 30)
        #expect(narration.count == 30)
        #expect(Set(narration).count == 30, "no segment repeats another")
        var numbers: [Int] = []
        for text in narration {
            #expect(endsSentence(text), "\(text)")
            #expect(text.first?.isUppercase == true, "\(text)")
            #expect(words(text) >= 5, "\(text)")
            numbers += text.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }
        }
        #expect(numbers == numbers.sorted(), "in the article's order")
        #expect(Set(numbers) == Set(1...20), "the whole article is told")
    }

    @Test func tooShortArticleSaysHowLongAVideoItCanFill() throws {
        let source = article("The bridge opened in 1901. Farmers crossed it.")
        let e = #expect(throws: ProducerError.self) { try self.run(self.job(source: source, seconds: 300, outputs: self.outputs(segments: 30))) }
        #expect(e?.message.contains("cannot narrate 30 segments") == true, "\(e?.message ?? "")")
        #expect(e?.help == "set `duration:` to 20s or less, or give a longer `source:`")
    }

    /// A 1 MB article (the example over and over, each copy its own part) is read whole and still
    /// gives the video it asks for: every requested file, six narrations of the budget's length
    /// that end sentences and are the article's own text, in its order. (How long it takes is
    /// not asserted: a wall-clock bound fails on a busy machine and passes a slow algorithm on a
    /// fast one.)
    @Test func oneMegabyteArticleGivesTheRequestedScript() throws {
        let base = try String(contentsOfFile: Self.example, encoding: .utf8)
        var text = ""
        var copy = 0
        while text.utf8.count < 1_000_000 {
            copy += 1
            text += base.replacingOccurrences(of: "# The American Civil War", with: "## Part \(copy)") + "\n\n"
        }
        let outputs = outputs(segments: 6)
        let texts = try run(job(source: article(text), outputs: outputs))
        #expect(Set(texts.keys) == Set(outputs.map(\.artifact)))
        let narration = narrations(texts, 6)
        #expect(narration.count == 6)
        let source = flat(text)
        var last = source.startIndex
        for (s, said) in narration.enumerated() {
            let n = words(said)
            #expect((12...28).contains(n), "narration[\(s + 1)] has \(n) words, for a budget of 21: \(said)")
            #expect(endsSentence(said), "narration[\(s + 1)] does not end a sentence: \(said)")
            let found = try #require(source.range(of: String(said.dropLast()), range: last..<source.endIndex),
                                     "narration[\(s + 1)] is not the article's text, after the segment before: \(said)")
            last = found.upperBound
        }
        for (ref, said) in texts { #expect(!said.isEmpty, "\(ref) is empty") }
    }

    // MARK: Text handling

    @Test func abbreviationsAndInitialsDoNotEndSentences() {
        let text = """
            Ulysses S. Grant led the U.S. Army to victory. Gen. Grant met Robert E. Lee at 3.5 miles from the town. \
            Mr. Lincoln asked, "Is it over?" he said. Dr. Mudd, Lt. Col. Smith, etc. came too. \
            She said "the end." Then the guns fell silent... Was it over? It was! They moved to the U.S. The war was over.
            """
        #expect(ArticleScript.Sentences.split(text) == [
            "Ulysses S. Grant led the U.S. Army to victory.",
            "Gen. Grant met Robert E. Lee at 3.5 miles from the town.",
            "Mr. Lincoln asked, \"Is it over?\" he said.",
            "Dr. Mudd, Lt. Col. Smith, etc. came too.",
            "She said \"the end.\"",
            "Then the guns fell silent...",
            "Was it over?",
            "It was!",
            "They moved to the U.S.",
            "The war was over.",
        ])
    }

    @Test func markdownIsReducedToPlainParagraphs() {
        let markdown = """
            ---
            author: someone
            ---
            # The *Great* War

            Intro with **bold**, _emphasis_, `code`, a [link](https://example.com "title") and an \
            ![photo](img.png) image.[^1] <b>Tagged</b> &amp; escaped \\*stars\\*, snake_case stays.
            <!-- a comment
            over lines -->
            ## A subheading

            > A quoted
            > paragraph

            - first item
            - second item:
            1. numbered item

            ```swift
            let code = "dropped"
            ```

            | a | b |
            |---|---|

            [^1]: A footnote.
            [ref]: https://example.com
            Second Title
            ============
            Last words
            """
        let text = ArticleScript.MarkdownText(markdown)
        #expect(text.title == "The Great War")
        #expect(text.paragraphs == [
            "Intro with bold, emphasis, code, a link and an image. Tagged & escaped *stars*, snake_case stays.",
            "A quoted paragraph.",
            "first item.",
            "second item.",
            "numbered item.",
            "Last words.",
        ])
    }

    @Test func longSentenceIsCutAtAClauseBoundary() throws {
        let long = "The army marched for many days across the wide and muddy plains of the west, "
            + "while the supply wagons fell further and further behind the long columns of tired men."
        let texts = try run(job(source: article(long + " The end came soon after that."), seconds: 8,
                                outputs: [Step.Output(artifact: ArtifactRef("narration", [1]), type: .text)]))
        #expect(texts[ArtifactRef("narration", [1])] == "The army marched for many days across the wide and muddy plains of the west.")
    }

    @Test func titleComesFromTheInquiryWhenTheArticleHasNoHeading() throws {
        let outputs = [Step.Output(artifact: ArtifactRef("title"), type: .text)]
        let plain = article("Rome grew from a village into an empire. Its roads crossed a continent.")
        #expect(try run(job(source: plain, outputs: outputs, inquiry: "What was the Roman Empire?"))[ArtifactRef("title")] == "The Roman Empire")
        #expect(try run(job(source: plain, outputs: outputs, inquiry: ""))[ArtifactRef("title")] == "Rome grew from a village into an empire")
    }

    @Test func namesAreCalledTheSameInEveryPrompt() throws {
        let source = article("""
            Robert E. Lee took command of the army in 1862. The soldiers cheered as the general rode past the camp.

            Years later, Lee surrendered at Appomattox Court House. His tired army laid down its rifles in the field.
            """)
        let texts = try run(job(source: source, seconds: 20, outputs: outputs(segments: 2)))
        #expect(texts[ArtifactRef("image_prompt", [1, 2])] == "Portrait of Robert E. Lee, 1862, \(Self.style)")
        #expect(texts[ArtifactRef("motion_prompt", [2])] == "Slow pull-back from Robert E. Lee at Appomattox Court House, \(Self.style)")
    }
}
