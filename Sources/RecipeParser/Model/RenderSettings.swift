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

    /// How burned-in subtitles look (`subtitle_style:`). Sizes are in pixels of `size`; unset ones
    /// follow the frame, so that one style suits every size and a draft looks like the final.
    public struct SubtitleStyle: Sendable, Hashable, Codable, CustomStringConvertible {
        public enum Position: String, Sendable, Hashable, Codable, CaseIterable { case bottom, middle, top }

        /// A colour as written, `#RRGGBB` or `#RRGGBBAA`; `opacity` 255 is opaque.
        public struct Colour: Sendable, Hashable, Codable, CustomStringConvertible {
            public var red: UInt8
            public var green: UInt8
            public var blue: UInt8
            public var opacity: UInt8

            public init(red: UInt8, green: UInt8, blue: UInt8, opacity: UInt8 = 255) {
                self.red = red
                self.green = green
                self.blue = blue
                self.opacity = opacity
            }

            public static let white = Colour(red: 255, green: 255, blue: 255)
            public static let yellow = Colour(red: 255, green: 255, blue: 0)

            /// `#RRGGBB`, or `#RRGGBBAA` when not opaque; upper-case hexadecimal.
            public var description: String {
                "#" + (opacity == 255 ? [red, green, blue] : [red, green, blue, opacity]).map { byte in
                    let hex = String(byte, radix: 16, uppercase: true)
                    return byte < 16 ? "0" + hex : hex
                }.joined()
            }

            /// Reads `#RRGGBB` or `#RRGGBBAA` (either case); nil for anything else.
            public static func parse(_ s: String) -> Colour? {
                guard s.hasPrefix("#"), s.count == 7 || s.count == 9 else { return nil }
                var bytes: [UInt8] = []
                var digits = Substring(s.dropFirst())
                while !digits.isEmpty {
                    guard let b = UInt8(digits.prefix(2), radix: 16) else { return nil }
                    bytes.append(b)
                    digits = digits.dropFirst(2)
                }
                return Colour(red: bytes[0], green: bytes[1], blue: bytes[2], opacity: bytes.count == 4 ? bytes[3] : 255)
            }
        }

        /// A font family, as fontconfig knows it (`fc-list : family`).
        public var font = "DejaVu Sans"
        /// Font size in pixels; nil to fit about `maxLine` characters across the frame.
        public var size: Int?
        public var colour = Colour.white
        /// With karaoke, the colour a word turns to as it is spoken.
        public var highlight = Colour.yellow
        /// Outline thickness in pixels; nil for a twentieth of the font size.
        public var outline: Double?
        public var position = Position.bottom
        /// The longest line, in characters; longer text wraps or goes to the next subtitle.
        public var maxLine = 42

        public init() {}

        /// Every field, for plans and fingerprints: `font=DejaVu Sans size=auto colour=#FFFFFF …`.
        public var description: String {
            ["font=\(font)", "size=\(size.map(String.init) ?? "auto")", "colour=\(colour)", "highlight=\(highlight)",
             "outline=\(outline.map(\.formatted0) ?? "auto")", "position=\(position.rawValue)", "max_line=\(maxLine)"]
                .joined(separator: " ")
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
    public var subtitleStyle = SubtitleStyle()
    /// Burned subtitles highlight each word as it is spoken.
    public var karaoke = false

    public init() {}

    /// The settings a render step's result depends on, for its fingerprint: a segment's scene
    /// (`scene: true`) on the picture's, and on the subtitles' look only when they are burned
    /// into it; the assembly on the rest (the music, the loudness, and the line length that
    /// shapes the sidecar subtitles). So a new music level re-mixes without re-rendering scenes,
    /// and a new font re-renders nothing unless the subtitles are burned.
    public func fingerprintFields(scene: Bool) -> [String: JSON] {
        var fields: [String: JSON] = [
            "size": .string(size.description), "fps": .int(fps), "transition": .string(transition.description),
            "subtitles": .string(subtitles.rawValue), "quality": .string(quality.rawValue),
        ]
        if scene {
            if subtitles == .burn {
                fields["subtitle_style"] = .string(subtitleStyle.description)
                fields["karaoke"] = .bool(karaoke)
            }
        } else {
            fields["music"] = .string(music.description)
            fields["loudness"] = .number(loudness)
            fields["subtitle_style"] = .string("max_line=\(subtitleStyle.maxLine)")
        }
        return fields
    }
}

extension Double {
    /// `-18`, `-14.5`: no trailing `.0`.
    var formatted0: String { self == rounded() ? String(Int(self)) : String(self) }
}
