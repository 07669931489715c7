import FakeProviders
import Foundation
import HTTP
import Testing

/// The libcurl client against a real server on loopback: what each way a transfer can fail
/// becomes, that a body cut short leaves no file, that cancellation is prompt, that many
/// transfers run at once on the one engine thread.
@Suite(.serialized)
struct HTTPClientTests {
    let server: FakeProviders
    init() throws { server = try FakeProviders() }

    var openai: String { server.environment["OPENAI_BASE_URL"]! }
    var auth: [(name: String, value: String)] { [("Authorization", "Bearer " + server.keys.openai)] }

    func chat() throws -> HTTPRequest {
        try HTTPRequest.json(openai + "/chat/completions", ["model": "gpt-4o-mini", "messages": [["role": "user", "content": "hello"]]],
                             headers: auth)
    }

    func image(size: String = "1024x1024") throws -> HTTPRequest {
        try HTTPRequest.json(openai + "/images/generations", ["model": "gpt-image-1", "prompt": "a red barn", "size": size], headers: auth)
    }

    /// The error a request fails with, or nil (recorded as an issue) if it succeeds.
    func failure(_ req: HTTPRequest, isCancelled: @escaping @Sendable () -> Bool = { false },
                 sourceLocation: SourceLocation = #_sourceLocation) -> HTTPError? {
        do throws(HTTPError) {
            _ = try HTTPClient().send(req, isCancelled: isCancelled)
            Issue.record("the request did not fail", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    func temp() -> String { NSTemporaryDirectory() + "vidmake-http-" + UUID().uuidString }

    @Test func aReplyComesBackWithItsStatusHeadersAndBody() throws {
        let r = try HTTPClient().send(try chat())
        #expect(r.status == 200)
        #expect(r.headers["content-type"]?.hasPrefix("application/json") == true)
        let o = try JSONSerialization.jsonObject(with: r.body) as? [String: Any]
        #expect((o?["object"] as? String) == "chat.completion")
        // An error status is a response, not an error.
        var bad = try chat()
        bad.headers = [("Authorization", "Bearer wrong")]
        #expect(try HTTPClient().send(bad).status == 401)
    }

    @Test func aBodyGoesToAFileWhenAsked() throws {
        var req = try image()
        let file = temp()
        defer { unlink(file) }
        req.responseFile = file
        let r = try HTTPClient().send(req)
        #expect(r.status == 200 && r.body.isEmpty && r.bodyFile == file)
        let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        #expect(Int64(size) == r.bytes && size > 1000)
    }

    @Test func aRefusedConnectionIsTransient() throws {
        // A port nothing listens on: bind one, close it.
        var req = HTTPRequest(url: "http://127.0.0.1:9/none")
        req.connectTimeout = 2
        let error = try #require(failure(req))
        #expect(error.kind == .connect && error.transient, "\(error)")
        #expect(error.message.hasPrefix("GET http://127.0.0.1:9/none: cannot connect"), "\(error)")
    }

    @Test func slowRepliesAndStallsTimeOut() throws {
        server.inject(.chat, [.slow(5)])
        var req = try chat()
        req.timeout = 1
        // The fake replies after 5 s: a client that did not give up would succeed, not time out.
        let slow = try #require(failure(req))
        #expect(slow.kind == .timeout && slow.transient, "\(slow)")

        // curl judges the speed over the last few seconds: a stall shows after those.
        server.inject(.chat, [.stall(20)])
        var stalled = try chat()
        stalled.stallTimeout = 2
        #expect(try #require(failure(stalled)).kind == .timeout)
    }

    @Test func aCutShortBodyFailsAndLeavesNoFile() throws {
        server.inject(.images, [.truncate])
        var req = try image()
        let file = temp()
        req.responseFile = file
        let cut = try #require(failure(req))
        #expect(cut.kind == .dropped && cut.transient, "\(cut)")
        #expect(cut.message.contains("cut short"), "\(cut)")
        #expect(!FileManager.default.fileExists(atPath: file))

        server.inject(.chat, [.drop])
        let dropped = try #require(failure(try chat()))
        #expect(dropped.kind == .dropped, "\(dropped)")
        #expect(dropped.message.contains("closed the connection without replying"), "\(dropped)")
    }

    @Test func aResponseOverTheLimitFails() throws {
        var req = try image(size: "1536x1024")
        req.maxResponseBytes = 10_000
        let file = temp()
        req.responseFile = file
        let big = try #require(failure(req))
        #expect(big.kind == .tooLarge && !big.transient, "\(big)")
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test func cancellingStopsATransferPromptly() throws {
        server.inject(.chat, [.slow(10)])
        let start = Date()
        let cancelled = try #require(failure(try chat(), isCancelled: { Date().timeIntervalSince(start) > 0.3 }))
        // The fake replies after 10 s: a transfer that ignored the cancel would succeed instead.
        #expect(cancelled.kind == .cancelled, "\(cancelled)")
    }

    @Test func redirectsAreFollowedOnlyWhenAskedAndCarryNoCredentials() throws {
        let base = server.environment["REPLICATE_BASE_URL"]!
        var create = try HTTPRequest.json(base + "/v1/models/black-forest-labs/flux-schnell/predictions",
                                          ["input": ["prompt": "a lighthouse", "output_format": "png"]],
                                          headers: [("Authorization", "Bearer " + server.keys.replicate), ("Prefer", "wait")])
        create.timeout = 30
        let made = try HTTPClient().send(create)
        #expect(made.status == 201)
        let prediction = try JSONSerialization.jsonObject(with: made.body) as? [String: Any]
        let url = try #require((prediction?["output"] as? [String])?.first)

        #expect(try HTTPClient().send(HTTPRequest(url: url)).status == 302)
        var follow = HTTPRequest(url: url)
        follow.followRedirects = true
        let r = try HTTPClient().send(follow)
        #expect(r.status == 200)
        #expect(r.body.starts(with: [0x89, 0x50, 0x4E, 0x47]))   // a PNG
    }

    @Test func multipartBodiesCarryFilesAndFields() throws {
        // A one-second WAV of silence.
        let wav = temp() + ".wav"
        defer { unlink(wav) }
        let run = try Process.run(URL(fileURLWithPath: "/usr/bin/env"),
                                  arguments: ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "1", wav])
        run.waitUntilExit()
        let req = HTTPRequest(method: "POST", url: openai + "/audio/transcriptions", headers: auth, body: .multipart([
            MultipartPart(name: "file", .file(path: wav, filename: "speech.wav", type: "audio/wav")),
            MultipartPart(name: "model", .text("whisper-1")),
            MultipartPart(name: "response_format", .text("verbose_json")),
            MultipartPart(name: "timestamp_granularities[]", .text("word")),
            MultipartPart(name: "prompt", .text("one two three")),
        ]))
        let r = try HTTPClient().send(req)
        #expect(r.status == 200, "\(r.text())")
        let o = try JSONSerialization.jsonObject(with: r.body) as? [String: Any]
        #expect(((o?["words"] as? [[String: Any]])?.compactMap { $0["word"] as? String }) == ["one", "two", "three"])
    }

    @Test func manyTransfersRunAtOnce() throws {
        server.latency[.chat] = 0.3
        let request = try chat()
        let statuses = Statuses()
        let group = DispatchGroup()
        // A thread per caller (as the runner's steps are); the transfers share one engine.
        for _ in 0..<16 {
            group.enter()
            Thread.detachNewThread {
                statuses.add((try? HTTPClient().send(request))?.status ?? -1)
                group.leave()
            }
        }
        group.wait()
        #expect(statuses.all.count == 16 && statuses.all.allSatisfy { $0 == 200 })
        // Served side by side, not one after another.
        #expect((server.stats().maxInFlight["openai"] ?? 0) > 4)
    }
}

/// Statuses collected from many threads.
final class Statuses: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int] = []
    func add(_ s: Int) { lock.withLock { list.append(s) } }
    var all: [Int] { lock.withLock { list } }
}
