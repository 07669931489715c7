import Foundation

/// Runs a program with an argument vector: no shell, stdin from /dev/null, stdout to a file or
/// discarded, stderr drained (its last lines kept for the error message), in a process group of
/// its own so that cancelling stops it and its children.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        /// The last 16 KiB of stderr.
        public var stderr: String
        /// Stdout, when `captureStdout` was asked.
        public var stdout: Data
    }

    static let stderrTail = 16 * 1024

    /// `setpriv` (util-linux, on every Debian system), which sets PR_SET_PDEATHSIG and execs.
    static let deathWrapper: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The program's path: as given when it has a slash, else the first match on PATH.
    static func resolve(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// What a child gets of vidmake's environment: everything but what looks like a secret
    /// (API keys, tokens, passwords): ffmpeg and espeak-ng need none of them.
    public static func childEnvironment(_ env: [String: String]) -> [String: String] {
        env.filter { key, _ in
            let k = key.uppercased()
            return !["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH"].contains { k.contains($0) }
        }
    }

    /// Runs `argv` to completion. Throws a cancelled error if `cancel` fires, and a failure if the
    /// program cannot start or runs past `timeout` seconds.
    public static func run(_ argv: [String], cancel: CancelToken, timeout: Double? = nil, captureStdout: Bool = false,
                           environment: [String: String]? = nil, log: (String) -> Void = { _ in }) throws(ProducerError) -> Result {
        precondition(!argv.isEmpty)
        try cancel.check()
        log(argv.map(shellQuoted).joined(separator: " "))

        var errPipe: [Int32] = [0, 0]
        var outPipe: [Int32] = [-1, -1]
        guard pipe(&errPipe) == 0 else { throw ProducerError("cannot create a pipe: \(String(cString: strerror(errno)))") }
        if captureStdout, pipe(&outPipe) != 0 {
            close(errPipe[0]); close(errPipe[1])
            throw ProducerError("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        defer {
            close(errPipe[0])
            if captureStdout { close(outPipe[0]) }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if captureStdout {
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            posix_spawn_file_actions_addclose(&actions, outPipe[0])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, errPipe[0])

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attr, &noMask)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let env = (environment ?? childEnvironment(ProcessInfo.processInfo.environment)).map { "\($0.key)=\($0.value)" }
        guard let program = resolve(argv[0]) else {
            close(errPipe[1])
            if captureStdout { close(outPipe[1]) }
            throw ProducerError("cannot run \(argv[0]): not found on PATH", help: "install it (make deps installs what vidmake needs)")
        }
        // The child dies with vidmake however vidmake ends (kill -9 included): the kernel's
        // parent-death signal, set by util-linux's setpriv just before it execs the program.
        let spawned = deathWrapper.map { [$0, "--pdeathsig", "KILL", "--", program] + argv.dropFirst() } ?? [program] + argv.dropFirst()
        var pid: pid_t = 0
        let rc = withCStrings(spawned) { cargv in
            withCStrings(env) { cenv in posix_spawn(&pid, spawned[0], &actions, &attr, cargv, cenv) }
        }
        close(errPipe[1])
        if captureStdout { close(outPipe[1]) }
        guard rc == 0 else {
            throw ProducerError("cannot run \(argv[0]): \(String(cString: strerror(rc)))")
        }
        guard cancel.register(pid) else {
            kill(-pid, SIGKILL)
            var st: Int32 = 0
            waitpid(pid, &st, 0)
            throw ProducerError.cancelledError
        }
        defer { cancel.unregister(pid) }

        // A watchdog for the time limit.
        let flag = TimeoutFlag()
        var timer: DispatchSourceTimer?
        if let timeout {
            let t = DispatchSource.makeTimerSource(queue: .global())
            t.schedule(deadline: .now() + timeout)
            t.setEventHandler { flag.set(); kill(-pid, SIGKILL) }
            t.resume()
            timer = t
        }
        let r = drain(errPipe[0], outPipe[0], captureStdout)
        timer?.cancel()
        return try finish(pid: pid, argv: argv, stderr: r.err, stdout: r.out, timedOut: flag.value, timeout: timeout, cancel: cancel)
    }

    private final class TimeoutFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var v = false
        func set() { lock.withLock { v = true } }
        var value: Bool { lock.withLock { v } }
    }

    /// Reads stderr (keeping its tail) and stdout (all of it) until both close.
    private static func drain(_ errFD: Int32, _ outFD: Int32, _ capture: Bool) -> (err: Data, out: Data) {
        var err = Data()
        var out = Data()
        var fds = [pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)]
        if capture { fds.append(pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)) }
        var buf = [UInt8](repeating: 0, count: 65536)
        var open = fds.count
        while open > 0 {
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 { if errno == EINTR { continue } else { break } }
            for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                let got = read(fds[i].fd, &buf, buf.count)
                if got > 0 {
                    if i == 0 {
                        err.append(contentsOf: buf[0..<got])
                        if err.count > 4 * stderrTail { err = err.suffix(stderrTail) }
                    } else {
                        out.append(contentsOf: buf[0..<got])
                    }
                } else if got == 0 || (errno != EINTR && errno != EAGAIN) {
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
        return (err.suffix(stderrTail), out)
    }

    private static func finish(pid: pid_t, argv: [String], stderr: Data, stdout: Data, timedOut: Bool, timeout: Double?,
                               cancel: CancelToken) throws(ProducerError) -> Result {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: stderr, as: UTF8.self)
        if cancel.isCancelled { throw ProducerError.cancelledError }
        if timedOut {
            throw ProducerError("\(argv[0]) did not finish within \(Int(timeout ?? 0)) s and was stopped", transient: true)
        }
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, stderr: text, stdout: stdout)
    }

    /// Runs and fails unless the program exits 0; the error shows its last stderr lines.
    @discardableResult
    public static func check(_ argv: [String], cancel: CancelToken, timeout: Double? = nil, captureStdout: Bool = false,
                             log: (String) -> Void = { _ in }) throws(ProducerError) -> Result {
        let r = try run(argv, cancel: cancel, timeout: timeout, captureStdout: captureStdout, log: log)
        guard r.status == 0 else {
            throw ProducerError("\(argv[0]) exited with status \(r.status):\n" + lastLines(r.stderr, 8))
        }
        return r
    }

    /// The last `n` non-empty lines, indented.
    public static func lastLines(_ s: String, _ n: Int) -> String {
        s.split(whereSeparator: \.isNewline).suffix(n).map { "    " + $0 }.joined(separator: "\n")
    }

    /// For `-v` display only (nothing is ever run through a shell).
    public static func shellQuoted(_ s: String) -> String {
        if !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        ptrs.append(nil)
        defer { for p in ptrs { free(p) } }
        return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
