import BuildState
import Foundation
import Testing

enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let example = root + "/examples/civilwar"
    static let storyboard = root + "/Tests/Fixtures/runner"

    /// The built vidmake binary: $VIDMAKE_BIN (set by `make test`), else the debug build.
    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["VIDMAKE_BIN"], FileManager.default.isExecutableFile(atPath: b) { return b }
        return root + "/.build/debug/vidmake"
    }
}

/// One run of the real binary.
struct Run {
    var status: Int32
    /// The signal that ended it, if one did.
    var signal: Int32?
    var out: String
    var err: String
}

/// A copy of a project folder in a scratch folder, built with the real binary.
final class Scratch {
    let dir: String
    let vidfile: String

    /// `folder` names the copy inside the temporary folder (a unique name by default).
    /// `keepState` keeps the source's `.vidmake/`, `out/` and `build/` (a copy of a built project).
    init(_ source: String, vidfile name: String, folder: String = "vidmake-run-" + UUID().uuidString, keepState: Bool = false) {
        dir = NSTemporaryDirectory() + folder
        try! FileManager.default.copyItem(atPath: source, toPath: dir)
        if !keepState { for leftover in ["/.vidmake", "/out"] { try? FileManager.default.removeItem(atPath: dir + leftover) } }
        vidfile = dir + "/" + name
    }

    /// The shipped example, rendered at 640x360 instead of 1920x1080: the same 26 steps, edits
    /// and files, a ninth of the pixels to encode (the shipped size is checked, not rendered, by
    /// RenderTests; `make demo` renders it).
    static func example(folder: String = "vidmake-run-" + UUID().uuidString) -> Scratch {
        let s = Scratch(Repo.example, vidfile: "civilwar.vid.yaml", folder: folder)
        let text = try! String(contentsOfFile: s.vidfile, encoding: .utf8)
        precondition(text.contains("  size: 1920x1080\n"), "the example no longer renders at 1920x1080")
        try! text.replacingOccurrences(of: "  size: 1920x1080\n", with: "  size: 640x360\n").write(toFile: s.vidfile, atomically: true, encoding: .utf8)
        return s
    }
    static func storyboard() -> Scratch { Scratch(Repo.storyboard, vidfile: "story.vid.yaml") }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    var name: String {
        var n = (vidfile as NSString).lastPathComponent
        n.removeLast(".vid.yaml".count)
        return n
    }

    var out: String { dir + "/out/" + name }

    @discardableResult
    func vidmake(_ args: [String], env: [String: String] = [:]) throws -> Run {
        var e = ProcessInfo.processInfo.environment
        e["NO_COLOR"] = "1"
        e.removeValue(forKey: "VIDMAKE_CRASH_AT")
        for (k, v) in env { e[k] = v }
        let (p, o, r) = try Tool.launch(Repo.binary, args, cwd: dir, environment: e)
        let signalled = p.terminationReason == .uncaughtSignal
        return Run(status: signalled ? 128 + p.terminationStatus : p.terminationStatus, signal: signalled ? p.terminationStatus : nil,
                   out: o, err: r)
    }

    /// `vidmake build` of the vidfile, asserting it succeeded.
    @discardableResult
    func build(_ extra: [String] = [], env: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        let r = try vidmake(["build"] + extra + [vidfile], env: env)
        #expect(r.status == 0, "build failed:\n\(r.err)", sourceLocation: sourceLocation)
        return r
    }

    /// The last revision `vidmake log --json` reports.
    func lastRevision() throws -> [String: Any] {
        let r = try vidmake(["log", "--json", vidfile])
        let all = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]] ?? []
        return all.last ?? [:]
    }

    /// Step ids the last build executed.
    func executed() throws -> [String] {
        ((try lastRevision()["executed"] as? [[String: Any]]) ?? []).compactMap { $0["step"] as? String }.sorted()
    }

    /// The records this vidfile's steps used, in the order its heads were written: step → output
    /// hashes (heads name a fingerprint; the record under it may have been made by another vidfile).
    func records() -> [(step: String, outputs: [String: String])] {
        func lines(_ path: String) -> [[String: Any]] {
            guard let data = FileManager.default.contents(atPath: path) else { return [] }
            return data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        }
        var byFingerprint: [String: [String: String]] = [:]
        for o in lines(dir + "/.vidmake/records.jsonl") {
            if let f = o["fingerprint"] as? String, let out = o["outputs"] as? [String: String] { byFingerprint[f] = out }
        }
        return lines(dir + "/.vidmake/heads/" + (vidfile as NSString).lastPathComponent + ".jsonl").compactMap { o in
            guard let s = o["step"] as? String, let f = o["fingerprint"] as? String, let out = byFingerprint[f] else { return nil }
            return (s, out)
        }
    }

    /// Step → output hashes of the latest record of each step.
    func finalHashes() -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for r in records() { out[r.step] = r.outputs }
        return out
    }

    /// Rewrites the vidfile with a textual substitution (asserting it applied).
    func edit(_ from: String, _ to: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = try String(contentsOfFile: vidfile, encoding: .utf8)
        #expect(text.contains(from), "vidfile has no '\(from)'", sourceLocation: sourceLocation)
        try text.replacingOccurrences(of: from, with: to).write(toFile: vidfile, atomically: true, encoding: .utf8)
    }

    func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: dir + "/" + rel) }
}

/// The civil war example built once, from scratch, with `vidmake build`, for every test that
/// starts from a built example (its store, out/ tree and revision log); each test works on a copy
/// of its own, so the suite pays for the from-scratch build once (at 640x360: `Scratch.example`).
enum BuiltExample {
    static let folder: String = {
        let s = Scratch.example(folder: "vidmake-built-example-" + UUID().uuidString)
        let r = try! s.vidmake(["build", s.vidfile])
        precondition(r.status == 0, "the example does not build:\n\(r.err)")
        let keep = NSTemporaryDirectory() + "vidmake-built-template-" + UUID().uuidString
        try! FileManager.default.copyItem(atPath: s.dir, toPath: keep)
        return keep
    }()

    static func copy() -> Scratch { Scratch(folder, vidfile: "civilwar.vid.yaml", keepState: true) }
}

/// Runs programs for the tests, their output in files (a child that writes much to stderr would
/// block on a pipe read only after stdout).
enum Tool {
    struct Output { var status: Int32; var out: String; var err: String }

    /// A tool found on PATH.
    static func run(_ argv: [String]) throws -> Output {
        let (p, o, e) = try launch("/usr/bin/env", argv)
        return Output(status: p.terminationStatus, out: o, err: e)
    }

    /// Runs `executable` to its end; returns the finished process, its stdout and its stderr.
    static func launch(_ executable: String, _ args: [String], cwd: String? = nil,
                       environment: [String: String]? = nil) throws -> (Process, String, String) {
        let base = NSTemporaryDirectory() + "vidmake-out-" + UUID().uuidString
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer { unlink(base + ".out"); unlink(base + ".err") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if let environment { p.environment = environment }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle(forWritingAtPath: base + ".out")
        p.standardError = FileHandle(forWritingAtPath: base + ".err")
        try p.run()
        p.waitUntilExit()
        let o = FileManager.default.contents(atPath: base + ".out") ?? Data()
        let e = FileManager.default.contents(atPath: base + ".err") ?? Data()
        return (p, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
