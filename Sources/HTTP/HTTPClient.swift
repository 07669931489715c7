import CCurl
import Foundation

/// Sends HTTP requests over libcurl. Stateless: every client shares the process's one transfer
/// engine, so it is cheap to make one wherever it is needed.
public struct HTTPClient: Sendable {
    public init() {}

    /// Sends a request and waits for the whole response, or for `isCancelled` to turn true
    /// (checked about ten times a second). A status of 4xx or 5xx is a response, not an error:
    /// the caller decides what it means. A body sent to `responseFile` that did not arrive whole
    /// leaves no file behind.
    public func send(_ request: HTTPRequest, isCancelled: @escaping @Sendable () -> Bool = { false }) throws(HTTPError) -> HTTPResponse {
        if isCancelled() { throw HTTPError(.cancelled, "cancelled") }
        let t = try Transfer(request, isCancelled: isCancelled)
        let clock = Date()
        CurlEngine.shared.start(t)
        t.done.wait()
        let where_ = "\(request.method) \(request.displayURL)"
        func fail(_ kind: HTTPError.Kind, _ why: String) -> HTTPError {
            if let f = request.responseFile { unlink(f) }
            return HTTPError(kind, "\(where_): \(why)")
        }
        if t.tooLarge { throw fail(.tooLarge, "the response is larger than \(request.maxResponseBytes) bytes") }
        if let w = t.writeFailed { throw fail(.local, "cannot write \(request.responseFile ?? "the response"): \(w)") }
        let detail = t.detail ?? ""
        switch t.code {
        case CURLE_OK:
            break
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            throw fail(.connect, "cannot connect: \(detail)")
        case CURLE_OPERATION_TIMEDOUT:
            throw fail(.timeout, "timed out: \(detail)")
        case CURLE_GOT_NOTHING:
            throw fail(.dropped, "the server closed the connection without replying")
        case CURLE_PARTIAL_FILE:
            throw fail(.dropped, "the response was cut short (\(t.received) bytes arrived): \(detail)")
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            throw fail(.dropped, "the connection broke: \(detail)")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            throw fail(.tls, "TLS failed: \(detail)")
        case CURLE_ABORTED_BY_CALLBACK:
            throw fail(.cancelled, "cancelled")
        default:
            throw fail(.local, detail)
        }
        return HTTPResponse(status: t.status, headers: t.headers, body: t.body, bodyFile: request.responseFile,
                            bytes: t.received, seconds: Date().timeIntervalSince(clock))
    }
}
