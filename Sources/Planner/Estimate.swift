import Foundation
import RecipeParser

/// Expected latency, price and limits of one provider (or one model of it).
public struct ProviderProfile: Sendable, Hashable {
    /// Seconds per call.
    public var latency: Double
    /// US dollars per call.
    public var price: Double
    /// Calls at once.
    public var concurrency: Int
    /// Calls per minute; nil for no limit.
    public var perMinute: Int?

    public init(latency: Double, price: Double, concurrency: Int, perMinute: Int? = nil) {
        self.latency = latency
        self.price = price
        self.concurrency = max(1, concurrency)
        self.perMinute = perMinute
    }
}

/// The shipped table of defaults. Prices are list prices per call for a typical call of this kind
/// (a ten-second segment: ~25 words of speech, one 1536x1024 image…); a providers file overrides them.
public struct ProviderTable: Sendable {
    public var entries: [String: ProviderProfile]

    public static let defaults: ProviderTable = {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var e: [String: ProviderProfile] = [:]
        // Local producers share the machine's cores.
        e["local"] = ProviderProfile(latency: 1, price: 0, concurrency: cores)
        e["local/article"] = ProviderProfile(latency: 0.1, price: 0, concurrency: cores)
        e["local/template"] = ProviderProfile(latency: 0.01, price: 0, concurrency: cores)
        e["local/espeak"] = ProviderProfile(latency: 0.5, price: 0, concurrency: cores)
        e["local/card"] = ProviderProfile(latency: 0.5, price: 0, concurrency: cores)
        e["local/tones"] = ProviderProfile(latency: 3, price: 0, concurrency: cores)
        e["local/ffmpeg"] = ProviderProfile(latency: 8, price: 0, concurrency: cores)
        e["file"] = ProviderProfile(latency: 0.05, price: 0, concurrency: cores)
        e["openai"] = ProviderProfile(latency: 8, price: 0.002, concurrency: 4, perMinute: 60)
        e["openai/gpt-4o-mini-tts"] = ProviderProfile(latency: 4, price: 0.003, concurrency: 4, perMinute: 60)
        e["openai/tts-1"] = ProviderProfile(latency: 3, price: 0.0023, concurrency: 4, perMinute: 60)
        e["openai/tts-1-hd"] = ProviderProfile(latency: 4, price: 0.0045, concurrency: 4, perMinute: 60)
        e["openai/gpt-image-1"] = ProviderProfile(latency: 25, price: 0.063, concurrency: 4, perMinute: 20)
        e["openai/dall-e-3"] = ProviderProfile(latency: 15, price: 0.08, concurrency: 4, perMinute: 20)
        e["openai/dall-e-2"] = ProviderProfile(latency: 8, price: 0.02, concurrency: 4, perMinute: 20)
        e["openai/whisper-1"] = ProviderProfile(latency: 3, price: 0.001, concurrency: 4, perMinute: 60)
        e["ollama"] = ProviderProfile(latency: 30, price: 0, concurrency: 1)
        e["replicate"] = ProviderProfile(latency: 5, price: 0.003, concurrency: 4, perMinute: 60)
        e["replicate/minimax/video-01"] = ProviderProfile(latency: 240, price: 0.5, concurrency: 2, perMinute: 10)
        e["replicate/meta/musicgen"] = ProviderProfile(latency: 40, price: 0.06, concurrency: 2, perMinute: 10)
        e["elevenlabs"] = ProviderProfile(latency: 3, price: 0.045, concurrency: 2, perMinute: 60)
        return ProviderTable(entries: e)
    }()

    /// The shipped defaults with a providers file's entries laid over them, field by field.
    public func overlaid(with settings: ProviderSettings) -> ProviderTable {
        var t = self
        // Families first, so a model's own fields win over its family's.
        for key in settings.entries.keys.sorted(by: { ($0.contains("/") ? 1 : 0, $0) < ($1.contains("/") ? 1 : 0, $1) }) {
            let e = settings.entries[key]!
            let family = String(key.prefix { $0 != "/" })
            var p = t.entries[key] ?? t.entries[family] ?? ProviderProfile(latency: 10, price: 0, concurrency: 1)
            if let l = e.latency { p.latency = l.seconds }
            if let c = e.price { p.price = c }
            if let c = e.concurrency { p.concurrency = c }
            if let r = e.perMinute { p.perMinute = r }
            t.entries[key] = p
            // A family's limits are its account's: every model of it shares them.
            if !key.contains("/") {
                for (k, var v) in t.entries where k.hasPrefix(key + "/") {
                    if let c = e.concurrency { v.concurrency = c }
                    if let r = e.perMinute { v.perMinute = r }
                    t.entries[k] = v
                }
            }
        }
        return t
    }

    /// The most specific entry: `family/model`, else `family`.
    public func profile(_ p: ProviderRef) -> ProviderProfile {
        entries[p.description] ?? entries[p.family] ?? ProviderProfile(latency: 10, price: 0, concurrency: 1)
    }

    /// The pool a step waits in: one per provider family (its limits are the account's).
    public static func pool(_ p: ProviderRef) -> String { p.family == "local" ? "local/\(p.model)" : p.family }
}

/// What a build would cost: calls per provider, money, and time on the critical path.
public struct Estimate: Sendable {
    public struct Line: Sendable, Hashable {
        public var provider: String
        public var calls: Int
        public var cost: Double
    }

    public var lines: [Line]
    public var calls: Int { lines.reduce(0) { $0 + $1.calls } }
    public var cost: Double { lines.reduce(0) { $0 + $1.cost } }
    /// Seconds until the last step finishes, running each step as soon as its inputs exist and
    /// its provider's pool has room.
    public var seconds: Double

    public static func of(_ graph: BuildGraph, running: Set<StepID>, table: ProviderTable = .defaults) -> Estimate {
        var byProvider: [String: Line] = [:]
        for s in graph.steps where running.contains(s.id) {
            let p = table.profile(s.provider)
            byProvider[s.provider.description, default: Line(provider: s.provider.description, calls: 0, cost: 0)].calls += 1
            byProvider[s.provider.description]!.cost += p.price
        }
        return Estimate(lines: byProvider.values.sorted { $0.provider < $1.provider }, seconds: simulate(graph, running: running, table: table))
    }

    /// List scheduling: steps start in dependency order when a slot of their pool is free.
    static func simulate(_ graph: BuildGraph, running: Set<StepID>, table: ProviderTable) -> Double {
        var ready: [StepID: Double] = [:]     // earliest start from dependencies
        var finish: [StepID: Double] = [:]
        var slots: [String: [Double]] = [:]   // per pool: when each slot frees
        var minuteWindow: [String: [Double]] = [:]
        var end = 0.0
        for s in graph.steps {
            let deps = graph.dependencies(of: s)
            let start0 = deps.map { finish[$0] ?? 0 }.max() ?? 0
            guard running.contains(s.id) else { finish[s.id] = start0; ready[s.id] = start0; continue }
            let profile = table.profile(s.provider)
            let pool = ProviderTable.pool(s.provider)
            var free = slots[pool] ?? Array(repeating: 0, count: profile.concurrency)
            let k = free.indices.min { free[$0] < free[$1] }!
            var start = max(start0, free[k])
            if let rpm = profile.perMinute {
                var w = minuteWindow[pool] ?? []
                if w.count >= rpm { start = max(start, w[w.count - rpm] + 60) }
                w.append(start)
                minuteWindow[pool] = w
            }
            let done = start + profile.latency
            free[k] = done
            slots[pool] = free
            finish[s.id] = done
            end = max(end, done)
        }
        return end
    }
}
