/// `render.subtitle_style` and `render.karaoke`: how burned-in subtitles look.
extension RenderReader {
    static func readSubtitleStyle(_ node: YAMLNode, into s: inout RenderSettings.SubtitleStyle, _ diags: inout Diagnostics) {
        guard let m = MappingReader(node, "'subtitle_style'", keys: Keys.subtitleStyle, &diags) else { return }
        if let n = m["font"], let f = scalarText(n, "'font'", &diags) {
            let name = f.trimmingCharacters(in: .whitespaces)
            if name.isEmpty || name.count > 100 || name.contains(",") || name.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 32 } == true }) {
                diags.error("'\(f)' is not a font family name", at: n.span,
                            help: "write a family as `fc-list : family` lists it, without commas, e.g. DejaVu Sans")
            } else { s.font = name }
        }
        if let n = m["size"], let v = ValueParser.parse(n, as: .int, "'size'", &diags)?.int {
            if (8...500).contains(v) { s.size = v } else {
                diags.error("subtitle size \(v) is out of range", at: n.span, help: "use 8 to 500 pixels; 48 suits 1920x1080, or leave it out to fit the frame")
            }
        }
        if let n = m["colour"], let c = readColour(n, "'colour'", &diags) { s.colour = c }
        if let n = m["highlight"], let c = readColour(n, "'highlight'", &diags) { s.highlight = c }
        if let n = m["outline"], case .number(let width)? = ValueParser.parse(n, as: .number, "'outline'", &diags) {
            if width >= 0, width <= 50 { s.outline = width } else {
                diags.error("outline \(width.formatted0) is out of range", at: n.span, help: "use 0 (none) to 50 pixels; 3 suits 1920x1080")
            }
        }
        if let n = m["position"], let p = scalarText(n, "'position'", &diags) {
            if let v = RenderSettings.SubtitleStyle.Position(rawValue: p) { s.position = v } else {
                let all = RenderSettings.SubtitleStyle.Position.allCases.map(\.rawValue)
                let help = ["center", "centre"].contains(p.lowercased()) ? "write 'middle'" : Spelling.didYouMean(p, all)
                diags.error("'\(p)' is not one of \(Spelling.list(all))", at: n.span, help: help)
            }
        }
        if let n = m["max_line"], let v = ValueParser.parse(n, as: .int, "'max_line'", &diags)?.int {
            if (10...120).contains(v) { s.maxLine = v } else {
                diags.error("max_line \(v) is out of range", at: n.span, help: "use 10 to 120 characters; 42 is usual, about 32 for portrait video")
            }
        }
    }

    /// `#RRGGBB` or `#RRGGBBAA`, with a fix for the usual slips: a colour name, a missing `#`, or
    /// an unquoted `#`, which YAML reads as the start of a comment.
    static func readColour(_ n: YAMLNode, _ what: String, _ diags: inout Diagnostics) -> RenderSettings.SubtitleStyle.Colour? {
        if n.isNull {
            diags.error("\(what) has no value", at: n.span, help: "quote the colour, e.g. \"#FFFFFF\": an unquoted # starts a YAML comment")
            return nil
        }
        guard let text = scalarText(n, what, &diags) else { return nil }
        let s = text.trimmingCharacters(in: .whitespaces)
        if let c = RenderSettings.SubtitleStyle.Colour.parse(s) { return c }
        let help: String
        if let named = namedColours[s.lowercased()] {
            help = "write \"\(named)\""
        } else if let c = RenderSettings.SubtitleStyle.Colour.parse("#" + s) {
            help = "write \"\(c)\", quoted"
        } else {
            help = "write \"#RRGGBB\" in hexadecimal, e.g. \"#FFFFFF\" for white, or \"#RRGGBBAA\" with an opacity"
        }
        diags.error("'\(s)' is not a colour", at: n.span, help: help)
        return nil
    }

    /// Names people write for a colour, and the hexadecimal to write instead.
    static let namedColours = [
        "white": "#FFFFFF", "black": "#000000", "yellow": "#FFFF00", "red": "#FF0000", "green": "#00FF00",
        "blue": "#0000FF", "cyan": "#00FFFF", "magenta": "#FF00FF", "grey": "#808080", "gray": "#808080", "orange": "#FFA500",
    ]

    /// `karaoke: true` shows only in burned subtitles: a warning if, after this section, they are not.
    static func readKaraoke(_ n: YAMLNode, into r: inout RenderSettings, _ diags: inout Diagnostics) {
        guard let v = ValueParser.parse(n, as: .bool, "'karaoke'", &diags)?.bool else { return }
        r.karaoke = v
        if v && r.subtitles != .burn {
            diags.warning("karaoke shows only in burned subtitles, and subtitles are '\(r.subtitles.rawValue)'", at: n.span,
                          help: "add 'subtitles: burn' to this render section")
        }
    }
}
