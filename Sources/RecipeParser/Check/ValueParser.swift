import Foundation

/// Turns a YAML scalar into a `Value` of the expected type, with messages that name the
/// likely mistake: `60` where `60s` is meant, `1920x108O`, `yes` for a bool, quotes around a number.
enum ValueParser {
    static func parse(_ node: YAMLNode, as type: ValueType, _ what: String, _ diags: inout Diagnostics) -> Value? {
        guard case .scalar(let raw) = node.kind else {
            // `style: [archival photograph, sepia]`: brackets around text that has commas in it.
            var help: String?
            if type == .text, case .sequence(let items) = node.kind, items.count > 1 {
                let words = items.compactMap(\.scalar)
                if words.count == items.count { help = "for one text, remove the brackets: \(words.joined(separator: ", "))" }
            }
            diags.error("\(what) must be a single \(type.noun), found \(node.describedKind)", at: node.span, help: help)
            return nil
        }
        if node.isNull {
            diags.error("\(what) has no value", at: node.span, help: "write a \(type.noun) after the colon, or remove the line")
            return nil
        }
        let s = raw.trimmingCharacters(in: .whitespaces)
        switch type {
        case .text:
            return .text(raw)
        case .int:
            if node.style == .plain, let i = Int(s) { return .int(i) }
            if node.style != .plain, Int(s) != nil {
                diags.error("\(what) must be a whole number, found the text \"\(s)\"", at: node.span, help: "remove the quotes")
            } else if let d = Double(s), d.isFinite {
                diags.error("\(what) must be a whole number, found \(s)", at: node.span, help: "use \(Int(d.rounded()))")
            } else {
                diags.error("\(what) must be a whole number, found \(node.describedKind)", at: node.span, help: fixedDigits(s).flatMap { Int($0) != nil ? "did you mean '\($0)'?" : nil })
            }
            return nil
        case .number:
            if node.style == .plain, let d = Double(s), d.isFinite { return .number(d) }
            diags.error("\(what) must be a number, found \(node.describedKind)", at: node.span,
                        help: node.style != .plain && Double(s) != nil ? "remove the quotes" : nil)
            return nil
        case .bool:
            if node.style == .plain, s == "true" { return .bool(true) }
            if node.style == .plain, s == "false" { return .bool(false) }
            let lower = s.lowercased()
            let help: String
            if ["yes", "on", "y", "1", "true"].contains(lower) { help = "write true" }
            else if ["no", "off", "n", "0", "false"].contains(lower) { help = "write false" }
            else { help = "write true or false" }
            diags.error("\(what) must be true or false, found \(node.describedKind)", at: node.span, help: help)
            return nil
        case .duration:
            if let t = TimeSpan.parse(s) { return .duration(t) }
            if let n = Double(s), n.isFinite {
                diags.error("\(what) must be a duration with a unit, found \(s)", at: node.span, help: "write \(s)s for \(s) seconds")
            } else if let fixed = fixedDigits(s), let t = TimeSpan.parse(fixed) {
                diags.error("'\(s)' is not a duration", at: node.span, help: "did you mean '\(t)'?")
            } else {
                diags.error("'\(s)' is not a duration", at: node.span, help: "durations look like 60s, 1.5s, 500ms, 2m or 1m30s")
            }
            return nil
        case .enumeration(let cases):
            if cases.contains(s) { return .text(s) }
            diags.error("\(what) must be \(Spelling.list(cases)), found '\(s)'", at: node.span, help: Spelling.didYouMean(s, cases))
            return nil
        case .language:
            if isLanguageTag(s) { return .text(s) }
            diags.error("'\(s)' is not a language code", at: node.span, help: "use a code such as en, en-US, fr or pt-BR")
            return nil
        case .voice:
            if !s.isEmpty, s.count <= 128, s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.+-".contains($0)) }) { return .text(s) }
            diags.error("'\(s)' is not a voice name", at: node.span, help: "voices are names like en-us, en-gb+f3, alloy, or a provider's voice id")
            return nil
        case .file:
            return .text(raw)
        case .size:
            return parseSize(s, node, what, &diags).map(Value.size)
        }
    }

