import Foundation

/// One prediction. Its status is a function of time: `starting` when created, `processing`
/// until its run time has passed, then `succeeded` (or `failed`); `canceled` once canceled.
struct Prediction {
    /// An output file, made when it is downloaded.
    enum Output {
        case image(width: Int, height: Int, hash: UInt64)
        case music(seconds: Int)
        case video(seconds: Int)
    }

    var id: String
    var model: String
    var version: String
    var input: [String: Any]
    var created: Date
    var runSeconds: Double
    var plan: ReplicateModel.Plan
    /// Ends `failed` with "CUDA out of memory" (the `failedPrediction` fault).
    var fails = false
    var canceled: Date?
    /// Whether its success has been counted in the statistics (once, when first reported).
    var counted = false

    var finishes: Date { created.addingTimeInterval(runSeconds) }

    func status(at now: Date) -> String {
        if canceled != nil { return "canceled" }
        if now < finishes { return "processing" }
        return fails ? "failed" : "succeeded"
    }

    /// The prediction object as the API returns it. `fresh` reports a running prediction as
    /// `starting` (the create call's view) rather than `processing`.
    func json(at now: Date, fresh: Bool, baseURL: String) -> [String: Any] {
        let status = status(at: now)
        let done = status == "succeeded" || status == "failed" || status == "canceled"
        let starting = fresh && !done
        let started = created.addingTimeInterval(min(0.05, runSeconds / 2))
        let completed = canceled ?? finishes
        let urls = plan.outputs.map { "\(baseURL)/replicate/files/\(id)/\($0.name)" }

        var output: Any = NSNull()
        if status == "succeeded" { output = plan.outputIsList ? urls : urls[0] }
        var logs = starting ? "" : "Loading model \(model)\n"
        var metrics: [String: Any] = [:]
        if status == "succeeded" {
            logs += "Generated \(urls.count) output\(urls.count == 1 ? "" : "s") in \(plan.predictTime)s\n"
            metrics = ["predict_time": plan.predictTime, "total_time": plan.predictTime + 0.1]
        } else if status == "failed" {
            logs += "Traceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory.\n"
            metrics = ["predict_time": min(1.0, plan.predictTime), "total_time": min(1.0, plan.predictTime) + 0.1]
        }
        return [
            "id": id,
            "model": model,
            "version": version,
            "input": input,
            "output": output,
            "error": status == "failed" ? "CUDA out of memory" : NSNull(),
            "logs": logs,
            "status": starting ? "starting" : status,
            "data_removed": false,
            "source": "api",
            "metrics": metrics,
            "created_at": Self.timestamp(created),
            "started_at": starting ? NSNull() : Self.timestamp(started),
            "completed_at": done ? Self.timestamp(completed) : NSNull(),
            "urls": [
                "get": "\(baseURL)/replicate/v1/predictions/\(id)",
                "cancel": "\(baseURL)/replicate/v1/predictions/\(id)/cancel",
                "stream": NSNull(),
                "web": "https://replicate.com/p/\(id)",
            ] as [String: Any],
        ]
    }

    /// RFC 3339 with fractional seconds, as Replicate writes times.
    private static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// The predictions a server has made, and the simulated run times; thread-safe.
final class ReplicateState: @unchecked Sendable {
    /// How long a prediction runs when its model has no entry in `runSeconds`.
    static let defaultRunSeconds = 0.2

    private let lock = NSLock()
    private var predictions: [String: Prediction] = [:]
    private var runTimes: [String: Double] = [:]

    var runSeconds: [String: Double] {
        get { lock.withLock { runTimes } }
        set { lock.withLock { runTimes = newValue } }
    }

    func runSeconds(for model: String) -> Double {
        lock.withLock { runTimes[model] ?? Self.defaultRunSeconds }
    }

    func insert(_ prediction: Prediction) {
        lock.withLock { predictions[prediction.id] = prediction }
    }

    /// The prediction as a reply with `status`, its success counted if this is the first reply
    /// to report it; nil for an unknown id.
    func report(_ id: String, status: Int, fresh: Bool, baseURL: String) -> Reply? {
        lock.withLock {
            guard var prediction = predictions[id] else { return nil }
            let now = Date()
            var usage = Usage()
            if prediction.status(at: now) == "succeeded" && !prediction.counted {
                prediction.counted = true
                predictions[id] = prediction
                usage.prediction = Usage.Prediction(model: prediction.model, predictSeconds: prediction.plan.predictTime,
                                                    outputs: prediction.plan.outputs.count)
            }
            return Reply(.json(status, prediction.json(at: now, fresh: fresh, baseURL: baseURL)), usage: usage)
        }
    }

    /// The `failedPrediction` fault on a poll: a prediction not yet reported succeeded will fail.
    func failIfRunning(_ id: String) {
        lock.withLock {
            if predictions[id]?.counted == false { predictions[id]?.fails = true }
        }
    }

    /// Cancels a prediction that has not ended.
    func cancel(_ id: String) {
        lock.withLock {
            guard let prediction = predictions[id], prediction.status(at: Date()) == "processing" else { return }
            predictions[id]?.canceled = Date()
        }
    }

    /// An output file of a succeeded prediction.
    func output(id: String, name: String) -> Prediction.Output? {
        lock.withLock {
            guard let prediction = predictions[id], prediction.status(at: Date()) == "succeeded" else { return nil }
            return prediction.plan.outputs.first { $0.name == name }?.output
        }
    }
}
