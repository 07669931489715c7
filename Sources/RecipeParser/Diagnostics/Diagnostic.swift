/// A position in a source file; line and column are 1-based, the column counts characters.
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A located stretch of source: where it starts and how many characters it covers on that line.
public struct SourceSpan: Hashable, Sendable, Codable {
    public var start: SourceLocation
    /// Characters underlined on the start line; at least 1.
    public var length: Int

    public init(_ start: SourceLocation, length: Int = 1) {
        self.start = start
        self.length = max(1, length)
    }

    /// A span inside this one, `offset` characters in, for pointing into a scalar.
    public func subspan(offset: Int, length: Int) -> SourceSpan {
        var s = start
        s.column += offset
        return SourceSpan(s, length: length)
    }
}

/// One finding of a check: what is wrong, where, and how to fix it when that is likely.
public struct Diagnostic: Hashable, Sendable, Codable {
    public enum Severity: String, Sendable, Codable { case error, warning, note }

    public var severity: Severity
    public var message: String
    public var span: SourceSpan?
    /// A concrete suggestion ("did you mean 'narration'?"), shown as `help:`.
    public var help: String?
    /// Related places ("first defined here"), shown under the main line.
    public var notes: [Note]

    public struct Note: Hashable, Sendable, Codable {
        public var message: String
        public var span: SourceSpan?
        public init(_ message: String, at span: SourceSpan?) {
            self.message = message
            self.span = span
        }
    }

    public init(_ severity: Severity, _ message: String, at span: SourceSpan?, help: String? = nil, notes: [Note] = []) {
        self.severity = severity
        self.message = message
        self.span = span
        self.help = help
        self.notes = notes
    }

    public static func error(_ message: String, at span: SourceSpan?, help: String? = nil, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.error, message, at: span, help: help, notes: notes)
    }

    public static func warning(_ message: String, at span: SourceSpan?, help: String? = nil, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.warning, message, at: span, help: help, notes: notes)
    }
}

/// Collects the diagnostics of a run, so that one run reports every problem at once.
public struct Diagnostics: Sendable {
    public private(set) var all: [Diagnostic] = []
    public private(set) var errorCount = 0
    public private(set) var warningCount = 0
    /// Diagnostics past `limit`, counted but not kept: a file with 20,000 bad keys needs its
    /// first screenful of errors, not all of them.
    public private(set) var suppressed = 0
    public static let limit = 100

    public init() {}

    public var hasErrors: Bool { errorCount > 0 }

    public mutating func add(_ d: Diagnostic) {
        switch d.severity {
        case .error: errorCount += 1
        case .warning: warningCount += 1
        case .note: break
        }
        if all.count < Self.limit { all.append(d) } else { suppressed += 1 }
    }

    public mutating func append(contentsOf other: Diagnostics) {
        for d in other.all { add(d) }
        suppressed += other.suppressed
        // Counts of the other's suppressed diagnostics are carried over as well.
        errorCount += other.errorCount - other.all.filter { $0.severity == .error }.count
        warningCount += other.warningCount - other.all.filter { $0.severity == .warning }.count
    }

    public mutating func error(_ message: String, at span: SourceSpan?, help: String? = nil, notes: [Diagnostic.Note] = []) {
        add(.error(message, at: span, help: help, notes: notes))
    }

    public mutating func warning(_ message: String, at span: SourceSpan?, help: String? = nil, notes: [Diagnostic.Note] = []) {
        add(.warning(message, at: span, help: help, notes: notes))
    }

    /// In source order (file, line, column), errors before warnings at one place; stable otherwise.
    public var sorted: [Diagnostic] {
        all.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            let kx = (x.span?.start.file ?? "", x.span?.start.line ?? 0, x.span?.start.column ?? 0)
            let ky = (y.span?.start.file ?? "", y.span?.start.line ?? 0, y.span?.start.column ?? 0)
            if kx != ky { return kx < ky }
            return a.offset < b.offset
        }.map(\.element)
    }
}
