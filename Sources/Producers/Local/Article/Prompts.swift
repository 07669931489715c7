// Prompts for `local/article`: what each segment shows (`Subjects`), its image and motion prompts
// (`PromptWriter`), and the script's title and summary.

import Foundation

extension ArticleScript {
    // MARK: - Prompts

    /// What a segment shows: the people, places and things its narration names (under the names the
    /// whole article uses), its first date, and its theme for when it names nothing.
    struct Subjects {
        /// Most named in the segment first.
        private(set) var people: [String] = []
        /// In the order named.
        private(set) var places: [String] = []
        /// The preposition the narration puts before a place (`near Manassas`), if it is one a
        /// picture can use: `at`, `in`, `near`, `along`.
        private(set) var prepositions: [String: String] = [:]
        /// Named things described by a following noun (`Union troops`, `Ulysses Grant's army`) and
        /// names of several words first, then concrete nouns (`the federal fort`) by weight, then
        /// names of one word and of laws, parties and the like (`the Fifteenth Amendment`).
        private(set) var things: [String] = []
        /// `April 12, 1861`, `November 1860`, `1865`.
        private(set) var date: String?
        /// What the segment is about, for when it names nothing to show: `the civil war and the nation`.
        private(set) var theme: String?

        init(_ passage: Passage, in article: Article) {
            var named: [String: Int] = [:]
            var phrases: [String] = []
            var singles: [String] = []
            var nouns: [(phrase: String, weight: Double, position: Int)] = []
            var position = 0
            for words in passage.sentences {
                var described = Set<Int>()
                for m in article.names.mentions(in: words) {
                    let (name, entry) = article.names.resolve(m)
                    let noun = Self.describedNoun(words, m, name, entry.kind)
                    if let noun {
                        phrases.appendOnce(noun.phrase)
                        described.formUnion(m.range.upperBound...noun.word)
                    }
                    switch entry.kind {
                    case .person:
                        if named[name] == nil { people.append(name) }
                        named[name, default: 0] += 1
                    case .place:
                        let place = entry.takesThe ? "the " + name : name
                        places.appendOnce(place)
                        if let p = m.preposition, Lexicon.pictorialPrepositions.contains(p), prepositions[place] == nil {
                            prepositions[place] = p
                        }
                    case .thing:
                        guard noun == nil, !entry.isModifier else { break }
                        let said = entry.takesThe ? "the " + name : name
                        if m.range.count > 1 && !Self.isAbstract(name) { phrases.appendOnce(said) } else { singles.appendOnce(said) }
                    }
                }
                for (k, w) in words.enumerated() where !described.contains(k) && !w.isCapitalized && Lexicon.concreteNouns.contains(w.key) {
                    nouns.append((Self.nounPhrase(words, k), article.weight(w.key), position + k))
                }
                if date == nil { date = Self.date(in: words) }
                position += words.count
            }
            let order = people
            people.sort { (named[$0] ?? 0, -(order.firstIndex(of: $0) ?? 0)) > (named[$1] ?? 0, -(order.firstIndex(of: $1) ?? 0)) }
            nouns.sort { $0.weight != $1.weight ? $0.weight > $1.weight : $0.position < $1.position }
            things = phrases
            for noun in nouns { things.appendOnce(noun.phrase) }
            for single in singles { things.appendOnce(single) }
            let themes = Self.themes(passage, article)
            theme = themes.isEmpty ? nil : themes.joined(separator: " and ")
        }

        /// Every subject, things first.
        var all: [String] { things + people.filter { !things.contains($0) } + places }

        /// A named thing or a person's possession, and the concrete noun it describes (with at most
        /// one word between): `Union troops`, `the Confederate army`, `Robert Edward Lee's starving army`.
        private static func describedNoun(_ words: [Word], _ m: Mention, _ name: String,
                                          _ kind: NameIndex.Kind) -> (word: Int, phrase: String)? {
            guard (kind == .thing && m.range.count == 1 && !m.possessive) || (kind == .person && m.possessive) else { return nil }
            var k = m.range.upperBound
            guard k < words.count, words[k - 1].mark == nil else { return nil }
            var between: [String] = []
            if isAdjective(words[k]), k + 1 < words.count, words[k].mark == nil {
                between.append(words[k].text)
                k += 1
            }
            guard !words[k].isCapitalized, Lexicon.concreteNouns.contains(words[k].key) else { return nil }
            let phrase = ([m.possessive ? name + "'s" : name] + between + [words[k].text]).joined(separator: " ")
            let plural = words[k].key != words[k].lower || Lexicon.pluralNouns.contains(words[k].lower)
            return (k, m.possessive || plural ? phrase : "the " + phrase)
        }

        /// Names a law, a party, an office: nothing a camera can frame (`Fifteenth Amendment`).
        private static func isAbstract(_ name: String) -> Bool {
            name.split(separator: " ").contains { Lexicon.abstractNameWords.contains($0.lowercased()) }
        }

