import Foundation
import Glibc
import Testing

@testable import FakeProviders

/// HTTP mechanics, statistics, control endpoints, stopping, and the executable.
struct ServerTests {
    let fake: FakeProviders

    init() throws { fake = try FakeProviders() }

    var chatBody: String { jsonText(scriptRequest()) }

    // MARK: HTTP

    @Test func keepAliveServesTwoRequestsOnOneConnection() throws {
        let url = fake.url("/openai/v1/chat/completions")
        let result = try Curl.run(fake.openaiAuth + ["-H", "Content-Type: application/json", "--data-binary", chatBody,
                                                     "-o", "/dev/null", "-w", "%{http_code}:%{num_connects} ", url, url])
        #expect(result.exitCode == 0)
        #expect(result.stdout == "200:1 200:0 ", "the second transfer made no new connection")
        #expect(fake.stats().requests["chat"] == 2)
        #expect(fake.stats().statuses[200] == 2)
    }

    @Test func chunkedRequestBodies() throws {
        let folder = try Curl.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("request.json")
        try Data(chatBody.utf8).write(to: file)
        let result = try Curl.run(fake.openaiAuth + ["-v", "-H", "Transfer-Encoding: chunked", "-H", "Content-Type: application/json",
                                                     "--data-binary", "@\(file.path)", fake.url("/openai/v1/chat/completions")])
        #expect(result.stderr.contains("> Transfer-Encoding: chunked"))
        #expect(result.status == 200)
        let promptCharacters = "You write documentary scripts.".count + "Write a short documentary script about lighthouses.".count
        #expect((result.json?["usage"] as? [String: Any])?["prompt_tokens"] as? Int == (promptCharacters + 3) / 4)
    }

