import RecipeParser

/// What an upload needs besides the video: title, description with chapters, and tags, as JSON.
public enum Metadata {
    /// A chapter: a scene, from its start.
    public struct Chapter: Sendable, Hashable {
        /// Seconds from the video's start, to the millisecond.
        public var start: Double
        public var title: String

        public init(start: Double, title: String) {
            self.start = start
            self.title = title
        }
    }

    /// At most this many words make a chapter title.
    static let titleWords = 6

    /// `{"title", "description", "duration", "chapters": [{"start", "start_text", "title"}], "tags",
    /// "width", "height", "fps"}`, keys sorted, ending in a line break.
    ///
    /// The description is the summary, then, after a blank line, one `0:00 Title` line per chapter
    /// when the chapters make a list YouTube accepts (see `youTubeChapters`); otherwise the summary
    /// alone. `chapters` always lists every scene.
    public static func json(_ t: Timeline, tags: [String]) -> String {
        let chapters = chapters(t)
        let list = youTubeChapters(chapters, duration: t.duration)
        let description = [t.summary, list ?? ""].filter { !$0.isEmpty }.joined(separator: "\n\n")
        let json = JSON.object([
            "title": .string(t.title),
            "description": .string(description),
            "duration": .number(t.duration),
            "chapters": .array(chapters.map { c in
                .object(["start": .number(c.start), "start_text": .string(stamp(c.start)), "title": .string(c.title)])
            }),
            "tags": .array(tags.map(JSON.string)),
            "width": .int(t.width),
            "height": .int(t.height),
            "fps": .int(t.fps),
        ])
        return json.serialized() + "\n"
    }

    /// One chapter per scene, at the scene's start (while the transition into it begins), titled
    /// with the first words of its narration (see `chapterTitle`), or "Segment N" without one.
    public static func chapters(_ t: Timeline) -> [Chapter] {
        t.scenes.map { scene in
            let spoken = scene.narration.map { $0.text.isEmpty ? $0.words.map(\.text).joined(separator: " ") : $0.text } ?? ""
            let title = chapterTitle(spoken)
            return Chapter(start: Double(RenderTime.units(max(0, scene.start), perSecond: 1000)) / 1000,
                           title: title.isEmpty ? "Segment \(scene.index)" : title)
        }
    }

    /// The chapter lines for a YouTube description, `0:00 Title` each, or nil when YouTube would
    /// not read them as chapters: it needs the first at 0:00, at least three, and each at least ten
    /// seconds long (the last one until the end of the video). Times are whole seconds, rounded down
    /// as the stamps are written.
    static func youTubeChapters(_ chapters: [Chapter], duration: Double) -> String? {
        let starts = chapters.map { wholeSeconds($0.start) }
        let ends = starts.dropFirst() + [wholeSeconds(duration)]
        guard chapters.count >= 3, starts.first == 0, zip(starts, ends).allSatisfy({ $1 - $0 >= 10 }) else { return nil }
        return chapters.map { stamp($0.start) + " " + $0.title }.joined(separator: "\n")
    }

    /// A time as YouTube writes it, rounded down to the second: `M:SS`, or `H:MM:SS` from an hour.
    static func stamp(_ seconds: Double) -> String {
        let s = wholeSeconds(seconds)
        let m = s / 60 % 60, h = s / 3600
        return h > 0 ? "\(h):\(RenderTime.padded(m, 2)):\(RenderTime.padded(s % 60, 2))" : "\(s / 60):\(RenderTime.padded(s % 60, 2))"
    }

    /// Seconds rounded down; 0 for negative or not-finite times.
    static func wholeSeconds(_ seconds: Double) -> Int {
        seconds.isFinite ? max(0, Int(seconds.rounded(.down))) : 0
    }

