import Foundation

/// The shared state behind `FakeProviders` and the request path through it: pick the provider
/// by prefix, account the request, check its key, apply the next injected fault, run the
/// endpoint, record what it reported, write the reply.
final class Dispatcher: HTTPHandler, @unchecked Sendable {
    let server: HTTPServer
    let baseURL: String
    let replicateState: ReplicateState
    private let providers: [(prefix: String, provider: any Provider)]

    /// Guards faults, stats, in-flight counts and latencies.
    private let lock = NSLock()
    private var faults: [Route: [Fault]] = [:]
    private var stats = Stats()
    private var inFlight: [String: Int] = [:]
    private var latency: [Route: Double] = [:]
    /// Where arrival times come from: the real time, or a test's injected clock.
    var now: @Sendable () -> Double = { Date().timeIntervalSince1970 }

    init(keys: FakeProviders.Keys, port: UInt16) throws {
        server = try HTTPServer(port: port)
        baseURL = "http://127.0.0.1:\(server.port)"
        replicateState = ReplicateState()
        providers = [
            ("/openai/v1", OpenAI(family: "openai", key: keys.openai)),
            ("/ollama/v1", OpenAI(family: "ollama", key: nil)),
            ("/replicate", Replicate(token: keys.replicate, baseURL: baseURL, state: replicateState, server: server)),
            ("/elevenlabs", ElevenLabs(key: keys.elevenlabs)),
        ]
        server.start(handler: self)
    }

    // MARK: Control (what the public API and /_fake/ endpoints call)

    func inject(_ route: Route, _ added: [Fault]) {
        lock.withLock { faults[route, default: []] += added }
    }

    func snapshot() -> Stats {
        lock.withLock { stats }
    }

    func reset() {
        lock.withLock {
            faults = [:]
            stats = Stats()
        }
    }

    var latencies: [Route: Double] {
        get { lock.withLock { latency } }
        set { lock.withLock { latency = newValue } }
    }

    // MARK: Serving

