// fake-providers: runs the fake OpenAI/Replicate/ElevenLabs/Ollama server until SIGTERM or SIGINT.
//
//   fake-providers [--port N] [--openai-key K] [--replicate-token T] [--elevenlabs-key K]
//
// Prints the environment for vidmake as KEY=VALUE lines (then a blank line) on stdout, e.g.
//   eval "$(fake-providers --port 8765 | sed '/^$/q' | sed 's/^/export /')"
// and serves. Faults are injected with POST $FAKE_PROVIDERS_URL/_fake/inject, statistics read
// with GET $FAKE_PROVIDERS_URL/_fake/stats, both cleared with POST $FAKE_PROVIDERS_URL/_fake/reset.

import FakeProviders
import Foundation
import Glibc

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fake-providers: \(message)\n".utf8))
    exit(2)
}

var port: UInt16 = 0
var keys = FakeProviders.Keys()
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    func value() -> String {
        guard let value = arguments.popFirst() else { fail("\(argument) needs a value") }
        return value
    }
    switch argument {
    case "--port":
        guard let parsed = UInt16(value()) else { fail("--port needs a number from 0 to 65535") }
        port = parsed
    case "--openai-key": keys.openai = value()
    case "--replicate-token": keys.replicate = value()
    case "--elevenlabs-key": keys.elevenlabs = value()
    case "-h", "--help":
        print("usage: fake-providers [--port N] [--openai-key K] [--replicate-token T] [--elevenlabs-key K]")
        exit(0)
    default:
        fail("unknown argument \(argument) (try --help)")
    }
}

// Block the signals before the server's threads exist, so they inherit the mask and only
// sigwait below sees them.
var signals = sigset_t()
sigemptyset(&signals)
sigaddset(&signals, SIGTERM)
sigaddset(&signals, SIGINT)
pthread_sigmask(SIG_BLOCK, &signals, nil)

let server: FakeProviders
do {
    server = try FakeProviders(keys: keys, port: port)
} catch {
    fail("\(error)")
}
let lines = server.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
FileHandle.standardOutput.write(Data((lines + "\n").utf8))  // unbuffered: a reading script sees it at once

var received: Int32 = 0
sigwait(&signals, &received)
server.stop()
exit(0)
