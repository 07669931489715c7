/// A YAML node that remembers where it was written. Vidfiles and recipes are trees
/// of these before the checker turns them into typed values.
public struct YAMLNode: Sendable {
    public enum Kind: Sendable {
        case scalar(String)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public enum Style: Sendable, Equatable {
        /// Unquoted: `60s`, `true`, `~`. Only plain scalars can mean null, a number or a bool.
        case plain
        case quoted
        case block
        case collection
    }

    public var kind: Kind
    public var style: Style
    public var span: SourceSpan

    public init(_ kind: Kind, style: Style, span: SourceSpan) {
        self.kind = kind
        self.style = style
        self.span = span
    }

    public var scalar: String? {
        if case .scalar(let s) = kind { return s }
        return nil
    }

    /// The pairs of a mapping; nil for scalars and sequences.
    public var pairs: [YAMLPair]? {
        if case .mapping(let p) = kind { return p }
        return nil
    }

    public var isNull: Bool {
        guard style == .plain, case .scalar(let s) = kind else { return false }
        return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
    }

    /// What the user wrote, in words, for "expected X, found Y" messages.
    public var describedKind: String {
        switch kind {
        case .scalar:
            if isNull { return "nothing" }
            return style == .plain ? "'\(scalar ?? "")'" : "the text \"\(scalar ?? "")\""
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    /// Keys are always scalars (the loader refuses complex keys).
    public var name: String { key.scalar ?? "" }
}
