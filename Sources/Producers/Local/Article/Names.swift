// Names for `local/article`: the people, places and things a sentence names (`Mention`), each
// called by one name throughout the article and classed as person, place or thing (`NameIndex`).

extension ArticleScript {
    // MARK: - Names

    /// One run of capitalized words in a sentence naming someone or something: `Robert Edward Lee`,
    /// `Army of the Potomac`, `Pickett's Charge`, `Grant` (of `Grant's`).
    struct Mention {
        var name: String
        /// The words it covers in its sentence, the possessive word included.
        var range: Range<Int>
        /// After a title (`General`, `President`): a person.
        var titled = false
        /// `Grant's army`: the name owns what follows.
        var possessive = false
        /// `Pickett's Charge`, `Army of the Potomac`: not a person's name.
        var joined = false
        var hasInitial = false
        /// After `the`, `a` or `an` (with at most one word between): a thing or a place.
        var determined = false
        /// `at`, `in`, `near`, … just before: a place.
        var preposition: String?
        /// Just before a lowercase content word: describes it, as `Confederate` in `Confederate batteries`.
        var describing = false
    }

    /// The names of the article — people, places and things — each under one spelling, so that
    /// every prompt calls Lee "Robert Edward Lee" if that is how the article first names him in full.
    ///
    /// A name is a run of capitalized words inside a sentence (joined by `of`, `of the`, `de`, …);
    /// a sentence's first word counts when the article capitalizes it mid-sentence more often than
    /// not, or when an initial or another name follows it (`Robert E. Lee took …`). Titles
    /// (`General`, `Vice President`) are dropped and mark a person. A person is a name with a title
    /// or an initial, or of two words or more whose last one the article also uses alone (`Lincoln`
    /// for `Abraham Lincoln`) or whose first is a common given name — never one that takes `the`,
    /// holds `of` or a possessive, or has a place word. A surname alone stands for the first full
    /// name ending with it. A place has a place word (`Fort`, `Harbor`, `Court House`) or follows
    /// `at`, `in`, `near`, … somewhere; everything else is a thing. A one-word thing the article
    /// mostly puts before a noun (`Confederate batteries`) is a modifier, not a subject of its own.
    struct NameIndex {
        enum Kind { case person, place, thing }

        struct Entry {
            var kind: Kind
            /// Said as "the Emancipation Proclamation".
            var takesThe = false
            /// A word the article uses mostly to describe a noun after it (`Confederate`, `Southern`):
            /// no subject for a picture on its own.
            var isModifier = false
        }

        /// Words capitalized mid-sentence more often than not: they are names when they open one too.
        private var properOpeners: Set<String> = []
        private var entries: [String: Entry] = [:]
        /// A surname alone → the person's full name.
        private var fullNames: [String: String] = [:]

        init(_ sentences: [Sentence]) {
            properOpeners = Self.properOpeners(sentences)
            var order: [String] = []
            var evidence: [String: Mention] = [:]
            var describing: [String: Int] = [:]
            var counts: [String: Int] = [:]
            for sentence in sentences {
                for m in mentions(in: sentence.words) {
                    if evidence[m.name] == nil { order.append(m.name) }
                    counts[m.name, default: 0] += 1
                    if m.describing { describing[m.name, default: 0] += 1 }
                    var e = evidence[m.name] ?? m
                    e.titled = e.titled || m.titled
                    e.joined = e.joined || m.joined
                    e.hasInitial = e.hasInitial || m.hasInitial
                    e.determined = e.determined || m.determined
                    e.preposition = e.preposition ?? m.preposition
                    evidence[m.name] = e
                }
            }
            let modifiers = Set(order.filter { !$0.contains(" ") && 2 * (describing[$0] ?? 0) >= (counts[$0] ?? 0) })
            classify(order, evidence, modifiers)
        }

        private mutating func classify(_ order: [String], _ evidence: [String: Mention], _ modifiers: Set<String>) {
            let alone = Set(order.filter { !$0.contains(" ") })
            func canBePerson(_ m: Mention) -> Bool { !m.joined && !m.determined && !Self.hasPlaceWord(m.name) }
            var people: [String] = []
            for name in order {
                guard let m = evidence[name], canBePerson(m) else { continue }
                let words = name.split(separator: " ")
                let full = words.count >= 2
                    && (alone.contains(String(words[words.count - 1])) || Lexicon.givenNames.contains(String(words[0])))
                if m.titled || m.hasInitial || full { people.append(name) }
            }
            let surnames = Set(people.compactMap { name -> String? in
                let words = name.split(separator: " ")
                return words.count > 1 ? words.last.map(String.init) : nil
            })
            for name in order where !people.contains(name) && name.contains(" ") {
                guard let m = evidence[name], canBePerson(m), let last = name.split(separator: " ").last,
                      surnames.contains(String(last)) else { continue }
                people.append(name)
            }
            let isPerson = Set(people)
            for name in people where name.contains(" ") {
                if let last = name.split(separator: " ").last.map(String.init), fullNames[last] == nil { fullNames[last] = name }
            }
            for name in order {
                guard let m = evidence[name] else { continue }
                let canonical = fullNames[name] ?? name
                let kind: Kind = isPerson.contains(canonical) ? .person
                    : Self.hasPlaceWord(name) || m.preposition != nil ? .place : .thing
                var entry = entries[canonical] ?? Entry(kind: kind)
                entry.takesThe = entry.takesThe || (kind != .person && m.determined)
                entry.isModifier = kind == .thing && modifiers.contains(name)
                entries[canonical] = entry
            }
        }

