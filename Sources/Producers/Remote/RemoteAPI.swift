import Foundation
import HTTP
import Planner
import RecipeParser

/// One provider's HTTP conventions for one job: where it is, how to authenticate, how it reports
/// errors. Every remote producer sends through `send`, so that the budget is checked before each
/// call, cancellation stops it, and every failure is classified the same way: transient ones
/// (429, 5xx, timeouts, dropped connections) carry the wait the provider asked for; the rest
/// carry the provider's own message and what to do. No secret reaches a message.
struct RemoteAPI {
    let job: Job
    let provider: ProviderRef

    init(_ job: Job) {
        self.job = job
        self.provider = job.provider
    }

    /// The conventions of `provider`'s family for a call that is not the job's own model (the
    /// transcription a speech step makes to time its words): budget messages and help name it.
    init(_ job: Job, calling provider: ProviderRef) {
        self.job = job
        self.provider = provider
    }

    var family: String { provider.family }
    var keyVariable: String? { ProviderCatalog.spec(family)?.keyVariable }

    /// The key, or a clear error (the plan-time check normally catches this first).
    func key() throws(ProducerError) -> String {
        guard let v = keyVariable else { return "" }
        guard let k = job.environment[v] else {
            throw ProducerError("\(provider): \(v) is not set", help: "export \(v)=… or put `\(v)=…` in \(ProjectPaths.display(job.folder + "/.env"))")
        }
        return k
    }

    /// The authentication headers of the family.
    func auth() throws(ProducerError) -> [(name: String, value: String)] {
        switch family {
        case "elevenlabs": return [("xi-api-key", try key())]
        case "ollama": return [("Authorization", "Bearer ollama")]
        default: return [("Authorization", "Bearer " + (try key()))]
        }
    }

    /// Seconds for a whole call: `VIDMAKE_HTTP_TIMEOUT` when set (tests, slow links), else `default`.
    func timeout(_ d: Double) -> Double {
        if let t = job.environment["VIDMAKE_HTTP_TIMEOUT"].flatMap(Double.init), t > 0 { return t }
        return d
    }

    /// Sends a request and returns a 2xx response; anything else is a classified `ProducerError`.
    /// `newCall` false for requests that start no paid work (polling a prediction, fetching its
    /// file): those go on after the budget is spent.
    func send(_ request: HTTPRequest, newCall: Bool = true) throws(ProducerError) -> HTTPResponse {
        if newCall { try job.meter.admit(provider.description) }
        try job.cancel.check()
        let token = job.cancel
        job.log("\(request.method) \(request.displayURL)")
        let r: HTTPResponse
        do {
            r = try HTTPClient().send(request, isCancelled: { token.isCancelled })
        } catch {
            if error.kind == .cancelled { throw ProducerError.cancelledError }
            let help: String? = error.kind == .connect ? "is \(baseURL(of: request)) reachable? (a base URL comes from the environment or .env)" : nil
            throw ProducerError(redact("\(provider): \(error.message)"), help: help, transient: error.transient)
        }
        job.log("\(request.method) \(request.displayURL) → \(r.status) (\(String(format: "%.1f", r.seconds)) s, \(r.bytes) bytes)")
        guard r.isSuccess else { throw failure(r, request) }
        return r
    }

    /// Sends a JSON body and parses a JSON object reply.
    func postJSON(_ url: String, _ body: [String: Any], timeout t: Double, headers extra: [(name: String, value: String)] = []) throws(ProducerError) -> (HTTPResponse, [String: Any]) {
        let req = try jsonRequest(url, body, timeout: t, headers: extra)
        let r = try send(req)
        return (r, try object(r, req))
    }

    /// An authenticated POST of a JSON body (encoded by JSONSerialization, keys sorted), not yet sent.
    func jsonRequest(_ url: String, _ body: [String: Any], timeout t: Double, headers extra: [(name: String, value: String)] = []) throws(ProducerError) -> HTTPRequest {
        var req: HTTPRequest
        do { req = try HTTPRequest.json(url, body, headers: try auth() + extra) } catch let e as ProducerError { throw e } catch {
            throw ProducerError("\(provider): cannot encode the request: \(error)")
        }
        req.timeout = timeout(t)
        return req
    }

