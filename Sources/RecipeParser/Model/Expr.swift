/// The small expression language of `when:` conditions and dimension counts:
/// `not use_video[segment]`, `duration / 10s`, `audience == 'kids' and images_per_segment > 1`.
public indirect enum Expr: Sendable, Hashable, CustomStringConvertible {
    case literal(Value, SourceSpan)
    case reference(Reference)
    case not(Expr, SourceSpan)
    case negate(Expr, SourceSpan)
    case binary(BinaryOp, Expr, Expr, SourceSpan)

    public enum BinaryOp: String, Sendable, Hashable {
        case and, or
        case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
        case add = "+", sub = "-", mul = "*", div = "/"
    }

    public var span: SourceSpan {
        switch self {
        case .literal(_, let s), .not(_, let s), .negate(_, let s), .binary(_, _, _, let s): return s
        case .reference(let r): return r.span
        }
    }

    public var description: String {
        switch self {
        case .literal(.text(let s), _): return "'\(s)'"
        case .literal(let v, _): return v.description
        case .reference(let r): return r.description
        case .not(let e, _): return "not \(e)"
        case .negate(let e, _): return "-\(e)"
        case .binary(let op, let a, let b, _): return "(\(a) \(op.rawValue) \(b))"
        }
    }

    /// The description without the parentheses around a whole binary expression: `duration / 10s`.
    public var unparenthesized: String {
        let d = description
        if case .binary = self, d.hasPrefix("("), d.hasSuffix(")") { return String(d.dropFirst().dropLast()) }
        return d
    }

    /// Every reference in the expression, in order.
    public var references: [Reference] {
        switch self {
        case .literal: return []
        case .reference(let r): return [r]
        case .not(let e, _), .negate(let e, _): return e.references
        case .binary(_, let a, let b, _): return a.references + b.references
        }
    }
}

/// Parses expressions and references out of a scalar, pointing errors at the exact character.
public struct ExprParser {
    enum Token: Equatable {
        case ident(String), int(Int), number(Double), duration(TimeSpan), string(String)
        case op(String), lbracket, rbracket, lparen, rparen, end
    }

    let text: [Character]
    let base: SourceSpan
    var tokens: [(Token, Int, Int)] = []   // token, offset, length
    var pos = 0
    var depth = 0
    static let maxDepth = 32

    public struct Failure: Error {
        public var message: String
        public var span: SourceSpan
        public var help: String?
    }

    /// `base` is where the scalar starts in the file; offsets into `text` become columns from there.
    public init(_ text: String, at base: SourceSpan) throws(Failure) {
        self.text = Array(text)
        self.base = base
        try tokenize()
    }

    private func span(_ offset: Int, _ length: Int) -> SourceSpan { base.subspan(offset: offset, length: length) }

    private mutating func tokenize() throws(Failure) {
        var i = 0
        while i < text.count {
            let c = text[i]
            if c == " " { i += 1; continue }
            let start = i
            if c.isLetter || c == "_" {
                while i < text.count, text[i].isLetter || text[i].isNumber || text[i] == "_" { i += 1 }
                tokens.append((.ident(String(text[start..<i])), start, i - start))
            } else if c.isASCII && c.isNumber {
                while i < text.count, text[i].isASCII, text[i].isNumber || text[i] == "." || text[i].isLetter { i += 1 }
                let word = String(text[start..<i])
                if let n = Int(word) {
                    tokens.append((.int(n), start, i - start))
                } else if let d = Double(word), d.isFinite {
                    tokens.append((.number(d), start, i - start))
                } else if let t = TimeSpan.parse(word) {
                    tokens.append((.duration(t), start, i - start))
                } else {
                    throw Failure(message: "'\(word)' is not a number or a duration", span: span(start, i - start),
                                  help: "durations are written like 10s, 1.5s or 2m")
                }
            } else if c == "'" || c == "\"" {
                i += 1
                while i < text.count, text[i] != c { i += 1 }
                guard i < text.count else {
                    throw Failure(message: "unterminated string in expression", span: span(start, 1), help: "add the closing \(c)")
                }
                tokens.append((.string(String(text[(start + 1)..<i])), start, i - start + 1))
                i += 1
            } else {
                let two = i + 1 < text.count ? String(text[i...i + 1]) : ""
                if ["==", "!=", "<=", ">="].contains(two) {
                    tokens.append((.op(two), start, 2)); i += 2
                } else if "<>+-*/".contains(c) {
                    tokens.append((.op(String(c)), start, 1)); i += 1
                } else if c == "[" { tokens.append((.lbracket, start, 1)); i += 1 }
                else if c == "]" { tokens.append((.rbracket, start, 1)); i += 1 }
                else if c == "(" { tokens.append((.lparen, start, 1)); i += 1 }
                else if c == ")" { tokens.append((.rparen, start, 1)); i += 1 }
                else if c == "!" {
                    throw Failure(message: "'!' is not an operator here", span: span(start, 1), help: "write 'not' for negation")
                } else if c == "=" {
                    throw Failure(message: "'=' is not a comparison", span: span(start, 1), help: "write '==' to compare")
                } else if c == "&" || c == "|" {
                    let doubled = i + 1 < text.count && text[i + 1] == c
                    throw Failure(message: "'\(doubled ? "\(c)\(c)" : "\(c)")' is not an operator here", span: span(start, doubled ? 2 : 1),
                                  help: c == "&" ? "write 'and'" : "write 'or'")
                } else {
                    throw Failure(message: "unexpected character '\(c)'", span: span(start, 1))
                }
            }
        }
        tokens.append((.end, text.count, 1))
    }

    private var current: (Token, Int, Int) { tokens[pos] }
    private mutating func advance() { if pos < tokens.count - 1 { pos += 1 } }