        /// `the federal fort` (of "a federal fort"), `the soldiers`: a word between an article and
        /// the noun is kept as its adjective.
        private static func nounPhrase(_ words: [Word], _ k: Int) -> String {
            if k > 1, words[k - 1].mark == nil, words[k - 2].mark == nil, isAdjective(words[k - 1]),
               Lexicon.themeOpeners.contains(words[k - 2].lower) {
                return "the \(words[k - 1].text) \(words[k].text)"
            }
            return "the \(words[k].text)"
        }

        private static func isAdjective(_ w: Word) -> Bool {
            !w.isCapitalized && w.isContent && !w.isNumber && !Lexicon.concreteNouns.contains(w.key)
                && !w.lower.hasSuffix("ly") && w.lower.unicodeScalars.allSatisfy(Lexicon.isLetter)
        }

        /// The first date with a year: `April 12, 1861`, `November 1860`, `1865` (a month's year may
        /// come a few words later: "From July 1 to July 3, 1863" → `July 1, 1863`).
        private static func date(in words: [Word]) -> String? {
            for (k, w) in words.enumerated() {
                if w.isYear { return w.text }
                guard w.isCapitalized, Lexicon.months.contains(w.lower),
                      let year = words[(k + 1)..<min(words.count, k + 6)].first(where: \.isYear) else { continue }
                if w.mark == nil, k + 1 < words.count, let day = Int(words[k + 1].text), (1...31).contains(day) {
                    return "\(w.text) \(day), \(year.text)"
                }
                return "\(w.text) \(year.text)"
            }
            return nil
        }

        /// What the segment is about when it names nothing to show: its two weightiest noun phrases
        /// (`the civil war`, `the nation`: up to three content words after an article or possessive),
        /// else its two weightiest content words.
        private static func themes(_ passage: Passage, _ article: Article) -> [String] {
            var phrases: [(text: String, weight: Double)] = []
            var words: [(text: String, weight: Double)] = []
            for sentence in passage.sentences {
                for (k, w) in sentence.enumerated() where w.isContent && !w.isCapitalized && !w.isNumber {
                    words.append((w.lower, article.weight(w.key)))
                    guard k > 0, Lexicon.themeOpeners.contains(sentence[k - 1].lower), sentence[k - 1].mark == nil else { continue }
                    var end = k
                    while end + 1 < sentence.count, end < k + 2, sentence[end].mark == nil, sentence[end + 1].isContent,
                          !sentence[end + 1].isCapitalized { end += 1 }
                    let phrase = sentence[k...end]
                    phrases.append(("the " + phrase.map(\.lower).joined(separator: " "), phrase.reduce(0) { $0 + article.weight($1.key) }))
                }
            }
            return weightiest(phrases.isEmpty ? words : phrases, 2)
        }

        private static func weightiest(_ items: [(text: String, weight: Double)], _ n: Int) -> [String] {
            var chosen: [String] = []
            let ranked = items.enumerated().sorted { a, b in
                a.element.weight != b.element.weight ? a.element.weight > b.element.weight : a.offset < b.offset
            }
            for item in ranked where chosen.count < n { chosen.appendOnce(item.element.text) }
            return chosen
        }
    }

    /// Writes a segment's image and motion prompts from its subjects: one sentence each, ending
    /// with the style, naming people, places and things as the whole script does.
    struct PromptWriter {
        let style: String

        /// Prompts for images 1...count: a wide establishing shot of the segment's scene (its first
        /// thing at its first place, with its date); then a portrait of its person, or a close detail
        /// of another thing, or a panorama of another place; then medium, low-angle, overhead and
        /// soft-focus shots of the subjects not shown yet (all of them again when none is left).
        func images(_ count: Int, of s: Subjects) -> [String] {
            let (scene, shown) = self.scene(s)
            var prompts = ["Wide establishing shot of " + scene + dated(s)]
            var unshown = s.all.filter { !shown.contains($0) }
            if let person = s.people.first {
                prompts.append("Portrait of " + person + dated(s))
                unshown.removeAll { $0 == person }
            } else if let thing = unshown.first(where: s.things.contains) {
                prompts.append("Close detail of " + thing)
                unshown.removeAll { $0 == thing }
            } else if let place = unshown.first {
                prompts.append("Panoramic view of " + place)
                unshown.removeFirst()
            } else {
                prompts.append("Atmospheric close-up " + (s.theme.map { "evoking " + $0 } ?? "of the scene"))
            }
            let framings = ["Medium shot of", "Low-angle view of", "Overhead view of", "Soft-focus view of"]
            let subjects = unshown.isEmpty ? (s.all.isEmpty ? [evocation(s)] : s.all) : unshown
            for i in 0..<max(0, count - 2) {
                prompts.append(framings[i % framings.count] + " " + subjects[i % subjects.count])
            }
            return prompts.prefix(count).map(styled)
        }

