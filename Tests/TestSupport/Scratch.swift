import Foundation
import Testing

/// One run of the real binary.
public struct Run {
    public var status: Int32
    /// The signal that ended it, if one did.
    public var signal: Int32?
    public var out: String
    public var err: String

    public init(status: Int32, signal: Int32?, out: String, err: String) {
        (self.status, self.signal, self.out, self.err) = (status, signal, out, err)
    }
}

/// A copy of a project folder in a scratch folder, built with the real binary.
public final class Scratch {
    public let dir: String
    public let vidfile: String

    /// `folder` names the copy inside the temporary folder (a unique name by default).
    /// `keepState` keeps the source's `.vidmake/`, `out/` and `build/` (a copy of a built project).
    public init(_ source: String, vidfile name: String, folder: String = "vidmake-run-" + UUID().uuidString, keepState: Bool = false) {
        dir = NSTemporaryDirectory() + folder
        try! FileManager.default.copyItem(atPath: source, toPath: dir)
        if !keepState { for leftover in ["/.vidmake", "/out"] { try? FileManager.default.removeItem(atPath: dir + leftover) } }
        vidfile = dir + "/" + name
    }

    /// The shipped example, rendered at 640x360 instead of 1920x1080: the same 26 steps, edits
    /// and files, a ninth of the pixels to encode (the shipped size is checked, not rendered, by
    /// RenderTests; `make demo` renders it).
    public static func example(folder: String = "vidmake-run-" + UUID().uuidString) -> Scratch {
        let s = Scratch(Repo.example, vidfile: "civilwar.vid.yaml", folder: folder)
        let text = try! String(contentsOfFile: s.vidfile, encoding: .utf8)
        precondition(text.contains("  size: 1920x1080\n"), "the example no longer renders at 1920x1080")
        try! text.replacingOccurrences(of: "  size: 1920x1080\n", with: "  size: 640x360\n").write(toFile: s.vidfile, atomically: true, encoding: .utf8)
        return s
    }
    public static func storyboard() -> Scratch { Scratch(Repo.storyboard, vidfile: "story.vid.yaml") }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    public var name: String {
        var n = (vidfile as NSString).lastPathComponent
        n.removeLast(".vid.yaml".count)
        return n
    }

    public var out: String { dir + "/out/" + name }

    @discardableResult
    public func vidmake(_ args: [String], env: [String: String] = [:]) throws -> Run {
        try Tool.vidmake(args, cwd: dir, env: env)
    }

    /// A program found on PATH, run in the project folder (ninja, sh).
    public func run(_ argv: [String]) throws -> Run {
        let (p, o, e) = try Tool.launch("/usr/bin/env", argv, cwd: dir)
        return Run(status: p.terminationStatus, signal: nil, out: o, err: e)
    }

    /// `vidmake build` of the vidfile, asserting it succeeded.
    @discardableResult
    public func build(_ extra: [String] = [], env: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        let r = try vidmake(["build"] + extra + [vidfile], env: env)
        #expect(r.status == 0, "build failed:\n\(r.err)", sourceLocation: sourceLocation)
        return r
    }

    /// The last revision `vidmake log --json` reports.
    public func lastRevision() throws -> [String: Any] {
        let r = try vidmake(["log", "--json", vidfile])
        let all = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]] ?? []
        return all.last ?? [:]
    }

    /// Step ids the last build executed.
    public func executed() throws -> [String] {
        ((try lastRevision()["executed"] as? [[String: Any]]) ?? []).compactMap { $0["step"] as? String }.sorted()
    }

    /// The records this vidfile's steps used, in the order its heads were written: step → output
    /// hashes (heads name a fingerprint; the record under it may have been made by another vidfile).
    public func records() -> [(step: String, outputs: [String: String])] {
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
    public func finalHashes() -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for r in records() { out[r.step] = r.outputs }
        return out
    }

    /// Rewrites the vidfile with a textual substitution (asserting it applied).
    public func edit(_ from: String, _ to: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = try String(contentsOfFile: vidfile, encoding: .utf8)
        #expect(text.contains(from), "vidfile has no '\(from)'", sourceLocation: sourceLocation)
        try text.replacingOccurrences(of: from, with: to).write(toFile: vidfile, atomically: true, encoding: .utf8)
    }

    public func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: dir + "/" + rel) }
}

/// The civil war example built once, from scratch, with `vidmake build`, for every test that
/// starts from a built example (its store, out/ tree and revision log); each test works on a copy
/// of its own, so the suite pays for the from-scratch build once (at 640x360: `Scratch.example`).
public enum BuiltExample {
    public static let folder: String = {
        let s = Scratch.example(folder: "vidmake-built-example-" + UUID().uuidString)
        let r = try! s.vidmake(["build", s.vidfile])
        precondition(r.status == 0, "the example does not build:\n\(r.err)")
        let keep = NSTemporaryDirectory() + "vidmake-built-template-" + UUID().uuidString
        try! FileManager.default.copyItem(atPath: s.dir, toPath: keep)
        return keep
    }()

    public static func copy() -> Scratch { Scratch(folder, vidfile: "civilwar.vid.yaml", keepState: true) }
}