    func serve(_ head: RequestHead, on connection: Connection) -> Bool {
        if head.path == "/_fake" || head.path.hasPrefix("/_fake/") { return serveControl(head, on: connection) }
        guard let (prefix, provider) = providers.first(where: { head.path == $0.prefix || head.path.hasPrefix($0.prefix + "/") }) else {
            return serveUnknown(head, on: connection)
        }

        // In flight from the parsed head to the last byte sent (or the connection's loss).
        let family = provider.family
        lock.withLock {
            inFlight[family, default: 0] += 1
            stats.maxInFlight[family] = max(stats.maxInFlight[family] ?? 0, inFlight[family]!)
            stats.starts[family, default: []].append(now())
        }
        defer { lock.withLock { inFlight[family, default: 0] -= 1 } }

        let body: Data
        do {
            body = try connection.readBody(for: head)
        } catch ConnectionError.tooLarge {
            return send(provider.error(status: 413, code: nil, message: "Request body larger than 64 MiB."), keepAlive: false, on: connection)
        } catch ConnectionError.malformed(let why) {
            return send(provider.error(status: 400, code: nil, message: "Malformed request: \(why)."), keepAlive: false, on: connection)
        } catch ConnectionError.unsupportedExpectation {
            return send(provider.error(status: 417, code: nil, message: "Only Expect: 100-continue is supported."), keepAlive: false, on: connection)
        } catch {
            return false
        }
        let request = Request(head: head, body: body)
        let keepAlive = head.wantsKeepAlive

        let path = head.path.dropFirst(prefix.count).split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        guard let endpoint = provider.endpoint(for: request, path: path) else {
            return send(provider.notFound(head), keepAlive: keepAlive, on: connection)
        }
        if let route = endpoint.route { lock.withLock { stats.requests[route.rawValue, default: 0] += 1 } }
        if endpoint.needsAuth, let denial = provider.authorize(head) {
            lock.withLock { stats.unauthorized += 1 }
            return send(denial, keepAlive: keepAlive, on: connection)
        }

        // The fault is taken at arrival, before any wait, so faults go to requests in arrival order.
        var fault: Fault?
        var delay = 0.0
        if let route = endpoint.route {
            lock.withLock {
                if faults[route]?.isEmpty == false { fault = faults[route]!.removeFirst() }
                delay = latency[route] ?? 0
            }
        }
        if delay > 0 && !server.pause(delay) { return false }

        var delivery = Delivery.normal
        switch fault {
        case .slow(let seconds)?:
            guard server.pause(seconds) else { return false }
        case .drop?:
            return false
        case let .status(status, retryAfter, retryAfterMs, code)?:
            var response = provider.error(status: status, code: code, message: nil)
            if let retryAfter { response.headers.add("Retry-After", retryAfter) }
            if let retryAfterMs { response.headers.add("retry-after-ms", String(retryAfterMs)) }
            return send(response, keepAlive: keepAlive, on: connection)
        case .malformedJSON?:
            let response = Response.bytes(200, Data(#"{"choices": ["#.utf8), contentType: "application/json")
            return send(response, keepAlive: keepAlive, on: connection)
        case .stall(let seconds)?:
            delivery = .stall(seconds)
        case .truncate?:
            delivery = .truncate
        default:
            break
        }

        let reply = endpoint.run(request, fault)
        return send(reply.response, usage: reply.usage, delivery: delivery, keepAlive: keepAlive, on: connection)
    }

    /// Records the response (and, if it is a 2xx, its usage) then writes it. Returns whether the
    /// connection may go on. Recording first means a client that has read the reply sees it counted.
    private func send(_ response: Response, usage: Usage? = nil, delivery: Delivery = .normal, keepAlive: Bool,
                      on connection: Connection) -> Bool {
        lock.withLock {
            stats.statuses[response.status, default: 0] += 1
            if (200..<300).contains(response.status), let usage { stats.add(usage) }
        }
        do {
            try connection.write(response, keepAlive: keepAlive, delivery: delivery, pause: server.pause)
            return keepAlive
        } catch {
            return false
        }
    }

    /// Paths outside every provider: 404, uncounted.
    private func serveUnknown(_ head: RequestHead, on connection: Connection) -> Bool {
        guard (try? connection.readBody(for: head)) != nil else { return false }
        let response = Response.json(404, ["error": "no provider at \(head.path); use /openai/v1, /ollama/v1, /replicate, /elevenlabs or /_fake"])
        return (try? connection.write(response, keepAlive: head.wantsKeepAlive, pause: server.pause)) != nil && head.wantsKeepAlive
    }

    /// `POST /_fake/inject`, `GET /_fake/stats`, `POST /_fake/reset`.
    private func serveControl(_ head: RequestHead, on connection: Connection) -> Bool {
        let body: Data
        do { body = try connection.readBody(for: head) } catch { return false }
        let response: Response
        switch (head.method, head.path) {
        case ("POST", "/_fake/inject"):
            struct Injection: Decodable {
                var route: Route
                var faults: [Fault]
            }
            do {
                let injection = try JSONDecoder().decode(Injection.self, from: body)
                inject(injection.route, injection.faults)
                let queued = lock.withLock { faults[injection.route]?.count ?? 0 }
                response = .json(200, ["route": injection.route.rawValue, "queued": queued])
            } catch {
                response = .json(400, ["error": "expected {\"route\": <route>, \"faults\": [<fault>…]}: \(error)"])
            }
        case ("GET", "/_fake/stats"):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            response = .bytes(200, (try? encoder.encode(snapshot())) ?? Data("{}".utf8), contentType: "application/json")
        case ("POST", "/_fake/reset"):
            reset()
            response = .json(200, [String: Any]())
        default:
            response = .json(404, ["error": "control endpoints: POST /_fake/inject, GET /_fake/stats, POST /_fake/reset"])
        }
        return (try? connection.write(response, keepAlive: head.wantsKeepAlive, pause: server.pause)) != nil && head.wantsKeepAlive
    }
}
