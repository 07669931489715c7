import Foundation

/// Puts times that a provider reported onto the words of the narration as written.
///
/// Subtitles show the narration's own words (its runs of non-whitespace, as `local/espeak`
/// splits them), but a provider times what it heard or spoke: Whisper writes "1990" as
/// "nineteen ninety", drops a stammered word, hears "Dr." as "Doctor". So the reported words are
/// matched to the narration's:
///
/// 1. Words that are the same once case, accents and punctuation are set aside are anchors: the
///    longest common subsequence of the two lists, so a word is matched in order or not at all.
/// 2. Between two anchors, the narration's unmatched words take the time of the reported words
///    there: one to one when the counts agree, else in proportion (narration word `k` of `n`
///    covers reported words `k·m/n ..< (k+1)·m/n`, times interpolated inside a word).
/// 3. Narration words with no reported word between their anchors share the gap between the
///    anchors, by length in characters (often no time at all: a word that was never heard).
///
/// With no anchor at all the whole narration is spread over the whole transcript by step 2.
enum WordAlignment {
    /// Beyond this many cells (narration words × reported words) the matching is skipped and the
    /// words are spread in proportion only; narrations are far smaller than this.
    static let maxCells = 4_000_000

    /// The narration's words, timed by `reported`; empty when either is empty.
    static func narrationWords(_ narration: String, timedBy reported: [TimedWord]) -> [TimedWord] {
        let tokens = EspeakTiming.tokens(of: narration).map(\.text)
        let heard = monotonic(reported)
        guard !tokens.isEmpty, !heard.isEmpty else { return [] }

        let anchors = matches(tokens.map(key), heard.map { key($0.text) })
        var timed: [TimedWord?] = Array(repeating: nil, count: tokens.count)
        for (i, j) in anchors { timed[i] = TimedWord(text: tokens[i], start: heard[j].start, end: heard[j].end) }

        // The gaps between anchors, with sentinels before the first and after the last.
        let bounds = [(-1, -1)] + anchors + [(tokens.count, heard.count)]
        for (a, b) in zip(bounds, bounds.dropFirst()) {
            let words = Array(tokens[(a.0 + 1)..<b.0])
            guard !words.isEmpty else { continue }
            let over = Array(heard[(a.1 + 1)..<b.1])
            let times: [(Double, Double)]
            if !over.isEmpty {
                times = proportional(count: words.count, over: over)
            } else {
                // Nothing was heard here: the words sit in the silence between their neighbours.
                let before = a.1 >= 0 ? heard[a.1].end : nil
                let after = b.1 < heard.count ? heard[b.1].start : nil
                let from = before ?? after ?? 0, to = max(from, after ?? from)
                times = byLength(words, from: from, to: to)
            }
            for (k, t) in times.enumerated() { timed[a.0 + 1 + k] = TimedWord(text: words[k], start: t.0, end: t.1) }
        }
        return timed.compactMap { $0 }.map { TimedWord(text: $0.text, start: ms($0.start), end: ms(max($0.start, $0.end))) }
    }

    /// ElevenLabs' alignment, one entry per character of the text, grouped into words at
    /// whitespace: a word starts when its first character starts and ends when its last ends.
    /// Nil when the alignment is malformed: arrays of different lengths, or times that are not
    /// finite, not in order, or end before they start.
    static func characterWords(characters: [String], starts: [Double], ends: [Double]) -> [TimedWord]? {
        guard characters.count == starts.count, starts.count == ends.count else { return nil }
        let slack = 1e-6
        for i in characters.indices {
            guard starts[i].isFinite, ends[i].isFinite, starts[i] >= -slack, ends[i] >= starts[i] - slack else { return nil }
            if i > 0, starts[i] < starts[i - 1] - slack || ends[i] < ends[i - 1] - slack { return nil }
        }
        var words: [TimedWord] = []
        var current: TimedWord?
        for (i, c) in characters.enumerated() {
            if c.isEmpty || c.allSatisfy(\.isWhitespace) {
                if let w = current { words.append(w) }
                current = nil
            } else if current == nil {
                current = TimedWord(text: c, start: starts[i], end: ends[i])
            } else {
                current!.text += c
                current!.end = ends[i]
            }
        }
        if let w = current { words.append(w) }
        return words
    }

