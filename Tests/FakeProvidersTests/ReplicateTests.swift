import Foundation
import Testing

@testable import FakeProviders

/// Replicate predictions and their output files, driven with curl.
struct ReplicateTests {
    let fake: FakeProviders

    init() throws { fake = try FakeProviders() }

    func create(_ model: String, _ input: [String: Any], wait: String? = nil) throws -> CurlResult {
        try fake.post("/replicate/v1/models/\(model)/predictions", ["input": input], fake.replicateAuth,
                      extra: wait.map { ["-H", "Prefer: \($0)"] } ?? [])
    }

    /// Polls the prediction's `urls.get` until it ends.
    func poll(_ prediction: [String: Any]) throws -> [String: Any] {
        let get = try #require((prediction["urls"] as? [String: Any])?["get"] as? String)
        for _ in 0..<100 {
            let result = try Curl.run(fake.replicateAuth + [get])
            #expect(result.status == 200)
            let current = try #require(result.json)
            let status = current["status"] as? String ?? ""
            if ["succeeded", "failed", "canceled"].contains(status) { return current }
            #expect(status == "processing")
            Thread.sleep(forTimeInterval: 0.1)
        }
        Issue.record("the prediction never ended")
        return prediction
    }

    @Test func fluxCreatePollRedirectDownload() throws {
        fake.replicateRunSeconds = ["black-forest-labs/flux-schnell": 0.4]
        let created = try create("black-forest-labs/flux-schnell",
                                 ["prompt": "a lighthouse", "aspect_ratio": "16:9", "num_outputs": 2, "output_format": "png"])
        #expect(created.status == 201)
        let prediction = try #require(created.json)
        #expect(prediction["status"] as? String == "starting")
        #expect(prediction["output"] is NSNull)
        #expect(prediction["model"] as? String == "black-forest-labs/flux-schnell")
        #expect((prediction["input"] as? [String: Any])?["prompt"] as? String == "a lighthouse")
        let id = try #require(prediction["id"] as? String)
        let urls = try #require(prediction["urls"] as? [String: Any])
        #expect(urls["get"] as? String == fake.url("/replicate/v1/predictions/\(id)"))
        #expect(urls["cancel"] as? String == fake.url("/replicate/v1/predictions/\(id)/cancel"))
        #expect(urls["stream"] is NSNull)
        #expect(fake.stats().replicatePredictions.isEmpty, "not counted before it succeeds")

        let done = try poll(prediction)
        #expect(done["status"] as? String == "succeeded")
        #expect(done["error"] is NSNull)
        #expect((done["metrics"] as? [String: Any])?["predict_time"] as? Double == 1.0)
        #expect(done["completed_at"] is String)
        let outputs = try #require(done["output"] as? [String])
        #expect(outputs.count == 2)
        #expect(outputs[0] == fake.url("/replicate/files/\(id)/out-0.png"))

        // The file URL redirects; the bytes come without auth from where it points.
        let hop = try Curl.run([outputs[1]])
        #expect(hop.status == 302)
        #expect(hop.headers["location"] == fake.url("/replicate/delivery/\(id)/out-1.png"))
        let download = try Curl.run(["-L", outputs[1]])
        #expect(download.status == 200)
        #expect(download.headers["content-type"] == "image/png")
        let size = try #require(pngSize(download.body))
        #expect(size.width == 1344 && size.height == 768)
        let leaky = try Curl.run(fake.replicateAuth + ["-L", outputs[0]])
        #expect(leaky.status == 403, "files are fetched without the token")

        // Polling again reports it again but counts it once.
        _ = try poll(prediction)
        let stats = fake.stats()
        #expect(stats.replicatePredictions == ["black-forest-labs/flux-schnell": 1])
        #expect(stats.replicatePredictSeconds == ["black-forest-labs/flux-schnell": 1.0])
        #expect(stats.replicateOutputs == ["black-forest-labs/flux-schnell": 2])
        #expect(stats.requests["replicateFile"] == 1, "only the delivery hop is a replicateFile request")
        #expect(stats.statuses[302] == 2)
        #expect(stats.statuses[403] == 1)
    }

    @Test func preferWaitReturnsTheFinishedMusic() throws {
        let result = try create("meta/musicgen", ["prompt": "calm piano", "duration": 3], wait: "wait")
        #expect(result.status == 201)
        let prediction = try #require(result.json)
        #expect(prediction["status"] as? String == "succeeded")
        let url = try #require(prediction["output"] as? String, "musicgen's output is a single URL")
        let download = try Curl.run(["-L", url])
        #expect(download.status == 200)
        let wav = download.body
        #expect(wav.prefix(4) == Data("RIFF".utf8))
        #expect(wavField(wav, at: 24, bytes: 4) == 32_000)
        #expect(wavField(wav, at: 22, bytes: 2) == 1)
        #expect(wavField(wav, at: 40, bytes: 4) == 3 * 32_000 * 2)
        #expect(wav.count == 44 + 3 * 32_000 * 2)
        let stats = fake.stats()
        #expect(stats.replicatePredictions["meta/musicgen"] == 1)
        #expect(stats.replicatePredictSeconds["meta/musicgen"] == 4.5)
        #expect(stats.replicateOutputs["meta/musicgen"] == 1)
    }

