import Foundation

/// One HTTP request: what to send, and how long to give it.
public struct HTTPRequest: Sendable {
    public enum Body: Sendable {
        case none
        case data(Data)
        /// The content of a file, read as it is sent.
        case file(String)
        /// `multipart/form-data` (the boundary and `Content-Type` are curl's).
        case multipart([MultipartPart])
    }

    public var method: String
    public var url: String
    /// In order; a header given twice is sent twice. Values may be secrets: they are never logged.
    public var headers: [(name: String, value: String)]
    public var body: Body
    /// Seconds to establish the connection (TCP and TLS).
    public var connectTimeout: Double = 15
    /// Seconds for the whole transfer, from the first byte sent to the last received.
    public var timeout: Double = 300
    /// A transfer slower than one byte a second for this long is a stall, and fails.
    public var stallTimeout: Double = 60
    /// Follow 3xx (downloads from a CDN); credentials are not sent to another host.
    public var followRedirects = false
    /// A response body larger than this fails instead of filling the disk or memory.
    public var maxResponseBytes: Int64 = 1 << 30
    /// Write the body to this file (created or truncated) instead of keeping it in memory.
    public var responseFile: String?

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: Body = .none) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// A POST of a JSON body.
    public static func json(_ url: String, _ object: Any, headers: [(name: String, value: String)] = []) throws -> HTTPRequest {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return HTTPRequest(method: "POST", url: url, headers: headers + [("Content-Type", "application/json")], body: .data(data))
    }

    /// Where the request goes, for messages: scheme, host and path, no query (it might carry a secret).
    public var displayURL: String {
        guard var c = URLComponents(string: url) else { return "(a malformed URL)" }
        c.query = nil
        c.user = nil
        c.password = nil
        return c.string ?? url
    }
}

/// One part of a multipart form.
public struct MultipartPart: Sendable {
    public enum Content: Sendable {
        case text(String)
        case file(path: String, filename: String, type: String)
    }
    public var name: String
    public var content: Content

    public init(name: String, _ content: Content) {
        self.name = name
        self.content = content
    }
}

/// A complete response: a status and headers, with the body in memory or in `bodyFile`.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Lower-cased names; a repeated header's values joined by ", ".
    public var headers: [String: String]
    /// The body, unless it went to `bodyFile`.
    public var body: Data
    public var bodyFile: String?
    public var bytes: Int64
    public var seconds: Double

    public init(status: Int, headers: [String: String], body: Data, bodyFile: String? = nil, bytes: Int64, seconds: Double) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyFile = bodyFile
        self.bytes = bytes
        self.seconds = seconds
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body as text, for error messages: at most `limit` characters.
    public func text(limit: Int = 2000) -> String {
        let data = bodyFile.flatMap { FileManager.default.contents(atPath: $0) } ?? body
        let s = String(decoding: data.prefix(limit * 4), as: UTF8.self)
        return s.count > limit ? String(s.prefix(limit)) + "…" : s
    }
}

/// Why a transfer did not complete. Nothing here carries a header value or a request body.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No connection: refused, unreachable, DNS.
        case connect
        case timeout
        /// The connection closed early: nothing came back, or less than was announced.
        case dropped
        case tls
        /// The response was bigger than the request allowed.
        case tooLarge
        case cancelled
        /// A local problem: a file that cannot be read or written, a malformed URL.
        case local
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// Whether sending the same request again may succeed.
    public var transient: Bool { kind == .connect || kind == .timeout || kind == .dropped }
    public var description: String { message }
}
