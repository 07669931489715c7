import FakeProviders
import Planner
import Producers
import Runner
import Foundation
import Testing
import TestSupport

/// Every fault a provider can throw at a build ends in a correct result or a clear error:
/// transient ones are retried (honouring Retry-After), permanent ones fail at once with the
/// provider's message and what to do, fallbacks take over, limits and budgets hold.
@Suite(.serialized)
struct ProviderFaultTests {
    /// A project of the documentary recipe whose script is written by OpenAI and whose
    /// `extra` producers are set as given; everything else is local.
    static func project(_ extra: String = "", duration: String = "20s", imagesPerSegment: Int = 1) throws -> Scratch {
        let src = NSTemporaryDirectory() + "vidmake-provider-src-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: src) }
        let vidfile = """
            vidmake: 1
            include: documentary
            inputs:
              inquiry: Why is the sky blue?
              duration: \(duration)
              images_per_segment: \(imagesPerSegment)
            producers:
              script: { provider: openai/gpt-4o-mini }
            \(extra)
            render:
              quality: draft
              size: 640x360
            """
        try vidfile.write(toFile: src + "/sky.vid.yaml", atomically: true, encoding: .utf8)
        return Scratch(src, vidfile: "sky.vid.yaml")
    }

    /// `vidmake build OPTIONS FILE TARGETS` with the fake server's environment.
    static func build(_ s: Scratch, _ server: FakeProviders, _ options: [String] = [], targets: [String] = [],
                      env: [String: String] = [:]) throws -> Run {
        try s.vidmake(["build"] + options + [s.vidfile] + targets, env: ProviderTests.env(server, env))
    }

    static func total(_ st: Stats) -> Int { st.requests.values.reduce(0, +) }

    // MARK: - transient faults

    static let transient: [(String, Fault)] = [
        ("429 with Retry-After", .status(429, retryAfter: "1")),
        ("429 with retry-after-ms", .status(429, retryAfterMs: 200)),
        ("500", .status(500)),
        ("503", .status(503)),
        ("a dropped connection", .drop),
        ("a truncated body", .truncate),
        ("malformed JSON", .malformedJSON),
        ("a slow reply", .slow(4)),
        ("a stalled body", .stall(4)),
    ]

    @Test(arguments: 0..<transient.count)
    func transientFaultsAreRetried(_ i: Int) throws {
        let (name, fault) = Self.transient[i]
        let server = try FakeProviders()
        defer { server.stop() }
        server.inject(.chat, [fault])
        let s = try Self.project()
        let r = try Self.build(s, server, targets: ["script"], env: ["VIDMAKE_HTTP_TIMEOUT": "2"])
        #expect(r.status == 0, "\(name): \(r.err)")
        #expect(server.stats().requests["chat"] == 2, "\(name)")
        #expect(r.err.contains("retrying in"), "\(name): \(r.err)")
        if case .status(429, "1", _, _) = fault {
            #expect(r.err.contains("retrying in 1.0 s"), "Retry-After: 1 was not honoured: \(r.err)")
        }
        #expect(s.exists("out/sky/segments/01/narration.txt"))
        ProviderTests.expectNoKeys(s, server, [r])
    }

    @Test func aReplyOfTheWrongShapeGetsOneRepairTurn() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        server.inject(.chat, [.wrongCount])
        let s = try Self.project()
        let r = try Self.build(s, server, targets: ["script"])
        #expect(r.status == 0, "\(r.err)")
        #expect(server.stats().requests["chat"] == 2)
        // Both calls were paid for, and both are on the ledger.
        let calls = try ProviderTests.ledger(s).filter { ($0["step"] as? String) == "script" }
        #expect(calls.count == 2)
        #expect(ProviderTests.units(calls, "openai/", "input_tokens") == Double(server.stats().promptTokens))

