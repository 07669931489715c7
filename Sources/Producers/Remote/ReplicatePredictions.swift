import Foundation
import HTTP
import Planner
import RecipeParser

/// Replicate's predictions API (media-notes §2.3), for any model: create a prediction, wait for
/// it, fetch its files. One per job.
///
/// - Create: `POST /v1/models/{owner}/{name}/predictions` with `{"input": …}`, or, for a model
///   pinned to a version (`owner/name:<id>`), `POST /v1/predictions` with `{"version": <id>,
///   "input": …}`. `Prefer: wait=60` holds the request until the prediction finishes or a minute
///   passes, so quick models need no polling.
/// - Wait: `GET urls.get` at growing intervals (0.5 s up to 5 s) until the status is terminal,
///   30 minutes at most (Replicate's own limit). A transient failure of a poll is retried a few
///   times: the prediction is running and paid for, so it is not given up lightly. The poll and
///   cancel URLs are used only when they point at the configured base URL (the token goes with
///   them); otherwise they are rebuilt from the prediction's id.
/// - Give up (Ctrl-C, the deadline, a failed poll): `POST urls.cancel`, best effort, so that a
///   prediction nobody will read stops costing money. A prediction cancelled while the create
///   call itself is waiting cannot be: its id is not known yet.
/// - `failed`, `canceled` and `aborted` predictions are transient failures (GPU errors and queue
///   deadlines often pass); a failed one's GPU time is still charged.
/// - Files are fetched at once (Replicate deletes them after an hour), through redirects, and
///   checked like any provider's media. An output may be a URL, a list of them, an object of
///   them, or a `data:` URI.
struct ReplicatePredictions {
    let job: Job
    let api: RemoteAPI
    /// `https://api.replicate.com` or `REPLICATE_BASE_URL`.
    let base: String

    init(_ job: Job) {
        self.job = job
        self.api = RemoteAPI(job)
        self.base = Endpoints.replicate(job.environment)
    }

    /// How long a prediction may take, from its creation.
    static let deadline: Double = 30 * 60
    /// Transient failures of a poll in a row before the prediction is given up.
    static let pollRetries = 4

    /// A prediction as the API describes it.
    struct Prediction: Sendable, Equatable {
        var id: String?
        /// `starting`, `processing`, `succeeded`, `failed`, `canceled` or `aborted`.
        var status: String
        /// The file outputs, normalised (`ReplicatePredictions.files`).
        var outputs: [String]
        var error: String?
        /// `metrics.predict_time`: seconds of GPU time.
        var predictTime: Double?
        var getURL: String?
        var cancelURL: String?

        var isTerminal: Bool { ["succeeded", "failed", "canceled", "aborted"].contains(status) }
    }

    /// Creates a prediction of `model` and waits for it to succeed. A prediction that does not
    /// succeed is a transient failure carrying its error.
    func run(model: String, input: [String: Any]) throws(ProducerError) -> Prediction {
        var p = try create(model: model, input: input)
        if !p.isTerminal {
            do {
                p = try wait(for: p)
            } catch {
                cancel(p)
                throw error
            }
        }
        switch p.status {
        case "succeeded":
            return p
        case "failed":
            // GPU time is billed whether or not the prediction worked.
            if let t = p.predictTime { job.charge(["predict_seconds": t]) }
            throw ProducerError(api.redact("\(api.provider): the prediction failed: \(RemoteAPI.excerpt(p.error ?? "no reason given"))"), transient: true)
        case "aborted":
            throw ProducerError("\(api.provider): the prediction was aborted: it did not start before its deadline", transient: true)
        default:
            throw ProducerError("\(api.provider): the prediction was canceled" + (p.error.map { ": " + RemoteAPI.excerpt($0) } ?? ""), transient: true)
        }
    }

    func create(model: String, input: [String: Any]) throws(ProducerError) -> Prediction {
        let (url, body) = try Self.creation(model: model, input: input, base: base)
        let (r, reply) = try api.postJSON(url, body, timeout: 90, headers: [("Prefer", "wait=60")])
        return try prediction(reply, status: r.status)
    }

    /// Polls until the prediction is terminal.
    func wait(for created: Prediction) throws(ProducerError) -> Prediction {
        var p = created
        let deadline = Date().addingTimeInterval(Self.deadline)
        var interval = 0.5
        var failures = 0
        while !p.isTerminal {
            try job.cancel.pause(interval, clock: job.clock)
            guard Date() < deadline else {
                throw ProducerError("\(api.provider): the prediction did not finish within \(Int(Self.deadline / 60)) minutes", transient: true)
            }
            do {
                p = try poll(p)
                failures = 0
            } catch let e where e.transient && !e.cancelled && failures < Self.pollRetries {
                failures += 1
                job.log("\(api.provider): polling failed (\(e.message)); trying again")
                interval = min(max(interval, e.retryAfter ?? 0), 60)
                continue
            }
            interval = min(interval * 1.5, 5)
        }
        return p
    }

