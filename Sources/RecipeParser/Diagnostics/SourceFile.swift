import Foundation

/// A file vidmake read, kept so that diagnostics can quote the offending line.
public final class SourceFile: Sendable {
    /// The path as the user should see it (relative when the user gave a relative path).
    public let path: String
    public let text: String
    private let lineStarts: [String.Index]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        var starts = [text.startIndex]
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            i = text.index(after: i)
            if c == "\n" || c == "\r\n" { starts.append(i) }
        }
        self.lineStarts = starts
    }

    public var lineCount: Int { lineStarts.count }

    /// The text of 1-based line `n`, without its line break; nil past the end.
    public func line(_ n: Int) -> Substring? {
        guard n >= 1, n <= lineStarts.count else { return nil }
        let start = lineStarts[n - 1]
        var end = n < lineStarts.count ? lineStarts[n] : text.endIndex
        while end > start {
            let prev = text.index(before: end)
            if text[prev] == "\n" || text[prev] == "\r\n" || text[prev] == "\r" { end = prev } else { break }
        }
        return text[start..<end]
    }
}

extension SourceLocation {
    /// The line and column (in characters) of a byte offset into UTF-8 text, for errors that
    /// arrive as offsets (libyaml's reader, invalid UTF-8).
    public init(file: String, utf8 bytes: some Collection<UInt8>, byteOffset: Int) {
        let prefix = Array(bytes.prefix(byteOffset))
        let lineStart = prefix.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let line = prefix.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        self.init(file: file, line: line, column: String(decoding: prefix[lineStart...], as: UTF8.self).count + 1)
    }
}

/// Every source file read during one run, by path, so diagnostics can show lines.
public final class SourceManager: @unchecked Sendable {
    private var files: [String: SourceFile] = [:]
    private let lock = NSLock()

    public init() {}

    public func add(_ file: SourceFile) {
        lock.lock(); defer { lock.unlock() }
        files[file.path] = file
    }

    public func file(_ path: String) -> SourceFile? {
        lock.lock(); defer { lock.unlock() }
        return files[path]
    }
}
