import Foundation
import Testing
@testable import RecipeParser
import TestSupport

/// The corpus of invalid vidfiles and recipes in Tests/Fixtures/invalid: each `NAME.yaml` (or
/// `NAME.vid.yaml`, `NAME.recipe.yaml`) has `NAME.expected` beside it, holding the diagnostics the
/// checker must print — message, file:line:column and help. Support files (articles, prompts,
/// recipes that cases include) live in subfolders. Set VIDMAKE_UPDATE_GOLDENS=1 to rewrite the
/// expected files, then read every change before committing it.
struct GoldenTests {
    static let folder = Repo.fixtures + "/invalid"

    static var cases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func corpusIsLarge() {
        #expect(Self.cases.count >= 60, "the issue asks for at least 60 invalid vidfiles and recipes")
    }

    @Test(arguments: cases)
    func diagnostics(_ name: String) throws {
        let path = Self.folder + "/" + name
        let expectedPath = Self.folder + "/" + name.replacingOccurrences(of: ".yaml", with: ".expected")
        let actual = goldenLines(for: path, base: Self.folder).joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["VIDMAKE_UPDATE_GOLDENS"] == "1" {
            try actual.write(toFile: expectedPath, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
        #expect(actual == expected, "\(name): diagnostics differ from \(expectedPath)")
        // Every case is invalid: at least one error, each located.
        #expect(actual.contains(": error: "), "\(name) must produce an error")
    }

    @Test(arguments: ["examples/civilwar/civilwar.vid.yaml", "recipes/documentary.yaml"])
    func shippedFilesCheckClean(_ rel: String) {
        let lines = goldenLines(for: Repo.root + "/" + rel, base: Repo.root)
        #expect(lines.isEmpty, "\(rel) must check clean, got:\n\(lines.joined(separator: "\n"))")
    }

    @Test func everyExampleAndRecipeChecksClean() throws {
        var files: [String] = []
        for dir in [Repo.examples, Repo.recipes] {
            let e = FileManager.default.enumerator(atPath: dir)
            while let f = e?.nextObject() as? String {
                if f.hasSuffix(".yaml") && !f.contains("prompts/") { files.append(dir + "/" + f) }
            }
        }
        #expect(files.count >= 2)
        for f in files {
            let lines = goldenLines(for: f, base: Repo.root)
            #expect(lines.isEmpty, "\(f) must check clean, got:\n\(lines.joined(separator: "\n"))")
        }
    }
}
