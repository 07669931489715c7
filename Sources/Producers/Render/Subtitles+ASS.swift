import RecipeParser

/// How burned-in subtitles look: the one `Style:` line of the ASS file that `Subtitles.ass` writes.
/// Sizes are in pixels of the video, since the file's PlayResX/PlayResY are the video's size.
public struct SubtitleStyle: Sendable, Hashable {
    /// A colour as ASS writes it, `&HAABBGGRR`.
    public struct Colour: Sendable, Hashable {
        public var red: UInt8
        public var green: UInt8
        public var blue: UInt8
        /// 0 is opaque and 255 invisible, as ASS counts alpha.
        public var transparency: UInt8

        public init(red: UInt8, green: UInt8, blue: UInt8, transparency: UInt8 = 0) {
            self.red = red
            self.green = green
            self.blue = blue
            self.transparency = transparency
        }

        public static let white = Colour(red: 255, green: 255, blue: 255)
        public static let black = Colour(red: 0, green: 0, blue: 0)
        public static let yellow = Colour(red: 255, green: 255, blue: 0)

        /// `&HAABBGGRR`, upper-case hexadecimal.
        var ass: String {
            "&H" + [transparency, blue, green, red].map { byte in
                let hex = String(byte, radix: 16, uppercase: true)
                return byte < 16 ? "0" + hex : hex
            }.joined()
        }
    }

    /// The font family, looked up by fontconfig; only DejaVu is installed on the render machines.
    /// Commas are left out of the name, since they separate the fields of the style line.
    public var font: String
    /// The font size in pixels; nil for the default, an eighteenth of the height, or less in a
    /// narrow (portrait) video so that a line of `maxLine` characters still fits across.
    public var size: Int?
    /// The colour of the text; in karaoke mode, of the words not spoken yet.
    public var primaryColour: Colour
    /// In karaoke mode, the colour a word turns to as it is spoken.
    public var highlightColour: Colour
    public var outlineColour: Colour
    /// The outline's thickness in pixels; nil for a twentieth of the font size.
    public var outlineWidth: Double?
    public var bold: Bool
    /// The distance from the bottom edge in pixels; nil for a twentieth of the height.
    public var marginV: Int?
    /// Where the text sits, as the numeric keypad: 2 is bottom centre, 5 the middle, 8 top centre.
    public var alignment: Int
    /// The longest line the cues are set in (characters); the default font size fits it across.
    public var maxLine: Int

    public init(font: String = "DejaVu Sans", size: Int? = nil, primaryColour: Colour = .white, highlightColour: Colour = .yellow,
                outlineColour: Colour = .black, outlineWidth: Double? = nil, bold: Bool = false, marginV: Int? = nil,
                alignment: Int = 2, maxLine: Int = 42) {
        self.font = font
        self.size = size
        self.primaryColour = primaryColour
        self.highlightColour = highlightColour
        self.outlineColour = outlineColour
        self.outlineWidth = outlineWidth
        self.bold = bold
        self.marginV = marginV
        self.alignment = alignment
        self.maxLine = maxLine
    }

    /// The style a vidfile's `subtitle_style` asks for, drawn into a frame `scale` times the size
    /// it was written for (a draft is half size, and its subtitles should look the same).
    public init(_ s: RenderSettings.SubtitleStyle, scale: Double = 1) {
        func colour(_ c: RenderSettings.SubtitleStyle.Colour) -> Colour {
            Colour(red: c.red, green: c.green, blue: c.blue, transparency: 255 - c.opacity)
        }
        let alignment = switch s.position {
        case .bottom: 2
        case .middle: 5
        case .top: 8
        }
        self.init(font: s.font, size: s.size.map { max(1, Int((Double($0) * scale).rounded())) }, primaryColour: colour(s.colour),
                  highlightColour: colour(s.highlight), outlineWidth: s.outline.map { $0 * scale }, alignment: alignment,
                  maxLine: s.maxLine)
    }

    /// The font size for a video of this size: the one asked for, else an eighteenth of the
    /// height, or less when that would not fit `maxLine` characters across (DejaVu Sans averages
    /// about 0.55 em a character; the line may take five sixths of the width).
    func fontSize(width: Int, height: Int) -> Int {
        size ?? max(8, min(height / 18, width * 3 / (2 * max(1, maxLine))))
    }
}

