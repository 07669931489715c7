import Foundation

/// A recognized request, ready to run.
struct Endpoint {
    /// The route the request is counted and faulted under; nil for hops that are neither
    /// (Replicate's 302 from `/files/` to `/delivery/`).
    var route: Route?
    /// Whether the provider's key must be presented.
    var needsAuth = true
    /// Makes the reply. The fault is the one this request consumed, for the route-specific kinds
    /// (`wrongCount`, `refusal`, `lengthFinish`, `badMedia`, `failedPrediction`); the generic kinds
    /// are applied by the dispatcher.
    var run: (Request, Fault?) -> Reply
}

/// A response and the usage it reports.
struct Reply {
    var response: Response
    var usage = Usage()

    init(_ response: Response, usage: Usage = Usage()) {
        self.response = response
        self.usage = usage
    }
}

/// One provider's HTTP API, below its URL prefix.
protocol Provider: Sendable {
    /// The statistics family: `"openai"`, `"ollama"`, `"replicate"` or `"elevenlabs"`.
    var family: String { get }
    /// The endpoint `request` addresses; `path` is what follows the provider's prefix, split on
    /// `/` and percent-decoded. Nil for an unknown path.
    func endpoint(for request: Request, path: [String]) -> Endpoint?
    /// Nil when the request presents the right credentials, else the provider's 401.
    func authorize(_ head: RequestHead) -> Response?
    /// An error in the provider's shape, for an injected `.status` fault or a broken request.
    /// `code` is a provider error code where the provider has them.
    func error(status: Int, code: String?, message: String?) -> Response
    /// The provider's reply to an unknown path.
    func notFound(_ head: RequestHead) -> Response
}

/// A random lowercase alphanumeric identifier.
func randomID(_ length: Int, alphabet: String = "abcdefghijklmnopqrstuvwxyz0123456789") -> String {
    let characters = Array(alphabet)
    return String((0..<length).map { _ in characters.randomElement()! })
}

/// The JSON string for `object` (sorted keys, slashes unescaped).
func jsonText(_ object: Any) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
    else { return "null" }
    return String(decoding: data, as: UTF8.self)
}
