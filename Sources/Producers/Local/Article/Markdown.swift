// Markdown cleanup for `local/article`: markdown reduced to plain paragraphs and a title
// (`MarkdownText`), and inline markup reduced to plain text (`InlineText`).

import Foundation

extension ArticleScript {
    // MARK: - Markdown

    /// Markdown reduced to what a narrator reads: plain paragraphs, each ending with sentence
    /// punctuation, and the first `#` heading. Headings, rules, tables, code blocks, HTML comments,
    /// front matter and link or footnote definitions are left out; list items and quoted lines are
    /// kept as text (each list item a paragraph of its own).
    struct MarkdownText {
        private(set) var title: String?
        private(set) var paragraphs: [String] = []
        /// Lines of the paragraph being read.
        private var open: [String] = []

        init(_ markdown: String) {
            var fence: String?
            for line in Self.lines(of: markdown) {
                if let f = fence {
                    if line.hasPrefix(f) { fence = nil }
                } else if line.hasPrefix("```") || line.hasPrefix("~~~") {
                    close()
                    fence = String(line.prefix(3))
                } else {
                    read(line)
                }
            }
            close()
        }

        private mutating func read(_ line: String) {
            if line.isEmpty { return close() }
            if open.count == 1, let c = line.first, c == "=" || c == "-", line.allSatisfy({ $0 == c }) {
                // A setext heading: the line above is the heading.
                let heading = open.removeLast()
                if c == "=" { name(heading) }
                return
            }
            if Self.isRule(line) || line.hasPrefix("|") || Self.isDefinition(line) { return close() }
            if line.hasPrefix(">") { return read(line.dropFirst().trimmingCharacters(in: .whitespaces)) }
            if let heading = Self.heading(line) {
                close()
                if heading.level == 1 { name(heading.text) }
                return
            }
            if let item = Self.listItem(line) {
                close()
                open.append(item)
                return
            }
            open.append(line)
        }

        private mutating func name(_ heading: String) {
            if title == nil { title = InlineText.plain(heading) }
        }

        private mutating func close() {
            guard !open.isEmpty else { return }
            let text = InlineText.plain(open.joined(separator: " "))
            open.removeAll()
            if text.contains(where: { $0.isLetter || $0.isNumber }) { paragraphs.append(Self.ended(text)) }
        }

        /// The lines, trimmed, without HTML comments or YAML front matter.
        private static func lines(of markdown: String) -> [String] {
            var lines = withoutComments(markdown).split(separator: "\n", omittingEmptySubsequences: false).map(Lexicon.trimmed)
            if lines.first == "---", let end = lines.indices.dropFirst().first(where: { lines[$0] == "---" || lines[$0] == "..." }),
               lines[1..<end].allSatisfy({ $0.isEmpty || $0.contains(":") || $0.hasPrefix("-") }) {
                lines.removeSubrange(0...end)
            }
            return lines
        }

        private static func withoutComments(_ text: String) -> String {
            guard text.contains("<!--") else { return text }
            var out = ""
            var rest = text[...]
            while let open = rest.range(of: "<!--") {
                out += rest[..<open.lowerBound]
                guard let close = rest[open.upperBound...].range(of: "-->") else { return out }
                rest = rest[close.upperBound...]
            }
            return out + rest
        }

        /// `## Causes ##` → (2, "Causes").
        private static func heading(_ line: String) -> (level: Int, text: String)? {
            let level = line.prefix(while: { $0 == "#" }).count
            guard (1...6).contains(level) else { return nil }
            let rest = line.dropFirst(level)
            guard rest.isEmpty || rest.first == " " else { return nil }
            var text = rest.trimmingCharacters(in: .whitespaces)
            while text.hasSuffix("#") { text.removeLast() }
            return (level, text.trimmingCharacters(in: .whitespaces))
        }

