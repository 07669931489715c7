/// Static types of expressions, so `when:` and dimension counts are checked before anything runs.
enum ExprType: Equatable, CustomStringConvertible {
    case int, number, duration, bool, text, size
    case enumeration([String])

    init(_ t: ValueType) {
        switch t {
        case .int: self = .int
        case .number: self = .number
        case .duration: self = .duration
        case .bool: self = .bool
        case .size: self = .size
        case .enumeration(let c): self = .enumeration(c)
        case .text, .language, .voice, .file: self = .text
        }
    }

    var description: String {
        switch self {
        case .int: return "int"
        case .number: return "number"
        case .duration: return "duration"
        case .bool: return "bool"
        case .text: return "text"
        case .size: return "size"
        case .enumeration: return "enum"
        }
    }

    var isNumeric: Bool { self == .int || self == .number }
    var isTextual: Bool { if case .enumeration = self { return true }; return self == .text }
}

/// Type checks an expression over the recipe's inputs. References must name inputs (artifacts are
/// not known until a build runs) and may be indexed only by dimensions in `allowedIndices`.
struct ExprChecker {
    let recipe: Recipe
    let allowedIndices: [String]
    /// What the expression is, for messages: "the 'when' of producer 'image'".
    let context: String

    func type(_ e: Expr, _ diags: inout Diagnostics) -> ExprType? {
        switch e {
        case .literal(let v, _):
            switch v {
            case .int: return .int
            case .number: return .number
            case .duration: return .duration
            case .bool: return .bool
            case .text: return .text
            case .size: return .size
            case .list: return nil
            }
        case .reference(let r):
            return referenceType(r, &diags)
        case .not(let inner, _):
            guard let t = type(inner, &diags) else { return nil }
            if t != .bool { diags.error("'not' needs a bool, but \(inner) is \(t)", at: inner.span); return nil }
            return .bool
        case .negate(let inner, _):
            guard let t = type(inner, &diags) else { return nil }
            if !(t.isNumeric || t == .duration) { diags.error("cannot negate \(t)", at: inner.span); return nil }
            return t
        case .binary(let op, let a, let b, let span):
            guard let ta = type(a, &diags), let tb = type(b, &diags) else { return nil }
            switch op {
            case .and, .or:
                for (x, t) in [(a, ta), (b, tb)] where t != .bool {
                    diags.error("'\(op.rawValue)' needs bool operands, but \(x) is \(t)", at: x.span)
                    return nil
                }
                return .bool
            case .eq, .ne:
                if case .enumeration(let cases) = ta, case .literal(.text(let s), let ls) = b, !cases.contains(s) {
                    diags.error("'\(s)' is not one of the values of \(a): \(Spelling.list(cases))", at: ls, help: Spelling.didYouMean(s, cases))
                    return nil
                }
                if case .enumeration(let cases) = tb, case .literal(.text(let s), let ls) = a, !cases.contains(s) {
                    diags.error("'\(s)' is not one of the values of \(b): \(Spelling.list(cases))", at: ls, help: Spelling.didYouMean(s, cases))
                    return nil
                }
                let ok = ta == tb || (ta.isNumeric && tb.isNumeric) || (ta.isTextual && tb.isTextual)
                if !ok { diags.error("cannot compare \(a.unparenthesized) (\(ta)) with \(b.unparenthesized) (\(tb))", at: span); return nil }
                return .bool
            case .lt, .le, .gt, .ge:
                let ok = (ta.isNumeric && tb.isNumeric) || (ta == .duration && tb == .duration)
                if !ok { diags.error("cannot order \(a.unparenthesized) (\(ta)) and \(b.unparenthesized) (\(tb)) with '\(op.rawValue)'", at: span); return nil }
                return .bool
            case .add, .sub:
                if ta == .duration && tb == .duration { return .duration }
                if ta.isNumeric && tb.isNumeric { return ta == .int && tb == .int ? .int : .number }
                diags.error("cannot apply '\(op.rawValue)' to \(ta) and \(tb)", at: span); return nil
            case .mul:
                if ta.isNumeric && tb.isNumeric { return ta == .int && tb == .int ? .int : .number }
                if (ta == .duration && tb.isNumeric) || (ta.isNumeric && tb == .duration) { return .duration }
                diags.error("cannot multiply \(ta) by \(tb)", at: span); return nil
            case .div:
                if ta == .duration && tb == .duration { return .int }
                if ta == .duration && tb.isNumeric { return .duration }
                if ta.isNumeric && tb.isNumeric { return ta == .int && tb == .int ? .int : .number }
                diags.error("cannot divide \(ta) by \(tb)", at: span); return nil
            }
        }
    }