extension Subtitles {
    /// An Advanced SubStation Alpha file (`.ass`) for burning the cues into the video with libass
    /// (ffmpeg's `ass=` filter). PlayResX/PlayResY are the video's size, `ScaledBorderAndShadow: yes`
    /// keeps the outline in proportion, and `WrapStyle: 2` turns libass's own wrapping off: the
    /// cue's lines are the lines shown, joined by `\N`. Times are `H:MM:SS.cc`.
    ///
    /// Text is drawn as written (see `assText`): braces, backslashes, emoji and right-to-left
    /// scripts included (libass shapes and reorders them with HarfBuzz and FriBidi).
    ///
    /// With `karaoke`, each word carries `{\kf<centiseconds>}` for the time it is spoken, so libass
    /// sweeps it from SecondaryColour (the style's `primaryColour`, not yet spoken) to PrimaryColour
    /// (its `highlightColour`), and a word stays highlighted once spoken. A silence between words
    /// is an empty `{\k<centiseconds>}` on the space or line break between them. The slots add up from
    /// the cue's start, on times rounded to centiseconds like the Dialogue times. A cue whose words do
    /// not spell its lines (edited by hand) is written without karaoke.
    public static func ass(_ cues: [Cue], width: Int, height: Int, style: SubtitleStyle = SubtitleStyle(), karaoke: Bool = false) -> String {
        let size = style.fontSize(width: width, height: height)
        let outline = style.outlineWidth ?? Double(size) / 20
        // In karaoke mode libass draws PrimaryColour once a syllable's time has come, SecondaryColour before.
        let (primary, secondary) = karaoke ? (style.highlightColour, style.primaryColour) : (style.primaryColour, style.highlightColour)
        let styleFields: [String] = [
            "Default", style.font.filter { $0 != "," }, String(size),
            primary.ass, secondary.ass, style.outlineColour.ass, SubtitleStyle.Colour(red: 0, green: 0, blue: 0, transparency: 128).ass,
            style.bold ? "-1" : "0", "0", "0", "0",   // Bold, Italic, Underline, StrikeOut
            "100", "100", "0", "0",                   // ScaleX, ScaleY, Spacing, Angle
            "1", number(outline), "0",                // BorderStyle (outline and shadow), Outline, Shadow
            String(style.alignment), String(width / 20), String(width / 20), String(style.marginV ?? height / 20),
            "1",                                      // Encoding
        ]
        var out = """
            [Script Info]
            ; Subtitles written by vidmake from the narration's word times.
            ScriptType: v4.00+
            PlayResX: \(width)
            PlayResY: \(height)
            WrapStyle: 2
            ScaledBorderAndShadow: yes

            [V4+ Styles]
            Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
            Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
            MarginV, Encoding
            Style: \(styleFields.joined(separator: ","))

            [Events]
            Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text

            """
        for cue in cues {
            let lines = shownLines(cue)
            guard !lines.isEmpty else { continue }
            let text = karaoke ? karaokeText(cue, lines) ?? plainText(lines) : plainText(lines)
            out += "Dialogue: 0,\(assClock(cue.start)),\(assClock(max(cue.start, cue.end))),Default,,0,0,0,,\(text)\n"
        }
        return out
    }

    /// Text for an ASS Dialogue line that libass draws exactly as written:
    /// - `{` and `}` become `\{` and `\}`, libass's escapes for a literal brace (libass 0.17 on
    ///   Debian 12; other renderers may show the backslash), so text never opens an override block;
    /// - each `\` is followed by a word joiner (U+2060, invisible and zero-width), so no backslash
    ///   in the text can pair with what follows into `\N`, `\n`, `\h`, `\{` or `\}`;
    /// - line breaks and tabs become spaces (a Dialogue is one line of the file).
    /// Everything else, emoji and right-to-left text included, is kept.
    static func assText(_ s: String) -> String {
        var out = ""
        for c in singleLine(s) {
            switch c {
            case "{": out += "\\{"
            case "}": out += "\\}"
            case "\\": out += "\\\u{2060}"
            default: out.append(c)
            }
        }
        return out
    }

    static func plainText(_ lines: [String]) -> String {
        lines.map(assText).joined(separator: "\\N")
    }

    /// The karaoke text of a cue, or nil if its words do not spell its lines.
    static func karaokeText(_ cue: Cue, _ lines: [String]) -> String? {
        let words = cue.words.map { TimedWord(text: singleLine($0.text), start: $0.start, end: $0.end) }.filter { !$0.text.isEmpty }
        guard !words.isEmpty, let lastOfLine = lineEnds(words.map(\.text), lines) else { return nil }
        func cs(_ t: Double) -> Int { RenderTime.units(t, perSecond: 100) }
        var clock = cs(cue.start)
        var out = ""
        if cs(words[0].start) > clock {
            out += "{\\k\(cs(words[0].start) - clock)}"
            clock = cs(words[0].start)
        }
        for (i, word) in words.enumerated() {
            let next = i + 1 < words.count ? cs(words[i + 1].start) : nil
            let spoken = max(0, min(cs(word.end), next ?? cs(word.end)) - clock)
            out += "{\\kf\(spoken)}" + assText(word.text)
            clock += spoken
            guard let next else { break }
            let separator = lastOfLine.contains(i) ? "\\N" : " "
            let silence = max(0, next - clock)
            out += silence > 0 ? "{\\k\(silence)}" + separator : separator
            clock += silence
        }
        return out
    }

    /// The indices of the words that end each line but the last, if the words joined by spaces
    /// make exactly these lines; nil if they do not.
    static func lineEnds(_ words: [String], _ lines: [String]) -> Set<Int>? {
        var ends = Set<Int>()
        var k = 0
        for (n, line) in lines.enumerated() {
            var joined = ""
            while k < words.count, joined.count < line.count {
                joined += (joined.isEmpty ? "" : " ") + words[k]
                k += 1
            }
            guard joined == line else { return nil }
            if n < lines.count - 1 { ends.insert(k - 1) }
        }
        return k == words.count ? ends : nil
    }

    /// `H:MM:SS.cc`; negative times are 0.
    static func assClock(_ seconds: Double) -> String {
        let cs = RenderTime.units(max(0, seconds), perSecond: 100)
        let s = cs / 100
        return "\(s / 3600):\(RenderTime.padded(s / 60 % 60, 2)):\(RenderTime.padded(s % 60, 2)).\(RenderTime.padded(cs % 100, 2))"
    }

    /// A number for a style field: whole numbers without a decimal point, others to two decimals at most.
    static func number(_ x: Double) -> String {
        let hundredths = x.isFinite ? Int((x * 100).rounded()) : 0
        return hundredths % 100 == 0 ? String(hundredths / 100) : String(Double(hundredths) / 100)
    }
}