    // MARK: matching

    /// What two words must share to be the same word: letters and digits, case and accents aside.
    static func key(_ word: String) -> String {
        let folded = word.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
        return String(String.UnicodeScalarView(folded.unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil }))
    }

    /// The pairs `(i, j)` of a longest common subsequence of `a` and `b`, increasing in both; empty
    /// keys (a lone dash) never match.
    static func matches(_ a: [String], _ b: [String]) -> [(Int, Int)] {
        let n = a.count, m = b.count
        guard n > 0, m > 0, n * m <= maxCells else { return [] }
        // lengths[i][j]: the longest common subsequence of a[i...] and b[j...], row-major.
        var lengths = [Int32](repeating: 0, count: (n + 1) * (m + 1))
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lengths[i * (m + 1) + j] = !a[i].isEmpty && a[i] == b[j]
                    ? lengths[(i + 1) * (m + 1) + j + 1] + 1
                    : max(lengths[(i + 1) * (m + 1) + j], lengths[i * (m + 1) + j + 1])
            }
        }
        var pairs: [(Int, Int)] = []
        var i = 0, j = 0
        while i < n, j < m {
            if !a[i].isEmpty, a[i] == b[j] {
                pairs.append((i, j))
                i += 1
                j += 1
            } else if lengths[(i + 1) * (m + 1) + j] >= lengths[i * (m + 1) + j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return pairs
    }

    // MARK: spreading

    /// Times for `count` words laid over the reported words `over`: one to one when the counts
    /// agree, else word `k` covers positions `k·m/count ..< (k+1)·m/count` of the `m` reported words.
    static func proportional(count: Int, over: [TimedWord]) -> [(Double, Double)] {
        if count == over.count { return over.map { ($0.start, $0.end) } }
        let m = Double(over.count)
        // The time at a position: inside word ⌊p⌋, interpolated; a word boundary reached from the
        // left is that word's end (not the next one's start: the pause between belongs to no word).
        func time(at p: Double, ending: Bool) -> Double {
            let whole = p.rounded()
            if ending, abs(p - whole) < 1e-9, whole >= 1 { return over[Int(whole) - 1].end }
            let k = min(Int(p.rounded(.down)), over.count - 1)
            let f = min(1, max(0, p - Double(k)))
            return over[k].start + f * (over[k].end - over[k].start)
        }
        return (0..<count).map { k in
            (time(at: Double(k) * m / Double(count), ending: false), time(at: Double(k + 1) * m / Double(count), ending: true))
        }
    }

    /// Times for words spread over `from…to` by their length in characters (Unicode scalars).
    static func byLength(_ words: [String], from: Double, to: Double) -> [(Double, Double)] {
        let lengths = words.map { max(1, $0.unicodeScalars.count) }
        let total = Double(lengths.reduce(0, +))
        var before = 0
        return lengths.map { n in
            defer { before += n }
            return (from + (to - from) * Double(before) / total, from + (to - from) * Double(before + n) / total)
        }
    }

    /// The reported words with finite times that never go back: each starts no earlier than the
    /// one before it and ends no earlier than it starts (Whisper's times can overlap a little).
    static func monotonic(_ words: [TimedWord]) -> [TimedWord] {
        var out: [TimedWord] = []
        var last = 0.0
        for w in words where w.start.isFinite && w.end.isFinite {
            let start = max(last, w.start)
            let end = max(start, w.end)
            out.append(TimedWord(text: w.text, start: start, end: end))
            last = start
        }
        return out
    }

    /// Seconds to the millisecond, as `local/espeak` writes them.
    static func ms(_ s: Double) -> Double { (s * 1000).rounded() / 1000 }
}
