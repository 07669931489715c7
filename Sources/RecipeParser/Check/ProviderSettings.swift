import Foundation

/// Per-provider latency, price and limits from a providers file, over the shipped defaults:
///
///     vidmake: 1
///     providers:
///       openai/gpt-image-1: { latency: 20s, price: 0.04, concurrency: 4, per_minute: 20 }
///       replicate: { concurrency: 2 }
///
/// A key is a provider family (`openai`) or one model of it (`openai/gpt-image-1`).
public struct ProviderSettings: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var latency: TimeSpan?
        /// US dollars per call.
        public var price: Double?
        public var concurrency: Int?
        public var perMinute: Int?
    }

    public var entries: [String: Entry] = [:]

    public init() {}

    static let keys: [KeySpec] = [
        KeySpec("latency", "Expected time per call, e.g. 20s.", S.duration),
        KeySpec("price", "US dollars per call.", S.number),
        KeySpec("concurrency", "Calls at once.", S.int),
        KeySpec("per_minute", "Calls per minute.", S.int),
    ]

    /// Reads a providers file; nil (with diagnostics) when it is invalid.
    public static func load(path: String, sources: SourceManager, into diags: inout Diagnostics) -> ProviderSettings? {
        guard let (_, root) = YAMLLoader().loadFile(at: ProjectPaths.absolute(path), displayPath: path, sources: sources,
                                                     referencedFrom: nil, into: &diags) else { return nil }
        let before = diags.errorCount
        guard let m = MappingReader(root, "a providers file",
                                    keys: [Keys.version, KeySpec("providers", "Per provider or model: latency, price, concurrency, per_minute.", S.any)],
                                    &diags) else { return nil }
        checkVersion(m, root, &diags)
        var out = ProviderSettings()
        for p in m["providers"].map({ RecipeParser.entries($0, "'providers'", &diags) }) ?? [] {
            let family = String(p.name.prefix { $0 != "/" })
            guard ProviderCatalog.spec(family) != nil else {
                diags.error("unknown provider '\(family)'", at: p.key.span,
                            help: Spelling.didYouMean(family, ProviderCatalog.all.map(\.family)))
                continue
            }
            guard let e = MappingReader(p.value, "provider '\(p.name)'", keys: keys, &diags) else { continue }
            var entry = Entry()
            if let n = e["latency"] { entry.latency = ValueParser.parse(n, as: .duration, "'latency'", &diags)?.duration }
            if let n = e["price"], let v = ValueParser.parse(n, as: .number, "'price'", &diags) {
                if case .number(let d) = v, d >= 0 { entry.price = d } else { diags.error("'price' must be 0 or more", at: n.span) }
            }
            for (key, kp) in [("concurrency", \Entry.concurrency), ("per_minute", \Entry.perMinute)] {
                guard let n = e[key], let v = ValueParser.parse(n, as: .int, "'\(key)'", &diags)?.int else { continue }
                if v >= 1 { entry[keyPath: kp] = v } else { diags.error("'\(key)' must be 1 or more", at: n.span) }
            }
            out.entries[p.name] = entry
        }
        return diags.errorCount == before ? out : nil
    }
}
