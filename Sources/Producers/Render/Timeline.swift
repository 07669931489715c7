import Foundation

/// A word of narration with its time, in seconds.
public struct TimedWord: Codable, Sendable, Hashable {
    public var text: String
    public var start: Double
    public var end: Double

    public init(text: String, start: Double, end: Double) {
        self.text = text
        self.start = start
        self.end = end
    }
}

/// Where every piece of the video sits in time: what the render made, and what the
/// subtitle, OpenTimelineIO and metadata writers describe. Times are in seconds from the
/// start of the video; `frames` values are exact at `fps`.
public struct Timeline: Codable, Sendable, Hashable {
    public struct Scene: Codable, Sendable, Hashable {
        /// 1-based segment number.
        public var index: Int
        /// When the scene starts, overlapping the previous scene by the transition.
        public var start: Double
        /// Its length, including both overlaps.
        public var duration: Double
        /// What is shown: stills (with Ken Burns motion) or one video clip; each names the scene video the render read.
        public var media: [Media]
        /// The narration of this scene, if any.
        public var narration: Narration?

        public init(index: Int, start: Double, duration: Double, media: [Media], narration: Narration?) {
            self.index = index
            self.start = start
            self.duration = duration
            self.media = media
            self.narration = narration
        }
    }

    public struct Media: Codable, Sendable, Hashable {
        public enum Kind: String, Codable, Sendable { case still, clip }
        public var kind: Kind
        /// The artifact (`image[3][2]`) and the file the render read, by its name relative to the
        /// tree the build writes (`segments/03/scene.mp4`, in `out/NAME/` or `build/NAME/`).
        public var artifact: String
        public var path: String
        /// When it is on screen, from the video's start.
        public var start: Double
        public var duration: Double

        public init(kind: Kind, artifact: String, path: String, start: Double, duration: Double) {
            self.kind = kind
            self.artifact = artifact
            self.path = path
            self.start = start
            self.duration = duration
        }
    }

    public struct Narration: Codable, Sendable, Hashable {
        public var artifact: String
        /// The speech, named as `Media.path` is.
        public var path: String
        /// When the voice starts, from the video's start.
        public var start: Double
        public var duration: Double
        public var text: String
        /// Word times from the video's start.
        public var words: [TimedWord]
        /// `tts` when the speech engine reported them, `estimate` when spread by characters.
        public var timing: String

        public init(artifact: String, path: String, start: Double, duration: Double, text: String, words: [TimedWord], timing: String) {
            self.artifact = artifact
            self.path = path
            self.start = start
            self.duration = duration
            self.text = text
            self.words = words
            self.timing = timing
        }
    }

    public struct Music: Codable, Sendable, Hashable {
        public var artifact: String
        /// The bed, named as `Media.path` is.
        public var path: String
        /// Level of the bed in dB, and whether it ducks under the voice.
        public var gainDB: Double
        public var duck: Bool

        public init(artifact: String, path: String, gainDB: Double, duck: Bool) {
            self.artifact = artifact
            self.path = path
            self.gainDB = gainDB
            self.duck = duck
        }
    }

    public var title: String
    public var summary: String
    public var width: Int
    public var height: Int
    public var fps: Int
    /// `fade`, `cut`, … and its length in seconds (0 for a cut).
    public var transition: String
    public var transitionSeconds: Double
    public var duration: Double
    public var scenes: [Scene]
    public var music: Music?

    public init(title: String, summary: String, width: Int, height: Int, fps: Int, transition: String, transitionSeconds: Double,
                duration: Double, scenes: [Scene], music: Music?) {
        self.title = title
        self.summary = summary
        self.width = width
        self.height = height
        self.fps = fps
        self.transition = transition
        self.transitionSeconds = transitionSeconds
        self.duration = duration
        self.scenes = scenes
        self.music = music
    }

    /// Every word of the video in order.
    public var words: [TimedWord] { scenes.flatMap { $0.narration?.words ?? [] } }
}
