import Foundation
import Glibc

/// What serves requests once `HTTPServer` has parsed their heads.
protocol HTTPHandler: AnyObject, Sendable {
    /// Reads the request's body from `connection` and writes a response. Returns whether the
    /// connection may carry another request.
    func serve(_ head: RequestHead, on connection: Connection) -> Bool
}

/// Errors starting the server.
public struct ServerError: Error, CustomStringConvertible {
    public let description: String
}

/// A small blocking HTTP/1.1 server on 127.0.0.1: one accept thread and one thread per
/// connection. `stop()` shuts every socket down, wakes every `pause`, and waits for the threads.
final class HTTPServer: @unchecked Sendable {
    /// How long a read may block before an idle or stuck connection is dropped.
    static let socketTimeout: TimeInterval = 30

    let port: Int
    private let listener: Int32
    /// Not retained: the handler owns the server, and a request that outlives it is dropped.
    private weak var handler: HTTPHandler?

    /// Guards everything below; also what `pause` waits on, so `stop()` can wake sleepers.
    private let condition = NSCondition()
    private var stopping = false
    private var connections: Set<Int32> = []
    private var threads = 0
    private var acceptThreadDone = false
    private var listenerClosed = false

    /// Binds and listens on 127.0.0.1:`port` (0: any free port). Call `start(handler:)` to serve.
    init(port: UInt16) throws {
        // A client that goes away mid-response must not kill the test process (sends also use MSG_NOSIGNAL).
        signal(SIGPIPE, SIG_IGN)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ServerError(description: "socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian  // 127.0.0.1
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ServerError(description: "bind 127.0.0.1:\(port): \(message)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { stop() }

    /// Starts the accept thread.
    func start(handler: HTTPHandler) {
        condition.lock()
        self.handler = handler
        threads += 1
        condition.unlock()
        spawn { [self] in acceptLoop() }
    }

    /// Whether `stop()` has been called.
    var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    /// Threads (accept and connections) still running; 0 after a completed `stop()`.
    var liveThreads: Int {
        condition.lock()
        defer { condition.unlock() }
        return threads
    }

    /// Sleeps `seconds`, waking early if the server stops. Returns false if it is stopping.
    func pause(_ seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: max(0, seconds))
        condition.lock()
        defer { condition.unlock() }
        while !stopping && Date() < deadline { _ = condition.wait(until: deadline) }
        return !stopping
    }

    /// Closes the listener and every connection, then waits (up to 5 s) for the threads to end.
    /// Idempotent.
    func stop() {
        condition.lock()
        if !stopping {
            stopping = true
            // shutdown(2) wakes a thread blocked in accept, recv or send on these sockets; the
            // descriptors are closed by their own threads, so none is reused under another's feet.
            shutdown(listener, Int32(SHUT_RDWR))
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
            condition.broadcast()
        }
        let deadline = Date(timeIntervalSinceNow: 5)
        while threads > 0 && condition.wait(until: deadline) {}
        if acceptThreadDone && !listenerClosed {
            close(listener)
            listenerClosed = true
        }
        condition.unlock()
    }

    // MARK: Threads

    private func spawn(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Called last by every thread the server started.
    private func threadExited(acceptThread: Bool = false) {
        condition.lock()
        threads -= 1
        if acceptThread { acceptThreadDone = true }
        condition.broadcast()
        condition.unlock()
    }

    private func acceptLoop() {
        defer { threadExited(acceptThread: true) }
        while !isStopping {
            // Poll with a short timeout so the loop notices `stop()` even if shutdown(2) did not wake it.
            var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 200) > 0 else { continue }
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else {
                if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                continue
            }
            // Not inherited by the processes tests spawn (accept4 is not exported to Swift).
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            configure(fd)
            condition.lock()
            if stopping {
                condition.unlock()
                close(fd)
                break
            }
            connections.insert(fd)
            threads += 1
            condition.unlock()
            spawn { [self] in serveConnection(fd) }
        }
    }

    /// Timeouts on every read and write, and no Nagle delay on small keep-alive replies.
    private func configure(_ fd: Int32) {
        var timeout = timeval(tv_sec: Int(Self.socketTimeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
    }

    private func serveConnection(_ fd: Int32) {
        let connection = Connection(fd: fd)
        defer {
            linger(fd)
            condition.lock()
            connections.remove(fd)
            condition.unlock()
            close(fd)
            threadExited()
        }
        while !isStopping {
            let head: RequestHead
            do {
                guard let parsed = try connection.readHead() else { return }
                head = parsed
            } catch ConnectionError.malformed(let why) {
                connection.writeError(400, "malformed request: \(why)")
                return
            } catch {
                return
            }
            condition.lock()
            let handler = self.handler
            condition.unlock()
            guard let handler, handler.serve(head, on: connection) else { return }
        }
    }

    /// Half-closes `fd` and briefly discards what the client is still sending, so that closing
    /// with unread input does not reset the connection and destroy the reply just sent.
    private func linger(_ fd: Int32) {
        shutdown(fd, Int32(SHUT_WR))
        guard !isStopping else { return }
        let deadline = Date(timeIntervalSinceNow: 0.2)
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        while Date() < deadline {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 50) > 0 else { continue }
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n <= 0 { return }
        }
    }
}
