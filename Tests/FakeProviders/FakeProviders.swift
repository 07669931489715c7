import Foundation

/// A loopback HTTP server that stands in for OpenAI, Replicate, ElevenLabs and Ollama, speaking
/// their real wire APIs (HTTP/1.1 keep-alive, chunked bodies both ways, `Expect: 100-continue`,
/// multipart uploads), with faults that can be injected per route and statistics of what it
/// served. Tests point vidmake at it through `environment`.
///
/// ```swift
/// let fake = try FakeProviders()
/// defer { fake.stop() }
/// fake.inject(.chat, [.status(429, retryAfter: "1"), .refusal])
/// // run vidmake with fake.environment …
/// #expect(fake.stats().requests["chat"] == 3)
/// ```
///
/// Paths: `/openai/v1/…`, `/ollama/v1/…`, `/replicate/…`, `/elevenlabs/…`, and the control
/// endpoints `POST /_fake/inject` (`{"route": "chat", "faults": [<Fault JSON>…]}`),
/// `GET /_fake/stats` (`Stats` as JSON) and `POST /_fake/reset`, which need no key.
public final class FakeProviders: Sendable {
    /// The credentials the fake accepts.
    public struct Keys: Sendable {
        /// Expected as `Authorization: Bearer <key>` on `/openai/v1`.
        public var openai: String
        /// Expected as `Authorization: Bearer <token>` (or `Token <token>`) on `/replicate/v1`.
        public var replicate: String
        /// Expected as `xi-api-key: <key>` on `/elevenlabs`.
        public var elevenlabs: String

        public init(openai: String = "sk-fake-OPENAI-0123456789abcdef",
                    replicate: String = "r8_fake_REPLICATE_0123456789",
                    elevenlabs: String = "fake-ELEVEN-0123456789abcdef") {
            self.openai = openai
            self.replicate = replicate
            self.elevenlabs = elevenlabs
        }
    }

    /// The port the server listens on, on 127.0.0.1.
    public let port: Int
    /// The credentials it accepts.
    public let keys: Keys

    private let dispatcher: Dispatcher

    /// Binds 127.0.0.1:`port` (0: any free port) and starts serving at once.
    public init(keys: Keys = Keys(), port: UInt16 = 0) throws {
        self.keys = keys
        dispatcher = try Dispatcher(keys: keys, port: port)
        self.port = dispatcher.server.port
    }

    deinit { stop() }

    /// `http://127.0.0.1:<port>`.
    public var baseURL: String { dispatcher.baseURL }

    /// The variables that point vidmake at the fake: `OPENAI_API_KEY`, `OPENAI_BASE_URL`
    /// (`…/openai/v1`), `REPLICATE_API_TOKEN`, `REPLICATE_BASE_URL` (`…/replicate`, the client
    /// appends `/v1/…`), `ELEVENLABS_API_KEY`, `ELEVENLABS_BASE_URL` (`…/elevenlabs`, the client
    /// appends `/v1/…`), `OLLAMA_BASE_URL` (`…/ollama/v1`, OpenAI-compatible chat without a key),
    /// and `FAKE_PROVIDERS_URL` (the server's root, for the `/_fake/` control endpoints).
    public var environment: [String: String] {
        [
            "OPENAI_API_KEY": keys.openai,
            "OPENAI_BASE_URL": "\(baseURL)/openai/v1",
            "REPLICATE_API_TOKEN": keys.replicate,
            "REPLICATE_BASE_URL": "\(baseURL)/replicate",
            "ELEVENLABS_API_KEY": keys.elevenlabs,
            "ELEVENLABS_BASE_URL": "\(baseURL)/elevenlabs",
            "OLLAMA_BASE_URL": "\(baseURL)/ollama/v1",
            "FAKE_PROVIDERS_URL": baseURL,
        ]
    }

    /// Appends `faults` to `route`'s queue. Each authorized request on the route (in arrival
    /// order) consumes the next one; a request that finds the queue empty is served normally.
    public func inject(_ route: Route, _ faults: [Fault]) {
        dispatcher.inject(route, faults)
    }

    /// A snapshot of the statistics.
    public func stats() -> Stats {
        dispatcher.snapshot()
    }

    /// Clears the queued faults and the statistics (latencies, run times and predictions stay).
    public func reset() {
        dispatcher.reset()
    }

    /// Closes the listener and every connection, and waits for the server's threads to finish.
    /// Requests being served are abandoned (their clients see the connection close). Idempotent.
    public func stop() {
        dispatcher.server.stop()
    }

    /// Artificial service time per route, in seconds (default 0): every request on the route
    /// waits this long, in flight, before it is answered.
    public var latency: [Route: Double] {
        get { dispatcher.latencies }
        set { dispatcher.latencies = newValue }
    }

    /// Simulated run time of Replicate predictions by model `owner/name`, in seconds; models not
    /// listed run 0.2 s. A prediction is `starting`/`processing` until its run time has passed.
    /// (The `metrics.predict_time` reported is the model's nominal time, not this.)
    public var replicateRunSeconds: [String: Double] {
        get { dispatcher.replicateState.runSeconds }
        set { dispatcher.replicateState.runSeconds = newValue }
    }

    /// Where the arrival times in `stats().starts` come from (default: the real time). A test
    /// that builds with an injected clock stamps arrivals with the same clock, so its windows are exact.
    public var clock: @Sendable () -> Double {
        get { dispatcher.now }
        set { dispatcher.now = newValue }
    }

    /// Threads the server is running (accept and connections); 0 once `stop()` has returned.
    var liveThreads: Int { dispatcher.server.liveThreads }
}
