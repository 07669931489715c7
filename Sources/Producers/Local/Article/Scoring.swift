// Scoring for `local/article`: word weights over the whole article (`Article`, `Tally`), the choice
// of each segment's passage (`Narrator`), and the clause breaks where a sentence may be cut.

import Foundation
import RecipeParser

extension ArticleScript {
    // MARK: - The article

    /// What a passage holds, added up sentence by sentence, so that a run of sentences is scored
    /// without reading it again.
    struct Tally {
        var words = 0
        var sentences = 0
        /// The summed weight of the content words, and how many there are.
        var weight = 0.0
        var contentWords = 0
        /// Capitalized words inside sentences, and dates (years and months).
        var names = 0
        var dates = 0

        static func + (a: Tally, b: Tally) -> Tally {
            Tally(words: a.words + b.words, sentences: a.sentences + b.sentences, weight: a.weight + b.weight,
                  contentWords: a.contentWords + b.contentWords, names: a.names + b.names, dates: a.dates + b.dates)
        }

        /// The mean weight of the content words, plus a little for each name and date (up to a few).
        var information: Double {
            (contentWords > 0 ? weight / Double(contentWords) : 0) + 0.03 * Double(min(names, 4)) + 0.05 * Double(min(dates, 2))
        }
    }

    /// The article as the narrator and the prompt writer read it: its sentences in order, a weight
    /// for each content word, and the names it uses.
    struct Article {
        /// The first `#` heading.
        let heading: String?
        let inquiry: String
        let sentences: [Sentence]
        let names: NameIndex
        /// Content word → log(1 + count) ÷ log(1 + the top count), plus 0.25 for words of the inquiry.
        private let weights: [String: Double]

        init(markdown: String, inquiry: String) {
            let text = MarkdownText(markdown)
            var sentences: [Sentence] = []
            for (p, paragraph) in text.paragraphs.enumerated() {
                for (k, sentence) in Sentences.split(paragraph).enumerated() {
                    sentences.append(Sentence(sentence, paragraph: p, opensParagraph: k == 0))
                }
            }
            heading = text.title
            self.inquiry = inquiry
            self.sentences = sentences
            names = NameIndex(sentences)
            weights = Self.weights(sentences, asked: Set(Word.words(of: inquiry).filter(\.isContent).map(\.key)))
        }

        private static func weights(_ sentences: [Sentence], asked: Set<String>) -> [String: Double] {
            var counts: [String: Int] = [:]
            for sentence in sentences {
                for word in sentence.words where word.isContent { counts[word.key, default: 0] += 1 }
            }
            let scale = log(1 + Double(counts.values.max() ?? 1))
            var weights: [String: Double] = [:]
            for (key, count) in counts { weights[key] = log(1 + Double(count)) / scale + (asked.contains(key) ? 0.25 : 0) }
            return weights
        }

        func weight(_ key: String) -> Double { weights[key] ?? 0 }

        /// What a sentence, or its first words, holds.
        func tally(_ words: ArraySlice<Word>) -> Tally {
            var t = Tally(words: words.count, sentences: 1)
            for word in words {
                if word.isContent, let w = weights[word.key] {
                    t.weight += w
                    t.contentWords += 1
                }
                if word.isCapitalized, !word.opensSentence { t.names += 1 }
                if word.isYear || (word.isCapitalized && Lexicon.months.contains(word.lower)) { t.dates += 1 }
            }
            return t
        }
    }

    // MARK: - Narration

    /// What one segment says: sentences, or one sentence cut short, in the article's order.
    struct Passage {
        var text: String
        /// The words of each sentence read, for finding what the segment shows.
        var sentences: [[Word]]
    }

    /// Chooses what each segment says.
    ///
    /// The article's sentences are cut into as many consecutive parts as there are segments, each
    /// sentence going to the part its middle word falls in when the words are shared out evenly (no
    /// part left empty). Each segment reads the best candidate of its part: a run of one to three
    /// consecutive sentences, or a sentence longer than the budget cut at a clause break. A candidate
    /// scores its information (plus 0.1 when it opens a paragraph) × how well it fills the word
    /// budget; × 0.75 when it opens on a word that refers back, × 0.85 × the break's strength when
    /// cut, and for kids × 12 ÷ its mean sentence length when that is above 12 words. The first
    /// segment reads the article's lead (the hook) and the last its ending, else its last paragraph
    /// (the close), whenever a candidate there fits the budget. Ties go to the earlier candidate.
    ///
    /// An article with fewer sentences than segments has its sentences split at clause breaks,
    /// longest first, until there are enough; if even that is too few, the narrator fails and says
    /// how long a video the article can fill. It never repeats a sentence.
    struct Narrator {
        let article: Article
        /// Words per segment: segment seconds × words per minute ÷ 60.
        let budget: Double
        let kids: Bool

