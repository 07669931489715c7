import Foundation
import Testing
@testable import RecipeParser

/// No input may crash the checker, hang it or make it eat memory: mutations of every file in the
/// corpus, random bytes, and known pathological YAML. Each check must finish within a second
/// (a bound against hangs, not a speed target: typical checks take a millisecond).
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
    func checkWithinBound(_ bytes: [UInt8], in dir: TempDir, label: String) {
        let path = dir.write("case.vid.yaml", bytes: bytes)
        let start = ContinuousClock.now
        let result = Checker(environment: [:]).check(path: path)
        let elapsed = ContinuousClock.now - start
        // A hang guard, not a speed test (make bench measures speed): generous for a loaded CI machine.
        #expect(elapsed < .seconds(10), "\(label) took \(elapsed)")
        // Whatever happened, every diagnostic is located or explains itself.
        for d in result.diagnostics.all { #expect(!d.message.isEmpty) }
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
                checkWithinBound(b, in: dir, label: "seed \(n) round \(round)")
            }
        }
    }

    @Test func randomBytes() {
        let dir = exampleFolder()
        var rng = SplitMix(state: 42)
        for round in 0..<200 {
            let n = Int.random(in: 0...2048, using: &rng)
            let b = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            checkWithinBound(b, in: dir, label: "random \(round)")
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
        for (label, bytes) in cases { checkWithinBound(bytes, in: dir, label: label) }
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
