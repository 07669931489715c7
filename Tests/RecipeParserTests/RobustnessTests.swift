import Foundation
import Testing
@testable import RecipeParser
import TestSupport

/// No input may crash the checker, hang it or make it eat memory: mutations of every file in the
/// corpus, random bytes, and known pathological YAML. Every diagnostic it gives is located.
/// (No time is asserted: a hang shows as a run that does not finish; speed is `make bench`'s.)
struct RobustnessTests {
    /// A small deterministic generator, so a failure reproduces.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func seeds() -> [[UInt8]] {
        var out: [[UInt8]] = []
        for dir in [Repo.fixtures + "/invalid", Repo.examples + "/civilwar", Repo.recipes] {
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() where name.hasSuffix(".yaml") {
                if let d = FileManager.default.contents(atPath: dir + "/" + name) { out.append([UInt8](d)) }
            }
        }
        return out
    }

    /// Checks bytes as a vidfile in a folder that has the example's files, so includes resolve.
    /// Whatever happened, the checker returned (no crash, no hang: a hang stops the run, it needs
    /// no clock here) and every diagnostic is located: rendered as the CLI prints it, its first
    /// line is `file:line:column: error: message` (or `warning:`), at a line of a file the check
    /// read, lines counted as YAML counts them (or just past the last: libyaml puts an error at
    /// the end of the file there). A
    /// diagnostic about the whole file (one too large to read) has no line; it must name the file.
    /// `mustFail`: the input is not a vidfile, and the check says so with an error.
    func checkIsLocated(_ bytes: [UInt8], in dir: TempDir, label: String, mustFail: Bool = false) {
        let path = dir.write("case.vid.yaml", bytes: bytes)
        let sources = SourceManager()
        let result = Checker(sources: sources, environment: [:]).check(path: path)
        let renderer = DiagnosticRenderer(sources: sources, colour: false)
        for d in result.diagnostics.all {
            let shown = renderer.render(d)
            let first = String(shown.prefix { $0 != "\n" })
            guard let m = first.wholeMatch(of: /(.+):([1-9][0-9]*):([1-9][0-9]*): (error|warning): (.+)/) else {
                #expect(d.span == nil && first.hasPrefix("vidmake: error: ") && d.message.contains(path),
                        "\(label): neither located nor naming the file: \(shown)")
                continue
            }
            let (file, line) = (String(m.1), Int(m.2)!)
            let read = sources.file(file)
            #expect(read != nil, "\(label): located in a file the check did not read: \(first)")
            if let read {
                let lines = Self.yamlLineCount(read.text)
                #expect(line <= lines + 1, "\(label): line \(line) is past the end of \(file) (\(lines) lines): \(first)")
            }
        }
        if mustFail { #expect(result.diagnostics.hasErrors, "\(label): no error for an input that is no vidfile") }
    }

    /// Lines as YAML (and libyaml) count them: LF, CR and CRLF each end one.
    static func yamlLineCount(_ text: String) -> Int {
        var lines = 1, afterCR = false
        for b in text.utf8 {
            if b == 0x0A { if !afterCR { lines += 1 } } else if b == 0x0D { lines += 1 }
            afterCR = b == 0x0D
        }
        return text.utf8.last == 0x0A || text.utf8.last == 0x0D ? lines - 1 : lines
    }

    /// Found by the check above: libyaml (which locates YAML errors) ends a line at a lone CR,
    /// SourceFile (which quotes the line under the message) does not, so past a lone CR the
    /// diagnostic quotes another line, or none. Known, not yet fixed in Sources/; when it is,
    /// this test fails and the `withKnownIssue` should go.
    @Test func aLoneCarriageReturnEndsALineForTheQuoteToo() throws {
        let dir = TempDir()
        let path = dir.write("cr.vid.yaml", "vidmake: 1\rinclude: documentary\rinputs: {inquiry: x\n")
        let sources = SourceManager()
        let result = Checker(sources: sources, environment: [:]).check(path: path)
        let d = try #require(result.diagnostics.all.first { $0.severity == .error })
        let span = try #require(d.span)
        #expect(span.start.line >= 3, "libyaml counts the CRs: \(span.start)")
        withKnownIssue("SourceFile does not end a line at a lone CR") {
            let file = try #require(sources.file(span.start.file))
            #expect(file.lineCount >= span.start.line, "the quoted file has the diagnostic's line")
        }
    }

    func exampleFolder() -> TempDir {
        let dir = TempDir()
        try? FileManager.default.copyItem(atPath: Repo.examples + "/civilwar/article.md", toPath: dir.path + "/article.md")
        try? FileManager.default.copyItem(atPath: Repo.examples + "/civilwar/photos", toPath: dir.path + "/photos")
        return dir
    }

    @Test func mutationsOfTheCorpus() {
        let dir = exampleFolder()
        var rng = SplitMix(state: 0x5EED)
        let alphabet = Array(":-[]{}&*!|>'\"#%@`,? \t\n\r\\~0123456789sx.".utf8) + [0x00, 0xFF, 0xC3, 0xE2]
        for (n, seed) in Self.seeds().enumerated() {
            for round in 0..<40 {
                var b = seed
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    guard !b.isEmpty else { break }
                    let i = Int.random(in: 0..<b.count, using: &rng)
                    switch Int.random(in: 0..<5, using: &rng) {
                    case 0: b[i] = alphabet.randomElement(using: &rng)!
                    case 1: b.insert(alphabet.randomElement(using: &rng)!, at: i)
                    case 2: b.remove(at: i)
                    case 3: b = Array(b[..<i])
                    default:
                        let j = Int.random(in: i..<min(b.count, i + 40), using: &rng)
                        b.insert(contentsOf: b[i...j], at: j)
                    }
                }
                checkIsLocated(b, in: dir, label: "seed \(n) round \(round)")
            }
        }
    }

    @Test func randomBytes() {
        let dir = exampleFolder()
        var rng = SplitMix(state: 42)
        for round in 0..<200 {
            let n = Int.random(in: 0...2048, using: &rng)
            let b = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            checkIsLocated(b, in: dir, label: "random \(round)", mustFail: true)
        }
    }

    @Test func pathologicalInputs() {
        let dir = exampleFolder()
        let cases: [(String, [UInt8])] = [
            ("billion laughs", Array("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n".utf8)),
            ("deep flow nesting", Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)),
            ("deep block nesting", Array((0..<300).map { String(repeating: " ", count: $0) + "k:\n" }.joined().utf8)),
            ("one long line", Array(("vidmake: 1\ninclude: " + String(repeating: "x", count: 900_000)).utf8)),
            ("oversized", Array(repeating: UInt8(ascii: "#"), count: (1 << 20) + 1)),
            ("many keys", Array(("vidmake: 1\ninclude: documentary\ninputs:\n" + (0..<20_000).map { "  k\($0): v\n" }.joined()).utf8)),
            ("NUL bytes", [0x76, 0x00, 0x3A, 0x00]),
            ("lone surrogate", Array("vidmake: 1\ninclude: \"\\uD800\"\n".utf8)),
            ("many documents", Array(String(repeating: "---\na: 1\n", count: 1000).utf8)),
            ("huge segment number", Array("vidmake: 1\ninclude: documentary\ninputs: {inquiry: x, source: article.md}\nsegments:\n  99999999999999999999999: {voice: en}\n".utf8)),
            ("huge duration", Array("vidmake: 1\ninclude: documentary\ninputs: {inquiry: x, source: article.md, duration: 99999999999h}\n".utf8)),
            ("deep expression", Array("vidmake: 1\nrecipe: r\ndimensions:\n  segment: \(String(repeating: "(", count: 5000))1\(String(repeating: ")", count: 5000))\nproducers: {}\n".utf8)),
            ("many nots", Array("vidmake: 1\nrecipe: r\ninputs: {b: bool}\nproducers:\n  p: {kind: llm, provider: local/template, when: \(String(repeating: "not ", count: 20000))b, outputs: {t: text}}\n".utf8)),
        ]
        for (label, bytes) in cases { checkIsLocated(bytes, in: dir, label: label, mustFail: true) }
    }

    @Test func oversizedFileIsRefusedWithAClearMessage() {
        let dir = TempDir()
        let path = dir.write("big.vid.yaml", bytes: Array(repeating: UInt8(ascii: "#"), count: (1 << 20) + 1))
        let result = Checker(environment: [:]).check(path: path)
        #expect(result.diagnostics.all.map(\.message).contains { $0.contains("larger than 1048576 bytes") })
    }

    @Test func aliasesAreRefusedNotExpanded() {
        let dir = TempDir()
        let path = dir.write("laughs.vid.yaml", "a: &a [x,x]\nb: [*a,*a]\n")
        let lines = goldenLines(for: path, base: dir.path)
        #expect(lines.first == "laughs.vid.yaml:1:4: error: YAML anchors (&name) are not supported")
    }
}
