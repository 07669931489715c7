import Foundation
import Planner
import Producers
import RecipeParser

/// `out/<name>/`: the current artifacts under names a person can read and edit —
/// `title.txt`, `segments/03/narration.txt`, `segments/03/narration.wav`, `segments/03/image-2.png`,
/// `script.json` (a view of a script's fields together), and the final files.
///
/// A manifest in the store remembers the hash of every file vidmake wrote. A file whose content
/// differs from it was edited by a person: the next build uses it in place of the artifact (like
/// an override in the vidfile) and never writes over it. Deleting the file drops the edit; the
/// next build puts the generated content back, from the store, at no cost.
public struct OutputTree {
    /// Absolute path of `out/<name>`.
    public let root: String
    /// `out/<name>` relative to the project folder.
    public let relativeRoot: String
    let manifestPath: String

    struct Entry: Codable, Equatable {
        var artifact: String
        var hash: String
        /// A view (`script.json`): edits to it are reported, never used.
        var view: Bool?
    }

    struct Manifest: Codable {
        var version = 1
        var files: [String: Entry] = [:]
    }

    /// A file a person changed since vidmake wrote it.
    public struct Edit: Sendable, Hashable {
        /// Path relative to the out root.
        public var path: String
        public var artifact: ArtifactRef
        public var isView: Bool
    }

    public init(folder: String, name: String, stateRoot: String, key: String) {
        relativeRoot = "out/" + name
        root = folder + "/" + relativeRoot
        manifestPath = stateRoot + "/out/" + key + ".json"
    }

    /// `civilwar` for `civilwar.vid.yaml`.
    public static func projectName(_ vidfilePath: String) -> String { ArtifactNames.projectName(vidfilePath) }

    func loadManifest() -> Manifest {
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let m = try? JSONDecoder().decode(Manifest.self, from: data) else { return Manifest() }
        return m
    }

