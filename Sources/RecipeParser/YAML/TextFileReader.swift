import Foundation

/// Reads the text files vidmake is given (vidfiles, recipes, prompts, sources) with a size
/// bound, and turns invalid UTF-8 into a located error instead of mojibake or a crash.
public enum TextFileReader {
    public static func read(path: String, displayPath: String, maxBytes: Int, what: String,
                            referencedFrom span: SourceSpan?, into diags: inout Diagnostics) -> Data? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            diags.error("\(what) '\(displayPath)' does not exist", at: span)
            return nil
        }
        if isDir.boolValue {
            diags.error("'\(displayPath)' is a folder, not a \(what)", at: span)
            return nil
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            diags.error("cannot read \(what) '\(displayPath)'", at: span, help: "check its permissions")
            return nil
        }
        defer { try? handle.close() }
        // Read one byte past the bound, so an oversized file is known without reading all of it.
        let data = (try? handle.read(upToCount: maxBytes + 1)) ?? Data()
        if data.count > maxBytes {
            diags.error("\(what) '\(displayPath)' is larger than \(maxBytes) bytes", at: span,
                        help: "vidmake refuses files this large; is this the right file?")
            return nil
        }
        return data
    }

    /// Decodes UTF-8, registering the file for diagnostics; on invalid UTF-8 reports the first bad byte's line and column.
    public static func decodeUTF8(_ data: Data, displayPath: String, sources: SourceManager, into diags: inout Diagnostics) -> String? {
        let bytes = [UInt8](data)
        if let bad = firstInvalidUTF8(bytes) {
            // Register a lossy copy so the diagnostic can still show the line.
            sources.add(SourceFile(path: displayPath, text: String(decoding: bytes, as: UTF8.self)))
            diags.error(String(format: "invalid UTF-8 (byte 0x%02X)", bytes[bad]),
                        at: SourceSpan(SourceLocation(file: displayPath, utf8: bytes, byteOffset: bad)),
                        help: "save the file as UTF-8")
            return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Offset of the first byte that breaks UTF-8 (overlongs, surrogates and > U+10FFFF included), or nil.
    public static func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let need: Int, min: UInt32
            var cp: UInt32
            switch c {
            case 0xC2...0xDF: need = 1; cp = UInt32(c & 0x1F); min = 0x80
            case 0xE0...0xEF: need = 2; cp = UInt32(c & 0x0F); min = 0x800
            case 0xF0...0xF4: need = 3; cp = UInt32(c & 0x07); min = 0x10000
            default: return i
            }
            for k in 1...need {
                guard i + k < n, b[i + k] & 0xC0 == 0x80 else { return i }
                cp = cp << 6 | UInt32(b[i + k] & 0x3F)
            }
            if cp < min || cp > 0x10FFFF || (0xD800...0xDFFF).contains(cp) { return i }
            i += need + 1
        }
        return nil
    }
}