    @Test func brokenRequestsGet400And413() throws {
        let garbage = try RawConnection(port: fake.port)
        garbage.send("HELLO THERE\r\n\r\n")
        #expect(garbage.readToEnd().hasPrefix("HTTP/1.1 400 Bad Request\r\n"))

        let huge = try RawConnection(port: fake.port)
        huge.send("POST /openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
        let reply = huge.readToEnd()
        #expect(reply.hasPrefix("HTTP/1.1 413 "))
        #expect(reply.contains(#""type":"invalid_request_error""#))
        #expect(reply.contains("Connection: close"))

        let badChunk = try RawConnection(port: fake.port)
        badChunk.send("POST /ollama/v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        #expect(badChunk.readToEnd().hasPrefix("HTTP/1.1 400 "))
        #expect(fake.stats().statuses == [413: 1, 400: 1])
    }

    @Test func unknownPathsGet404InTheProvidersShape() throws {
        let openai = try fake.get("/openai/v1/models", fake.openaiAuth)
        #expect(openai.status == 404)
        #expect((openai.json?["error"] as? [String: Any])?["message"] as? String == "Invalid URL (GET /v1/models)")
        let eleven = try fake.get("/elevenlabs/v1/voices", fake.elevenlabsAuth)
        #expect(eleven.status == 404)
        #expect((eleven.json?["detail"] as? [String: Any])?["status"] as? String == "not_found")
        let replicate = try fake.get("/replicate/v1/account", fake.replicateAuth)
        #expect(replicate.json?["title"] as? String == "Not found")
        let nowhere = try fake.get("/somewhere/else")
        #expect(nowhere.status == 404)
        #expect(fake.stats().requests.isEmpty)
    }

    // MARK: Concurrency statistics

    @Test func maxInFlightAndWindowWithConcurrentClients() throws {
        fake.latency = [.chat: 1.0]
        #expect(fake.latency == [.chat: 1.0])
        let invocation = fake.openaiAuth + ["-H", "Content-Type: application/json", "--data-binary", chatBody,
                                            fake.url("/openai/v1/chat/completions")]
        let results = try Curl.runConcurrently(Array(repeating: invocation, count: 4))
        #expect(results.map(\.status) == [200, 200, 200, 200])
        #expect(results.allSatisfy { $0.seconds >= 1.0 })
        var stats = fake.stats()
        #expect(stats.maxInFlight["openai"] == 4)
        #expect(stats.starts["openai"]?.count == 4)
        #expect(stats.maxInWindow("openai", seconds: 1.0) == 4)

        // Spaced out, one at a time.
        fake.reset()
        fake.latency = [:]
        for _ in 0..<3 {
            #expect(try fake.chat(scriptRequest()).status == 200)
            Thread.sleep(forTimeInterval: 0.3)
        }
        stats = fake.stats()
        #expect(stats.maxInFlight["openai"] == 1)
        #expect(stats.maxInWindow("openai", seconds: 0.25) == 1)
        #expect(stats.maxInWindow("openai", seconds: 30) == 3)
    }

    @Test func maxInWindowCountsHalfOpenWindows() {
        var stats = Stats()
        stats.starts["openai"] = [0, 0.1, 0.2, 1.0, 1.05, 1.1, 1.15]
        #expect(stats.maxInWindow("openai", seconds: 0.5) == 4)
        #expect(stats.maxInWindow("openai", seconds: 0.12) == 3)
        #expect(stats.maxInWindow("openai", seconds: 1.2) == 7)
        #expect(stats.maxInWindow("openai", seconds: 0.01) == 1)
        #expect(stats.maxInWindow("openai", seconds: 0) == 0)
        #expect(stats.maxInWindow("replicate", seconds: 10) == 0)
    }

    // MARK: Control endpoints

    @Test func controlEndpointsInjectReadAndReset() throws {
        let inject = try fake.post("/_fake/inject", ["route": "chat", "faults": [["kind": "status", "status": 429, "retryAfter": "7"], "refusal"]])
        #expect(inject.status == 200)
        #expect(inject.json?["queued"] as? Int == 2)
        let limited = try fake.chat(scriptRequest())
        #expect(limited.status == 429)
        #expect(limited.headers["retry-after"] == "7")
        #expect(message(try fake.chat(scriptRequest()))?["refusal"] as? String == "I can't help with that.")

        let stats = try fake.get("/_fake/stats")
        #expect(stats.status == 200)
        let decoded = try JSONDecoder().decode(Stats.self, from: stats.body)
        #expect(decoded.requests == ["chat": 2])
        #expect(decoded.statuses == [429: 1, 200: 1])
        #expect(decoded == fake.stats(), "control requests are not counted")

        let bad = try fake.post("/_fake/inject", ["route": "nowhere", "faults": []])
        #expect(bad.status == 400)
        #expect(try Curl.run(["-X", "POST", fake.url("/_fake/reset")]).status == 200)
        #expect(fake.stats() == Stats())
    }

    // MARK: Stopping

    @Test func stopIsQuickAndLeavesNoThreadsBehind() throws {
        for round in 0..<20 {
            let server = try FakeProviders()
            // A connection idle in keep-alive after one exchange, its thread blocked reading.
            let idle = try RawConnection(port: server.port)
            idle.send("GET /_fake/stats HTTP/1.1\r\nHost: x\r\n\r\n")
            var reply = ""
            while !reply.hasSuffix("}") {
                let more = idle.readSome()
                if more.isEmpty { break }
                reply += more
            }
            #expect(reply.hasPrefix("HTTP/1.1 200 OK"))
            // And one connected but never accepted or never written to.
            let silent = try RawConnection(port: server.port)
            #expect(server.liveThreads >= 2)

            // stop() returning at all is the claim (a thread it waited for would hang it); no clock is read.
            server.stop()
            #expect(server.liveThreads == 0, "round \(round)")
            #expect(idle.readToEnd() == "")
            #expect(silent.readToEnd() == "")
            #expect(throws: (any Error).self) { _ = try RawConnection(port: server.port) }
            server.stop()  // idempotent
        }
    }

    @Test func stopAbandonsRequestsInProgress() throws {
        let server = try FakeProviders()
        server.inject(.chat, [.slow(30)])
        server.replicateRunSeconds = ["meta/musicgen": 30]
        let folder = try Curl.temporaryFolder()
        let waiting = try Curl.temporaryFolder()
        let started = Date()
        let slow = try Curl.start(server.openaiAuth + ["--data-binary", chatBody, server.url("/openai/v1/chat/completions")], folder: folder)
        let blocked = try Curl.start(server.replicateAuth + ["-H", "Prefer: wait", "--data-binary", #"{"input":{}}"#,
                                                             server.url("/replicate/v1/models/meta/musicgen/predictions")], folder: waiting)
        while server.stats().requests.count < 2 && Date().timeIntervalSince(started) < 10 { Thread.sleep(forTimeInterval: 0.02) }
        #expect(server.stats().requests == ["chat": 1, "predictionCreate": 1])

        // Abandoned, not finished: a reply after the 30 s delay would be exit 0 and status 200.
        server.stop()
        #expect(server.liveThreads == 0)
        #expect(Curl.finish(slow, folder: folder, started: started).exitCode == 52)
        #expect(Curl.finish(blocked, folder: waiting, started: started).exitCode == 52)
    }

    @Test func aFixedPortCanBeReusedAfterStop() throws {
        let first = try FakeProviders()
        let port = first.port
        first.stop()
        let second = try FakeProviders(port: UInt16(port))
        defer { second.stop() }
        #expect(second.port == port)
        #expect(try second.chat(scriptRequest(), prefix: "/ollama/v1").status == 200)
    }

    // MARK: The executable

    @Test func executableServesUntilSIGTERM() throws {
        let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [binDirectory, binDirectory.deletingLastPathComponent()].map { $0.appendingPathComponent("fake-providers") }
        let executable = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                                      "fake-providers next to the test binary (\(binDirectory.path))")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--port", "0", "--openai-key", "sk-from-the-command-line"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The environment, then a blank line.
        var printed = Data()
        while !String(decoding: printed, as: UTF8.self).contains("\n\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed += chunk
        }
        var environment: [String: String] = [:]
        for line in String(decoding: printed, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { environment[String(parts[0])] = String(parts[1]) }
        }
        #expect(environment["OPENAI_API_KEY"] == "sk-from-the-command-line")
        let root = try #require(environment["FAKE_PROVIDERS_URL"])
        #expect(environment["OPENAI_BASE_URL"] == "\(root)/openai/v1")

        let inject = try Curl.run(["-H", "Content-Type: application/json", "--data-binary", #"{"route":"chat","faults":[{"kind":"status","status":503}]}"#,
                                   "\(root)/_fake/inject"])
        #expect(inject.status == 200)
        let chat = ["-H", "Authorization: Bearer sk-from-the-command-line", "--data-binary", chatBody, "\(root)/openai/v1/chat/completions"]
        #expect(try Curl.run(chat).status == 503)
        #expect(try Curl.run(chat).status == 200)
        let stats = try JSONDecoder().decode(Stats.self, from: try Curl.run(["\(root)/_fake/stats"]).body)
        #expect(stats.requests["chat"] == 2)
        #expect(stats.statuses == [503: 1, 200: 1])

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }
}
