/// Subtitles from the narration's word times: the cues, and the SRT, WebVTT and ASS files made from
/// them (media-notes §6). Pure functions: they return text and write nothing.
///
/// Cues come from `cues(_:…)`; the writers take any cues, so a caller may also edit them first.
/// Every writer rounds times the same way (`RenderTime.units`, half away from zero), and rounding
/// keeps order, so cues that do not overlap in seconds do not overlap in the file either.
public enum Subtitles {
    /// One subtitle: what is on screen, and from when to when (seconds from the video's start).
    public struct Cue: Sendable, Hashable {
        public var start: Double
        public var end: Double
        /// The text, one string per line, each line the words joined by single spaces.
        public var lines: [String]
        /// The words it shows, in order, with their times (for karaoke).
        public var words: [TimedWord]

        public init(start: Double, end: Double, lines: [String], words: [TimedWord]) {
            self.start = start
            self.end = end
            self.lines = lines
            self.words = words
        }
    }

    /// A silence longer than this between two words always ends a cue.
    static let pause = 0.35
    /// How long a cue may stay up after its last word is spoken, when the next cue leaves room.
    static let linger = 0.3

    // MARK: - Cues

    /// Groups words into cues.
    ///
    /// A cue always ends at the end of a sentence and at a pause (a silence over 0.35 s). A sentence
    /// too long for one cue (more than `maxLines` lines of `maxLineLength` characters, or more than
    /// `maxDuration` seconds of speech) is split into the fewest cues of similar size, preferring to
    /// break after a comma, semicolon, colon or dash and avoiding a break after a word such as "the"
    /// or "of". Within a cue the text takes as few lines as it can, balanced: the longest line is as
    /// short as it can be, and where that leaves a choice the shorter line is on top. A word is never
    /// split: a single word longer than a line gets a line of its own.
    ///
    /// A cue lasts from its first word's start to its last word's end, then lingers up to 0.3 s more
    /// (never past `maxDuration`, unless its words alone take longer), but always ends `minGap`
    /// seconds before the next cue starts, even if that trims its last word. Cues are in order and
    /// never overlap, and no cue ends before it starts.
    ///
    /// Words are taken in order of their start. Line breaks and tabs inside a word become spaces;
    /// empty words are dropped; a word that ends before it starts is read as ending at its start.
    /// Lengths count characters as seen (an emoji with skin tone is one).
    public static func cues(_ words: [TimedWord], maxLineLength: Int = 42, maxLines: Int = 2, maxDuration: Double = 6,
                            minGap: Double = 0.05) -> [Cue] {
        let limits = Limits(lineLength: max(1, maxLineLength), lines: max(1, maxLines), duration: maxDuration)
        var cues = phrases(cleaned(words)).flatMap { split($0, limits) }
        for i in cues.indices {
            let start = cues[i].start, spoken = cues[i].end
            var end = min(spoken + linger, max(spoken, start + maxDuration))
            if i + 1 < cues.count { end = min(end, cues[i + 1].start - minGap) }
            cues[i].end = max(start, end)
        }
        return cues
    }

    /// The limits one cue must keep to.
    struct Limits {
        var lineLength: Int
        var lines: Int
        var duration: Double
    }

    /// The words worth showing, in order of start, each on one line.
    static func cleaned(_ words: [TimedWord]) -> [TimedWord] {
        words.enumerated()
            .compactMap { i, w -> (Int, TimedWord)? in
                let text = singleLine(w.text)
                return text.isEmpty ? nil : (i, TimedWord(text: text, start: w.start, end: max(w.start, w.end)))
            }
            .sorted { ($0.1.start, $0.0) < ($1.1.start, $1.0) }
            .map(\.1)
    }