    private func referenceType(_ r: Reference, _ diags: inout Diagnostics) -> ExprType? {
        guard let input = recipe.input(r.name) else {
            if recipe.outputs[r.name] != nil {
                diags.error("\(context) uses artifact '\(r.name)'; conditions and counts can use only inputs", at: r.span,
                            help: "artifacts are not known until the build runs; add an input instead")
            } else {
                diags.error("unknown input '\(r.name)' in \(context)", at: r.span,
                            help: Spelling.didYouMean(r.name, recipe.inputs.map(\.name)))
            }
            return nil
        }
        let dims = input.per.map { [$0.value] } ?? []
        // An unknown 'per' dimension is reported on the input; do not check indices against it.
        if let per = input.per, recipe.dimension(per.value) == nil { return ExprType(input.type) }
        guard IndexCheck.check(r, declared: dims, loop: allowedIndices, gathering: false, context: context, &diags) else { return nil }
        if input.optional && input.defaultValue == nil {
            diags.error("\(context) uses '\(r.name)', which may be unset", at: r.span, help: "give the input a default")
            return nil
        }
        return ExprType(input.type)
    }
}

/// The rules for indexing a dimensioned value, shared by producer inputs and expressions.
enum IndexCheck {
    /// `declared` are the value's dimensions; `loop` the dimensions the reader runs over.
    /// With `gathering`, trailing dimensions not in the loop are collected (fan-in).
    static func check(_ r: Reference, declared: [String], loop: [String], gathering: Bool, context: String, _ diags: inout Diagnostics) -> Bool {
        if r.indices.count > declared.count {
            let shape = declared.isEmpty ? "has no dimensions" : "has \(declared.count) dimension\(declared.count == 1 ? "" : "s") (\(declared.joined(separator: ", ")))"
            diags.error("'\(r.name)' \(shape) but is indexed \(r.indices.count) time\(r.indices.count == 1 ? "" : "s")", at: r.span,
                        help: "write \(r.name)\(declared.map { "[\($0)]" }.joined())")
            return false
        }
        for (k, idx) in r.indices.enumerated() {
            switch idx {
            case .dimension(let d):
                if d != declared[k] {
                    diags.error("'\(r.name)' is indexed by \(declared[k]), not \(d)", at: r.span,
                                help: "write \(r.name)\(declared.prefix(k + 1).map { "[\($0)]" }.joined())")
                    return false
                }
                if !loop.contains(d) {
                    diags.error("\(context) does not run over '\(d)', so it cannot index \(r.name)[\(d)]", at: r.span,
                                help: "add \(d) to its 'for', or read all of \(r.name)")
                    return false
                }
            case .literal(let n):
                if n < 1 {
                    diags.error("index \(n) of '\(r.name)' must be 1 or more (segments and images are numbered from 1)", at: r.span)
                    return false
                }
            }
        }
        for d in declared.dropFirst(r.indices.count) {
            if loop.contains(d) {
                diags.error("'\(r.name)' varies per \(d); write \(r.name)\(declared.prefix(declared.firstIndex(of: d)! + 1).map { "[\($0)]" }.joined())",
                            at: r.span, help: "\(context) runs once per \(d) and reads that \(d)'s value")
                return false
            }
            if !gathering {
                diags.error("'\(r.name)' varies per \(d), so it has no single value here", at: r.span,
                            help: "index it, e.g. \(r.name)[\(d)], inside something that runs over \(d)")
                return false
            }
        }
        return true
    }
}

/// Evaluates checked expressions once input values are known.
public struct Evaluator: Sendable {
    /// Global input values.
    public var inputs: [String: Value]
    /// Per-dimension input values: input name → index (1-based) → value; falls back to `inputs`.
    public var perIndex: [String: [Int: Value]]

    public init(inputs: [String: Value], perIndex: [String: [Int: Value]]) {
        self.inputs = inputs
        self.perIndex = perIndex
    }

