import Foundation

/// The Replicate API below `/replicate`: predictions created by model or by version, polled,
/// waited for with `Prefer: wait`, canceled; and output files, whose URLs answer `302` to a
/// `/replicate/delivery/` URL that serves the bytes without auth, as Replicate's CDN does.
struct Replicate: Provider {
    let family = "replicate"
    let token: String
    let baseURL: String
    let state: ReplicateState
    let server: HTTPServer

    func endpoint(for request: Request, path: [String]) -> Endpoint? {
        switch (request.method, path) {
        case ("POST", let p) where p.count == 5 && p[0] == "v1" && p[1] == "models" && p[4] == "predictions":
            return Endpoint(route: .predictionCreate) { create($0, model: "\(p[2])/\(p[3])", fault: $1) }
        case ("POST", ["v1", "predictions"]):
            return Endpoint(route: .predictionCreate) { create($0, model: nil, fault: $1) }
        case ("GET", let p) where p.count == 3 && p[0] == "v1" && p[1] == "predictions":
            return Endpoint(route: .predictionGet) { get(id: p[2], fault: $1) }
        case ("POST", let p) where p.count == 4 && p[0] == "v1" && p[1] == "predictions" && p[3] == "cancel":
            return Endpoint(route: .predictionGet) { _, _ in cancel(id: p[2]) }
        case ("GET", let p) where p.count == 3 && p[0] == "files":
            return Endpoint(route: nil, needsAuth: false) { request, _ in redirect(request, id: p[1], name: p[2]) }
        case ("GET", let p) where p.count == 3 && p[0] == "delivery":
            return Endpoint(route: .replicateFile, needsAuth: false) { download($0, id: p[1], name: p[2], fault: $1) }
        default:
            return nil
        }
    }

    // MARK: Errors

    /// Replicate's problem shape: `{"title", "detail", "status"}`.
    static func problem(_ status: Int, _ title: String, _ detail: String, extra: [String: Any] = [:]) -> Response {
        .json(status, extra.merging(["title": title, "detail": detail, "status": status]) { _, new in new })
    }

    /// A 422 for one invalid input field, with `invalid_fields` as Replicate lists them.
    static func invalidInput(_ field: String, _ description: String, type: String = "invalid") -> Reply {
        Reply(problem(422, "Input validation failed", "- \(field): \(description)",
                      extra: ["invalid_fields": [["type": type, "field": field, "description": description]]]))
    }

    func error(status: Int, code: String?, message: String?) -> Response {
        let (title, detail): (String, String) = switch status {
        case 402: ("Insufficient credit",
                   "You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit.")
        case 404: ("Not found", "Not found.")
        case 422: ("Input validation failed", "Invalid input.")
        case 429: ("Request was throttled", "Request was throttled. Expected available in 1 second.")
        case 500: ("Internal Server Error", "Something went wrong on our end.")
        default: (Response.reason(status), Response.reason(status))
        }
        return Self.problem(status, title, message ?? detail)
    }

    func notFound(_ head: RequestHead) -> Response {
        Self.problem(404, "Not found", "Not found.")
    }

    /// `Authorization: Bearer <token>` (or the older `Token <token>`).
    func authorize(_ head: RequestHead) -> Response? {
        let header = head.headers["Authorization"] ?? ""
        let scheme = header.prefix { $0 != " " }.lowercased()
        let presented = (scheme == "bearer" || scheme == "token") ? header.drop { $0 != " " }.trimmingCharacters(in: .whitespaces) : ""
        if presented == token { return nil }
        return Self.problem(401, "Unauthenticated",
                            presented.isEmpty ? "You did not pass an authentication token" : "You did not pass a valid authentication token")
    }

    // MARK: Predictions

