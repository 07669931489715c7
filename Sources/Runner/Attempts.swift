import BuildState
import Foundation
import Planner
import Producers
import RecipeParser

/// How a step's producer is tried, the same in process and in `vidmake produce`: a transient
/// failure (429, 5xx, a timeout, a dropped connection, a bad file) is tried again after the wait
/// the provider asked for or an exponential backoff; a provider that fails for good (or runs out
/// of tries) hands the step to its fallbacks, in order. Providers with no key set are passed
/// over. A spent budget or a cancellation ends it at once.
struct Attempts {
    var retries: Int
    var backoff: Double
    /// Where the waits between tries take their time.
    var clock: BuildClock = SystemClock()
    var log: @Sendable (String) -> Void
    /// Called before each retry (a retry is another call: it waits for the pool's per-minute
    /// limit); false gives up, as after an interrupt.
    var admitRetry: () -> Bool = { true }

    struct Outcome<T> {
        var value: T
        var attempts: Int
        var provider: ProviderRef
    }

    /// Runs `attempt` with `job` set up for each provider in turn until one succeeds.
    /// `attempt` is given a fresh, empty work folder each time.
    func run<T>(_ job: Job, attempt: (Job) throws(ProducerError) -> T) throws(ProducerError) -> Outcome<T> {
        let step = job.step
        let providers = [step.provider] + step.fallback
        var failures: [(ProviderRef, ProducerError)] = []
        var attempts = 0
        for (n, provider) in providers.enumerated() {
            var job = job
            job.provider = provider
            if n > 0 {
                guard ProducerRegistry.producer(for: provider, kind: step.kind) != nil else {
                    failures.append((provider, ProducerError("this version of vidmake has no \(provider) \(step.kind.rawValue) producer")))
                    continue
                }
                guard job.environment.hasKey(for: provider.family) else {
                    let v = ProviderCatalog.spec(provider.family)?.keyVariable ?? "its key"
                    log("\(step.id): not trying fallback \(provider): \(v) is not set")
                    failures.append((provider, ProducerError("\(v) is not set")))
                    continue
                }
                log("\(step.id): trying fallback \(provider)")
            }
            var tries = 0
            while true {
                attempts += 1
                tries += 1
                try? FileManager.default.removeItem(atPath: job.workDir)
                do {
                    try FileManager.default.createDirectory(atPath: job.workDir, withIntermediateDirectories: true)
                } catch {
                    throw ProducerError("cannot create \(job.workDir): \(error.localizedDescription)")
                }
                do {
                    return Outcome(value: try attempt(job), attempts: attempts, provider: provider)
                } catch let e {
                    if e.cancelled || job.cancel.isCancelled { throw ProducerError.cancelledError }
                    if e.budgetReached { throw e }
                    if e.transient && tries <= retries {
                        let (delay, message) = StepExecution.retryDelay(e, step: step.id, attempt: tries, of: retries + 1, backoff: backoff)
                        log(message)
                        try job.cancel.pause(delay, clock: clock)
                        if !admitRetry() { throw ProducerError.cancelledError }
                        continue
                    }
                    failures.append((provider, e))
                    if n + 1 < providers.count { log("\(step.id): \(provider) failed: \(e.message)") }
                    break
                }
            }
        }
        // Every provider failed: the step's own error, with what each fallback said.
        guard var error = failures.first?.1 else { throw ProducerError("\(step.id): no provider to run it") }
        if failures.count > 1 {
            error.message += failures.dropFirst().map { "\nfallback \($0.0): \($0.1.message)" }.joined()
            error.help = failures.last?.1.help ?? error.help
        }
        throw error
    }
}