        // Twice wrong: the step fails with what was wrong, and is not retried blindly.
        let server2 = try FakeProviders()
        defer { server2.stop() }
        server2.inject(.chat, [.wrongCount, .wrongCount])
        let s2 = try Self.project()
        let r2 = try Self.build(s2, server2, targets: ["script"])
        #expect(r2.status == 1)
        #expect(r2.err.contains("replied twice with JSON that does not fit script"), "\(r2.err)")
        #expect(r2.err.contains("segments has 1 items; it must have exactly 2"), "\(r2.err)")
        #expect(server2.stats().requests["chat"] == 2)
    }

    @Test func refusalsAndTruncatedRepliesFailAtOnce() throws {
        for (fault, text) in [(Fault.refusal, "refused to write script: I can't help with that."),
                              (Fault.lengthFinish, "stopped at its token limit before finishing script")] {
            let server = try FakeProviders()
            defer { server.stop() }
            server.inject(.chat, [fault])
            let s = try Self.project()
            let r = try Self.build(s, server, targets: ["script"])
            #expect(r.status == 1)
            #expect(r.err.contains(text), "\(r.err)")
            #expect(server.stats().requests["chat"] == 1)
        }
    }

    @Test func aRefusedKeyFailsAtOnceAndIsNeverShown() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        let s = try Self.project()
        let wrong = "sk-wrong-KEY-that-must-never-be-printed-42"
        let r = try Self.build(s, server, targets: ["script"], env: ["OPENAI_API_KEY": wrong])
        #expect(r.status == 1)
        #expect(r.err.contains("HTTP 401"), "\(r.err)")
        #expect(r.err.contains("Incorrect API key provided: [redacted]"), "\(r.err)")
        #expect(r.err.contains("help: the provider refused OPENAI_API_KEY"), "\(r.err)")
        #expect(!r.err.contains(wrong) && !r.out.contains(wrong))
        #expect(server.stats().requests["chat"] == 1)
        #expect(server.stats().unauthorized == 1)
        ProviderTests.expectNoKeys(s, server, [r])
    }

    @Test func anEmptyQuotaFailsAtOnceWithWhereToPay() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        server.inject(.chat, [.status(429, code: "insufficient_quota")])
        let s = try Self.project()
        let r = try Self.build(s, server, targets: ["script"])
        #expect(r.status == 1)
        #expect(r.err.contains("You exceeded your current quota"), "\(r.err)")
        #expect(r.err.contains("platform.openai.com/settings/organization/billing"), "\(r.err)")
        #expect(server.stats().requests["chat"] == 1)
    }

    @Test func aMissingKeyIsAnErrorBeforeAnythingRuns() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        let s = try Self.project()
        var env = ProviderTests.env(server)
        env["OPENAI_API_KEY"] = ""
        let r = try s.vidmake(["build", s.vidfile], env: env)
        #expect(r.status == 1)
        #expect(r.err.contains("sky.vid.yaml:8:23: error: OPENAI_API_KEY is not set, and 1 step (script) uses openai"), "\(r.err)")
        #expect(r.err.contains("  script: { provider: openai/gpt-4o-mini }"))
        #expect(Self.total(server.stats()) == 0)
        #expect(!s.exists(".vidmake/records"))
        // The same key in a .env beside the vidfile is enough.
        try "# keys\nexport OPENAI_API_KEY=\"\(server.keys.openai)\"\n".write(toFile: s.dir + "/.env", atomically: true, encoding: .utf8)
        let r2 = try s.vidmake(["build", s.vidfile, "script"], env: env)
        #expect(r2.status == 0, "\(r2.err)")
        #expect(server.stats().requests["chat"] == 1)
    }

    // MARK: - media faults and failover

    @Test func badMediaAndFailedPredictionsAreRetried() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        server.inject(.images, [.badMedia])
        server.inject(.predictionCreate, [.failedPrediction])
        let s = try Self.project("""
              image: { provider: openai/gpt-image-1 }
              music: { provider: replicate/meta/musicgen }
            """)
        let r = try Self.build(s, server, targets: ["image", "music"])
        #expect(r.status == 0, "\(r.err)")
        let st = server.stats()
        #expect(st.requests["images"] == 3)               // two stills, one of them twice
        #expect(st.replicatePredictions["meta/musicgen"] == 1)
        #expect(r.err.contains("does not decode") || r.err.contains("not media"), "\(r.err)")
        #expect(r.err.contains("CUDA out of memory"), "\(r.err)")
        ProviderTests.expectNoKeys(s, server, [r])
    }

    @Test func aProviderOutOfCreditFailsOverToTheFallback() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        server.inject(.predictionCreate, [.status(402)])
        let s = try Self.project("""
              image:
                provider: replicate/black-forest-labs/flux-schnell
                fallback: [openai/gpt-image-1, local/card]
            """)
        let r = try Self.build(s, server, targets: ["image"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.contains("trying fallback openai/gpt-image-1"), "\(r.err)")
        let st = server.stats()
        #expect(st.requests["predictionCreate"] == 2)  // one refused, one made a still
        #expect(st.requests["images"] == 1)            // the refused one's fallback
        let made = s.records().count
        #expect(made >= 3)
        // The record says who made it; a second build finds it up to date and pays nothing.
        let path = s.dir + "/.vidmake/records.jsonl"
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("\"madeBy\":\"openai/gpt-image-1\""))
        let again = try Self.build(s, server, targets: ["image"])
        #expect(again.status == 0)
        #expect(server.stats().requests == st.requests)

        // With no fallback, the provider's message and where to pay.
        let server2 = try FakeProviders()
        defer { server2.stop() }
        server2.inject(.predictionCreate, [.status(402)])
        let s2 = try Self.project("  image: { provider: replicate/black-forest-labs/flux-schnell }")
        let r2 = try Self.build(s2, server2, targets: ["image"])
        #expect(r2.status == 1)
        #expect(r2.err.contains("HTTP 402") && r2.err.contains("You have insufficient credit"), "\(r2.err)")
        #expect(r2.err.contains("replicate.com/account/billing"), "\(r2.err)")
        ProviderTests.expectNoKeys(s2, server2, [r2])
    }

    // MARK: - limits and money

    /// 36 image calls through a pool of 2 at once and 30 a minute: the server never sees more.
    /// The build runs in process on an injected clock that the server stamps arrivals with, so
    /// the minute the 31st call waits for passes at once, and the windows are exact.
    @Test func aPoolOfTwoAndThirtyAMinuteHolds() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        let clock = ManualClock(start: 2_000_000)
        server.clock = { clock.now() }
        server.latency[.images] = 0.05
        let s = try Self.project("  image: { provider: openai/gpt-image-1 }", duration: "120s", imagesPerSegment: 3)
        var options = RunOptions()
        options.limits["openai"] = PoolLimit(concurrency: 2, perMinute: 30)
        options.clock = clock
        options.targets = Set((1...12).flatMap { seg in (1...3).map { StepID("image", [seg, $0]) } })
        let report = try InProcess.build(s, environment: ProviderTests.env(server), options: options)
        #expect(report.revision.failed.isEmpty, "\(report.revision.failed)")
        #expect(report.revision.executed.count == 37)
        let st = server.stats()
        #expect(st.requests["images"] == 36)
        #expect((st.maxInFlight["openai"] ?? 0) == 2)
        #expect(st.maxInWindow("openai", seconds: 60) <= 30)
        #expect(st.maxInWindow("openai", seconds: 60) >= 29, "the pool let fewer through than its limit")
        // 37 calls (the script too) at 30 a minute take more than a minute, on the build's clock.
        #expect(clock.now() - 2_000_000 >= 60)
        #expect(clock.now() - 2_000_000 < 62)
    }

    @Test func aBudgetRefusesAnEstimateOverItAndStopsAtActualSpend() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        let s = try Self.project("  image: { provider: openai/gpt-image-1 }", duration: "30s", imagesPerSegment: 2)
        // The estimate (6 images at $0.063) is over $0.10: nothing runs.
        let refused = try Self.build(s, server, ["--budget", "0.10"])
        #expect(refused.status == 1)
        #expect(refused.err.contains("over the budget of $0.10; nothing was run"), "\(refused.err)")
        #expect(Self.total(server.stats()) == 0)

        // Estimated free (a providers file says so) but not free: the build stops once the
        // money actually spent reaches the budget, one call at a time.
        try "vidmake: 1\nproviders:\n  openai: { price: 0 }\n  openai/gpt-image-1: { price: 0 }\n".write(toFile: s.dir + "/providers.yaml", atomically: true, encoding: .utf8)
        let stopped = try Self.build(s, server, ["--budget", "0.10", "--limit", "openai=1"])
        #expect(stopped.status == 1)
        #expect(stopped.err.contains("stopped at the budget"), "\(stopped.err)")
        let st = server.stats()
        #expect(st.images == 2)   // the script, then $0.063, then $0.126 ≥ $0.10: no third
        let spent = ProviderTests.cost(try ProviderTests.ledger(s))
        #expect(spent >= 0.10 && spent < 0.20)

        // The next build resumes: it pays only for the four stills not yet made.
        let rest = try Self.build(s, server, [])
        #expect(rest.status == 0, "\(rest.err)")
        #expect(server.stats().images == 6)
        #expect(server.stats().requests["chat"] == st.requests["chat"])   // the script was kept
    }

    // MARK: - emitted builds

    @Test func ninjaRunsRemoteStepsWithKeysOnlyInTheEnvironment() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        let s = try Self.project("  image: { provider: openai/gpt-image-1 }")
        let emit = try s.vidmake(["emit", "--ninja", s.vidfile], env: ProviderTests.env(server))
        #expect(emit.status == 0, "\(emit.err)")
        var env = ProcessInfo.processInfo.environment
        for (k, v) in ProviderTests.env(server) { env[k] = v }
        env["PATH"] = ((Repo.binary as NSString).deletingLastPathComponent) + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        let (p, out, err) = try Tool.launch("/usr/bin/env", ["ninja", "-C", s.dir], environment: env)
        #expect(p.terminationStatus == 0, "\(out)\n\(err)")
        #expect(server.stats().requests["chat"] == 1)
        #expect(server.stats().requests["images"] == 2)
        let calls = try ProviderTests.ledger(s)
        #expect(!calls.isEmpty && calls.allSatisfy { $0["build"] == nil })
        #expect(ProviderTests.units(calls, "openai/gpt-4o-mini", "output_tokens") == Double(server.stats().completionTokens))
        ProviderTests.expectNoKeys(s, server, [emit, Run(status: 0, signal: nil, out: out, err: err)])
    }

    /// Under ninja each step is its own `produce` process: every call of the pool takes its slot
    /// in the one window file of the store, while the Ninja pool caps concurrency. (That a full
    /// window makes the next opener wait a minute is tested on an injected clock in
    /// BuildStateTests, without waiting a real minute here.)
    @Test func ninjaKeepsThePerMinuteLimitAcrossProcesses() throws {
        let server = try FakeProviders()
        defer { server.stop() }
        let s = try Self.project("  image: { provider: openai/gpt-image-1 }", duration: "30s")
        try "vidmake: 1\nproviders:\n  openai: { concurrency: 4, per_minute: 4 }\n".write(toFile: s.dir + "/providers.yaml", atomically: true, encoding: .utf8)
        let emit = try s.vidmake(["emit", "--ninja", s.vidfile], env: ProviderTests.env(server))
        #expect(emit.status == 0, "\(emit.err)")
        let spec = try String(contentsOfFile: s.dir + "/build/sky/.steps/image-1-1.json", encoding: .utf8)
        #expect(spec.contains("\"perMinute\" : 4"), "\(spec)")
        var env = ProcessInfo.processInfo.environment
        for (k, v) in ProviderTests.env(server) { env[k] = v }
        env["PATH"] = ((Repo.binary as NSString).deletingLastPathComponent) + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        let (p, out, err) = try Tool.launch("/usr/bin/env", ["ninja", "-C", s.dir, "-j", "8"], environment: env)
        #expect(p.terminationStatus == 0, "\(out)\n\(err)")
        let st = server.stats()
        #expect(st.requests["chat"] == 1 && st.requests["images"] == 3)
        // Four calls, each from its own process, all in the store's window for the pool.
        let window = try String(contentsOfFile: s.dir + "/.vidmake/limits/openai", encoding: .utf8)
        #expect(window.split(separator: "\n").compactMap { Double($0) }.count == 4, "\(window)")
        #expect(st.maxInWindow("openai", seconds: 60) <= 4)
    }
}
