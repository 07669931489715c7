import CYaml
import Foundation

/// Reads YAML text into located `YAMLNode`s with libyaml's event API.
///
/// It is strict where YAML is permissive in ways that hurt a build file: duplicate keys,
/// anchors and aliases (the "billion laughs"), tags, several documents and complex keys are
/// refused with a located error. Size and nesting are bounded, so no input can exhaust memory
/// or the stack. Errors never throw past the caller: they become diagnostics.
public struct YAMLLoader: Sendable {
    public struct Limits: Sendable {
        public var maxBytes: Int = 1 << 20
        public var maxDepth: Int = 64
        public var maxNodes: Int = 200_000
        public init() {}
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Loads one document. Returns nil (and adds diagnostics) when the text is not usable YAML.
    public func load(_ file: SourceFile, into diags: inout Diagnostics) -> YAMLNode? {
        let bytes = Array(file.text.utf8)
        return load(bytes: bytes, file: file, into: &diags)
    }

    /// Reads a file from disk, registers it with `sources` and loads it.
    /// Oversized files, unreadable files and invalid UTF-8 are located errors.
    public func loadFile(at path: String, displayPath: String, sources: SourceManager,
                         referencedFrom span: SourceSpan?, into diags: inout Diagnostics) -> (SourceFile, YAMLNode)? {
        guard let data = TextFileReader.read(path: path, displayPath: displayPath, maxBytes: limits.maxBytes,
                                             what: "YAML file", referencedFrom: span, into: &diags) else { return nil }
        guard let text = TextFileReader.decodeUTF8(data, displayPath: displayPath, sources: sources, into: &diags) else { return nil }
        let file = SourceFile(path: displayPath, text: text)
        sources.add(file)
        guard let node = load(file, into: &diags) else { return nil }
        return (file, node)
    }

