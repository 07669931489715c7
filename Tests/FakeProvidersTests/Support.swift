import Foundation
import Glibc
import Testing

@testable import FakeProviders

/// What one curl invocation did.
struct CurlResult {
    var exitCode: Int32
    /// The last response's status (`%{http_code}`; 0 when none arrived).
    var status: Int
    /// The last response's headers, names lowercased.
    var headers: [String: String]
    var body: Data
    /// What `-w` wrote (the status code, unless the arguments give another `-w`).
    var stdout: String
    var stderr: String
    var seconds: Double

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
}

enum Curl {
    static let path: String = {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            if FileManager.default.isExecutableFile(atPath: "\(folder)/curl") { return "\(folder)/curl" }
        }
        return "/usr/bin/curl"
    }()

    /// Starts curl with `arguments` (after `-sS` and options capturing headers, body and status).
    static func start(_ arguments: [String], folder: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-sS", "--max-time", "60", "-D", folder.appendingPathComponent("headers").path,
                             "-o", folder.appendingPathComponent("body").path, "-w", "%{http_code}"] + arguments
        for name in ["stdout", "stderr"] {
            try Data().write(to: folder.appendingPathComponent(name))
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: folder.appendingPathComponent("stdout"))
        process.standardError = try FileHandle(forWritingTo: folder.appendingPathComponent("stderr"))
        try process.run()
        return process
    }

    /// Waits for a started curl and collects what it wrote.
    static func finish(_ process: Process, folder: URL, started: Date) -> CurlResult {
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(started)
        func read(_ name: String) -> Data { (try? Data(contentsOf: folder.appendingPathComponent(name))) ?? Data() }
        // -D writes every header block (100 Continue, redirects); the last one is the final response's.
        let headerText = String(decoding: read("headers"), as: UTF8.self)
        var headers: [String: String] = [:]
        if let last = headerText.components(separatedBy: "HTTP/").last {
            for line in last.components(separatedBy: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let stdout = String(decoding: read("stdout"), as: UTF8.self)
        let result = CurlResult(exitCode: process.terminationStatus, status: Int(stdout.suffix(3)) ?? 0, headers: headers,
                                body: read("body"), stdout: stdout, stderr: String(decoding: read("stderr"), as: UTF8.self),
                                seconds: seconds)
        try? FileManager.default.removeItem(at: folder)
        return result
    }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fake-providers-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Runs curl to completion.
    static func run(_ arguments: [String]) throws -> CurlResult {
        let folder = try temporaryFolder()
        let started = Date()
        return finish(try start(arguments, folder: folder), folder: folder, started: started)
    }

    /// Runs several curls at once and waits for them all.
    static func runConcurrently(_ invocations: [[String]]) throws -> [CurlResult] {
        let started = Date()
        let running = try invocations.map { arguments -> (Process, URL) in
            let folder = try temporaryFolder()
            return (try start(arguments, folder: folder), folder)
        }
        return running.map { finish($0.0, folder: $0.1, started: started) }
    }
}

extension FakeProviders {
    func url(_ path: String) -> String { baseURL + path }

    var openaiAuth: [String] { ["-H", "Authorization: Bearer \(keys.openai)"] }
    var replicateAuth: [String] { ["-H", "Authorization: Bearer \(keys.replicate)"] }
    var elevenlabsAuth: [String] { ["-H", "xi-api-key: \(keys.elevenlabs)"] }

    /// POSTs `object` as JSON to `path` with `headers` (curl arguments).
    func post(_ path: String, _ object: Any, _ headers: [String] = [], extra: [String] = []) throws -> CurlResult {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        return try Curl.run(headers + extra + ["-H", "Content-Type: application/json", "--data-binary", body, url(path)])
    }

    func get(_ path: String, _ headers: [String] = [], extra: [String] = []) throws -> CurlResult {
        try Curl.run(headers + extra + [url(path)])
    }

    /// A chat completion request, on OpenAI with its key unless `auth` gives other headers.
    func chat(_ request: [String: Any], prefix: String = "/openai/v1", auth: [String]? = nil, extra: [String] = []) throws -> CurlResult {
        try post("\(prefix)/chat/completions", request, auth ?? (prefix == "/openai/v1" ? openaiAuth : []), extra: extra)
    }
}

/// A structured-output chat request: a title and `minItems` segments.
func scriptRequest(minItems: Int = 4, prompt: String = "Write a short documentary script about lighthouses.") -> [String: Any] {
    let segment: [String: Any] = [
        "type": "object", "additionalProperties": false, "required": ["narration", "image_prompt", "seconds", "mood", "caption", "wide"],
        "properties": [
            "narration": ["type": "string"],
            "image_prompt": ["type": "string"],
            "seconds": ["type": "integer", "minimum": 4, "maximum": 12],
            "mood": ["type": "string", "enum": ["calm", "tense", "hopeful"]],
            "caption": ["type": ["string", "null"]],
            "wide": ["type": "boolean"],
        ],
    ]
    let schema: [String: Any] = [
        "type": "object", "additionalProperties": false, "required": ["title", "segments", "pace"],
        "properties": [
            "title": ["type": "string"],
            "segments": ["type": "array", "minItems": minItems, "items": segment],
            "pace": ["type": "number", "minimum": 0.5, "maximum": 2],
        ],
    ]
    return [
        "model": "gpt-4o-2024-08-06",
        "messages": [["role": "system", "content": "You write documentary scripts."], ["role": "user", "content": prompt]],
        "temperature": 0.7,
        "max_completion_tokens": 4000,
        "response_format": ["type": "json_schema", "json_schema": ["name": "script", "strict": true, "schema": schema]],
    ]
}

/// The `choices[0].message` of a chat reply.
func message(_ result: CurlResult) -> [String: Any]? {
    ((result.json?["choices"] as? [[String: Any]])?.first)?["message"] as? [String: Any]
}

/// The width and height in a PNG's IHDR, nil if the bytes are not a PNG.
func pngSize(_ data: Data) -> (width: Int, height: Int)? {
    let bytes = [UInt8](data.prefix(24))
    guard bytes.count == 24, bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
          bytes[12..<16].elementsEqual("IHDR".utf8) else { return nil }
    func u32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (u32(16), u32(20))
}

/// Little-endian integer fields of a WAV header.
func wavField(_ data: Data, at offset: Int, bytes: Int) -> Int {
    let slice = [UInt8](data.dropFirst(offset).prefix(bytes))
    return slice.reversed().reduce(0) { $0 << 8 | Int($1) }
}

/// Runs ffprobe on `data` and returns its `key=value` lines for the first stream and the format.
func ffprobe(_ data: Data, suffix: String) throws -> [String: String] {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString).\(suffix)")
    try data.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffprobe", "-v", "error", "-show_entries",
                         "stream=codec_name,width,height,pix_fmt,r_frame_rate,sample_rate,channels:format=duration",
                         "-of", "default=noprint_wrappers=1", file.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    var fields: [String: String] = ["exit": String(process.terminationStatus)]
    for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1)
        if parts.count == 2, fields[String(parts[0])] == nil { fields[String(parts[0])] = String(parts[1]) }
    }
    return fields
}

/// Whether ffmpeg decodes every frame of `data` without error.
func ffmpegDecodes(_ data: Data, suffix: String) throws -> Bool {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("decode-\(UUID().uuidString).\(suffix)")
    try data.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffmpeg", "-v", "error", "-xerror", "-nostdin", "-i", file.path, "-f", "null", "-"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus == 0
}

/// A raw TCP connection to the fake, for what curl won't send.
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What one read returns (at least a byte unless the connection closes).
    func readSome() -> String {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }

    /// Everything the server sends until it closes the connection (or 10 s pass).
    func readToEnd() -> String {
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

/// A mono 16-bit WAV of `seconds` of silence at `rate`; with `streamed`, its sizes are 0xFFFFFFFF.
func silentWAV(seconds: Double, rate: Int = 24_000, streamed: Bool = false) -> Data {
    let pcm = Data(count: Int(seconds * Double(rate)) * 2)
    return WAV.header(sampleRate: rate, dataBytes: streamed ? nil : pcm.count) + pcm
}