        /// How well a passage of `words` words fills a budget: 1 at the budget, a little less across
        /// 70–115 % of it, falling fast outside.
        static func fit(_ words: Int, _ budget: Double) -> Double {
            let r = Double(words) / max(budget, 1)
            if r < 0.7 { return 0.91 * (r / 0.7) * (r / 0.7) }
            if r <= 1.15 { return 1 - 0.3 * abs(r - 1) }
            return 0.955 * pow(1.15 / r, 4)
        }

        func passages(count: Int, segmentSeconds: Double) throws(ProducerError) -> [Passage] {
            let units = Self.units(article.sentences, atLeast: count)
            guard units.count >= count else {
                let words = units.reduce(0) { $0 + $1.words.count }
                let longest = TimeSpan(seconds: Double(units.count) * segmentSeconds)
                throw ProducerError("local/article cannot narrate \(count) segments from this source: it has only \(units.count) "
                                        + "sentences and clauses (\(words) words), and each segment needs one of its own",
                                    help: "set `duration:` to \(longest) or less, or give a longer `source:`")
            }
            let tallies = units.map { article.tally($0.words[...]) }
            return Self.parts(tallies.map(\.words), count: count).enumerated().map { segment, part in
                best(in: part, segment: segment, of: count, units, tallies)
            }
        }

        /// The sentences, split at their best clause breaks (the longest sentence first) while there
        /// are fewer than `count` and some sentence has a break leaving three words or more each side.
        static func units(_ sentences: [Sentence], atLeast count: Int) -> [Sentence] {
            var units = sentences
            while units.count < count {
                var pick: (index: Int, word: Int)?
                var longest = 0
                for (i, unit) in units.enumerated() where unit.words.count > longest {
                    guard let word = middleBreak(unit) else { continue }
                    pick = (i, word)
                    longest = unit.words.count
                }
                guard let pick else { break }
                let (head, tail) = units[pick.index].split(after: pick.word)
                units.replaceSubrange(pick.index...pick.index, with: [head, tail])
            }
            return units
        }

        /// The strongest clause break nearest the middle that leaves three words or more each side.
        private static func middleBreak(_ unit: Sentence) -> Int? {
            let n = Double(unit.words.count)
            var best: (word: Int, value: Double)?
            for b in unit.clauseBreaks() where b.word >= 2 && b.word <= unit.words.count - 4 {
                let value = b.strength * (1 - abs(Double(b.word + 1) - n / 2) / n)
                if value > (best?.value ?? 0) { best = (b.word, value) }
            }
            return best?.word
        }

        /// `count` consecutive, non-empty ranges of units, balanced by word count: a unit goes to the
        /// part its middle word falls in, moving on by at most one part per unit and never leaving
        /// fewer units than parts still to fill. Needs at least `count` units.
        static func parts(_ words: [Int], count: Int) -> [Range<Int>] {
            let total = Double(max(1, words.reduce(0, +)))
            var starts = [0]
            var part = 0
            var seen = 0
            for (i, n) in words.enumerated() where i > 0 {
                let middle = Double(seen + words[i - 1]) + Double(n) / 2
                let ideal = min(count - 1, Int(middle * Double(count) / total))
                let next = min(part + 1, max(part, ideal, count - (words.count - i)))
                if next > part { starts.append(i) }
                part = next
                seen += words[i - 1]
            }
            return zip(starts, starts.dropFirst() + [words.count]).map { $0..<$1 }
        }

        private struct Candidate {
            var run: ClosedRange<Int>
            /// The last word read, when the sentence is cut short.
            var cut: Int?
            var words: Int
            var score: Double
        }

        /// The passage a segment reads: its part's best candidate. The first segment takes the best
        /// that opens the article; the last takes the best that ends the article, else the best that
        /// ends in its last paragraph — each time only if one of those fills 60–130 % of the budget.
        private func best(in part: Range<Int>, segment: Int, of count: Int, _ units: [Sentence], _ tallies: [Tally]) -> Passage {
            let candidates = self.candidates(in: part, units, tallies)
            let lastParagraph = units[units.count - 1].paragraph
            var preferences: [(Candidate) -> Bool] = []
            if segment == 0 { preferences.append { $0.run.lowerBound == 0 } }
            if segment == count - 1 {
                preferences.append { $0.run.upperBound == units.count - 1 }
                preferences.append { units[$0.run.upperBound].paragraph == lastParagraph }
            }
            let fitting = candidates.filter { Double($0.words) >= 0.6 * budget && Double($0.words) <= 1.3 * budget }
            let favoured = preferences.lazy.map { fitting.filter($0) }.first { !$0.isEmpty } ?? candidates
            var best = Candidate(run: part.lowerBound...part.lowerBound, cut: nil, words: 0, score: -1)
            for c in favoured where c.score > best.score { best = c }
            if let cut = best.cut {
                let unit = units[best.run.lowerBound]
                return Passage(text: unit.text(upTo: cut), sentences: [Array(unit.words[...cut])])
            }
            let read = units[best.run]
            return Passage(text: read.map(\.text).joined(separator: " "), sentences: read.map(\.words))
        }

