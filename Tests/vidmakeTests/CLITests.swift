import Foundation
import Testing
import TestSupport

/// The real binary, run as a user runs it: exit codes, output, diagnostics.
struct CLITests {
    static func run(_ args: [String], cwd: String? = nil, env: [String: String] = [:]) throws -> Run {
        try Tool.vidmake(args, cwd: cwd, env: env)
    }

    @Test func versionAndHelp() throws {
        let v = try Self.run(["--version"])
        #expect(v.status == 0 && v.out.hasPrefix("vidmake "))
        let h = try Self.run(["--help"])
        #expect(h.status == 0)
        for c in ["check", "plan", "graph", "explain", "schema"] { #expect(h.out.contains("  \(c) ")) }
        let hc = try Self.run(["help", "check"])
        #expect(hc.status == 0 && hc.out.hasPrefix("Usage: vidmake check"))
    }

    @Test func usageErrorsExitTwo() throws {
        let r = try Self.run(["chek", "x.vid.yaml"])
        #expect(r.status == 2)
        #expect(r.err.contains("unknown command 'chek'; did you mean 'check'?"))
        #expect(try Self.run(["check"]).status == 2)
        #expect(try Self.run(["check", "--frobnicate", "x"]).status == 2)
        #expect(try Self.run([]).status == 2)
    }

    @Test func checkExampleFromAnotherDirectory() throws {
        let r = try Self.run(["check", Repo.example + "/civilwar.vid.yaml"], cwd: NSTemporaryDirectory())
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("ok (vidfile, documentary, 6 segments)"))
    }

    @Test func installedBinaryFindsShippedRecipes() throws {
        // `make install` layout: <prefix>/bin/vidmake and <prefix>/share/vidmake/recipes.
        let prefix = NSTemporaryDirectory() + "vidmake-prefix-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: prefix + "/share/vidmake", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Repo.binary, toPath: prefix + "/bin/vidmake")
        try FileManager.default.copyItem(atPath: Repo.root + "/recipes", toPath: prefix + "/share/vidmake/recipes")
        let project = prefix + "/work"
        try FileManager.default.copyItem(atPath: Repo.example, toPath: project)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: prefix + "/bin/vidmake")
        p.arguments = ["check", "civilwar.vid.yaml"]
        p.currentDirectoryURL = URL(fileURLWithPath: project)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("ok (vidfile"))
    }

    @Test func invalidVidfileExitsOneWithLocatedDiagnostics() throws {
        let dir = NSTemporaryDirectory() + "vidmake-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "vidmake: 1\ninclude: documentary\ninputs:\n  inquiry: x\n  duration: 60\n".write(toFile: dir + "/a.vid.yaml", atomically: true, encoding: .utf8)
        let r = try Self.run(["check", "a.vid.yaml"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.err.contains("a.vid.yaml:5:13: error: input 'duration' must be a duration with a unit, found 60"))
        #expect(r.err.contains("5 |   duration: 60\n  |             ^^"))
        #expect(r.err.contains("help: write 60s for 60 seconds"))
        #expect(!r.err.contains("\u{1B}["), "NO_COLOR: no escape codes")
        let j = try Self.run(["check", "--format", "json", "a.vid.yaml"], cwd: dir)
        #expect(j.status == 1)
        let rows = try JSONSerialization.jsonObject(with: Data(j.out.utf8)) as! [[String: Any]]
        #expect(rows.first?["line"] as? Int == 5 && rows.first?["column"] as? Int == 13)
        #expect(rows.first?["severity"] as? String == "error")
    }

    @Test func schemaIsJSONNamingEveryTopLevelKey() throws {
        let r = try Self.run(["schema"])
        #expect(r.status == 0)
        let o = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        let props = o["properties"] as! [String: Any]
        #expect(Set(props.keys) == ["vidmake", "include", "inputs", "producers", "segments", "artifacts", "render"])
        #expect(o["additionalProperties"] as? Bool == false)
    }

    @Test func planExplainAndGraph() throws {
        let dir = Repo.example
        let plan = try Self.run(["plan", "--state", NSTemporaryDirectory() + "vidmake-state-" + UUID().uuidString, dir + "/civilwar.vid.yaml"])
        #expect(plan.status == 0, "\(plan.err)")
        #expect(plan.out.contains("26 steps, 26 to run, 0 up to date"))
        #expect(plan.out.contains("image         local/card             10 to run"))
        let json = try Self.run(["plan", "--json", dir + "/civilwar.vid.yaml"])
        let o = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [String: Any]
        #expect((o["steps"] as! [Any]).count == 26)
        let ex = try Self.run(["explain", dir + "/civilwar.vid.yaml", "narration[5]"])
        #expect(ex.status == 0 && ex.out.contains("voice = \"en-gb\""))
        let bad = try Self.run(["explain", dir + "/civilwar.vid.yaml", "narraton[5]"])
        #expect(bad.status == 1 && bad.err.contains("did you mean 'narration[5]'?"))
        let dot = try Self.run(["graph", dir + "/civilwar.vid.yaml"])
        #expect(dot.status == 0 && dot.out.hasPrefix("digraph vidmake {"))
        #expect(dot.out.contains("\"script\" -> \"narration[4]\";"))
        #expect(dot.out.contains("\"source:narration[3]\" -> \"narration[3]\";"))
    }
}

extension CLITests {
    @Test func includeSearchesBesideTheVidfileThenVidmakeRecipes() throws {
        let root = NSTemporaryDirectory() + "vidmake-inc-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let shelf = root + "/shelf", project = root + "/project"
        try FileManager.default.createDirectory(atPath: shelf, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        let recipe = """
        vidmake: 1
        recipe: tiny
        inputs:
          topic: text
        producers:
          script:
            kind: llm
            provider: local/template
            inputs: [topic]
            outputs:
              title: text

        """
        try recipe.write(toFile: shelf + "/tiny.yaml", atomically: true, encoding: .utf8)
        try "vidmake: 1\ninclude: tiny\ninputs:\n  topic: owls\n".write(toFile: project + "/a.vid.yaml", atomically: true, encoding: .utf8)
        let missing = try Self.run(["check", "a.vid.yaml"], cwd: project, env: ["VIDMAKE_RECIPES": ""])
        #expect(missing.status == 1 && missing.err.contains("no recipe named 'tiny'"))
        let found = try Self.run(["check", "a.vid.yaml"], cwd: project, env: ["VIDMAKE_RECIPES": "/nonexistent:" + shelf])
        #expect(found.status == 0, "\(found.err)")
        #expect(found.out.contains("ok (vidfile, tiny"))
        // A recipe beside the vidfile comes first.
        try recipe.replacingOccurrences(of: "inputs:\n  topic: text", with: "inputs:\n  topic: int").write(toFile: project + "/tiny.yaml", atomically: true, encoding: .utf8)
        let beside = try Self.run(["check", "a.vid.yaml"], cwd: project, env: ["VIDMAKE_RECIPES": shelf])
        #expect(beside.status == 1 && beside.err.contains("input 'topic' must be a whole number"))
    }
}
