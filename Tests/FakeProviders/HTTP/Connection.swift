import Foundation
import Glibc

/// Why a connection can't go on.
enum ConnectionError: Error, Equatable {
    /// The peer closed the connection (or it was shut down by `stop()`).
    case closed
    /// No bytes arrived within the socket's receive timeout.
    case timedOut
    /// The request is not valid HTTP/1.1; answer 400 and close.
    case malformed(String)
    /// The request body exceeds the limit; answer 413 and close.
    case tooLarge
    /// An `Expect` other than `100-continue`; answer 417.
    case unsupportedExpectation
}

/// One accepted TCP connection: a buffered HTTP/1.1 request reader and a response writer.
/// Used by a single thread; `HTTPServer` may `shutdown(2)` its socket from another to wake it.
final class Connection {
    static let maxHeadBytes = 64 * 1024
    static let maxBodyBytes = 64 * 1024 * 1024

    let fd: Int32
    private var buffer: [UInt8] = []
    /// Index of the first unread byte in `buffer`.
    private var position = 0

    init(fd: Int32) { self.fd = fd }

    // MARK: Reading

    private var available: Int { buffer.count - position }

    /// Reads more bytes into the buffer; throws `.closed` at end of stream.
    private func fill() throws {
        if position > 0 && position >= buffer.count / 2 {
            buffer.removeFirst(position)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return
            }
            if n == 0 { throw ConnectionError.closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw ConnectionError.timedOut
            default: throw ConnectionError.closed
            }
        }
    }

    /// Takes `count` bytes from the stream.
    private func read(count: Int) throws -> [UInt8] {
        while available < count { try fill() }
        defer { position += count }
        return Array(buffer[position..<position + count])
    }

    /// Takes one line (without its CR LF or bare LF) from the stream.
    private func readLine(limit: Int) throws -> String {
        var scanned = 0  // bytes after `position` known to hold no LF (`fill` may move `position`)
        while true {
            if let lf = buffer[(position + scanned)...].firstIndex(of: 10) {
                var end = lf
                if end > position && buffer[end - 1] == 13 { end -= 1 }
                defer { position = lf + 1 }
                return String(decoding: buffer[position..<end], as: UTF8.self)
            }
            if available > limit { throw ConnectionError.malformed("line too long") }
            scanned = available
            try fill()
        }
    }

    /// Reads the next request's line and headers. Returns nil if the peer closes the connection
    /// (or the idle timeout passes) before sending anything, the normal end of a keep-alive connection.
    func readHead() throws -> RequestHead? {
        // RFC 9112 §2.2: ignore empty lines before the request line.
        var line = ""
        var consumed = 0
        repeat {
            do {
                line = try readLine(limit: Self.maxHeadBytes)
            } catch ConnectionError.closed where available == 0 && consumed == 0 {
                return nil
            } catch ConnectionError.timedOut where available == 0 && consumed == 0 {
                return nil
            }
            consumed += 1
            if consumed > 8 { throw ConnectionError.malformed("empty lines") }
        } while line.isEmpty

        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter && $0.isUppercase }),
              parts[1].hasPrefix("/") || parts[1].hasPrefix("http://") || parts[1].hasPrefix("https://"),
              parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0"
        else { throw ConnectionError.malformed("bad request line") }

        var headers = HTTPHeaders()
        var headBytes = line.utf8.count
        while true {
            let field = try readLine(limit: Self.maxHeadBytes)
            if field.isEmpty { break }
            headBytes += field.utf8.count + 2
            guard headBytes <= Self.maxHeadBytes else { throw ConnectionError.malformed("headers too large") }
            // Obsolete line folding and names with spaces are rejected, as RFC 9112 §5 asks.
            guard let colon = field.firstIndex(of: ":"), colon != field.startIndex,
                  !field[..<colon].contains(where: { $0 == " " || $0 == "\t" })
            else { throw ConnectionError.malformed("bad header field") }
            headers.add(String(field[..<colon]), field[field.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let target = String(parts[1])
        let (path, query) = RequestHead.split(target: target)
        return RequestHead(method: String(parts[0]), target: target, path: path, query: query,
                           version: String(parts[2]), headers: headers)
    }

    /// Reads the body the head announces: `Content-Length`, `chunked`, or none. Answers
    /// `Expect: 100-continue` first when a body is coming.
    func readBody(for head: RequestHead) throws -> Data {
        let transferEncoding = head.headers["Transfer-Encoding"]?.lowercased()
        let lengths = Set(head.headers.all("Content-Length").map { $0.trimmingCharacters(in: .whitespaces) })
        if transferEncoding != nil && !lengths.isEmpty { throw ConnectionError.malformed("both Transfer-Encoding and Content-Length") }
        if let encoding = transferEncoding, encoding != "chunked" { throw ConnectionError.malformed("unsupported transfer coding") }

        var length = 0
        if transferEncoding == nil {
            guard lengths.count <= 1 else { throw ConnectionError.malformed("conflicting Content-Length") }
            if let text = lengths.first {
                guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), text.utf8.count <= 12, let n = Int(text)
                else { throw ConnectionError.malformed("bad Content-Length") }
                length = n
            }
            if length > Self.maxBodyBytes { throw ConnectionError.tooLarge }
            if length == 0 { return Data() }
        }

        if let expect = head.headers["Expect"] {
            guard expect.lowercased() == "100-continue" else { throw ConnectionError.unsupportedExpectation }
            try write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }

        if transferEncoding == nil { return Data(try read(count: length)) }

        // Chunked: size line (extensions ignored), data, CRLF; a zero size, then trailers to an empty line.
        var body = Data()
        while true {
            let sizeLine = try readLine(limit: 1024)
            let hex = sizeLine.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard !hex.isEmpty, hex.count <= 8, let size = Int(hex, radix: 16) else { throw ConnectionError.malformed("bad chunk size") }
            if size == 0 { break }
            guard body.count + size <= Self.maxBodyBytes else { throw ConnectionError.tooLarge }
            body.append(contentsOf: try read(count: size))
            guard try readLine(limit: 2).isEmpty else { throw ConnectionError.malformed("chunk not followed by CRLF") }
        }
        while try !readLine(limit: Self.maxHeadBytes).isEmpty {}
        return body
    }

    // MARK: Writing

    /// Sends every byte or throws `.closed` (the peer went away; SIGPIPE is never raised).
    func write(_ bytes: some ContiguousBytes) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n > 0 { offset += n; continue }
                if n < 0 && errno == EINTR { continue }
                throw ConnectionError.closed
            }
        }
    }

    /// Writes `response`, its body delivered as `delivery` asks. `pause` sleeps for a stall and
    /// returns false if the server is stopping.
    func write(_ response: Response, keepAlive: Bool, delivery: Delivery = .normal, pause: (Double) -> Bool) throws {
        // A truncated reply must announce its full length, so it is never chunked.
        let chunked = response.chunked && delivery != .truncate
        var head = "HTTP/1.1 \(response.status) \(Response.reason(response.status))\r\n"
        head += "Date: \(Self.httpDate())\r\n"
        for (name, value) in response.headers.fields { head += "\(name): \(value)\r\n" }
        head += chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: \(response.body.count)\r\n"
        head += "Connection: \(keepAlive && delivery != .truncate ? "keep-alive" : "close")\r\n\r\n"

        let body = response.body
        // A small plain reply goes out in one write (one segment for the client to read).
        if delivery == .normal && !chunked && body.count <= 64 * 1024 {
            try write(Data(head.utf8) + body)
            return
        }
        try write(Array(head.utf8))

        let half = body.count / 2
        switch delivery {
        case .normal:
            try writeBody(body, chunked: chunked)
        case .stall(let seconds):
            try writeBody(body[..<half], chunked: chunked, last: false)
            guard pause(seconds) else { throw ConnectionError.closed }
            try writeBody(body[half...], chunked: chunked)
        case .truncate:
            try writeBody(body[..<half], chunked: false)
            // The client is owed bytes it will never get: the connection ends here.
            throw ConnectionError.closed
        }
    }

    /// Writes body bytes, as chunks (and the final empty chunk unless `last` is false) when `chunked`.
    private func writeBody(_ bytes: Data, chunked: Bool, last: Bool = true) throws {
        guard chunked else {
            if !bytes.isEmpty { try write(bytes) }
            return
        }
        let chunkSize = 64 * 1024
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = min(start + chunkSize, bytes.endIndex)
            var frame = Data((String(end - start, radix: 16) + "\r\n").utf8)
            frame.append(bytes[start..<end])
            frame.append(contentsOf: Array("\r\n".utf8))
            try write(frame)
            start = end
        }
        if last { try write(Array("0\r\n\r\n".utf8)) }
    }

    /// Sends a minimal plain-text error (for requests too broken to reach a provider).
    func writeError(_ status: Int, _ message: String) {
        let response = Response.bytes(status, Data((message + "\n").utf8), contentType: "text/plain; charset=utf-8")
        try? write(response, keepAlive: false, pause: { _ in true })
    }

    /// The current time as an IMF-fixdate (`Date` header).
    private static func httpDate() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var text = [CChar](repeating: 0, count: 64)
        let n = strftime(&text, text.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: text[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
