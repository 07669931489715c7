import Foundation
import Planner
import RecipeParser

/// `file`: the user's own image, video or audio file (option `path`, relative to the project
/// folder), checked to be what the step makes and copied as its output.
public struct FileProducer: Producer {
    public init() {}

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        guard job.step.outputs.count == 1, let out = job.step.outputs.first else {
            throw ProducerError("the file provider makes one output; \(job.step.id) has \(job.step.outputs.count)")
        }
        guard case .file(let path)? = job.inputs["file"] else {
            throw ProducerError("\(job.step.id): the file provider needs option 'path'", help: "write options: { path: media/intro.mp4 }")
        }
        guard FileManager.default.isReadableFile(atPath: path) else { throw ProducerError("cannot read \(path)") }
        // A file is known by its first bytes, not its name: a text file called .png is not a picture.
        if let why = MediaSniff.mismatch(path, shown: ProjectPaths.display(path), as: out.type) {
            throw ProducerError(why, help: "\(out.type.rawValue) files vidmake reads: \(MediaSniff.formats(for: out.type)?.1 ?? "")")
        }
        let ext = Media.sniffExtension(path) ?? (path as NSString).pathExtension.lowercased()
        if out.type == .audio || out.type == .video {
            let streams = try Media.streams(path, cancel: job.cancel)
            let need = out.type == .audio ? "audio" : "video"
            guard streams.contains(need) else { throw ProducerError("\(path) has no \(need) stream") }
        }
        let dest = job.outputPath(out.artifact, ext: ext.isEmpty ? "bin" : ext)
        do { try FileManager.default.copyItem(atPath: path, toPath: dest) } catch {
            throw ProducerError("cannot copy \(path): \(error.localizedDescription)")
        }
        return Produced(files: [out.artifact: dest])
    }
}
