import Foundation

/// Prints diagnostics the way rustc and swiftc do: a `file:line:col: error: message` line,
/// the source line, a caret under the span, and a `help:` line when a fix is likely.
public struct DiagnosticRenderer: Sendable {
    public var colour: Bool
    public var sources: SourceManager

    public init(sources: SourceManager, colour: Bool) {
        self.sources = sources
        self.colour = colour
    }

    /// Whether to colour output on this stream: only a terminal, and never when NO_COLOR is set.
    public static func wantsColour(fileDescriptor: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        if let v = environment["NO_COLOR"], !v.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return isatty(fileDescriptor) == 1
    }

    private func paint(_ s: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    public func render(_ d: Diagnostic) -> String {
        var out = ""
        let sev: String
        switch d.severity {
        case .error: sev = paint("error:", "1;31")
        case .warning: sev = paint("warning:", "1;33")
        case .note: sev = paint("note:", "1;36")
        }
        if let span = d.span {
            out += paint("\(span.start):", "1") + " "
        } else {
            out += paint("vidmake:", "1") + " "
        }
        out += "\(sev) \(paint(d.message, "1"))\n"
        if let span = d.span { out += excerpt(span) }
        for note in d.notes {
            if let span = note.span {
                out += "\(paint("\(span.start):", "1")) \(paint("note:", "1;36")) \(note.message)\n"
                out += excerpt(span)
            } else {
                out += "\(paint("note:", "1;36")) \(note.message)\n"
            }
        }
        if let help = d.help { out += "\(paint("help:", "1;32")) \(help)\n" }
        return out
    }

    /// The quoted line with a gutter and a caret run under the span.
    private func excerpt(_ span: SourceSpan) -> String {
        guard let file = sources.file(span.start.file), let raw = file.line(span.start.line) else { return "" }
        // Tabs would misalign the caret, and control characters must never reach a terminal.
        let line = String(raw.map { c -> Character in
            if c == "\t" { return " " }
            if let a = c.asciiValue, a < 0x20 || a == 0x7F { return "?" }
            return c
        })
        let shown = line.count > 200 ? String(line.prefix(200)) + "…" : line
        let number = String(span.start.line)
        let pad = String(repeating: " ", count: number.count)
        let col = max(1, span.start.column)
        let width = max(1, min(span.length, max(1, line.count - col + 1)))
        var out = "\(paint("\(pad) |", "1;34"))\n"
        out += "\(paint("\(number) |", "1;34")) \(shown)\n"
        if col <= 201 {
            out += "\(paint("\(pad) |", "1;34")) \(String(repeating: " ", count: col - 1))\(paint(String(repeating: "^", count: min(width, 200)), "1;31"))\n"
        }
        return out
    }

    /// The summary line: "2 errors, 1 warning".
    public static func summary(errors: Int, warnings: Int) -> String {
        func plural(_ n: Int, _ w: String) -> String { "\(n) \(w)\(n == 1 ? "" : "s")" }
        return "\(plural(errors, "error")), \(plural(warnings, "warning"))"
    }
}

/// The `--format json` twin, for editors and CI: one object per diagnostic.
public enum DiagnosticJSON {
    public static func encode(_ diagnostics: [Diagnostic]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        struct Out: Encodable {
            let severity: String, message: String, file: String?, line: Int?, column: Int?, length: Int?
            let help: String?, notes: [NoteOut]
        }
        struct NoteOut: Encodable { let message: String, file: String?, line: Int?, column: Int? }
        let rows = diagnostics.map { d in
            Out(severity: d.severity.rawValue, message: d.message, file: d.span?.start.file,
                line: d.span?.start.line, column: d.span?.start.column, length: d.span?.length, help: d.help,
                notes: d.notes.map { NoteOut(message: $0.message, file: $0.span?.start.file, line: $0.span?.start.line, column: $0.span?.start.column) })
        }
        let data = (try? encoder.encode(rows)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