    private func create(_ request: Request, model: String?, fault: Fault?) -> Reply {
        guard let body = request.jsonObject else {
            return Reply(Self.problem(400, "Invalid JSON", "The request body is not a JSON object."))
        }
        var modelName: String
        if let model {
            modelName = model
        } else {
            guard let version = body["version"] as? String, !version.isEmpty else {
                return Self.invalidInput("version", "version is required", type: "required")
            }
            if version.contains("/") {
                modelName = String(version.prefix { $0 != ":" })  // owner/name or owner/name:hash
            } else if let known = ReplicateModel.catalog.first(where: { ReplicateModel.versionHash(of: $0) == version }) {
                modelName = known
            } else {
                return Reply(Self.problem(422, "Invalid version",
                                          "The specified version does not exist (or perhaps you don't have permission to use it?)"))
            }
        }
        guard let kind = ReplicateModel(modelName) else {
            return Reply(Self.problem(404, "Not found",
                                      "The requested model does not exist, or you do not have permission to access it: \(modelName)."))
        }
        guard let input = body["input"] as? [String: Any] else { return Self.invalidInput("input", "input is required", type: "required") }
        let plan: ReplicateModel.Plan
        switch kind.plan(for: input) {
        case .success(let planned): plan = planned
        case .failure(let invalid): return Self.invalidInput(invalid.field, invalid.description, type: invalid.type)
        }

        let now = Date()
        var prediction = Prediction(
            id: randomID(26, alphabet: "abcdefghijklmnopqrstuvwxyz234567"), model: modelName,
            version: ReplicateModel.versionHash(of: modelName), input: input, created: now,
            runSeconds: state.runSeconds(for: modelName), plan: plan)
        prediction.fails = fault == .failedPrediction
        state.insert(prediction)

        // Prefer: wait[=N] holds the request until the prediction ends, for at most N seconds (60 by
        // default); a prediction still running then is `processing`. Without it, it is `starting`.
        let wait = Self.preferredWait(request.headers["Prefer"])
        if let wait {
            let remaining = prediction.finishes.timeIntervalSinceNow
            if remaining > 0 { _ = server.pause(min(remaining, wait)) }
        }
        return state.report(prediction.id, status: 201, fresh: wait == nil, baseURL: baseURL) ?? Reply(notFound(request.head))
    }

    private func get(id: String, fault: Fault?) -> Reply {
        if fault == .failedPrediction { state.failIfRunning(id) }
        return state.report(id, status: 200, fresh: false, baseURL: baseURL) ?? Reply(Self.problem(404, "Not found", "Not found."))
    }

    private func cancel(id: String) -> Reply {
        state.cancel(id)
        return state.report(id, status: 200, fresh: false, baseURL: baseURL) ?? Reply(Self.problem(404, "Not found", "Not found."))
    }

    /// `wait` → 60 s, `wait=N` → N (1…60); nil without a wait preference.
    static func preferredWait(_ header: String?) -> Double? {
        for token in (header ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            if token == "wait" { return 60 }
            if token.hasPrefix("wait="), let seconds = Double(token.dropFirst(5)) { return min(60, max(1, seconds)) }
        }
        return nil
    }

    // MARK: Files

    /// Output files are public and, for real, served by another host (replicate.delivery): a client
    /// that sends its token there leaks it, so the fake refuses such requests.
    private static func leaksToken(_ request: Request) -> Reply? {
        guard request.headers["Authorization"] != nil else { return nil }
        return Reply(problem(403, "Forbidden", "Output files are fetched without credentials; this request sent an Authorization "
            + "header, which would leak the API token to the file host."))
    }

    /// `/files/<id>/<name>`: 302 to where the bytes are.
    private func redirect(_ request: Request, id: String, name: String) -> Reply {
        if let refusal = Self.leaksToken(request) { return refusal }
        guard state.output(id: id, name: name) != nil else { return Reply(Self.problem(404, "Not found", "No such file.")) }
        var response = Response(status: 302)
        response.headers.add("Location", "\(baseURL)/replicate/delivery/\(id)/\(name)")
        return Reply(response)
    }

    /// `/delivery/<id>/<name>`: the bytes.
    private func download(_ request: Request, id: String, name: String, fault: Fault?) -> Reply {
        if let refusal = Self.leaksToken(request) { return refusal }
        guard let output = state.output(id: id, name: name) else { return Reply(Self.problem(404, "Not found", "No such file.")) }
        let contentType: String
        var bytes: Data
        switch output {
        case let .image(width, height, hash):
            contentType = "image/png"
            bytes = MediaStore.shared.png(width: width, height: height, hash: hash)
        case .music(let seconds):
            contentType = "audio/wav"
            // A soft A minor chord at 32 kHz.
            bytes = WAV.file(sampleRate: 32_000, pcm: WAV.tone(seconds: Double(seconds), sampleRate: 32_000,
                                                               frequencies: [220, 261.63, 329.63], amplitude: 0.3))
        case .video(let seconds):
            contentType = "video/mp4"
            do {
                bytes = try MediaStore.shared.mp4(seconds: seconds)
            } catch {
                return Reply(Self.problem(500, "Internal Server Error", "The fake could not make the video: \(error)"))
            }
        }
        if fault == .badMedia { bytes = garbageMedia() }
        return Reply(.bytes(200, bytes, contentType: contentType))
    }
}