        /// `- item`, `* item`, `+ item`, `1. item`, `1) item` → the item's text.
        private static func listItem(_ line: String) -> String? {
            var rest = Substring(line)
            if let c = rest.first, "-*+".contains(c) {
                rest = rest.dropFirst()
            } else {
                let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
                guard (1...9).contains(digits.count) else { return nil }
                rest = rest.dropFirst(digits.count)
                guard let c = rest.first, c == "." || c == ")" else { return nil }
                rest = rest.dropFirst()
            }
            guard rest.first == " " else { return nil }
            let item = rest.trimmingCharacters(in: .whitespaces)
            for box in ["[ ] ", "[x] ", "[X] "] where item.hasPrefix(box) { return String(item.dropFirst(box.count)) }
            return item
        }

        /// `---`, `***`, `_ _ _`.
        private static func isRule(_ line: String) -> Bool {
            guard let c = line.unicodeScalars.first, c == "-" || c == "*" || c == "_" else { return false }
            let marks = line.unicodeScalars.filter { $0 != " " }
            return marks.count >= 3 && marks.allSatisfy { $0 == c }
        }

        /// `[id]: https://…` or `[^1]: A note.`
        private static func isDefinition(_ line: String) -> Bool {
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return false }
            return line[line.index(after: close)...].hasPrefix(":")
        }