    /// The first words of a narration, up to six; shorter when a punctuation mark ends a clause or
    /// sentence after at least two words (the title stops there). Quotes and punctuation at either
    /// end are dropped. Empty if the narration has no words.
    static func chapterTitle(_ narration: String) -> String {
        var words: [String] = []
        for word in narration.split(whereSeparator: { $0.isWhitespace }).prefix(titleWords) {
            words.append(String(word))
            if words.count >= 2, Subtitles.endsClause(String(word)) || Subtitles.endsSentence(String(word)) { break }
        }
        guard !words.isEmpty else { return "" }
        words[0] = String(words[0].drop(while: isPunctuation))
        words[words.count - 1] = String(words[words.count - 1].reversed().drop(while: isPunctuation).reversed())
        return words.filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// Neither a letter nor a digit nor a symbol such as an emoji.
    private static func isPunctuation(_ c: Character) -> Bool {
        c.isPunctuation || c.isWhitespace
    }

    // MARK: - Tags

    /// Up to ten distinct tags for the video, lower-case, most telling first.
    ///
    /// Names written with capitals over several words ("Abraham Lincoln", "Battle of Gettysburg")
    /// are kept as one phrase; other words count alone, unless they are stop words ("the", "which"),
    /// shorter than three letters (two-letter capitals such as "AI" are kept) or without a letter.
    /// A possessive "'s" is dropped. A title in Title Case says nothing about names, so its
    /// phrases are only those the summary capitalises. Each use in the title counts 3 and in the
    /// summary 1, a phrase 1 more; ties go to the one used first.
    public static func tags(title: String, summary: String) -> [String] {
        let titleWords = tokens(title), summaryWords = tokens(summary)
        var names = nameRuns(summaryWords)
        if !isTitleCased(titleWords) { names.formUnion(nameRuns(titleWords)) }
        let longest = names.map { $0.count }.max() ?? 0

        var scores: [String: (score: Int, first: Int)] = [:]
        func add(_ tag: String, _ weight: Int) {
            let old = scores[tag] ?? (0, scores.count)
            scores[tag] = (old.score + weight, old.first)
        }
        for (words, weight) in [(titleWords, 3), (summaryWords, 1)] {
            var i = 0
            scan: while i < words.count {
                for n in stride(from: min(longest, words.count - i), through: 2, by: -1) {
                    let phrase = words[i..<i + n].map(\.lower)
                    if names.contains(phrase), !words[i..<i + n - 1].contains(where: \.breakAfter) {
                        let tag = phrase.joined(separator: " ")
                        add(tag, weight + (scores[tag] == nil ? 1 : 0))
                        i += n
                        continue scan
                    }
                }
                if isKeyword(words[i]) { add(words[i].lower, weight) }
                i += 1
            }
        }
        return scores.sorted { ($0.value.score, -$0.value.first) > ($1.value.score, -$1.value.first) }.prefix(10).map(\.key)
    }

    /// A word of running text, without punctuation at either end or a possessive "'s".
    struct Token {
        var text: String
        var lower: String
        /// The first word of a sentence, where a capital says nothing.
        var sentenceStart: Bool
        /// Punctuation follows it, so no name runs on past it.
        var breakAfter: Bool
        var capitalised: Bool { text.unicodeScalars.first.map(ArticleScript.Lexicon.isUppercase) ?? false }
    }

    static func tokens(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var sentenceStart = true
        for piece in text.split(whereSeparator: { $0.isWhitespace }).map(String.init) {
            var core = Subtitles.bare(piece)
            for possessive in ["'s", "’s"] where core.hasSuffix(possessive) { core.removeLast(2) }
            if core.isEmpty {
                if !tokens.isEmpty { tokens[tokens.count - 1].breakAfter = true }
            } else {
                if !(piece.first.map { $0.isLetter || $0.isNumber } ?? false), !tokens.isEmpty { tokens[tokens.count - 1].breakAfter = true }
                let last = piece.last.map { $0.isLetter || $0.isNumber } ?? false
                tokens.append(Token(text: core, lower: core.lowercased(), sentenceStart: sentenceStart, breakAfter: !last))
            }
            sentenceStart = Subtitles.endsSentence(piece)
        }
        return tokens
    }

    /// The capitalised runs of two words or more, each as its lower-case words: capitalised words
    /// in a row, perhaps joined by "of", "the", "de", …, with no punctuation between them. A stop
    /// word opening a sentence ("The", "In") is not part of the name.
    static func nameRuns(_ words: [Token]) -> Set<[String]> {
        var runs = Set<[String]>()
        var i = 0
        while i < words.count {
            guard words[i].capitalised else { i += 1; continue }
            var j = i + 1
            while j < words.count, !words[j - 1].breakAfter {
                if words[j].capitalised {
                    j += 1
                } else if j + 1 < words.count, ArticleScript.Lexicon.connectors.contains(words[j].lower), !words[j].breakAfter,
                          words[j + 1].capitalised {
                    j += 2
                } else {
                    break
                }
            }
            var start = i
            if words[i].sentenceStart, ArticleScript.Lexicon.stopWords.contains(words[i].lower) { start += 1 }
            if j - start >= 2 { runs.insert(words[start..<j].map(\.lower)) }
            i = j
        }
        return runs
    }

    /// Whether every word that is not a stop word starts with a capital, as in "The Fall of Rome".
    static func isTitleCased(_ words: [Token]) -> Bool {
        let content = words.filter { !ArticleScript.Lexicon.stopWords.contains($0.lower) }
        return content.count >= 2 && content.allSatisfy(\.capitalised)
    }

    static func isKeyword(_ word: Token) -> Bool {
        guard !ArticleScript.Lexicon.stopWords.contains(word.lower), word.text.contains(where: \.isLetter) else { return false }
        return word.text.count >= 3 || (word.text.count == 2 && word.text.allSatisfy(\.isUppercase))
    }
}
