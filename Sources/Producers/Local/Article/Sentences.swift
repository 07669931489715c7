// Sentences and words for `local/article`: the sentence splitter and its abbreviation rules, UTF-8
// text read a scalar at a time, and the `Word` and `Sentence` that scoring and prompts work on.

extension ArticleScript {
    // MARK: - Sentences and words

    /// Splits plain text into sentences. A sentence ends at `.` `!` `?` or `…` (closing quotes and
    /// brackets after it belong to it) when a space and a capital letter or digit follow — so decimals
    /// (`3.5`), a question inside a quote (`"Why?" he asked`) and an ellipsis mid-sentence do not end one.
    /// A period after an abbreviation does not end one either: never after a title or `e.g.`
    /// (`Gen. Grant`, `Dr. Mudd`); after an initial (`Robert E. Lee`), a dotted abbreviation (`U.S.`)
    /// or another known one (`etc.`, `St.`) only when the next word is a capitalized stop word
    /// (`… born in the U.S. The war …`).
    enum Sentences {
        static func split(_ paragraph: String) -> [String] {
            let t = UTF8Text(paragraph)
            let count = t.count
            var sentences: [String] = []
            var start = 0
            var i = 0
            while i < count {
                let (c, after) = t.scalar(at: i)
                guard Lexicon.isEnder(c) else {
                    i = after
                    continue
                }
                var end = after
                while end < count, case let (d, next) = t.scalar(at: end), Lexicon.isEnder(d) || Lexicon.isCloser(d) { end = next }
                let single = c == "." && (after == count || !Lexicon.isEnder(t.scalar(at: after).scalar))
                if end < count, Lexicon.isSpace(t.scalar(at: end).scalar), let next = nextWord(t, end),
                   next.capitalized || next.digit, !(single && abbreviation(t, before: i, next: next.text)) {
                    append(t, start..<end, to: &sentences)
                    start = end
                }
                i = end
            }
            append(t, start..<count, to: &sentences)
            return sentences
        }

        private static func append(_ t: UTF8Text, _ range: Range<Int>, to sentences: inout [String]) {
            let trimmed = t.trimmed(range)
            if !trimmed.isEmpty { sentences.append(t.string(trimmed)) }
        }

        /// The word after `i` (after spaces and opening quotes): its letters, and how it starts.
        private static func nextWord(_ t: UTF8Text, _ i: Int) -> (text: String, capitalized: Bool, digit: Bool)? {
            var j = i
            while j < t.count, case let (c, next) = t.scalar(at: j), Lexicon.isSpace(c) || Lexicon.isOpener(c) { j = next }
            guard j < t.count else { return nil }
            let first = t.scalar(at: j).scalar
            var k = j
            while k < t.count, case let (c, next) = t.scalar(at: k), Lexicon.isLetterOrDigit(c) { k = next }
            return (t.string(j..<k), Lexicon.isUppercase(first), Lexicon.isDigit(first))
        }

        /// Whether the period at `i` closes an abbreviation rather than the sentence.
        private static func abbreviation(_ t: UTF8Text, before i: Int, next: String) -> Bool {
            var j = i
            while j > 0, case let p = t.start(before: j), case let c = t.scalar(at: p).scalar, Lexicon.isLetterOrDigit(c) || c == "." {
                j = p
            }
            let word = t.string(j..<i)
            guard let first = word.unicodeScalars.first else { return false }
            let lower = word.lowercased()
            if Lexicon.titleAbbreviations.contains(lower) { return true }
            let initial = word.unicodeScalars.count == 1 && Lexicon.isUppercase(first)
            let dotted = word.contains(".") && word.unicodeScalars.allSatisfy { $0 == "." || Lexicon.isLetter($0) }
            guard initial || dotted || Lexicon.otherAbbreviations.contains(lower) else { return false }
            return !Lexicon.stopWords.contains(next.lowercased())
        }
    }

    /// Text as UTF-8 bytes, read a Unicode scalar at a time and cut into strings by byte offset:
    /// the sentence splitter and the word splitter read every character of the article this way.
    struct UTF8Text {
        private let bytes: [UInt8]

        init(_ text: String) { bytes = Array(text.utf8) }

        var count: Int { bytes.count }