        /// The paragraph with sentence punctuation at its end, so that a list item reads as a sentence.
        private static func ended(_ text: String) -> String {
            if let last = text.unicodeScalars.last(where: { !Lexicon.isCloser($0) }), Lexicon.isEnder(last) { return text }
            if let last = text.unicodeScalars.last, last == "," || last == ";" || last == ":" {
                return String(text.unicodeScalars.dropLast()) + "."
            }
            return text + "."
        }
    }

    /// Inline markdown as plain text, its whitespace collapsed: `[text](url)` → text, images dropped,
    /// `**bold**`, `_em_`, `~~struck~~` and `` `code` `` → their text, HTML tags and footnote
    /// references (`[^1]`) dropped, a few HTML entities decoded, backslash escapes honoured.
    /// Brackets are matched only within a short distance, so any input is read in linear time.
    struct InlineText {
        private var out = String.UnicodeScalarView()
        private var space = false

        static func plain(_ text: String) -> String {
            var inline = InlineText()
            let s = Array(text.unicodeScalars)
            inline.append(s, 0..<s.count)
            return String(inline.out)
        }

        private mutating func append(_ s: [Unicode.Scalar], _ range: Range<Int>) {
            var i = range.lowerBound
            while i < range.upperBound { i = read(s, i, range.upperBound) }
        }

        /// Reads the markup or character at `i`; returns where the next one starts.
        private mutating func read(_ s: [Unicode.Scalar], _ i: Int, _ end: Int) -> Int {
            let c = s[i]
            let next: Unicode.Scalar? = i + 1 < end ? s[i + 1] : nil
            switch c {
            case "\\" where next.map(Self.isASCIIPunctuation) == true:
                emit(s[i + 1])
                return i + 2
            case "`":
                return code(s, i, end)
            case "!" where next == "[":
                guard let close = Self.closing(s, i + 1, end) else { break }
                return Self.afterTarget(s, close + 1, end)
            case "[" where next == "^":
                guard let close = Self.find("]", s, i, end) else { break }
                return close + 1
            case "[":
                guard let close = Self.closing(s, i, end) else { break }
                append(s, i + 1..<close)
                return Self.afterTarget(s, close + 1, end)
            case "<" where next.map { Lexicon.isLetter($0) || $0 == "/" || $0 == "!" } == true:
                guard let close = Self.find(">", s, i, end) else { break }
                return close + 1
            case "*", "_", "~":
                return emphasis(s, i, end)
            case "&":
                guard let entity = Self.entity(s, i, end) else { break }
                emit(entity.scalar)
                return entity.after
            default:
                break
            }
            emit(c)
            return i + 1
        }

        private mutating func emit(_ c: Unicode.Scalar) {
            if Lexicon.isSpace(c) {
                space = !out.isEmpty
                return
            }
            if space { out.append(" ") }
            space = false
            out.append(c)
        }

        /// `` `code` `` → its text, as written; an unmatched backtick run is dropped.
        private mutating func code(_ s: [Unicode.Scalar], _ i: Int, _ end: Int) -> Int {
            var run = i
            while run < end, s[run] == "`" { run += 1 }
            let width = run - i
            var j = run
            while j < min(end, run + 2000) {
                guard s[j] == "`" else {
                    j += 1
                    continue
                }
                var k = j
                while k < end, s[k] == "`" { k += 1 }
                if k - j == width {
                    for c in s[run..<j] { emit(c) }
                    return k
                }
                j = k
            }
            return run
        }

        /// Emphasis marks are dropped, except `*` between spaces (`3 * 4`), `_` inside a word
        /// (`snake_case`) and a single `~`.
        private mutating func emphasis(_ s: [Unicode.Scalar], _ i: Int, _ end: Int) -> Int {
            let c = s[i]
            var j = i
            while j < end, s[j] == c { j += 1 }
            let before: Unicode.Scalar = i > 0 ? s[i - 1] : " "
            let after: Unicode.Scalar = j < end ? s[j] : " "
            let literal: Bool
            switch c {
            case "*": literal = Lexicon.isSpace(before) && Lexicon.isSpace(after)
            case "_": literal = Lexicon.isLetterOrDigit(before) && Lexicon.isLetterOrDigit(after)
            default: literal = j - i < 2
            }
            if literal { for k in i..<j { emit(s[k]) } }
            return j
        }

        /// After a link's or image's text: skips its `(url "title")` or `[ref]`.
        private static func afterTarget(_ s: [Unicode.Scalar], _ j: Int, _ end: Int) -> Int {
            guard j < end else { return j }
            if s[j] == "(", let close = closing(s, j, end) { return close + 1 }
            if s[j] == "[", let close = find("]", s, j, end) { return close + 1 }
            return j
        }

        /// The bracket closing the one at `open` (`[` or `(`), nested ones skipped.
        private static func closing(_ s: [Unicode.Scalar], _ open: Int, _ end: Int) -> Int? {
            let opener = s[open]
            let closer: Unicode.Scalar = opener == "[" ? "]" : ")"
            var depth = 0
            var j = open
            while j < min(end, open + 2000) {
                if s[j] == "\\" {
                    j += 2
                    continue
                }
                if s[j] == opener { depth += 1 }
                if s[j] == closer {
                    depth -= 1
                    if depth == 0 { return j }
                }
                j += 1
            }
            return nil
        }

        private static func find(_ c: Unicode.Scalar, _ s: [Unicode.Scalar], _ from: Int, _ end: Int) -> Int? {
            var j = from + 1
            while j < min(end, from + 500) {
                if s[j] == c { return j }
                j += 1
            }
            return nil
        }

        /// `&amp;`, `&#39;`, `&#x2014;` → the character, and where the text goes on.
        private static func entity(_ s: [Unicode.Scalar], _ i: Int, _ end: Int) -> (scalar: Unicode.Scalar, after: Int)? {
            guard let semi = find(";", s, i, min(end, i + 12)) else { return nil }
            let name = String(String.UnicodeScalarView(s[(i + 1)..<semi]))
            if let c = entities[name] { return (c, semi + 1) }
            guard name.hasPrefix("#") else { return nil }
            let number = name.dropFirst()
            let value = number.hasPrefix("x") || number.hasPrefix("X") ? UInt32(number.dropFirst(), radix: 16) : UInt32(number)
            return value.flatMap(Unicode.Scalar.init).map { ($0, semi + 1) }
        }

        private static let entities: [String: Unicode.Scalar] = [
            "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "mdash": "—", "ndash": "–",
            "hellip": "…", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”",
        ]

        private static func isASCIIPunctuation(_ c: Unicode.Scalar) -> Bool {
            c.isASCII && (33...47 ~= c.value || 58...64 ~= c.value || 91...96 ~= c.value || 123...126 ~= c.value)
        }
    }
}
