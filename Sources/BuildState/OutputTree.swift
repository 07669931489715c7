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
public struct OutputTree: Sendable {
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
        try BlobFiles.write(try encoder.encode(m), to: manifestPath)
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

    /// Files vidmake wrote that are symbolic links now: never followed, so never edits (a link
    /// could lead anywhere on the machine), and never overwritten (they are the person's).
    public func links() -> [String] {
        loadManifest().files.keys.sorted().filter { path in
            var st = stat()
            return lstat(root + "/" + path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
        }
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
    ///
    /// `edits` are the files that stood in for their artifacts in this build. They are left as
    /// they are *and so is what the manifest remembers of them*: the manifest keeps the hash
    /// vidmake wrote, so the file stays an edit on every later build until the person deletes it,
    /// adopts it into the project, or discards it.
    public func materialize(_ graph: BuildGraph, known: [ArtifactRef: String], store: BuildStore, hasher: FileHasher,
                            edits: [Edit] = []) throws -> Report {
        var manifest = loadManifest()
        let inForce = Set(edits.map(\.path))
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
            if inForce.contains(path) { report.kept.append(path); continue }
            if let old = manifest.files[path], FileManager.default.fileExists(atPath: full) {
                let now = hasher.hash(full)
                if now == e.hash { manifest.files[path] = e; continue }
                if now != old.hash { report.kept.append(path); continue }   // a person's edit: theirs
            } else if manifest.files[path] == nil, FileManager.default.fileExists(atPath: full), hasher.hash(full) != e.hash {
                report.kept.append(path)   // a file vidmake never wrote: not ours to replace
                continue
            }
            try BlobFiles.install(blob: store.blobPath(e.hash), at: full)
            hasher.remember(full, hash: e.hash)   // a copy of a verified blob: no need to read it again
            manifest.files[path] = e
            report.written += 1
        }
        // Files of artifacts that are gone (a shorter video, a renamed producer), unless edited.
        for (path, e) in manifest.files where wanted[path] == nil && !inForce.contains(path) {
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
        try BlobFiles.write(data, to: full)
        _ = hasher.hash(full)
        manifest.files[path] = Entry(artifact: manifest.files[path]?.artifact ?? path, hash: hash, view: true)
        report.written += 1
    }

    /// `{"title": …, "summary": …, "segments": [{"narration": …, "image_prompt": [...]}]}`.
    func scriptView(_ refs: [ArtifactRef], known: [ArtifactRef: String], store: BuildStore) -> Data? {
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


// MARK: - Adopting and discarding edits

extension OutputTree {
    /// An edit copied into the project, with the vidfile lines that make it an override.
    public struct Adoption: Sendable {
        /// The files copied, relative to the project folder, in the row's order.
        public var copied: [String]
        /// The segment the override goes under, or nil for `artifacts:`.
        public var segment: Int?
        /// The override line, `narration: { file: "…" }`.
        public var line: String
    }

    /// Copies an edited file into the project (`<name>.edits/<path>` beside the vidfile) and
    /// says which override to add. A file of a row (`image-1.png` of `image[2][…]`) brings the
    /// row's other files along, as they are now, since an override gives the whole row.
    /// An existing file at the destination is never overwritten.
    public func adopt(_ edit: Edit, folder: String, name: String) throws -> Adoption {
        let manifest = loadManifest()
        var paths = [edit.path]
        if edit.artifact.index.count == 2 {
            let row = manifest.files.compactMap { (path, e) -> (ArtifactRef, String)? in
                guard let r = ArtifactRef.parse(e.artifact), r.name == edit.artifact.name, r.index.first == edit.artifact.index.first,
                      r.index.count == 2 else { return nil }
                return (r, path)
            }.sorted { $0.0 < $1.0 }.map(\.1)
            if !row.isEmpty { paths = row }
        }
        var copied: [String] = []
        for path in paths {
            let from = root + "/" + path
            let rel = name + ".edits/" + path
            let to = folder + "/" + rel
            if FileManager.default.fileExists(atPath: to) {
                guard SHA256.hex(fileAt: to) == SHA256.hex(fileAt: from) else {
                    throw StoreError.io("\(rel) exists and differs from \(relativeRoot)/\(path); move it away first (vidmake never writes over a file of yours)")
                }
            } else {
                try FileManager.default.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                do { try FileManager.default.copyItem(atPath: from, toPath: to) } catch {
                    throw StoreError.io("cannot copy \(relativeRoot)/\(path) to \(rel): \(error.localizedDescription)")
                }
            }
            copied.append(rel)
        }
        let files = copied.map { "{ file: " + JSON.quote($0) + " }" }
        let a = edit.artifact
        let line = "\(a.name): " + (a.index.count == 2 ? "[\(files.joined(separator: ", "))]" : files[0])
        return Adoption(copied: copied, segment: a.index.first, line: line)
    }

    /// The vidfile lines for several adoptions: one `artifacts:` and one `segments:` block.
    public static func overrideYAML(_ adoptions: [Adoption]) -> String {
        var out = ""
        let whole = adoptions.filter { $0.segment == nil }
        if !whole.isEmpty { out += "artifacts:\n" + whole.map { "  \($0.line)\n" }.joined() }
        let bySegment = Dictionary(grouping: adoptions.filter { $0.segment != nil }, by: { $0.segment! })
        if !bySegment.isEmpty {
            out += "segments:\n"
            for n in bySegment.keys.sorted() { out += "  \(n):\n" + bySegment[n]!.map { "    \($0.line)\n" }.joined() }
        }
        return out
    }

    /// Drops an edit: the person's file is moved to `discarded/` in the store (never deleted),
    /// and the generated content is put back when the store has it. Returns where the file went.
    public func discard(_ edit: Edit, store: BuildStore, stateRoot: String, hasher: FileHasher) throws -> String {
        let full = root + "/" + edit.path
        let base = stateRoot + "/discarded/" + relativeRoot.replacingOccurrences(of: "/", with: "_") + "/" + edit.path
        var dest = base
        var n = 1
        while FileManager.default.fileExists(atPath: dest) { n += 1; dest = base + ".\(n)" }
        try FileManager.default.createDirectory(atPath: (dest as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard rename(full, dest) == 0 else {
            throw StoreError.io("cannot move \(relativeRoot)/\(edit.path) to \(dest): \(String(cString: strerror(errno)))")
        }
        if let e = loadManifest().files[edit.path], store.hasBlob(e.hash) {
            try BlobFiles.install(blob: store.blobPath(e.hash), at: full)
            _ = hasher.hash(full)
        }
        return dest
    }
}