    private func unexpected(_ expected: String) -> Failure {
        let (tok, off, len) = current
        if tok == .end { return Failure(message: "expression ends early: expected \(expected)", span: span(max(0, off - 1), 1)) }
        return Failure(message: "expected \(expected), found '\(String(text[off..<min(text.count, off + len)]))'", span: span(off, len))
    }

    /// Parses the whole text as one expression.
    public mutating func parseExpression() throws(Failure) -> Expr {
        let e = try parseOr()
        guard current.0 == .end else { throw unexpected("an operator or the end") }
        return e
    }

    /// Parses the whole text as a reference: `name` or `name[dim][2]`.
    public mutating func parseReference() throws(Failure) -> Reference {
        guard case .ident = current.0 else { throw unexpected("a name") }
        let r = try parseRef()
        guard current.0 == .end else { throw unexpected("'[' or the end of the reference") }
        return r
    }

    private mutating func parseRef() throws(Failure) -> Reference {
        guard case .ident(let name) = current.0 else { throw unexpected("a name") }
        let start = current.1
        advance()
        var indices: [Reference.Index] = []
        while current.0 == .lbracket {
            advance()
            switch current.0 {
            case .ident(let d): indices.append(.dimension(d))
            case .int(let n): indices.append(.literal(n))
            default: throw unexpected("a dimension name or a number inside [ ]")
            }
            advance()
            guard current.0 == .rbracket else { throw unexpected("']'") }
            advance()
        }
        let end = pos > 0 ? tokens[pos - 1].1 + tokens[pos - 1].2 : start + name.count
        return Reference(name: name, indices: indices, span: span(start, end - start))
    }

    private mutating func nest() throws(Failure) {
        depth += 1
        if depth > Self.maxDepth {
            throw Failure(message: "expression nested deeper than \(Self.maxDepth) levels", span: span(current.1, 1))
        }
    }

    private mutating func parseOr() throws(Failure) -> Expr {
        var lhs = try parseAnd()
        while current.0 == .ident("or") {
            advance()
            let rhs = try parseAnd()
            lhs = .binary(.or, lhs, rhs, lhs.span.union(rhs.span))
        }
        return lhs
    }

    private mutating func parseAnd() throws(Failure) -> Expr {
        var lhs = try parseNot()
        while current.0 == .ident("and") {
            advance()
            let rhs = try parseNot()
            lhs = .binary(.and, lhs, rhs, lhs.span.union(rhs.span))
        }
        return lhs
    }

    private mutating func parseNot() throws(Failure) -> Expr {
        if current.0 == .ident("not") {
            let start = span(current.1, current.2)
            advance()
            try nest(); defer { depth -= 1 }
            let e = try parseNot()
            return .not(e, start.union(e.span))
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(Failure) -> Expr {
        let lhs = try parseSum()
        if case .op(let o) = current.0, let op = Expr.BinaryOp(rawValue: o), ["==", "!=", "<", "<=", ">", ">="].contains(o) {
            advance()
            let rhs = try parseSum()
            return .binary(op, lhs, rhs, lhs.span.union(rhs.span))
        }
        return lhs
    }

    private mutating func parseSum() throws(Failure) -> Expr {
        var lhs = try parseProduct()
        while case .op(let o) = current.0, o == "+" || o == "-" {
            advance()
            let rhs = try parseProduct()
            lhs = .binary(Expr.BinaryOp(rawValue: o)!, lhs, rhs, lhs.span.union(rhs.span))
        }
        return lhs
    }

    private mutating func parseProduct() throws(Failure) -> Expr {
        var lhs = try parseUnary()
        while case .op(let o) = current.0, o == "*" || o == "/" {
            advance()
            let rhs = try parseUnary()
            lhs = .binary(Expr.BinaryOp(rawValue: o)!, lhs, rhs, lhs.span.union(rhs.span))
        }
        return lhs
    }

    private mutating func parseUnary() throws(Failure) -> Expr {
        if current.0 == .op("-") {
            let start = span(current.1, 1)
            advance()
            try nest(); defer { depth -= 1 }
            let e = try parseUnary()
            return .negate(e, start.union(e.span))
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(Failure) -> Expr {
        let (tok, off, len) = current
        switch tok {
        case .int(let n): advance(); return .literal(.int(n), span(off, len))
        case .number(let d): advance(); return .literal(.number(d), span(off, len))
        case .duration(let t): advance(); return .literal(.duration(t), span(off, len))
        case .string(let s): advance(); return .literal(.text(s), span(off, len))
        case .ident("true"): advance(); return .literal(.bool(true), span(off, len))
        case .ident("false"): advance(); return .literal(.bool(false), span(off, len))
        case .ident(let w) where ["and", "or", "not", "within"].contains(w):
            throw unexpected("a value")
        case .ident: return .reference(try parseRef())
        case .lparen:
            advance()
            try nest(); defer { depth -= 1 }
            let e = try parseOr()
            guard current.0 == .rparen else {
                if current.0 == .end { throw Failure(message: "this '(' is never closed", span: span(off, 1), help: "add ')' where the group ends") }
                throw unexpected("')'")
            }
            advance()
            return e
        default:
            throw unexpected("a value")
        }
    }
}

extension SourceSpan {
    /// The span from this one's start to the end of `other`, when both are on one line.
    func union(_ other: SourceSpan) -> SourceSpan {
        guard other.start.line == start.line, other.start.file == start.file else { return self }
        let end = max(start.column + length, other.start.column + other.length)
        let s = min(start.column, other.start.column)
        var r = self
        r.start.column = s
        r.length = end - s
        return r
    }
}
