import Planner
import RecipeParser

/// `local/ffmpeg`, the render kind: a step per segment renders that segment's scene; the step
/// without a segment assembles the video from the scenes.
public struct FFmpegRender: Producer {
    public init() {}

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        job.step.id.index.isEmpty ? try Assembly().run(job) : try SceneRender().run(job)
    }
}
