/// How the final video is put together; the vidfile's `render:` section over the recipe's.
public struct RenderSettings: Sendable, Hashable, Codable {
    public enum Subtitles: String, Sendable, Hashable, Codable, CaseIterable { case burn, sidecar, off }
    public enum Quality: String, Sendable, Hashable, Codable, CaseIterable { case final, draft }

    public struct Transition: Sendable, Hashable, Codable, CustomStringConvertible {
        /// `cut`, or an xfade transition that ffmpeg 5.1 has.
        public var name: String
        public var duration: TimeSpan
        public static let cut = Transition(name: "cut", duration: TimeSpan(milliseconds: 0))
        public var description: String { name == "cut" ? "cut" : "\(name) \(duration)" }

        /// The xfade transitions of ffmpeg 5.1 (newer ones such as `cover*` are left out on purpose).
        public static let names = [
            "fade", "wipeleft", "wiperight", "wipeup", "wipedown", "slideleft", "slideright", "slideup", "slidedown",
            "circlecrop", "rectcrop", "distance", "fadeblack", "fadewhite", "radial", "smoothleft", "smoothright",
            "smoothup", "smoothdown", "circleopen", "circleclose", "vertopen", "vertclose", "horzopen", "horzclose",
            "dissolve", "pixelize", "diagtl", "diagtr", "diagbl", "diagbr", "hlslice", "hrslice", "vuslice", "vdslice",
            "hblur", "fadegrays", "wipetl", "wipetr", "wipebl", "wipebr", "squeezeh", "squeezev", "zoomin", "fadefast",
            "fadeslow",
        ]
    }

    public struct Music: Sendable, Hashable, Codable, CustomStringConvertible {
        /// Level of the bed relative to full scale, in dB; nil means no music.
        public var gainDB: Double?
        /// Lower the bed under the narration.
        public var duck: Bool
        public static let off = Music(gainDB: nil, duck: false)
        public var description: String {
            guard let g = gainDB else { return "off" }
            return "\(g.formatted0)dB" + (duck ? " duck" : "")
        }
    }

    public var size = FrameSize(width: 1920, height: 1080)
    public var fps = 30
    public var transition = Transition(name: "fade", duration: TimeSpan(milliseconds: 500))
    public var subtitles = Subtitles.sidecar
    public var music = Music(gainDB: -18, duck: true)
    /// Integrated loudness target in LUFS.
    public var loudness = -14.0
    public var quality = Quality.final

    public init() {}
}

extension Double {
    /// `-18`, `-14.5`: no trailing `.0`.
    var formatted0: String { self == rounded() ? String(Int(self)) : String(self) }
}
