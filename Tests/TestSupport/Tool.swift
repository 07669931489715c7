import Foundation

/// Runs programs for the tests, their output in files (a child that writes much to stderr would
/// block on a pipe read only after stdout).
public enum Tool {
    public struct Output { public var status: Int32; public var out: String; public var err: String }

    /// A tool found on PATH.
    public static func run(_ argv: [String]) throws -> Output {
        let (p, o, e) = try launch("/usr/bin/env", argv)
        return Output(status: p.terminationStatus, out: o, err: e)
    }

    /// Runs `executable` to its end; returns the finished process, its stdout and its stderr.
    public static func launch(_ executable: String, _ args: [String], cwd: String? = nil,
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

    /// The real vidmake binary, run as a user runs it (NO_COLOR set, `env` added), to its end.
    public static func vidmake(_ args: [String], cwd: String? = nil, env: [String: String] = [:]) throws -> Run {
        var e = ProcessInfo.processInfo.environment
        e["NO_COLOR"] = "1"
        e.removeValue(forKey: "VIDMAKE_CRASH_AT")
        for (k, v) in env { e[k] = v }
        let (p, o, r) = try launch(Repo.binary, args, cwd: cwd, environment: e)
        let signalled = p.terminationReason == .uncaughtSignal
        return Run(status: signalled ? 128 + p.terminationStatus : p.terminationStatus, signal: signalled ? p.terminationStatus : nil,
                   out: o, err: r)
    }
}
