import Foundation

/// A length of time, exact to the millisecond: `60s`, `0.5s`, `1m30s`, `250ms`.
public struct TimeSpan: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var milliseconds: Int

    public init(milliseconds: Int) { self.milliseconds = milliseconds }
    public init(seconds: Double) { self.milliseconds = Int((seconds * 1000).rounded()) }

    public var seconds: Double { Double(milliseconds) / 1000 }

    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.milliseconds < b.milliseconds }

    /// Canonical spelling: whole seconds as `60s`, else the shortest exact decimal, `0.5s`.
    public var description: String {
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        var s = String(format: "%.3f", seconds)
        while s.hasSuffix("0") { s.removeLast() }
        return s + "s"
    }

    /// Parses `90s`, `1.5s`, `500ms`, `2m`, `1m30s`, `1h`. Nil if it is not a duration.
    public static func parse(_ text: String) -> TimeSpan? {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return nil }
        var total = 0.0
        var rest = Substring(s)
        var sawPart = false
        while !rest.isEmpty {
            let num = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !num.isEmpty, let value = Double(num), num.filter({ $0 == "." }).count <= 1 else { return nil }
            rest = rest.dropFirst(num.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m", "min": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
            sawPart = true
        }
        guard sawPart, total.isFinite, total < 1e9 else { return nil }
        return TimeSpan(seconds: total)
    }
}

/// A frame size in pixels.
public struct FrameSize: Hashable, Sendable, Codable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }

    /// Named aspects a user may write instead of pixels.
    public static let aspects: [String: FrameSize] = [
        "16:9": FrameSize(width: 1920, height: 1080),
        "9:16": FrameSize(width: 1080, height: 1920),
        "1:1": FrameSize(width: 1080, height: 1080),
        "4:5": FrameSize(width: 1080, height: 1350),
        "4:3": FrameSize(width: 1440, height: 1080),
    ]
}

/// The value of an input or setting after checking.
public enum Value: Hashable, Sendable, Codable, CustomStringConvertible {
    case text(String)
    case int(Int)
    case number(Double)
    case bool(Bool)
    case duration(TimeSpan)
    case size(FrameSize)
    case list([Value])

    public var description: String {
        switch self {
        case .text(let s): return s
        case .int(let i): return String(i)
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        case .duration(let t): return t.description
        case .size(let s): return s.description
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        }
    }

    public var text: String? { if case .text(let s) = self { return s } else { return nil } }
    public var int: Int? { if case .int(let i) = self { return i } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var duration: TimeSpan? { if case .duration(let t) = self { return t } else { return nil } }
}

/// Suggestions by edit distance, for "did you mean …?".
public enum Spelling {
    /// Edit distance over ASCII-lowercased UTF-8 bytes, where swapping two neighbours counts as
    /// one edit (optimal string alignment): `vocie` is one typo away from `voice`, not two.
    public static func distance(_ a: String, _ b: String) -> Int {
        func lower(_ s: String) -> [UInt8] { s.utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 } }
        let x = lower(a), y = lower(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var before = [Int](repeating: 0, count: y.count + 1)
        var prev = Array(0...y.count)
        var cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    cur[j] = Swift.min(cur[j], before[j - 2] + 1)
                }
            }
            (before, prev, cur) = (prev, cur, before)
        }
        return prev[y.count]
    }

    /// The closest candidate, if it is close enough to be a likely typo.
    public static func suggest(_ word: String, from candidates: some Sequence<String>) -> String? {
        guard word.count <= 64 else { return nil }
        let limit = max(1, min(3, word.count / 3))
        var best: (String, Int)?
        let n = word.utf8.count
        for c in candidates where abs(c.utf8.count - n) <= limit {
            let d = distance(word, c)
            if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0
    }

    /// "did you mean 'x'?" or nil.
    public static func didYouMean(_ word: String, _ candidates: some Sequence<String>) -> String? {
        suggest(word, from: candidates).map { "did you mean '\($0)'?" }
    }

    /// "a, b or c" for messages.
    public static func list(_ items: [String], conjunction: String = "or") -> String {
        let quoted = items.map { "'\($0)'" }
        if quoted.count <= 1 { return quoted.first ?? "" }
        return quoted.dropLast().joined(separator: ", ") + " \(conjunction) " + quoted.last!
    }
}