        /// The scalar that starts at byte `i`, and where the next one starts.
        func scalar(at i: Int) -> (scalar: Unicode.Scalar, next: Int) {
            let lead = bytes[i]
            if lead < 0x80 { return (Unicode.Scalar(lead), i + 1) }
            let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
            var value = UInt32(lead) & (0x7F >> length)
            for k in 1..<length where i + k < bytes.count { value = value << 6 | UInt32(bytes[i + k] & 0x3F) }
            return (Unicode.Scalar(value) ?? "\u{FFFD}", min(i + length, bytes.count))
        }

        /// Whether byte `i` is an ASCII letter or digit: the common case, read without decoding.
        func isASCIILetterOrDigit(at i: Int) -> Bool {
            let b = bytes[i]
            return (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
        }

        /// Where the scalar before byte `i` starts.
        func start(before i: Int) -> Int {
            var j = i - 1
            while j > 0, bytes[j] & 0xC0 == 0x80 { j -= 1 }
            return j
        }

        func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

        /// The range without ASCII whitespace at either end.
        func trimmed(_ range: Range<Int>) -> Range<Int> {
            var (lower, upper) = (range.lowerBound, range.upperBound)
            while lower < upper, Lexicon.isSpace(Unicode.Scalar(bytes[lower])) { lower += 1 }
            while upper > lower, Lexicon.isSpace(Unicode.Scalar(bytes[upper - 1])) { upper -= 1 }
            return lower..<upper
        }
    }

    /// A word of a sentence, with what the scorer and the prompt writer need to know of it.
    struct Word {
        /// As written: `Grant's`, `U.S.`, `75,000`, `E.`, `little-known`.
        var text: String
        /// Lowercased, without a possessive `'s` or a final period: `grant`, `u.s`, `e`.
        var lower: String
        /// `lower` without a plural ending: the word as the scorer counts it (`armies` → `army`).
        var key: String
        /// Where the word ends in its sentence, in UTF-8 bytes.
        var end: Int
        /// The first mark after the word, before the next one (`,` `;` `—` `"` `.`), if any.
        var mark: Unicode.Scalar?
        var isCapitalized: Bool
        /// First in its sentence, or after a colon or a quote: its capital says nothing about it.
        var opensSentence: Bool
        /// Not a stop word, and a number or longer than one letter: a word that carries meaning.
        var isContent: Bool
        var isNumber: Bool
        /// Four digits from 1000 to 2999.
        var isYear: Bool
        /// `E.` in `Robert E. Lee`.
        var isInitial: Bool

        /// The words of a sentence. Apostrophes, hyphens and periods between letters join a word
        /// (`Grant's`, `little-known`, `U.S`, `3.5`), as do commas between digits (`75,000`); a period
        /// after an initial or an abbreviation belongs to it.
        static func words(of sentence: String) -> [Word] {
            let t = UTF8Text(sentence)
            let count = t.count
            var words: [Word] = []
            var gapStart = 0
            var i = 0
            while i < count {
                let (c, after) = t.scalar(at: i)
                guard Lexicon.isLetterOrDigit(c) else {
                    i = after
                    continue
                }
                let start = i
                i = endOfWord(t, start: start, after: after)
                var opens = words.isEmpty
                var j = gapStart
                while j < start {
                    let (g, next) = t.scalar(at: j)
                    if !Lexicon.isSpace(g) {
                        if !words.isEmpty, words[words.count - 1].mark == nil { words[words.count - 1].mark = g }
                        opens = opens || g == ":" || Lexicon.isQuote(g)
                    }
                    j = next
                }
                words.append(Word(t, start..<i, opensSentence: opens))
                gapStart = i
            }
            while gapStart < count, !words.isEmpty, words[words.count - 1].mark == nil {
                let (g, next) = t.scalar(at: gapStart)
                if !Lexicon.isSpace(g) { words[words.count - 1].mark = g }
                gapStart = next
            }
            return words
        }

        private init(_ t: UTF8Text, _ range: Range<Int>, opensSentence: Bool) {
            text = t.string(range)
            var lower = text.lowercased()
            if (lower.hasSuffix("'s") || lower.hasSuffix("’s")) && lower.utf8.count > 3 {
                lower.removeLast(2)
            } else if lower.hasSuffix(".") && lower.utf8.count > 1 {
                lower.removeLast()
            }
            let first = t.scalar(at: range.lowerBound).scalar
            self.lower = lower
            key = Self.singular(lower)
            end = range.upperBound
            mark = nil
            isCapitalized = Lexicon.isUppercase(first)
            self.opensSentence = opensSentence
            isNumber = Lexicon.isDigit(first)
            isContent = !Lexicon.stopWords.contains(lower) && (isNumber || lower.utf8.count > 1)
            isYear = isNumber && lower.utf8.count == 4 && (first == "1" || first == "2") && Int(lower) != nil
            isInitial = isCapitalized && text.hasSuffix(".") && text.unicodeScalars.count == 2
        }