        /// The name a mention goes by throughout, and what it names.
        func resolve(_ m: Mention) -> (name: String, entry: Entry) {
            let name = fullNames[m.name] ?? m.name
            return (name, entries[name] ?? Entry(kind: m.titled ? .person : .thing))
        }

        /// The names in a sentence, in order.
        func mentions(in words: [Word]) -> [Mention] {
            var mentions: [Mention] = []
            var i = 0
            while i < words.count {
                guard isNameWord(words[i]) || opensName(words, i) else {
                    i += 1
                    continue
                }
                var end = i + 1
                while end < words.count, words[end - 1].mark == nil {
                    if isNameWord(words[end]) || words[end].isInitial {
                        end += 1
                    } else if let n = connector(words, at: end) {
                        end += n + 1
                    } else {
                        break
                    }
                }
                mentions += Self.pieces(words, i..<end)
                i = end
            }
            return mentions
        }

        private func isNameWord(_ w: Word) -> Bool {
            guard w.isCapitalized, w.lower != "i", !Lexicon.months.contains(w.lower), !Lexicon.days.contains(w.lower) else { return false }
            return !w.opensSentence || (properOpeners.contains(w.lower) && !Lexicon.stopWords.contains(w.lower))
        }

        /// A sentence's first word that starts a name: capitalized, not a stop word, and followed by
        /// an initial or a name word (`Robert E. Lee took …`, `John Wilkes Booth, …`).
        private func opensName(_ words: [Word], _ i: Int) -> Bool {
            let w = words[i]
            guard w.opensSentence, w.isCapitalized, w.mark == nil, i + 1 < words.count, !Lexicon.stopWords.contains(w.lower),
                  !Lexicon.referringBack.contains(w.lower), !Lexicon.months.contains(w.lower), !Lexicon.days.contains(w.lower)
            else { return false }
            return words[i + 1].isInitial || isNameWord(words[i + 1])
        }

        /// How many connecting words (`of`, `of the`, `de`) stand at `k` before another name word.
        private func connector(_ words: [Word], at k: Int) -> Int? {
            var n = 0
            while k + n < words.count, n < 2, Self.isConnector(words[k + n]), words[k + n].mark == nil { n += 1 }
            guard n > 0, k + n < words.count, isNameWord(words[k + n]) else { return nil }
            return n
        }

        /// A run of name words split at titles (`Confederate General Thomas Jackson` → `Confederate`
        /// and the titled `Thomas Jackson`), connectors trimmed from the ends, a final `'s` taken off.
        private static func pieces(_ words: [Word], _ run: Range<Int>) -> [Mention] {
            var mentions: [Mention] = []
            var start = run.lowerBound
            var titled = false
            for k in run where Lexicon.nameTitles.contains(words[k].lower) {
                if let m = mention(words, start..<k, titled: titled) { mentions.append(m) }
                start = k + 1
                titled = true
            }
            if let m = mention(words, start..<run.upperBound, titled: titled) { mentions.append(m) }
            return mentions
        }

        private static func mention(_ words: [Word], _ range: Range<Int>, titled: Bool) -> Mention? {
            var (lower, upper) = (range.lowerBound, range.upperBound)
            while lower < upper, isConnector(words[lower]) { lower += 1 }
            while upper > lower, isConnector(words[upper - 1]) { upper -= 1 }
            guard lower < upper else { return nil }
            let last = upper - 1
            var m = Mention(name: "", range: lower..<upper)
            m.titled = titled
            m.possessive = isPossessive(words[last])
            for k in lower..<upper {
                let w = words[k]
                m.joined = m.joined || isConnector(w) || (k != last && isPossessive(w))
                m.hasInitial = m.hasInitial || w.isInitial
                if k > lower { m.name += " " }
                m.name += k == last && m.possessive ? String(w.text.dropLast(2)) : w.text
            }
            m.describing = words[last].mark == nil && last + 1 < words.count && !words[last + 1].isCapitalized && words[last + 1].isContent
            let before = lower - 1
            if before >= 0, words[before].mark == nil {
                let w = words[before].lower
                m.preposition = Lexicon.placePrepositions.contains(w) ? w : nil
                let afterAdjective = before >= 1 && !words[before].isCapitalized && words[before - 1].mark == nil
                m.determined = Lexicon.determiners.contains(w) || (afterAdjective && Lexicon.determiners.contains(words[before - 1].lower))
            }
            return m
        }

        private static func isConnector(_ w: Word) -> Bool { !w.isCapitalized && Lexicon.connectors.contains(w.lower) }

        private static func isPossessive(_ w: Word) -> Bool { w.text.hasSuffix("'s") || w.text.hasSuffix("’s") }

        static func hasPlaceWord(_ name: String) -> Bool {
            name.split(separator: " ").contains { Lexicon.placeWords.contains($0.lowercased()) }
        }

        private static func properOpeners(_ sentences: [Sentence]) -> Set<String> {
            var capitalized: [String: Int] = [:]
            var lowercase: [String: Int] = [:]
            for sentence in sentences {
                for w in sentence.words where !w.opensSentence {
                    if w.isCapitalized { capitalized[w.lower, default: 0] += 1 } else { lowercase[w.lower, default: 0] += 1 }
                }
            }
            return Set(capitalized.filter { $0.value > lowercase[$0.key] ?? 0 }.keys)
        }
    }
}
