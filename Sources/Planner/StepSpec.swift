import Foundation
import RecipeParser

/// One step as `vidmake produce` runs it outside the in-process runner: the step itself, the
/// render settings, and where its inputs and outputs live as files. The emitters write one per
/// step beside the Ninja file or shell script; a runner passes its path, so no user text (a
/// narration, a prompt) ever appears on a command line.
///
/// Paths are relative to the directory the runner runs in (`emit -C DIR`) unless absolute.
/// Encoded with sorted keys, the same step gives the same bytes, so an emitter can rewrite a spec
/// only when it changed and a runner's mtime logic reruns exactly the steps whose definition did.
public struct StepSpec: Codable, Sendable, Hashable {
    /// Bumped when the format changes; `vidmake produce` refuses a spec of another format.
    public static let currentFormat = 1

    public var format: Int
    public var step: Step
    public var render: RenderSettings
    /// The project folder: a step's `file` inputs and options' paths are relative to it.
    public var folder: String
    /// The state store the step's records and blobs go to (shared with `vidmake build`).
    public var state: String
    /// The vidfile's name inside the store (`civilwar.vid.yaml`).
    public var key: String
    /// Every artifact the step reads, by `ArtifactRef` text (`narration[3]`).
    public var inputs: [String: InputFile]
    /// Every artifact the step makes, by `ArtifactRef` text, and the file a runner sees it at.
    public var outputs: [String: String]
    /// The step's pool and its calls per minute, when it has such a limit: the runner caps
    /// concurrency (a Ninja pool), and `produce` processes share the minute through the store.
    public var pool: String?
    public var perMinute: Int?

    public struct InputFile: Codable, Sendable, Hashable {
        public var path: String
        public var type: ArtifactType
        /// The step that makes it (its record carries side data such as word timings); nil for
        /// what the vidfile supplies.
        public var producer: StepID?

        public init(path: String, type: ArtifactType, producer: StepID?) {
            self.path = path
            self.type = type
            self.producer = producer
        }
    }

    public init(step: Step, render: RenderSettings, folder: String, state: String, key: String,
                inputs: [String: InputFile], outputs: [String: String], pool: String? = nil, perMinute: Int? = nil) {
        self.pool = pool
        self.perMinute = perMinute
        self.format = Self.currentFormat
        self.step = step
        self.render = render
        self.folder = folder
        self.state = state
        self.key = key
        self.inputs = inputs
        self.outputs = outputs
    }

    /// Canonical JSON: sorted keys, unescaped slashes, a final newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    public enum ReadError: Error, CustomStringConvertible {
        case unreadable(String, String)
        case malformed(String, String)
        case format(String, Int)

        public var description: String {
            switch self {
            case .unreadable(let p, let why): return "\(p): cannot read the step spec: \(why)"
            case .malformed(let p, let why): return "\(p): not a vidmake step spec (\(why)); regenerate it with vidmake emit"
            case .format(let p, let f): return "\(p): a step spec of format \(f), and this vidmake reads format \(StepSpec.currentFormat); regenerate it with this vidmake's emit"
            }
        }
    }

    /// Reads a spec; at most 16 MiB (a spec is a few kilobytes).
    public static func read(_ path: String) throws(ReadError) -> StepSpec {
        guard let h = FileHandle(forReadingAtPath: path) else { throw .unreadable(path, String(cString: strerror(errno))) }
        defer { try? h.close() }
        let data: Data
        do { data = try h.read(upToCount: 16 << 20) ?? Data() } catch { throw .unreadable(path, error.localizedDescription) }
        struct Head: Decodable { var format: Int? }
        guard let head = try? JSONDecoder().decode(Head.self, from: data) else { throw .malformed(path, "not JSON") }
        guard head.format == currentFormat else { throw .format(path, head.format ?? 0) }
        do { return try JSONDecoder().decode(StepSpec.self, from: data) } catch {
            throw .malformed(path, "\(error)".prefix(200).description)
        }
    }
}