        /// A slow camera move over the segment's main subject: a push-in on its person, a pan across
        /// its thing, a drift over its place — and in the last segment, a pull-back.
        func motion(of s: Subjects, closing: Bool) -> String {
            let there = s.places.first.map { located($0, s) } ?? ""
            if let person = s.people.first { return styled((closing ? "Slow pull-back from " : "Slow push-in on ") + person + there) }
            if let thing = s.things.first { return styled((closing ? "Slow pull-back from " : "Slow pan across ") + thing + there) }
            if let place = s.places.first { return styled((closing ? "Slow pull-back from " : "Slow aerial drift over ") + place) }
            return styled((closing ? "Slow pull-back from " : "Slow push-in on ") + evocation(s))
        }

        /// The wide shot's subject, and which subjects it shows.
        private func scene(_ s: Subjects) -> (String, [String]) {
            if let thing = s.things.first {
                guard let place = s.places.first else { return (thing, [thing]) }
                return (thing + located(place, s), [thing, place])
            }
            if let place = s.places.first { return (place, [place]) }
            if let person = s.people.first { return (person, [person]) }
            return (evocation(s), [])
        }

        /// ` near Manassas` as the narration says it; else ` at Fort Sumter` for a place named with a
        /// place word, ` in Virginia` for others.
        private func located(_ place: String, _ s: Subjects) -> String {
            " " + (s.prepositions[place] ?? (NameIndex.hasPlaceWord(place) ? "at" : "in")) + " " + place
        }

        /// `a scene evoking the civil war and the nation`.
        private func evocation(_ s: Subjects) -> String { s.theme.map { "a scene evoking " + $0 } ?? "the scene" }

        private func dated(_ s: Subjects) -> String { s.date.map { ", " + $0 } ?? "" }

        private func styled(_ prompt: String) -> String { style.isEmpty ? prompt : prompt + ", " + style }
    }
}

// MARK: - Title and summary

extension ArticleScript.Article {
    /// The title, at most eight words: the article's first `#` heading, else the topic of the
    /// inquiry ("Tell me about the American Civil War" → "The American Civil War"), else the
    /// article's first words.
    func title() -> String {
        if let heading, !heading.isEmpty { return Self.short(heading) }
        if let topic = Self.topic(of: inquiry) { return Self.short(topic) }
        return Self.short(sentences.first?.text ?? "")
    }

    /// The two most informative sentences of the article, in its order: the mean weight of their
    /// content words (plus 0.1 in the first paragraph, which usually sums the article up) × how
    /// well they fill twenty words.
    func summary() -> String {
        var first: (score: Double, index: Int)?
        var second: (score: Double, index: Int)?
        for (i, sentence) in sentences.enumerated() {
            let t = tally(sentence.words[...])
            let density = t.contentWords > 0 ? t.weight / Double(t.contentWords) : 0
            var score = (density + (sentence.paragraph == 0 ? 0.1 : 0)) * ArticleScript.Narrator.fit(t.words, 20)
            if sentence.refersBack { score *= 0.75 }
            if score > first?.score ?? -1 {
                (first, second) = ((score, i), first)
            } else if score > second?.score ?? -1 {
                second = (score, i)
            }
        }
        return [first, second].compactMap { $0?.index }.sorted().map { sentences[$0].text }.joined(separator: " ")
    }

    /// "Tell me about the American Civil War?" → "The American Civil War"; nil when empty.
    private static func topic(of inquiry: String) -> String? {
        var topic = inquiry.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "?.!")))
        while let asking = ArticleScript.Lexicon.askings.first(where: { topic.lowercased().hasPrefix($0 + " ") }) {
            topic = topic.dropFirst(asking.count).trimmingCharacters(in: .whitespaces)
        }
        guard !topic.isEmpty else { return nil }
        return topic.prefix(1).uppercased() + topic.dropFirst()
    }

    /// A title of at most eight words: the part before a colon or dash if that is short enough,
    /// else the first eight words without stop words trailing; no closing punctuation.
    private static func short(_ text: String) -> String {
        var words = text.split(separator: " ").map(String.init)
        if words.count > 8 {
            if let cut = words.prefix(8).firstIndex(where: { $0.hasSuffix(":") || ["—", "–", "-"].contains($0) }), cut > 0 {
                words = Array(words[..<(words[cut].hasSuffix(":") ? cut + 1 : cut)])
            } else {
                words = Array(words.prefix(8))
                while words.count > 1, let last = words.last, ArticleScript.Lexicon.stopWords.contains(last.lowercased()) {
                    words.removeLast()
                }
            }
        }
        return words.joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?—– "))
    }
}

extension Array where Element == String {
    fileprivate mutating func appendOnce(_ s: String) { if !contains(s) { append(s) } }
}