        /// Where the word that starts at `start` (its first scalar ending at `after`) ends.
        private static func endOfWord(_ t: UTF8Text, start: Int, after: Int) -> Int {
            let count = t.count
            var j = after
            while j < count {
                if t.isASCIILetterOrDigit(at: j) {
                    j += 1
                    continue
                }
                let (c, next) = t.scalar(at: j)
                if Lexicon.isLetterOrDigit(c) {
                    j = next
                    continue
                }
                // A mark that joins what is before and after it: `Grant's`, `little-known`, `75,000`.
                guard next < count, case let (d, beyond) = t.scalar(at: next), Lexicon.isLetterOrDigit(d),
                      joins(c, t.scalar(at: t.start(before: j)).scalar, d) else { break }
                j = beyond
            }
            if j < count, t.scalar(at: j).scalar == ".", takesPeriod(t.string(start..<j)) { j += 1 }
            return j
        }

        private static func joins(_ c: Unicode.Scalar, _ before: Unicode.Scalar, _ after: Unicode.Scalar) -> Bool {
            switch c {
            case "'", "’", "-", "‐", ".": return true
            case ",": return Lexicon.isDigit(before) && Lexicon.isDigit(after)
            default: return false
            }
        }

        private static func takesPeriod(_ word: String) -> Bool {
            let scalars = word.unicodeScalars
            if scalars.count == 1 { return scalars.first.map(Lexicon.isUppercase) ?? false }
            if word.contains(".") { return scalars.allSatisfy { $0 == "." || Lexicon.isLetter($0) } }
            let lower = word.lowercased()
            return Lexicon.titleAbbreviations.contains(lower) || Lexicon.otherAbbreviations.contains(lower)
        }

        /// `armies` → `army`, `churches` → `church`, `troops` → `troop`; `class`, `status`, `crisis` stay.
        private static func singular(_ w: String) -> String {
            guard w.hasSuffix("s"), w.utf8.count > 3, w.unicodeScalars.allSatisfy(Lexicon.isLetter) else { return w }
            if w.hasSuffix("ies") { return String(w.dropLast(3)) + "y" }
            if w.hasSuffix("ss") || w.hasSuffix("us") || w.hasSuffix("is") { return w }
            if w.hasSuffix("ches") || w.hasSuffix("shes") || w.hasSuffix("xes") { return String(w.dropLast(2)) }
            return String(w.dropLast())
        }
    }

    /// A sentence of the article — or, when the article is short, a clause of one — with its words.
    struct Sentence {
        var text: String
        var words: [Word]
        /// Its paragraph, counting from 0, and whether it opens it.
        var paragraph: Int
        var opensParagraph: Bool

        init(_ text: String, paragraph: Int, opensParagraph: Bool) {
            self.text = text
            words = Word.words(of: text)
            self.paragraph = paragraph
            self.opensParagraph = opensParagraph
        }

        /// Opens on a word that points back to what came before (`That`, `He`, `But`), and so reads
        /// badly on its own.
        var refersBack: Bool { words.first.map { Lexicon.referringBack.contains($0.lower) } ?? false }

        /// The sentence up to the end of word `k`, closed with a period: `About 23,000 men were killed.`
        func text(upTo k: Int) -> String {
            let head = String(decoding: text.utf8.prefix(words[k].end), as: UTF8.self)
            return head.hasSuffix(".") ? head : head + "."
        }

        /// The sentence cut in two after word `k`: the first part closed with a period, the second
        /// opening with a capital.
        func split(after k: Int) -> (Sentence, Sentence) {
            let tail = String(decoding: text.utf8.dropFirst(words[k].end), as: UTF8.self)
            let rest = String(tail.unicodeScalars.drop { !Lexicon.isLetterOrDigit($0) })
            return (Sentence(text(upTo: k), paragraph: paragraph, opensParagraph: opensParagraph),
                    Sentence(rest.prefix(1).uppercased() + rest.dropFirst(), paragraph: paragraph, opensParagraph: false))
        }
    }
}