    static func parseSize(_ s: String, _ node: YAMLNode, _ what: String, _ diags: inout Diagnostics) -> FrameSize? {
        if let a = FrameSize.aspects[s] { return a }
        let parts = s.split(separator: "x", omittingEmptySubsequences: false)
        if parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) {
            guard (16...7680).contains(w), (16...7680).contains(h) else {
                diags.error("size \(s) is out of range", at: node.span, help: "width and height must be between 16 and 7680")
                return nil
            }
            return FrameSize(width: w, height: h)
        }
        var help = "write WIDTHxHEIGHT, e.g. 1920x1080, or an aspect: 16:9, 9:16, 1:1, 4:5, 4:3"
        if let fixed = fixedDigits(s), fixed != s, fixed.split(separator: "x").count == 2,
           fixed.split(separator: "x").allSatisfy({ Int($0) != nil }) {
            help = "did you mean '\(fixed)'?"
        }
        let bad = parts.first { Int($0) == nil }.map { "'\($0)' is not a number" }
        diags.error("'\(s)' is not a frame size" + (parts.count == 2 && bad != nil ? ": \(bad!)" : ""), at: node.span, help: help)
        return nil
    }

    /// Replaces letters that look like digits (O→0, l/I→1) in an otherwise numeric string.
    static func fixedDigits(_ s: String) -> String? {
        let map: [Character: Character] = ["O": "0", "o": "0", "l": "1", "I": "1"]
        var out = ""
        var changed = false
        for (i, c) in s.enumerated() {
            // Keep unit letters at the end (s, ms, m) and the x of a size.
            if let d = map[c], !(c == "o" && i == s.count - 1) {
                let prevDigit = i > 0 && Array(s)[i - 1].isNumber
                let nextDigit = i + 1 < s.count && Array(s)[i + 1].isNumber
                if prevDigit || nextDigit { out.append(d); changed = true; continue }
            }
            out.append(c)
        }
        return changed ? out : nil
    }

    static func isLanguageTag(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else { return false }
        return parts.dropFirst().allSatisfy { (2...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    /// Compares two values of one ordered type; nil when they are not comparable.
    static func compare(_ a: Value, _ b: Value) -> Int? {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        case (.number(let x), .number(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        case (.int(let x), .number(let y)): return Double(x) < y ? -1 : (Double(x) > y ? 1 : 0)
        case (.number(let x), .int(let y)): return x < Double(y) ? -1 : (x > Double(y) ? 1 : 0)
        case (.duration(let x), .duration(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        default: return nil
        }
    }

    /// Checks min, max and step; reports at `span` with the nearest allowed values.
    static func checkBounds(_ v: Value, _ decl: InputDecl, at span: SourceSpan, _ what: String, _ diags: inout Diagnostics) -> Bool {
        if let lo = decl.min, let c = compare(v, lo), c < 0 {
            diags.error("\(what) is \(v), below the minimum \(lo)", at: span, help: "use a value from \(lo)" + (decl.max.map { " to \($0)" } ?? ""))
            return false
        }
        if let hi = decl.max, let c = compare(v, hi), c > 0 {
            diags.error("\(what) is \(v), above the maximum \(hi)", at: span, help: "use a value" + (decl.min.map { " from \($0)" } ?? "") + " up to \(hi)")
            return false
        }
        if let step = decl.step {
            let base = decl.min
            switch (v, step) {
            case (.duration(let t), .duration(let s)) where s.milliseconds > 0:
                let origin = base?.duration?.milliseconds ?? 0
                let off = t.milliseconds - origin
                if off % s.milliseconds != 0 {
                    let below = TimeSpan(milliseconds: origin + (off / s.milliseconds) * s.milliseconds)
                    let above = TimeSpan(milliseconds: below.milliseconds + s.milliseconds)
                    diags.error("\(what) is \(t), not a multiple of \(s)", at: span, help: "use \(below) or \(above)")
                    return false
                }
            case (.int(let i), .int(let s)) where s > 0:
                let origin = base?.int ?? 0
                if (i - origin) % s != 0 {
                    let below = origin + ((i - origin) / s) * s
                    diags.error("\(what) is \(i), not \(origin == 0 ? "" : "\(origin) plus ")a multiple of \(s)", at: span, help: "use \(below) or \(below + s)")
                    return false
                }
            default: break
            }
        }
        return true
    }
}

extension ValueType {
    /// "duration", "whole number", … for messages.
    var noun: String {
        switch self {
        case .int: return "whole number"
        case .enumeration: return "value"
        case .file: return "file path"
        case .size: return "frame size"
        default: return description
        }
    }
}
