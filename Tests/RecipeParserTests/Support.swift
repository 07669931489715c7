import Foundation
@testable import RecipeParser
import TestSupport

/// Checks a file in process and renders its diagnostics as golden lines: the first line of each
/// diagnostic with paths relative to `base` (or the repository), and its help line.
func goldenLines(for path: String, base: String, settings: [(name: String, value: String)] = []) -> [String] {
    let result = Checker(environment: [:], settings: settings, machine: FixedMachine()).check(path: path)
    return golden(result.diagnostics.sorted, base: base)
}

/// A machine with a fixed set of espeak-ng voices, so goldens do not depend on what is installed.
struct FixedMachine: MachineFacts {
    var voices: Set<String>? = ["en", "en-us", "en-gb", "en-gb-scotland", "de", "fr", "es", "gmw/en", "gmw/en-us"]
    func espeakVoices() -> Set<String>? { voices }
}

func golden(_ diagnostics: [Diagnostic], base: String) -> [String] {
    func rel(_ file: String) -> String {
        let abs = file.hasPrefix("/") || file.hasPrefix("<") ? file : FileManager.default.currentDirectoryPath + "/" + file
        for prefix in [base + "/", Repo.root + "/"] where abs.hasPrefix(prefix) { return String(abs.dropFirst(prefix.count)) }
        return file
    }
    // Help text may name the project folder as the working directory sees it; pin it to one spelling.
    let cwd = FileManager.default.currentDirectoryPath
    let shownBase = base.hasPrefix(cwd + "/") ? String(base.dropFirst(cwd.count + 1)) : base
    func pin(_ text: String) -> String {
        text.replacingOccurrences(of: base, with: "<project>").replacingOccurrences(of: shownBase, with: "<project>")
    }
    var out: [String] = []
    for d in diagnostics {
        if let s = d.span {
            out.append("\(rel(s.start.file)):\(s.start.line):\(s.start.column): \(d.severity.rawValue): \(d.message)")
        } else {
            out.append("\(d.severity.rawValue): \(d.message)")
        }
        if let h = d.help { out.append("  help: \(pin(h))") }
    }
    return out
}

/// A scratch folder, removed when the value goes away.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "vidmake-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = path + "/" + name
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) -> String {
        let p = path + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
}