        /// Every run of one to three consecutive units of the part (until one is well over the
        /// budget), and every unit over the budget cut short, scored.
        private func candidates(in part: Range<Int>, _ units: [Sentence], _ tallies: [Tally]) -> [Candidate] {
            var candidates: [Candidate] = []
            for start in part {
                var t = Tally()
                for end in start..<min(start + 3, part.upperBound) {
                    t = t + tallies[end]
                    candidates.append(Candidate(run: start...end, cut: nil, words: t.words, score: score(t, units[start])))
                    if Double(t.words) > 1.6 * budget { break }
                }
                if Double(tallies[start].words) > 1.15 * budget, let cut = shortening(units[start]) {
                    let t = article.tally(units[start].words[...cut.word])
                    let score = score(t, units[start]) * 0.85 * cut.strength
                    candidates.append(Candidate(run: start...start, cut: cut.word, words: t.words, score: score))
                }
            }
            return candidates
        }

        private func score(_ t: Tally, _ first: Sentence) -> Double {
            var score = (t.information + (first.opensParagraph ? 0.1 : 0)) * Self.fit(t.words, budget)
            if first.refersBack { score *= 0.75 }
            if kids { score *= min(1, 12 / (Double(t.words) / Double(max(1, t.sentences)))) }
            return score
        }

        /// Where to cut a sentence too long for the budget: the clause break within 60–115 % of the
        /// budget that is strongest × fits best. A sentence more than twice the budget with no such
        /// break is cut after the last word within the budget that is not a stop word (strength 0.4).
        private func shortening(_ unit: Sentence) -> Sentence.Break? {
            var best: (cut: Sentence.Break, value: Double)?
            for b in unit.clauseBreaks() where Double(b.word + 1) >= 0.6 * budget && Double(b.word + 1) <= 1.15 * budget {
                let value = b.strength * Self.fit(b.word + 1, budget)
                if value > (best?.value ?? 0) { best = (b, value) }
            }
            if let best { return best.cut }
            guard Double(unit.words.count) > 2 * budget else { return nil }
            var k = min(unit.words.count, Int(budget)) - 1
            while k > 0, !unit.words[k].isContent { k -= 1 }
            return k >= 2 ? Sentence.Break(word: k, strength: 0.4) : nil
        }
    }
}

// MARK: - Clause cuts

extension ArticleScript.Sentence {
    /// A place the sentence may be cut: after word `word`, with a `strength` in 0...1.
    struct Break {
        var word: Int
        var strength: Double
    }

    /// Where the sentence may be cut into clauses, outside quotes and brackets: after a word
    /// followed by `;` `:` or a dash (strength 1), or by a comma that opens a clause — four words
    /// or more before the next mark, and three or more since the last, so not inside a list
    /// (`Delaware, Maryland, Kentucky, and Missouri`) — 0.95 when a conjunction follows, else 0.8.
    func clauseBreaks() -> [Break] {
        var scalars = text.unicodeScalars.makeIterator()
        var breaks: [Break] = []
        var depth = 0
        var straightQuotes = 0
        var read = 0
        var chunkStart = 0
        for k in words.indices.dropLast() {
            while read < words[k].end, let c = scalars.next() {
                switch c {
                case "(", "[", "“": depth += 1
                case ")", "]", "”": depth -= 1
                case "\"": straightQuotes += 1
                default: break
                }
                read += UTF8.width(c)
            }
            defer { if words[k].mark != nil { chunkStart = k + 1 } }
            guard depth == 0, straightQuotes % 2 == 0, k + 1 - chunkStart >= 3, let strength = strength(after: k) else { continue }
            breaks.append(Break(word: k, strength: strength))
        }
        return breaks
    }

    private func strength(after k: Int) -> Double? {
        switch words[k].mark {
        case ";", ":", "—", "–", "-":
            return 1
        case ",":
            var following = 0
            for word in words[(k + 1)...] {
                following += 1
                if word.mark != nil { break }
            }
            guard following >= 4 else { return nil }
            return ArticleScript.Lexicon.conjunctions.contains(words[k + 1].lower) ? 0.95 : 0.8
        default:
            return nil
        }
    }
}
