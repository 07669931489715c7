import Foundation
import RecipeParser

/// The variables remote providers read: keys and base URLs, from the process environment and a
/// `.env` file beside the vidfile (the environment wins). Values never appear in a description,
/// a log line or an error: `redact` takes every secret out of a text before it is shown or kept.
public struct ProviderEnvironment: Sendable, CustomStringConvertible {
    private var variables: [String: String]

    public init(_ variables: [String: String] = [:]) { self.variables = variables }

    /// The process environment over `folder/.env`; a line of `.env` that cannot be read is a warning
    /// naming `file:line` (never its content, which may be a key).
    public static func load(folder: String, process: [String: String] = ProcessInfo.processInfo.environment) -> (ProviderEnvironment, warnings: [String]) {
        var vars: [String: String] = [:]
        var warnings: [String] = []
        let path = folder + "/.env"
        if let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 {
            let (parsed, bad) = DotEnv.parse(String(decoding: data, as: UTF8.self))
            vars = parsed
            for line in bad { warnings.append("\(ProjectPaths.display(path)):\(line): not a KEY=VALUE line; ignored") }
        }
        // A variable set but empty in the environment does not hide the file's value.
        for (k, v) in process where !v.isEmpty || vars[k] == nil { vars[k] = v }
        return (ProviderEnvironment(vars), warnings)
    }

    public subscript(_ name: String) -> String? {
        guard let v = variables[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
        return v
    }

    /// Whether a family can be called: it needs no key, or its key is set.
    public func hasKey(for family: String) -> Bool {
        guard let v = ProviderCatalog.spec(family)?.keyVariable else { return true }
        return self[v] != nil
    }

    /// Every value that must never be shown: the keys of all providers, and any variable whose
    /// name says it is a secret.
    private var secrets: [String] {
        let named = Set(ProviderCatalog.all.compactMap(\.keyVariable))
        return variables.compactMap { k, v in
            let secretName = named.contains(k) || ["KEY", "TOKEN", "SECRET", "PASSWORD"].contains { k.uppercased().contains($0) }
            let t = v.trimmingCharacters(in: .whitespacesAndNewlines)
            return secretName && t.count >= 6 ? t : nil
        }.sorted { $0.count > $1.count }
    }

    /// The text with every secret replaced by `[redacted]`, in every form a server may echo it
    /// in (see `Redaction`).
    public func redact(_ text: String) -> String {
        var out = text
        for s in secrets { out = Redaction.redact(s, in: out) }
        return out
    }

    public var description: String { "ProviderEnvironment(\(variables.count) variables)" }
}

/// `.env` files as dotenv writes them: `KEY=value`, `export KEY=value`, `# comments`, values in
/// single quotes (literal) or double quotes (`\n`, `\"`, `\\` escapes), or bare (a ` #` starts a comment).
enum DotEnv {
    /// The variables, and the numbers of lines that are not assignments.
    static func parse(_ text: String) -> (values: [String: String], bad: [Int]) {
        var values: [String: String] = [:]
        var bad: [Int] = []
        // CRLF is one Character in Swift, so splitting on "\n" alone would not split a Windows file.
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).enumerated() {
            var line = raw.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).drop { $0 == " " } }
            guard let eq = line.firstIndex(of: "=") else { bad.append(n + 1); continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }), !(key.first!.isNumber) else {
                bad.append(n + 1)
                continue
            }
            var v = line[line.index(after: eq)...].drop { $0 == " " || $0 == "\t" }
            if let q = v.first, q == "'" || q == "\"" {
                guard let value = q == "'" ? singleQuoted(v.dropFirst()) : doubleQuoted(v.dropFirst()) else { bad.append(n + 1); continue }
                values[key] = value
            } else {
                if let hash = v.range(of: " #") { v = v[..<hash.lowerBound] }
                values[key] = v.trimmingCharacters(in: .whitespaces)
            }
        }
        return (values, bad)
    }

    /// The text up to the closing `'`, taken literally; nil when it is not closed.
    static func singleQuoted(_ s: Substring) -> String? {
        s.firstIndex(of: "'").map { String(s[..<$0]) }
    }

    /// The text up to the first unescaped `"`, with `\n`, `\"` and `\\` unescaped in one
    /// pass (so `\\n` is a backslash and an n); other backslashes are kept. Nil when it is not closed.
    static func doubleQuoted(_ s: Substring) -> String? {
        var out = ""
        var escaped = false
        for c in s {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "\"", "\\": out.append(c)
                default: out.append("\\"); out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                return out
            } else {
                out.append(c)
            }
        }
        return nil
    }
}

/// Where each family's API is, from the environment or its public default.
public enum Endpoints {
    /// `https://api.openai.com/v1`, or `OPENAI_BASE_URL` as the OpenAI SDKs read it (it includes `/v1`).
    public static func openai(_ env: ProviderEnvironment) -> String {
        trimmed(env["OPENAI_BASE_URL"] ?? "https://api.openai.com/v1")
    }

    /// Ollama's OpenAI-compatible API: `OLLAMA_BASE_URL` (with `/v1`), else `OLLAMA_HOST` as the
    /// ollama command reads it (`host:port`), else `http://localhost:11434/v1`.
    public static func ollama(_ env: ProviderEnvironment) -> String {
        if let b = env["OLLAMA_BASE_URL"] { return trimmed(b) }
        if var h = env["OLLAMA_HOST"] {
            if !h.contains("://") { h = "http://" + h }
            if h.hasPrefix("http://0.0.0.0") { h = h.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1") }
            return trimmed(h) + "/v1"
        }
        return "http://localhost:11434/v1"
    }

    /// `https://api.replicate.com`, or `REPLICATE_BASE_URL`; paths add `/v1/…`.
    public static func replicate(_ env: ProviderEnvironment) -> String {
        trimmed(env["REPLICATE_BASE_URL"] ?? "https://api.replicate.com")
    }

    /// `https://api.elevenlabs.io`, or `ELEVENLABS_BASE_URL`; paths add `/v1/…`.
    public static func elevenlabs(_ env: ProviderEnvironment) -> String {
        trimmed(env["ELEVENLABS_BASE_URL"] ?? "https://api.elevenlabs.io")
    }

    private static func trimmed(_ s: String) -> String {
        var s = s
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }
}