    func save(_ m: Manifest) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try FileManager.default.createDirectory(atPath: (manifestPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try atomicWrite(try encoder.encode(m), to: manifestPath)
    }

    /// Files whose content is no longer what vidmake wrote there.
    public func edits(hasher: FileHasher) -> [Edit] {
        var out: [Edit] = []
        for (path, e) in loadManifest().files.sorted(by: { $0.key < $1.key }) {
            let full = root + "/" + path
            guard FileManager.default.fileExists(atPath: full), let h = hasher.hash(full), h != e.hash,
                  let ref = ArtifactRef.parse(e.artifact) else { continue }
            out.append(Edit(path: path, artifact: ref, isView: e.view ?? false))
        }
        return out
    }

    static func fileExtension(_ type: ArtifactType, blob: String) -> String {
        Media.fileExtension(type, file: blob)
    }

    public struct Report: Sendable {
        public var written = 0
        public var kept: [String] = []
        public var removed = 0
        public init() {}
    }

    /// Brings the tree up to date with the artifacts known now: writes what changed (temp file +
    /// rename), leaves edited files alone, removes files of artifacts that no longer exist.
    public func materialize(_ graph: BuildGraph, known: [ArtifactRef: String], store: FileStateStore, hasher: FileHasher) throws -> Report {
        var manifest = loadManifest()
        var report = Report()
        let names = ArtifactNames.readable(graph)
        let recipe = graph.project.recipe
        var wanted: [String: Entry] = [:]
        for (ref, base) in names {
            guard let hash = known[ref], store.hasBlob(hash) else { continue }
            let type = recipe.outputs[ref.name]?.output.type ?? .text
            wanted[base + "." + Self.fileExtension(type, blob: store.blobPath(hash))] = Entry(artifact: ref.description, hash: hash)
        }
        // Views: one JSON per multi-output text step, its fields by name and index.
        for s in graph.steps where Set(s.outputs.map(\.artifact.name)).count > 1 && s.outputs.allSatisfy({ $0.type == .text }) {
            var refs = s.outputs.map(\.artifact)
            refs += graph.sources.keys.filter { graph.producerOf[$0] == nil && recipe.outputs[$0.name]?.producer.name == s.id.producer }
            if let view = scriptView(refs, known: known, store: store) {
                wanted[s.id.producer + ".json"] = Entry(artifact: s.id.description, hash: SHA256.hex(view), view: true)
                try write(view, to: s.id.producer + ".json", manifest: &manifest, report: &report, hasher: hasher)
            }
        }
        for (path, e) in wanted.sorted(by: { $0.key < $1.key }) where e.view != true {
            let full = root + "/" + path
            if let old = manifest.files[path], FileManager.default.fileExists(atPath: full) {
                let now = hasher.hash(full)
                if now == e.hash { manifest.files[path] = e; continue }
                if now != old.hash { report.kept.append(path); continue }   // a person's edit: theirs
            } else if manifest.files[path] == nil, FileManager.default.fileExists(atPath: full), hasher.hash(full) != e.hash {
                report.kept.append(path)   // a file vidmake never wrote: not ours to replace
                continue
            }
            try StepCommit.install(blob: store.blobPath(e.hash), at: full)
            _ = hasher.hash(full)
            manifest.files[path] = e
            report.written += 1
        }
        // Files of artifacts that are gone (a shorter video, a renamed producer), unless edited.
        for (path, e) in manifest.files where wanted[path] == nil {
            let full = root + "/" + path
            if FileManager.default.fileExists(atPath: full), let h = hasher.hash(full), h != e.hash { report.kept.append(path); continue }
            unlink(full)
            manifest.files[path] = nil
            report.removed += 1
            removeEmptyParents(of: full)
        }
        try save(manifest)
        return report
    }

    private func write(_ data: Data, to path: String, manifest: inout Manifest, report: inout Report, hasher: FileHasher) throws {
        let full = root + "/" + path
        let hash = SHA256.hex(data)
        if let old = manifest.files[path], FileManager.default.fileExists(atPath: full) {
            let now = hasher.hash(full)
            if now == hash { return }
            if now != old.hash { report.kept.append(path); return }
        }
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try atomicWrite(data, to: full)
        _ = hasher.hash(full)
        manifest.files[path] = Entry(artifact: manifest.files[path]?.artifact ?? path, hash: hash, view: true)
        report.written += 1
    }

    /// `{"title": …, "summary": …, "segments": [{"narration": …, "image_prompt": [...]}]}`.
    func scriptView(_ refs: [ArtifactRef], known: [ArtifactRef: String], store: FileStateStore) -> Data? {
        var top: [String: JSON] = [:]
        var parts: [Int: [String: JSON]] = [:]
        for ref in refs.sorted() {
            guard let h = known[ref], let data = FileManager.default.contents(atPath: store.blobPath(h)) else { continue }
            let text = JSON.string(String(decoding: data, as: UTF8.self))
            switch ref.index.count {
            case 0: top[ref.name] = text
            case 1: parts[ref.index[0], default: [:]][ref.name] = text
            default:
                if case .array(var a)? = parts[ref.index[0], default: [:]][ref.name] { a.append(text); parts[ref.index[0]]![ref.name] = .array(a) }
                else { parts[ref.index[0], default: [:]][ref.name] = .array([text]) }
            }
        }
        guard !top.isEmpty || !parts.isEmpty else { return nil }
        if !parts.isEmpty { top["segments"] = .array(parts.keys.sorted().map { .object(parts[$0]!) }) }
        return Data((JSON.object(top).serialized(indent: 2) + "\n").utf8)
    }

    /// Removes every file vidmake wrote and did not see edited; returns the edited ones it kept.
    public func clean(hasher: FileHasher) -> (removed: Int, kept: [String]) {
        var manifest = loadManifest()
        var removed = 0
        var kept: [String] = []
        for (path, e) in manifest.files.sorted(by: { $0.key < $1.key }) {
            let full = root + "/" + path
            if FileManager.default.fileExists(atPath: full), let h = hasher.hash(full), h != e.hash { kept.append(path); continue }
            if unlink(full) == 0 { removed += 1 }
            manifest.files[path] = nil
            removeEmptyParents(of: full)
        }
        if manifest.files.isEmpty { unlink(manifestPath) } else { try? save(manifest) }
        return (removed, kept)
    }

    private func removeEmptyParents(of path: String) {
        var dir = (path as NSString).deletingLastPathComponent
        while dir.count > root.count, dir.hasPrefix(root), rmdir(dir) == 0 { dir = (dir as NSString).deletingLastPathComponent }
        if dir == root { rmdir(root) }
    }
}

/// Temp file + rename: a reader sees the old file or the new one, never half of one.
func atomicWrite(_ data: Data, to path: String) throws {
    let tmp = path + ".tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: tmp, contents: data) else { throw StoreError.io("cannot write \(tmp)") }
    guard rename(tmp, path) == 0 else { unlink(tmp); throw StoreError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
}
