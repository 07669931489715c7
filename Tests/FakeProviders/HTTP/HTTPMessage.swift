import Foundation

/// Header fields in arrival order, looked up case-insensitively.
struct HTTPHeaders: Sendable {
    private(set) var fields: [(name: String, value: String)] = []

    init(_ fields: [(name: String, value: String)] = []) { self.fields = fields }

    mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    /// Every value of `name`, joined with ", " as RFC 9110 allows for list-valued fields; nil when absent.
    subscript(_ name: String) -> String? {
        let values = fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// The separate values of `name` (fields repeated on several lines stay separate).
    func all(_ name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }
}

/// A request line and its headers, as parsed before the body is read.
struct RequestHead: Sendable {
    var method: String
    /// The request target as sent, e.g. `/openai/v1/chat/completions?x=1`.
    var target: String
    /// The target's path, percent-encoding kept.
    var path: String
    /// Query parameters, percent-decoded; a repeated name keeps its last value.
    var query: [String: String]
    /// `HTTP/1.1` or `HTTP/1.0`.
    var version: String
    var headers: HTTPHeaders

    /// Whether the client wants the connection kept open after this exchange.
    var wantsKeepAlive: Bool {
        let tokens = (headers["Connection"] ?? "").lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if version == "HTTP/1.0" { return tokens.contains("keep-alive") }
        return !tokens.contains("close")
    }

    /// Splits an origin-form (or absolute-form) target into path and query.
    static func split(target: String) -> (path: String, query: [String: String]) {
        var rest = Substring(target)
        if rest.hasPrefix("http://") || rest.hasPrefix("https://") {
            // Absolute form: drop scheme and authority.
            rest = rest.drop(while: { $0 != ":" }).dropFirst(3)
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") where !pair.isEmpty {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (s: Substring) in (String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)) }
                query[decode(kv[0])] = kv.count == 2 ? decode(kv[1]) : ""
            }
        }
        return (String(parts[0]), query)
    }
}

/// A complete request: head and body.
struct Request: Sendable {
    var head: RequestHead
    var body: Data

    var method: String { head.method }
    var path: String { head.path }
    var headers: HTTPHeaders { head.headers }
    var query: [String: String] { head.query }

    /// The body as a JSON object, nil if it is not one.
    var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])) as? [String: Any]
    }
}

/// A response about to be written. The body is sent with `Content-Length` unless `chunked`.
struct Response: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    /// Send with `Transfer-Encoding: chunked` (as streaming endpoints do).
    var chunked = false

    init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: Data = Data(), chunked: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.chunked = chunked
    }

    /// A JSON response; keys sorted so bodies are deterministic.
    static func json(_ status: Int, _ object: Any, headers: [(String, String)] = []) -> Response {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        var response = Response(status: status, body: body)
        response.headers.add("Content-Type", "application/json")
        for (name, value) in headers { response.headers.add(name, value) }
        return response
    }

    /// A response with raw bytes of the given content type.
    static func bytes(_ status: Int, _ body: Data, contentType: String, chunked: Bool = false) -> Response {
        var response = Response(status: status, body: body, chunked: chunked)
        response.headers.add("Content-Type", contentType)
        return response
    }

    /// The standard reason phrase for `status`.
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 302: "Found"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 529: "Site Overloaded"
        default: "Status \(status)"
        }
    }
}

/// How a response's bytes reach the client; the fault injection's delivery variants.
enum Delivery: Sendable, Equatable {
    case normal
    /// Headers and half the body, a pause of this many seconds, then the rest.
    case stall(Double)
    /// A `Content-Length` response cut after half its body, then the connection closed.
    case truncate
}