    /// The text with each run of spaces, tabs and line breaks made one space, and none at either end.
    /// Other characters, no-break spaces included, are kept as they are.
    static func singleLine(_ s: String) -> String {
        s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0.isNewline }).joined(separator: " ")
    }

    /// Runs of words between hard breaks: the end of a sentence, or a pause.
    static func phrases(_ words: [TimedWord]) -> [[TimedWord]] {
        var phrases: [[TimedWord]] = []
        var current: [TimedWord] = []
        for (i, word) in words.enumerated() {
            current.append(word)
            let last = i == words.count - 1
            if last || endsSentence(word.text) || words[i + 1].start - word.end > pause {
                phrases.append(current)
                current = []
            }
        }
        return phrases
    }

    /// Splits a phrase into the cues that cost least (see `cost`): a shortest-path search over the
    /// places a cue may end. Every single word fits a cue of its own, so there is always a way.
    static func split(_ phrase: [TimedWord], _ limits: Limits) -> [Cue] {
        let n = phrase.count
        var best = [Double](repeating: .infinity, count: n + 1)
        var choice = [(from: Int, lines: [String])?](repeating: nil, count: n + 1)
        best[0] = 0
        for i in 0..<n {
            for j in (i + 1)...n {
                let words = phrase[i..<j]
                guard j == i + 1 || words[j - 1].end - words[i].start <= limits.duration,
                      let lines = layout(words.map(\.text), limits) else { break }   // longer ones will not fit either
                let c = best[i] + cost(lines, limits, breakingAfter: j < n ? phrase[j - 1].text : nil)
                if c < best[j] {
                    best[j] = c
                    choice[j] = (i, lines)
                }
            }
        }
        var cues: [Cue] = []
        var j = n
        while j > 0, let (i, lines) = choice[j] {
            cues.append(Cue(start: phrase[i].start, end: phrase[j - 1].end, lines: lines, words: Array(phrase[i..<j])))
            j = i
        }
        return cues.reversed()
    }

    /// What a cue costs: 1 for being there (so fewer cues win), plus the square of the room it leaves
    /// unused (so cues of similar size beat a full one and a scrap), plus a little for ending where
    /// the sentence does not pause: 0 after a comma, semicolon, colon or dash, 0.5 after a stop word
    /// ("the", "of"), 0.25 after any other word. The last cue of a phrase ends at a hard break.
    static func cost(_ lines: [String], _ limits: Limits, breakingAfter word: String?) -> Double {
        let used = lines.reduce(lines.count - 1) { $0 + $1.count }
        let room = max(0, 1 - Double(used) / Double(limits.lineLength * limits.lines))
        var cost = 1 + room * room
        if let word, !endsClause(word) {
            cost += ArticleScript.Lexicon.stopWords.contains(bare(word).lowercased()) ? 0.5 : 0.25
        }
        return cost
    }

    /// The words set in as few lines as the limits allow, or nil if they need more than
    /// `limits.lines`. The lines are balanced: the narrowest width that still needs no more lines
    /// is found, and the words are filled from the end at that width, so any slack is on top.
    static func layout(_ words: [String], _ limits: Limits) -> [String]? {
        let lengths = words.map(\.count)
        let needed = fill(lengths, width: limits.lineLength).count
        guard needed <= limits.lines else { return nil }
        let total = lengths.reduce(lengths.count - 1, +)
        var width = min(max(1, total / needed - 1), limits.lineLength)   // no narrower width can do
        var lines = fill(lengths, width: width)
        while lines.count > needed {
            width += 1
            lines = fill(lengths, width: width)
        }
        return lines.map { words[$0].joined(separator: " ") }
    }

    /// Greedy filling from the last word backwards: each line takes as many words as fit `width`
    /// (a word longer than `width` takes a line alone). Greedy filling needs the fewest lines.
    static func fill(_ lengths: [Int], width: Int) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        var end = lengths.count, length = 0
        for i in lengths.indices.reversed() {
            if i + 1 < end, length + 1 + lengths[i] > width {
                lines.append(i + 1..<end)
                end = i + 1
                length = lengths[i]
            } else {
                length += (i + 1 < end ? 1 : 0) + lengths[i]
            }
        }
        if end > 0 { lines.append(0..<end) }
        return lines.reversed()
    }

    /// Whether the word ends a sentence: `.` `!` `?` `…` (or `。` `！` `？` `؟`), perhaps inside a
    /// closing quote or bracket, but not a title such as "Dr." or "Gen." that stands before a name.
    static func endsSentence(_ word: String) -> Bool {
        var scalars = Array(word.unicodeScalars)
        while let c = scalars.last, ArticleScript.Lexicon.isCloser(c) { scalars.removeLast() }
        guard let c = scalars.last, ArticleScript.Lexicon.isEnder(c) || "。！？؟".unicodeScalars.contains(c) else { return false }
        if c == "." {
            var stem = String.UnicodeScalarView()
            stem.append(contentsOf: scalars.dropLast())
            return !ArticleScript.Lexicon.titleAbbreviations.contains(String(stem).lowercased())
        }
        return true
    }

    /// Whether the word ends a clause: `,` `;` `:` `—` `–` (or `،` `，` `、`), perhaps inside a
    /// closing quote or bracket.
    static func endsClause(_ word: String) -> Bool {
        guard let c = word.unicodeScalars.last(where: { !ArticleScript.Lexicon.isCloser($0) }) else { return false }
        return ",;:—–،，、".unicodeScalars.contains(c)
    }

    /// The word without punctuation at either end.
    static func bare(_ word: String) -> String {
        let letters = Array(word.unicodeScalars)
        guard let first = letters.firstIndex(where: ArticleScript.Lexicon.isLetterOrDigit),
              let last = letters.lastIndex(where: ArticleScript.Lexicon.isLetterOrDigit) else { return "" }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: letters[first...last])
        return String(out)
    }

    // MARK: - SRT and WebVTT

    /// SubRip (`.srt`): for each cue its number from 1, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, its lines and
    /// a blank line. Lines end in LF. A line break inside a line becomes a space (a blank line
    /// would end the cue early), and a cue with no text is left out. SRT has no escapes, and
    /// players read markup in it; the text is made literal by `srtLiteral`.
    public static func srt(_ cues: [Cue]) -> String {
        var out = ""
        var number = 0
        for cue in cues {
            let lines = shownLines(cue)
            guard !lines.isEmpty else { continue }
            number += 1
            out += "\(number)\n\(clock(cue.start, ",")) --> \(clock(max(cue.start, cue.end), ","))\n"
            out += lines.map { srtLiteral($0) + "\n" }.joined() + "\n"
        }
        return out
    }

    /// U+2060 WORD JOINER: no width, no break, no glyph.
    static let joiner: Character = "\u{2060}"

    /// A line of text that SRT readers show as it is. They take `<b>`, `<font …>` as tags,
    /// `{\…}` as ASS overrides, `\N` `\n` `\h` as breaks and spaces, and a `-->` as a
    /// timing line that starts a new cue (ffmpeg, VLC, mpv, players built on them). An
    /// invisible word joiner after each `<`, `{` and `\`, and inside `-->`, leaves the glyphs
    /// as they were and none of those forms: ffmpeg reads the text back literally.
    static func srtLiteral(_ line: String) -> String {
        var out = ""
        var previous: [Character] = []
        for c in line {
            if c == ">" && previous.suffix(2) == ["-", "-"] { out.append(joiner) }
            out.append(c)
            if c == "<" || c == "{" || c == "\\" { out.append(joiner) }
            previous.append(c)
            if previous.count > 2 { previous.removeFirst() }
        }
        return out
    }

    /// WebVTT (`.vtt`): a `WEBVTT` line and a blank line, then for each cue
    /// `HH:MM:SS.mmm --> HH:MM:SS.mmm`, its lines and a blank line. `&`, `<` and `>` are written as
    /// `&amp;`, `&lt;` and `&gt;`, so text can neither open a tag nor contain `-->`.
    public static func webVTT(_ cues: [Cue]) -> String {
        var out = "WEBVTT\n\n"
        for cue in cues {
            let lines = shownLines(cue)
            guard !lines.isEmpty else { continue }
            out += "\(clock(cue.start, ".")) --> \(clock(max(cue.start, cue.end), "."))\n"
            out += lines.map { vttEscaped($0) + "\n" }.joined() + "\n"
        }
        return out
    }

    /// The cue's lines as they may be written: each on one line, empty ones left out.
    static func shownLines(_ cue: Cue) -> [String] {
        cue.lines.map(singleLine).filter { !$0.isEmpty }
    }

    /// `HH:MM:SS` then `separator` and milliseconds (hours keep growing past 99). Negative times are 0.
    static func clock(_ seconds: Double, _ separator: String) -> String {
        let ms = RenderTime.units(max(0, seconds), perSecond: 1000)
        let s = ms / 1000
        return "\(RenderTime.padded(s / 3600, 2)):\(RenderTime.padded(s / 60 % 60, 2)):\(RenderTime.padded(s % 60, 2))"
            + separator + RenderTime.padded(ms % 1000, 3)
    }

    static func vttEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(c)
            }
        }
        return out
    }
}