    public struct Failure: Error { public var message: String; public var span: SourceSpan }

    /// `at` binds dimension names to 1-based indices.
    public func evaluate(_ e: Expr, at: [String: Int]) throws(Failure) -> Value {
        switch e {
        case .literal(let v, _): return v
        case .reference(let r):
            if let idx = r.indices.first {
                let i: Int
                switch idx {
                case .dimension(let d): i = at[d] ?? 0
                case .literal(let n): i = n
                }
                if let v = perIndex[r.name]?[i] { return v }
            }
            guard let v = inputs[r.name] else { throw Failure(message: "input '\(r.name)' has no value", span: r.span) }
            return v
        case .not(let x, _):
            guard case .bool(let b) = try evaluate(x, at: at) else { throw Failure(message: "not a bool", span: x.span) }
            return .bool(!b)
        case .negate(let x, _):
            switch try evaluate(x, at: at) {
            case .int(let i): return .int(-i)
            case .number(let d): return .number(-d)
            case .duration(let t): return .duration(TimeSpan(milliseconds: -t.milliseconds))
            default: throw Failure(message: "cannot negate", span: x.span)
            }
        case .binary(let op, let a, let b, let span):
            let x = try evaluate(a, at: at)
            if op == .and, case .bool(false) = x { return .bool(false) }
            if op == .or, case .bool(true) = x { return .bool(true) }
            let y = try evaluate(b, at: at)
            return try Self.apply(op, x, y, span)
        }
    }

    static func apply(_ op: Expr.BinaryOp, _ x: Value, _ y: Value, _ span: SourceSpan) throws(Failure) -> Value {
        func num(_ v: Value) -> Double? {
            switch v { case .int(let i): return Double(i); case .number(let d): return d; default: return nil }
        }
        switch op {
        case .and, .or:
            guard case .bool(let p) = x, case .bool(let q) = y else { break }
            return .bool(op == .and ? p && q : p || q)
        case .eq, .ne:
            let same: Bool
            if let p = num(x), let q = num(y) { same = p == q } else { same = x == y }
            return .bool(op == .eq ? same : !same)
        case .lt, .le, .gt, .ge:
            guard let c = ValueParser.compare(x, y) else { break }
            switch op {
            case .lt: return .bool(c < 0)
            case .le: return .bool(c <= 0)
            case .gt: return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case .add, .sub, .mul, .div:
            switch (x, y) {
            case (.int(let p), .int(let q)):
                switch op {
                case .add: let (r, o) = p.addingReportingOverflow(q); if !o { return .int(r) }
                case .sub: let (r, o) = p.subtractingReportingOverflow(q); if !o { return .int(r) }
                case .mul: let (r, o) = p.multipliedReportingOverflow(by: q); if !o { return .int(r) }
                default:
                    if q == 0 { throw Failure(message: "division by zero", span: span) }
                    return .int(p / q)
                }
                throw Failure(message: "number too large", span: span)
            case (.duration(let p), .duration(let q)):
                switch op {
                case .add: return .duration(TimeSpan(milliseconds: p.milliseconds + q.milliseconds))
                case .sub: return .duration(TimeSpan(milliseconds: p.milliseconds - q.milliseconds))
                case .div:
                    if q.milliseconds == 0 { throw Failure(message: "division by a zero duration", span: span) }
                    return .int(p.milliseconds / q.milliseconds)
                default: break
                }
            case (.duration(let p), _) where num(y) != nil:
                let f = num(y)!
                if op == .mul { return .duration(TimeSpan(seconds: p.seconds * f)) }
                if op == .div { if f == 0 { throw Failure(message: "division by zero", span: span) }; return .duration(TimeSpan(seconds: p.seconds / f)) }
            case (_, .duration(let q)) where num(x) != nil && op == .mul:
                return .duration(TimeSpan(seconds: q.seconds * num(x)!))
            default:
                if let p = num(x), let q = num(y) {
                    switch op {
                    case .add: return .number(p + q)
                    case .sub: return .number(p - q)
                    case .mul: return .number(p * q)
                    default:
                        if q == 0 { throw Failure(message: "division by zero", span: span) }
                        return .number(p / q)
                    }
                }
            }
        }
        throw Failure(message: "cannot apply '\(op.rawValue)' to \(x) and \(y)", span: span)
    }
}
