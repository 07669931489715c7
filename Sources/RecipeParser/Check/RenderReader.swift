import Foundation

/// The `render:` section, in recipes (defaults) and vidfiles (what this video wants).
enum RenderReader {
    static func read(_ node: YAMLNode, into r: inout RenderSettings, _ diags: inout Diagnostics) {
        guard let m = MappingReader(node, "'render'", keys: Keys.render, &diags) else { return }
        if let n = m["size"], let s = scalarText(n, "'size'", &diags), let size = ValueParser.parseSize(s.trimmingCharacters(in: .whitespaces), n, "'size'", &diags) {
            if size.width % 2 != 0 || size.height % 2 != 0 {
                let down = "\(size.width - size.width % 2)x\(size.height - size.height % 2)"
                let up = "\(size.width + size.width % 2)x\(size.height + size.height % 2)"
                diags.error("size \(size) has an odd side; H.264 with yuv420p needs even width and height", at: n.span,
                            help: "use \(down) or \(up)")
            } else { r.size = size }
        }
        if let n = m["fps"], let v = ValueParser.parse(n, as: .int, "'fps'", &diags)?.int {
            if (1...120).contains(v) { r.fps = v } else { diags.error("fps \(v) is out of range", at: n.span, help: "use 1 to 120; 24, 25 and 30 are usual") }
        }
        if let n = m["transition"], let s = scalarText(n, "'transition'", &diags) {
            if let t = parseTransition(s, n, &diags) { r.transition = t }
        }
        if let n = m["subtitles"], let s = scalarText(n, "'subtitles'", &diags) {
            if let v = RenderSettings.Subtitles(rawValue: s) { r.subtitles = v } else {
                let all = RenderSettings.Subtitles.allCases.map(\.rawValue)
                diags.error("'\(s)' is not one of \(Spelling.list(all))", at: n.span, help: Spelling.didYouMean(s, all))
            }
        }
        if let n = m["quality"], let s = scalarText(n, "'quality'", &diags) {
            if let v = RenderSettings.Quality(rawValue: s) { r.quality = v } else {
                let all = RenderSettings.Quality.allCases.map(\.rawValue)
                diags.error("'\(s)' is not one of \(Spelling.list(all))", at: n.span, help: Spelling.didYouMean(s, all))
            }
        }
        if let n = m["music"], let s = scalarText(n, "'music'", &diags) {
            if let v = parseMusic(s, n, &diags) { r.music = v }
        }
        if let n = m["loudness"], let s = scalarText(n, "'loudness'", &diags) {
            if let v = parseLoudness(s, n, &diags) { r.loudness = v }
        }
        if let n = m["subtitle_style"] { readSubtitleStyle(n, into: &r.subtitleStyle, &diags) }
        // After `subtitles`, which decides whether karaoke can show.
        if let n = m["karaoke"] { readKaraoke(n, into: &r, &diags) }
    }

    static func parseTransition(_ s: String, _ n: YAMLNode, _ diags: inout Diagnostics) -> RenderSettings.Transition? {
        let words = s.split(separator: " ").map(String.init)
        if words == ["cut"] || words == ["none"] { return .cut }
        guard let name = words.first else { diags.error("empty transition", at: n.span, help: "write 'cut' or e.g. 'fade 0.5s'"); return nil }
        guard RenderSettings.Transition.names.contains(name) else {
            diags.error("unknown transition '\(name)'", at: scalarBase(n).subspan(offset: 0, length: name.count),
                        help: Spelling.didYouMean(name, RenderSettings.Transition.names + ["cut"]) ?? "use 'cut' or an xfade transition of ffmpeg 5.1: fade, dissolve, wipeleft, slideleft, …")
            return nil
        }
        guard words.count == 2 else {
            diags.error("transition '\(name)' needs a duration", at: n.span, help: "write e.g. '\(name) 0.5s'")
            return nil
        }
        guard let d = TimeSpan.parse(words[1]) else {
            diags.error("'\(words[1])' is not a duration", at: scalarBase(n).subspan(offset: name.count + 1, length: words[1].count),
                        help: Double(words[1]) != nil ? "write \(words[1])s" : "write e.g. 0.5s")
            return nil
        }
        guard d.milliseconds > 0, d.milliseconds <= 5000 else {
            diags.error("transition length \(d) is out of range", at: n.span, help: "use more than 0s and at most 5s")
            return nil
        }
        return RenderSettings.Transition(name: name, duration: d)
    }

    static func parseMusic(_ s: String, _ n: YAMLNode, _ diags: inout Diagnostics) -> RenderSettings.Music? {
        let words = s.split(separator: " ").map(String.init)
        if words == ["off"] || words == ["none"] { return .off }
        guard let level = words.first, level.lowercased().hasSuffix("db"), let g = Double(level.dropLast(2)), g.isFinite else {
            if let level = words.first, let g = Double(level), g.isFinite {
                diags.error("music level \(level) needs its unit", at: scalarBase(n).subspan(offset: 0, length: level.count),
                            help: "write '\(([level + "dB"] + words.dropFirst()).joined(separator: " "))'")
                return nil
            }
            diags.error("'\(s)' is not a music level", at: n.span, help: "write a level in dB, optionally 'duck': e.g. '-18dB duck', or 'off'")
            return nil
        }
        guard g <= 0, g >= -60 else {
            diags.error("music level \(level) is out of range", at: n.span, help: "use -60dB to 0dB; -18dB sits well under speech")
            return nil
        }
        let rest = words.dropFirst()
        if rest.isEmpty { return RenderSettings.Music(gainDB: g, duck: false) }
        if rest.elementsEqual(["duck"]) { return RenderSettings.Music(gainDB: g, duck: true) }
        diags.error("unknown music setting '\(rest.joined(separator: " "))'", at: n.span, help: Spelling.didYouMean(rest.first!, ["duck"]) ?? "only 'duck' may follow the level")
        return nil
    }

    static func parseLoudness(_ s: String, _ n: YAMLNode, _ diags: inout Diagnostics) -> Double? {
        var t = s.trimmingCharacters(in: .whitespaces)
        if t.uppercased().hasSuffix("LUFS") { t = String(t.dropLast(4)).trimmingCharacters(in: .whitespaces) } else {
            diags.error("loudness needs its unit", at: n.span, help: "write e.g. '-14 LUFS'")
            return nil
        }
        guard let v = Double(t), v.isFinite else {
            diags.error("'\(s)' is not a loudness", at: n.span, help: "write e.g. '-14 LUFS'")
            return nil
        }
        guard v >= -70, v <= -5 else {
            diags.error("loudness \(s) is out of range", at: n.span, help: "use -70 to -5 LUFS; -14 suits YouTube, -16 podcasts, -23 broadcast")
            return nil
        }
        return v
    }
}
