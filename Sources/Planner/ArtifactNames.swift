import Foundation
import RecipeParser

/// Names a person can read for the artifacts of a build: `title`, `segments/03/narration`,
/// `segments/03/image-2`, and the final files after the project (`civilwar`). `out/<name>/`
/// (the in-process build) and the tree an emitted Ninja or shell build writes share them.
public enum ArtifactNames {
    /// `civilwar` for `civilwar.vid.yaml`.
    public static func projectName(_ vidfilePath: String) -> String {
        var name = (vidfilePath as NSString).lastPathComponent
        for ext in [".yaml", ".yml"] where name.hasSuffix(ext) { name.removeLast(ext.count) }
        if name.hasSuffix(".vid") { name.removeLast(4) }
        return name.isEmpty ? "video" : name
    }

    /// The readable path (without extension) of every artifact of the graph.
    public static func readable(_ graph: BuildGraph) -> [ArtifactRef: String] {
        let recipe = graph.project.recipe
        var refs: [(ArtifactRef, String?)] = []   // artifact, producer name when it makes only this artifact
        for s in graph.steps {
            let names = Set(s.outputs.map(\.artifact.name))
            for o in s.outputs { refs.append((o.artifact, names.count == 1 ? s.id.producer : nil)) }
        }
        for ref in graph.sources.keys {
            // Named as its producer would name it: after the producer if that makes one artifact, else after the artifact.
            let producer = recipe.outputs[ref.name]?.producer
            refs.append((ref, producer.flatMap { $0.outputs.count == 1 ? $0.name : nil }))
        }
        let projectName = projectName(graph.project.vidfilePath)
        func place(_ ref: ArtifactRef, base: String) -> String {
            let dims = recipe.outputs[ref.name]?.output.dimensions ?? []
            guard let first = ref.index.first else { return base }
            let dim = dims.first ?? "part"
            let folder = "\(dim)s/" + (first < 10 && first >= 0 ? "0\(first)" : "\(first)")
            let rest = ref.index.dropFirst().map(String.init)
            return folder + "/" + ([base] + rest).joined(separator: "-")
        }
        var out: [ArtifactRef: String] = [:]
        var taken: [String: ArtifactRef] = [:]
        for (ref, producer) in refs.sorted(by: { $0.0 < $1.0 }) {
            let kind = recipe.outputs[ref.name]?.producer.kind
            var base = producer ?? ref.name
            // The final files are named after the project; their formats (.mp4, .srt, .vtt, .otio) tell them apart.
            if kind == .render && ref.index.isEmpty, ["video", "subtitles", "captions", "otio"].contains(ref.name) {
                out[ref] = projectName
                continue
            }
            // Two artifacts of one type may not share a name; the artifact's own name tells them apart.
            let type = recipe.outputs[ref.name]?.output.type ?? .text
            var path = place(ref, base: base)
            if let other = taken[path + "." + type.rawValue], other.name != ref.name { path = place(ref, base: ref.name) }
            taken[path + "." + type.rawValue] = ref
            out[ref] = path
        }
        return out
    }

    /// The field of the assembly's description that holds the readable name of every artifact it
    /// reads (`{"audio[3]": "segments/03/narration", …}`, JSON), for the files it writes that name them.
    public static let descriptionKey = "names"

    /// The readable names a step's description holds (see `descriptionKey`), by artifact text.
    public static func described(_ step: Step) -> [String: String] {
        guard let text = step.description[descriptionKey], let data = text.data(using: .utf8),
              let names = try? JSONDecoder().decode([String: String].self, from: data) else { return [:] }
        return names
    }

    /// An extension known before the artifact exists (an emitted build names its files when it is
    /// written): by type, and for the render's sidecars by name (`captions` are WebVTT, `otio` is
    /// OpenTimelineIO). The content decides what a file is; tools that read these files sniff it.
    public static func plannedExtension(_ ref: ArtifactRef, _ type: ArtifactType) -> String {
        switch type {
        case .text: return "txt"
        case .json: return "json"
        case .audio: return "wav"
        case .image: return "png"
        case .video: return "mp4"
        case .subtitles: return ref.name.contains("caption") || ref.name.contains("vtt") ? "vtt" : "srt"
        case .timeline: return ref.name.contains("otio") ? "otio" : "json"
        }
    }
}
