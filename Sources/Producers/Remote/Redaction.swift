/// Finds a secret in a text however a server wrote it back: literally, JSON-escaped (any
/// character as `\uXXXX`, `/` as `\/`), or URL-encoded (`%XX`, either case), or any mix of
/// these, one character at a time. A key echoed as `el\u002dabc` or `sk%2Dabc` is the key.
enum Redaction {
    static let placeholder = "[redacted]"

    static func redact(_ secret: String, in text: String) -> String {
        let key = Array(secret.unicodeScalars)
        guard !key.isEmpty else { return text }
        let t = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        var changed = false
        while i < t.count {
            if let end = match(key, in: t, at: i) {
                out.append(contentsOf: placeholder.unicodeScalars)
                i = end
                changed = true
            } else {
                out.append(t[i])
                i += 1
            }
        }
        return changed ? String(out) : text
    }

    /// Where a match of `key` starting at `start` ends, or nil.
    static func match(_ key: [Unicode.Scalar], in t: [Unicode.Scalar], at start: Int) -> Int? {
        var j = start
        for c in key {
            guard j < t.count else { return nil }
            if t[j] == c { j += 1; continue }
            if let n = escaped(c, in: t, at: j) { j += n; continue }
            return nil
        }
        return j
    }

    /// The length of an escaped form of `c` at `j`: `\uXXXX`, `\/`, or `%XX`; nil if none.
    static func escaped(_ c: Unicode.Scalar, in t: [Unicode.Scalar], at j: Int) -> Int? {
        if t[j] == "\\", j + 1 < t.count {
            if t[j + 1] == "/" && c == "/" { return 2 }
            if t[j + 1] == "u" || t[j + 1] == "U", j + 5 < t.count, let v = hex(t[(j + 2)...(j + 5)]), v == c.value { return 6 }
        }
        if t[j] == "%", j + 2 < t.count, c.isASCII, let v = hex(t[(j + 1)...(j + 2)]), v == c.value { return 3 }
        return nil
    }

    static func hex(_ digits: ArraySlice<Unicode.Scalar>) -> UInt32? {
        var v: UInt32 = 0
        for d in digits {
            let x: UInt32
            switch d {
            case "0"..."9": x = d.value - 48
            case "a"..."f": x = d.value - 97 + 10
            case "A"..."F": x = d.value - 65 + 10
            default: return nil
            }
            v = v * 16 + x
        }
        return v
    }
}