    @Test func preferWaitGivesUpAfterItsSeconds() throws {
        fake.replicateRunSeconds = ["meta/musicgen": 5]
        let result = try create("meta/musicgen", ["duration": 2], wait: "wait=1")
        // The run takes 5 s: a server that waited it out would answer "succeeded" with an output.
        #expect(result.json?["status"] as? String == "processing")
        #expect(result.json?["output"] is NSNull)
    }

    @Test func minimaxVideoIsARealMP4() throws {
        let result = try create("minimax/video-01", ["prompt": "waves", "first_frame_image": "https://example.com/frame.png"], wait: "wait=30")
        let prediction = try #require(result.json)
        #expect(prediction["status"] as? String == "succeeded")
        #expect((prediction["metrics"] as? [String: Any])?["predict_time"] as? Double == 30)
        let download = try Curl.run(["-L", try #require(prediction["output"] as? String)])
        #expect(download.status == 200)
        #expect(download.headers["content-type"] == "video/mp4")
        let probe = try ffprobe(download.body, suffix: "mp4")
        #expect(probe["codec_name"] == "h264")
        #expect(probe["width"] == "640" && probe["height"] == "360")
        #expect(probe["pix_fmt"] == "yuv420p")
        #expect(probe["r_frame_rate"] == "25/1")
        #expect(abs((Double(probe["duration"] ?? "") ?? 0) - 6) < 0.1)
    }

    @Test func klingChecksItsStartImageAndDuration() throws {
        let png = Data(PNG.signature + [0, 0, 0, 13]).base64EncodedString()
        let good = try create("kwaivgi/kling-v2.1", ["prompt": "waves", "start_image": "data:image/png;base64,\(png)", "duration": 10], wait: "wait")
        #expect(good.status == 201)
        #expect(good.json?["status"] as? String == "succeeded")

        let text = Data("hello".utf8).base64EncodedString()
        let notImage = try create("kwaivgi/kling-v2.1", ["prompt": "waves", "start_image": "data:image/png;base64,\(text)"])
        #expect(notImage.status == 422)
        #expect(notImage.json?["title"] as? String == "Input validation failed")
        #expect((notImage.json?["detail"] as? String)?.contains("start_image") == true)
        #expect(notImage.json?["status"] as? Int == 422)

        let badDuration = try create("kwaivgi/kling-v1.6-standard", ["prompt": "waves", "duration": 7])
        #expect(badDuration.status == 422)
        let noPrompt = try create("black-forest-labs/flux-dev", ["aspect_ratio": "1:1", "output_format": "png"])
        #expect(noPrompt.status == 422)
        #expect((noPrompt.json?["detail"] as? String)?.contains("prompt is required") == true)
        let webp = try create("black-forest-labs/flux-schnell", ["prompt": "x"])
        #expect(webp.status == 422, "flux defaults to webp, which the fake can't make")
        #expect(fake.stats().replicatePredictions == ["kwaivgi/kling-v2.1": 1])
    }

    @Test func predictionsByVersionAndUnknownModels() throws {
        let byName = try fake.post("/replicate/v1/predictions",
                                   ["version": "meta/musicgen:671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb",
                                    "input": ["duration": 1]], fake.replicateAuth, extra: ["-H", "Prefer: wait"])
        #expect(byName.status == 201)
        #expect(byName.json?["model"] as? String == "meta/musicgen")
        #expect(byName.json?["status"] as? String == "succeeded")

        let hash = ReplicateModel.versionHash(of: "black-forest-labs/flux-schnell")
        let byHash = try fake.post("/replicate/v1/predictions",
                                   ["version": hash, "input": ["prompt": "x", "output_format": "png"]], fake.replicateAuth)
        #expect(byHash.status == 201)
        #expect(byHash.json?["model"] as? String == "black-forest-labs/flux-schnell")
        #expect(byHash.json?["version"] as? String == hash)

        let unknownHash = try fake.post("/replicate/v1/predictions", ["version": String(repeating: "ab", count: 32), "input": [:]],
                                        fake.replicateAuth)
        #expect(unknownHash.status == 422)

        let unknown = try create("acme/nothing", ["prompt": "x"])
        #expect(unknown.status == 404)
        #expect(unknown.json?["title"] as? String == "Not found")
        #expect((unknown.json?["detail"] as? String)?.hasPrefix("The requested model does not exist") == true)

        let noSuchPrediction = try fake.get("/replicate/v1/predictions/doesnotexist", fake.replicateAuth)
        #expect(noSuchPrediction.status == 404)
        let noSuchPath = try fake.get("/replicate/v1/collections", fake.replicateAuth)
        #expect(noSuchPath.status == 404)
        #expect(noSuchPath.json?["status"] as? Int == 404)
    }

    @Test func cancelEndsARunningPrediction() throws {
        fake.replicateRunSeconds = ["minimax/hailuo-02": 30]
        let created = try #require(try create("minimax/hailuo-02", ["prompt": "x"]).json)
        let cancel = try #require((created["urls"] as? [String: Any])?["cancel"] as? String)
        let canceled = try Curl.run(fake.replicateAuth + ["-X", "POST", cancel])
        #expect(canceled.status == 200)
        #expect(canceled.json?["status"] as? String == "canceled")
        #expect(try poll(created)["status"] as? String == "canceled")
        #expect(fake.stats().replicatePredictions.isEmpty)
    }
}