    /// A reply's body as a JSON object. A body that is not JSON is treated as transient: proxies
    /// and overloaded gateways send HTML, and a second try usually gets the real reply.
    func object(_ r: HTTPResponse, _ request: HTTPRequest) throws(ProducerError) -> [String: Any] {
        let data = r.bodyFile.flatMap { FileManager.default.contents(atPath: $0) } ?? r.body
        guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ProducerError(redact("\(provider): the reply to \(request.method) \(request.displayURL) is not a JSON object: \(Self.excerpt(r.text(limit: 200)))"),
                                transient: true)
        }
        return o
    }

    func redact(_ s: String) -> String { job.environment.redact(s) }

    private func baseURL(of r: HTTPRequest) -> String {
        guard let c = URLComponents(string: r.url), let host = c.host else { return r.displayURL }
        return (c.scheme ?? "https") + "://" + host + (c.port.map { ":\($0)" } ?? "")
    }

    /// What a non-2xx reply means.
    func failure(_ r: HTTPResponse, _ request: HTTPRequest) -> ProducerError {
        let (message, code) = Self.providerMessage(r)
        let said = message.map { ": " + Self.excerpt($0) } ?? ""
        let text = redact("\(provider): HTTP \(r.status) from \(request.method) \(request.displayURL)\(said)")
        let keyHelp = keyVariable.map { "\($0) (read from the environment, or from \(ProjectPaths.display(job.folder + "/.env")))" } ?? "the key"
        switch r.status {
        case 429 where code == "insufficient_quota":
            return ProducerError(text, help: "the account is out of quota: add credit at \(Self.billing[family] ?? "the provider's billing page"), or pick another provider")
        case 408, 409, 425, 429, 500...599:
            return ProducerError(text, transient: true, retryAfter: Self.retryAfter(r.headers))
        case 401:
            return ProducerError(text, help: "the provider refused \(keyHelp): check that it is the current key for this account")
        case 402:
            return ProducerError(text, help: "the account is out of credit: add some at \(Self.billing[family] ?? "the provider's billing page"), or pick another provider")
        case 403:
            return ProducerError(text, help: "the key works but may not use \(provider.model): check the account's access to it, or pick another model")
        case 404:
            return ProducerError(text, help: "no model '\(provider.model)' or no such endpoint at \(baseURL(of: request)): check the model name and the base URL")
        default:
            return ProducerError(text, help: "the provider refused the request as sent; its message above says why")
        }
    }

    static let billing = [
        "openai": "https://platform.openai.com/settings/organization/billing",
        "replicate": "https://replicate.com/account/billing",
        "elevenlabs": "https://elevenlabs.io/app/subscription",
    ]

    /// The provider's own message and code from an error body: OpenAI `{"error":{"message","code"}}`,
    /// Replicate `{"title","detail"}`, ElevenLabs `{"detail":{"status","message"}}` or a FastAPI list.
    static func providerMessage(_ r: HTTPResponse) -> (String?, String?) {
        // A request that streams its reply to a file (speech, downloads) finds an error body there.
        let body = r.bodyFile.flatMap { FileHandle(forReadingAtPath: $0) }.map { h in
            defer { try? h.close() }
            return (try? h.read(upToCount: 1 << 20)) ?? Data()
        } ?? r.body
        guard let o = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            let t = r.text(limit: 300).trimmingCharacters(in: .whitespacesAndNewlines)
            return (t.isEmpty ? nil : t, nil)
        }
        if let e = o["error"] as? [String: Any] {
            return (e["message"] as? String, (e["code"] as? String) ?? (e["type"] as? String))
        }
        if let e = o["error"] as? String { return (e, nil) }
        if let d = o["detail"] as? [String: Any] { return ((d["message"] as? String) ?? (d["status"] as? String), d["status"] as? String) }
        if let d = o["detail"] as? String { return (d, o["title"] as? String) }
        if let list = o["detail"] as? [[String: Any]] {
            let msgs = list.compactMap { item -> String? in
                guard let m = item["msg"] as? String else { return nil }
                let loc = (item["loc"] as? [Any])?.map { "\($0)" }.joined(separator: ".")
                return loc.map { "\($0): \(m)" } ?? m
            }
            return (msgs.joined(separator: "; "), nil)
        }
        if let m = o["message"] as? String { return (m, nil) }
        return (nil, nil)
    }

    /// One line, at most 400 characters.
    static func excerpt(_ s: String) -> String {
        let one = s.split(whereSeparator: \.isNewline).joined(separator: " ")
        return one.count > 400 ? String(one.prefix(400)) + "…" : one
    }

    /// The wait a reply asks for, in seconds (at most ten minutes): `retry-after-ms`, then
    /// `Retry-After` as seconds or an HTTP date, then OpenAI's `x-ratelimit-reset-*` durations.
    static func retryAfter(_ h: [String: String], now: Date = Date()) -> Double? {
        func capped(_ s: Double) -> Double? { s.isFinite && s >= 0 ? min(s, 600) : nil }
        if let ms = h["retry-after-ms"].flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) { return capped(ms / 1000) }
        if let ra = h["retry-after"]?.trimmingCharacters(in: .whitespaces) {
            if let s = Double(ra) { return capped(s) }
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "GMT")
            f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let d = f.date(from: ra) { return capped(max(0, d.timeIntervalSince(now))) }
        }
        let resets = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"].compactMap { h[$0].flatMap(goDuration) }
        return resets.max().flatMap(capped)
    }

    /// Go-style durations as OpenAI sends them: `12ms`, `1s`, `6m0s`, `1h2m3.5s`.
    static func goDuration(_ s: String) -> Double? {
        var total = 0.0
        var number = ""
        var rest = Substring(s.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        while let c = rest.first {
            if c.isNumber || c == "." { number.append(c); rest = rest.dropFirst(); continue }
            guard let n = Double(number) else { return nil }
            number = ""
            if rest.hasPrefix("ms") { total += n / 1000; rest = rest.dropFirst(2) }
            else if rest.hasPrefix("s") { total += n; rest = rest.dropFirst() }
            else if rest.hasPrefix("m") { total += n * 60; rest = rest.dropFirst() }
            else if rest.hasPrefix("h") { total += n * 3600; rest = rest.dropFirst() }
            else { return nil }
        }
        return number.isEmpty ? total : nil
    }
}