    private func load(bytes: [UInt8], file: SourceFile, into diags: inout Diagnostics) -> YAMLNode? {
        if bytes.count > limits.maxBytes {
            diags.error("\(file.path) is \(bytes.count) bytes; vidmake reads YAML files of at most \(limits.maxBytes) bytes",
                        at: SourceSpan(SourceLocation(file: file.path, line: 1, column: 1)))
            return nil
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            diags.error("could not start the YAML parser (out of memory?)", at: nil)
            return nil
        }
        defer { yaml_parser_delete(&parser) }

        return bytes.withUnsafeBufferPointer { buf -> YAMLNode? in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            var builder = TreeBuilder(file: file, limits: limits)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    diags.add(Self.translate(parser: parser, file: file))
                    return nil
                }
                defer { yaml_event_delete(&event) }
                let done = event.type == YAML_STREAM_END_EVENT
                if let problem = builder.consume(event) {
                    diags.add(problem)
                    return nil
                }
                if done { break }
            }
            guard let root = builder.root else {
                // The location names the file; the message need not repeat its path.
                diags.error("the file is empty", at: SourceSpan(SourceLocation(file: file.path, line: 1, column: 1)),
                            help: "a vidfile starts with 'vidmake: 1' and 'include: RECIPE'; a recipe with 'vidmake: 1' and 'recipe: NAME'")
                return nil
            }
            return root
        }
    }

    /// Turns libyaml's error into a diagnostic a person can act on.
    private static func translate(parser: yaml_parser_t, file: SourceFile) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = parser.context.map { String(cString: $0) }
        // The reader (encoding, control characters) reports a byte offset, not a mark.
        if parser.error == YAML_READER_ERROR {
            let at = SourceLocation(file: file.path, utf8: file.text.utf8, byteOffset: parser.problem_offset)
            if problem.contains("control characters are not allowed") {
                return .error(String(format: "control character U+%04X in the file", parser.problem_value), at: SourceSpan(at),
                              help: "remove it; YAML allows only printable text, tabs and line breaks")
            }
            return .error("invalid YAML: \(problem)", at: SourceSpan(at))
        }
        let at = location(parser.problem_mark, file)
        let contextAt = location(parser.context_mark, file)
        let offending = character(at: at, in: file)

        if offending == "\t" || (problem.contains("cannot start any token") && offending == "\t") {
            return .error("tab character in indentation; YAML allows only spaces", at: SourceSpan(at),
                          help: "replace the tab with spaces")
        }
        if let context, context.contains("quoted scalar") {
            return .error("unterminated quoted string", at: SourceSpan(contextAt),
                          help: "add the closing quote, or escape a quote inside the text")
        }
        if offending == "[" || offending == "]", let context, context.contains("flow") {
            return .error("'\(offending!)' inside { } or [ ] starts or ends a list", at: SourceSpan(at),
                          help: "quote the value (\"narration[segment]\"), or write the mapping one key per line")
        }
        if problem.contains("mapping values are not allowed") {
            if let d = misplacedKey(at: at, in: file) { return d }
            return .error("unexpected ':' in a plain value", at: SourceSpan(at),
                          help: "put the value in quotes: \"...\" (a ': ' inside unquoted text starts a new key)")
        }
        if problem.contains("did not find expected key") || problem.contains("did not find expected '-' indicator") {
            return .error("bad indentation: this line does not line up with the \(context?.contains("sequence") == true ? "items" : "keys") above it",
                          at: SourceSpan(at),
                          help: "entries of one \(context?.contains("sequence") == true ? "list" : "mapping") (started at line \(contextAt.line)) must begin in the same column")
        }
        if problem.contains("control characters are not allowed") {
            return .error("control character in the file", at: SourceSpan(at), help: "remove it; YAML allows only printable text, tabs and line breaks")
        }
        if problem.contains("found character that cannot start any token") {
            let shown = offending.map { "'\($0)'" } ?? "this character"
            return .error("\(shown) cannot start a value here", at: SourceSpan(at),
                          help: "put the value in quotes: \"...\"")
        }
        var message = "invalid YAML: \(problem)"
        if let context { message += " (\(context) at line \(contextAt.line), column \(contextAt.column))" }
        return .error(message, at: SourceSpan(at))
    }

    /// A ': ' that libyaml found inside a plain value is most often a key in the wrong place: a line
    /// indented deeper than the key above it (so it continues that key's value), or a mapping
    /// started on its key's line (`inputs: inquiry: …`). Nil when it looks like text with a colon.
    private static func misplacedKey(at: SourceLocation, in file: SourceFile) -> Diagnostic? {
        guard let line = file.line(at.line), at.column >= 2, at.column - 1 <= line.count else { return nil }
        let before = String(line.prefix(at.column - 1))
        let indent = before.prefix { $0 == " " }.count
        let word = before.dropFirst(indent)
        func isKey<S: StringProtocol>(_ w: S) -> Bool {
            !w.isEmpty && w.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        }
        if isKey(word) {
            // The line is `key: …`; find the content line above it.
            var n = at.line - 1
            while n >= 1, let l = file.line(n), l.allSatisfy({ $0 == " " }) || l.drop(while: { $0 == " " }).hasPrefix("#") { n -= 1 }
            guard n >= 1, let above = file.line(n) else { return nil }
            let aboveIndent = above.prefix { $0 == " " }.count
            guard indent > aboveIndent, let colon = above.range(of: ": ") else { return nil }
            var aboveKey = above[above.index(above.startIndex, offsetBy: aboveIndent)..<colon.lowerBound]
            if aboveKey.hasPrefix("- ") { aboveKey = aboveKey.dropFirst(2) }
            guard isKey(aboveKey) else { return nil }
            return .error("bad indentation: '\(word)' is indented deeper than '\(aboveKey)' above it, so YAML reads it as part of that value",
                          at: SourceSpan(SourceLocation(file: file.path, line: at.line, column: indent + 1), length: word.count),
                          help: "start '\(word)' in the same column as the keys it belongs with")
        }
        // `key: word: value` on one line: a mapping cannot start on its key's line.
        if let r = before.range(of: ": ", options: .backwards) {
            let inner = before[r.upperBound...]
            let outer = before[before.startIndex..<r.lowerBound].drop { $0 == " " || $0 == "-" }
            if isKey(inner), isKey(outer) {
                let column = before.distance(from: before.startIndex, to: r.upperBound) + 1
                return .error("'\(inner)' starts a mapping on the line of '\(outer)'", at: SourceSpan(SourceLocation(file: file.path, line: at.line, column: column), length: inner.count),
                              help: "put '\(inner): …' on a line of its own below '\(outer):', indented by two more spaces; or quote the value if the ':' is part of the text")
            }
        }
        return nil
    }

    static func location(_ mark: yaml_mark_t, _ file: SourceFile) -> SourceLocation {
        SourceLocation(file: file.path, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private static func character(at loc: SourceLocation, in file: SourceFile) -> Character? {
        guard let line = file.line(loc.line), loc.column >= 1, loc.column <= line.count else { return nil }
        return line[line.index(line.startIndex, offsetBy: loc.column - 1)]
    }
}

/// Assembles events into a tree with an explicit stack, so nesting depth costs heap, not stack.
private struct TreeBuilder {
    let file: SourceFile
    let limits: YAMLLoader.Limits
    var root: YAMLNode?
    var nodeCount = 0
    var documents = 0

    /// An open sequence or mapping; mutated in place so that appending stays O(1).
    struct Frame {
        var isMapping: Bool
        var span: SourceSpan
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        var seen: [String: SourceSpan] = [:]
    }
    var stack: [Frame] = []

    init(file: SourceFile, limits: YAMLLoader.Limits) {
        self.file = file
        self.limits = limits
    }

    private func span(_ event: yaml_event_t) -> SourceSpan {
        let start = YAMLLoader.location(event.start_mark, file)
        let end = YAMLLoader.location(event.end_mark, file)
        let length = end.line == start.line ? end.column - start.column : ((file.line(start.line)?.count ?? start.column) - start.column + 1)
        return SourceSpan(start, length: length)
    }

    /// Returns a diagnostic when the event makes the document unusable.
    mutating func consume(_ event: yaml_event_t) -> Diagnostic? {
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                return .error("a second YAML document in one file", at: span(event),
                              help: "a vidfile or recipe holds one document; remove the '---' line or split the file")
            }
        case YAML_ALIAS_EVENT:
            return .error("YAML aliases (*name) are not supported", at: span(event),
                          help: "if the '*' is part of the text, put the value in quotes: \"*...\"; vidmake refuses aliases so that no file can expand without bound")
        case YAML_SCALAR_EVENT:
            if let d = refuseAnchorAndTag(anchor: event.data.scalar.anchor, tag: event.data.scalar.tag,
                                          implicit: event.data.scalar.plain_implicit == 1 || event.data.scalar.quoted_implicit == 1, event) { return d }
            let value = event.data.scalar.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: Int(event.data.scalar.length)), as: UTF8.self)
            } ?? ""
            let style: YAMLNode.Style
            switch event.data.scalar.style {
            case YAML_PLAIN_SCALAR_STYLE, YAML_ANY_SCALAR_STYLE: style = .plain
            case YAML_SINGLE_QUOTED_SCALAR_STYLE, YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .quoted
            default: style = .block
            }
            var sp = span(event)
            if style == .block { sp.length = 1 }
            return attach(YAMLNode(.scalar(value), style: style, span: sp))
        case YAML_SEQUENCE_START_EVENT:
            if let d = refuseAnchorAndTag(anchor: event.data.sequence_start.anchor, tag: event.data.sequence_start.tag,
                                          implicit: event.data.sequence_start.implicit == 1, event) { return d }
            if stack.count >= limits.maxDepth { return tooDeep(event) }
            stack.append(Frame(isMapping: false, span: SourceSpan(span(event).start)))
        case YAML_MAPPING_START_EVENT:
            if let d = refuseAnchorAndTag(anchor: event.data.mapping_start.anchor, tag: event.data.mapping_start.tag,
                                          implicit: event.data.mapping_start.implicit == 1, event) { return d }
            if stack.count >= limits.maxDepth { return tooDeep(event) }
            stack.append(Frame(isMapping: true, span: SourceSpan(span(event).start)))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let f = stack.popLast() else { return nil }
            return attach(YAMLNode(f.isMapping ? .mapping(f.pairs) : .sequence(f.items), style: .collection, span: f.span))
        default:
            break
        }
        return nil
    }

    private func tooDeep(_ event: yaml_event_t) -> Diagnostic {
        .error("nesting deeper than \(limits.maxDepth) levels", at: span(event), help: "vidfiles and recipes never need this depth; check the indentation")
    }

    private func refuseAnchorAndTag(anchor: UnsafeMutablePointer<yaml_char_t>?, tag: UnsafeMutablePointer<yaml_char_t>?,
                                    implicit: Bool, _ event: yaml_event_t) -> Diagnostic? {
        if anchor != nil {
            return .error("YAML anchors (&name) are not supported", at: span(event),
                          help: "write the value out in full; vidmake refuses anchors and aliases so that no file can expand without bound")
        }
        if let tag, !implicit {
            var name = String(cString: UnsafeRawPointer(tag).assumingMemoryBound(to: CChar.self))
            // Show the tag as it was written: libyaml expands `!!str` to `tag:yaml.org,2002:str`.
            if name.hasPrefix("tag:yaml.org,2002:") { name = "!!" + name.dropFirst("tag:yaml.org,2002:".count) }
            return .error("YAML tags (\(name)) are not supported", at: span(event), help: "remove the tag; quote the value if you want it read as text")
        }
        return nil
    }

    private mutating func attach(_ node: YAMLNode) -> Diagnostic? {
        nodeCount += 1
        if nodeCount > limits.maxNodes {
            return .error("more than \(limits.maxNodes) values in one file", at: node.span)
        }
        guard !stack.isEmpty else {
            root = node
            return nil
        }
        let top = stack.count - 1
        guard stack[top].isMapping else {
            stack[top].items.append(node)
            return nil
        }
        if let key = stack[top].pendingKey {
            stack[top].pairs.append(YAMLPair(key: key, value: node))
            stack[top].pendingKey = nil
            return nil
        }
        guard let name = node.scalar else {
            return .error("a mapping key must be a plain name, not \(node.describedKind)", at: node.span)
        }
        if let first = stack[top].seen[name] {
            return .error("duplicate key '\(name)'", at: node.span, help: "remove one of them; YAML keeps only one value per key",
                          notes: [.init("first defined here", at: first)])
        }
        stack[top].seen[name] = node.span
        stack[top].pendingKey = node
        return nil
    }
}