    func poll(_ p: Prediction) throws(ProducerError) -> Prediction {
        guard let url = ownURL(p.getURL, id: p.id, suffix: "") else {
            throw ProducerError("\(api.provider): the prediction has no id and no URL to follow it by", transient: true)
        }
        var req = HTTPRequest(url: url, headers: try api.auth())
        req.timeout = api.timeout(30)
        let r = try api.send(req, newCall: false)
        return try prediction(try api.object(r, req), status: r.status)
    }

    /// Asks Replicate to stop a prediction; failures are ignored.
    func cancel(_ p: Prediction) {
        guard !p.isTerminal, let url = ownURL(p.cancelURL, id: p.id, suffix: "/cancel"), let auth = try? api.auth() else { return }
        api.sendBestEffort(HTTPRequest(method: "POST", url: url, headers: auth))
    }

    /// Fetches an output into `path` (a URL, or the bytes of a `data:` URI) and checks it.
    func fetch(_ output: String, to path: String, expect type: ArtifactType) throws(ProducerError) {
        if output.hasPrefix("data:") {
            guard let data = Self.dataURI(output) else {
                throw ProducerError("\(api.provider) sent an output `data:` URI that is not base64", transient: true)
            }
            _ = try job.writeFile(data, to: path)
            try MediaCheck.verify(path, as: type, from: api.provider.description, cancel: job.cancel)
        } else {
            try api.download(output, to: path, expect: type)
        }
    }

    private func prediction(_ o: [String: Any], status: Int) throws(ProducerError) -> Prediction {
        guard let p = Self.parse(o) else {
            throw ProducerError("\(api.provider): the reply (HTTP \(status)) is not a prediction: it has no status", transient: true)
        }
        return p
    }

    /// `url` when it is on the configured host, else the API's own URL for the prediction.
    private func ownURL(_ url: String?, id: String?, suffix: String) -> String? {
        if let url, Self.sameOrigin(url, base) { return url }
        guard let id, !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return base + "/v1/predictions/" + id + suffix
    }

    // MARK: pure parts

    /// Where to create a prediction of `model`, and the body: the model's endpoint for
    /// `owner/name`, the generic one for a version (`owner/name:<id>` or a bare `<id>`).
    static func creation(model: String, input: [String: Any], base: String) throws(ProducerError) -> (url: String, body: [String: Any]) {
        func isName(_ s: Substring) -> Bool { !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) } }
        if let colon = model.lastIndex(of: ":") {
            let version = model[model.index(after: colon)...]
            guard isName(version) else { throw badModel(model) }
            return (base + "/v1/predictions", ["version": String(version), "input": input])
        }
        let parts = model.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy(isName) else { throw badModel(model) }
        return (base + "/v1/models/\(parts[0])/\(parts[1])/predictions", ["input": input])
    }

    private static func badModel(_ model: String) -> ProducerError {
        ProducerError("'\(model)' is not a Replicate model", help: "write owner/name (replicate/black-forest-labs/flux-schnell), or owner/name:VERSION for a pinned version")
    }

    /// A prediction from its JSON; nil without a status.
    static func parse(_ o: [String: Any]) -> Prediction? {
        guard let status = o["status"] as? String else { return nil }
        let urls = o["urls"] as? [String: Any]
        let metrics = o["metrics"] as? [String: Any]
        var error: String?
        switch o["error"] {
        case let s as String: error = s
        case let d as [String: Any]: error = (d["message"] as? String) ?? (d["detail"] as? String)
        default: break
        }
        return Prediction(id: o["id"] as? String, status: status, outputs: files(o["output"]), error: error,
                          predictTime: RemoteAPI.number(metrics?["predict_time"]),
                          getURL: urls?["get"] as? String, cancelURL: urls?["cancel"] as? String)
    }

    /// The files of an output, in order: a URL string, a list of them (FLUX), an object of them
    /// (by key), nested any way. Strings that are not `http(s)` URLs or `data:` URIs (text a
    /// model printed) are not files.
    static func files(_ output: Any?) -> [String] {
        switch output {
        case let s as String:
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.hasPrefix("https://") || t.hasPrefix("http://") || t.hasPrefix("data:") ? [t] : []
        case let list as [Any]:
            return list.flatMap { files($0) }
        case let object as [String: Any]:
            return object.keys.sorted().flatMap { files(object[$0]) }
        default:
            return []
        }
    }

    /// The bytes of a base64 `data:` URI.
    static func dataURI(_ uri: String) -> Data? {
        guard uri.hasPrefix("data:"), let comma = uri.firstIndex(of: ",") else { return nil }
        let header = uri[uri.index(uri.startIndex, offsetBy: 5)..<comma]
        guard header.split(separator: ";").contains("base64") else { return nil }
        return RemoteAPI.base64(String(uri[uri.index(after: comma)...]))
    }

    /// Whether two URLs have the same scheme, host and port.
    static func sameOrigin(_ a: String, _ b: String) -> Bool {
        guard let x = URLComponents(string: a), let y = URLComponents(string: b), let hx = x.host, let hy = y.host else { return false }
        func port(_ c: URLComponents) -> Int? { c.port ?? (c.scheme == "https" ? 443 : c.scheme == "http" ? 80 : nil) }
        return x.scheme?.lowercased() == y.scheme?.lowercased() && hx.lowercased() == hy.lowercased() && port(x) == port(y)
    }
}
