import Foundation
import Planner
import RecipeParser

/// `local/card` for images: a designed title card per prompt, offline, made by ffmpeg — a
/// storyboard frame that stands in for a generated picture.
///
/// Inputs: `prompt` (the image prompt; required, not empty) and `style` (optional, e.g.
/// "archival photograph, sepia"). Options: `palette` (a name from `CardPalette.all`) and `font`
/// (a TrueType/OpenType file, relative to the project folder unless absolute). Output: one PNG of
/// exactly `render.size`, any aspect; odd widths and heights are kept as they are (PNG has no
/// chroma subsampling, so nothing needs to be even). Identical inputs give byte-identical files.
///
/// See `CardDesign` for what goes on the card.
public struct CardImage: Producer {
    public init() {}

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        guard let out = job.step.outputs.first else { throw ProducerError("\(job.step.id) has no output") }
        let design = try CardDesign(job: job)
        let png = job.outputPath(out.artifact, ext: "png")
        try design.render(width: job.render.size.width, height: job.render.size.height, border: true, to: png, job: job)
        return Produced(files: [out.artifact: png])
    }
}

/// The design of a card, shared by `CardImage` and `CardVideo` (which animates it).
///
/// - Background: a two-colour radial `gradients` glow with explicit colours, points and seed, a
///   vignette, and for archival styles a fixed film grain on luma (seeded, so reproducible).
/// - Headline: the key phrase of the prompt — the part before the first comma, with trailing style
///   words removed, at most about 9 words (longer phrases end with an ellipsis) — set large in the
///   widest font size that fits inside 10 % margins on every side, wrapped into balanced lines and
///   centred line by line.
/// - A short accent rule, then a caption in small capitals: the rest of the prompt, or the style.
/// - A thin inset frame line (images only: a moving camera would cut it).
///
/// The palette comes from the style words (`CardPalette.forStyle`), the typeface too: DejaVu Serif
/// Bold for archival and vintage styles, DejaVu Sans Bold otherwise, DejaVu Sans for the caption.
/// Characters the typeface has no glyph for are left out (a colour emoji, say); a default serif
/// face that cannot set the headline (Hebrew, Arabic) gives way to DejaVu Sans Bold. If nothing
/// would be left, the text is set as it is and missing glyphs show as boxes.
///
/// User text never enters the filtergraph: every line goes to a file of its own in the work folder
/// and is drawn with `drawtext=textfile=…:expansion=none`; only those paths (escaped with
/// `FFmpegEscape.path`) and numbers appear in the graph.
struct CardDesign: Sendable {
    var palette: CardPalette
    var headlineFont: CardFont
    var captionFont: CardFont
    /// The key phrase, one line, before wrapping.
    var headline: String
    /// Already in capitals; may be empty.
    var caption: String
    var grain: Bool
    /// From the prompt and style: where the glow sits and the grain pattern.
    var seed: UInt64

    static let fontFolder = "/usr/share/fonts/truetype/dejavu/"

    /// Reads `prompt`, `style` and the `palette` and `font` options of a job.
    init(job: Job) throws(ProducerError) {
        let prompt = try job.text("prompt") ?? ""
        let style = try job.text("style")
        var fontPath = job.textOption("font")
        if let f = fontPath, !f.hasPrefix("/") { fontPath = job.folder + "/" + f }
        try self.init(prompt: prompt, style: style, palette: job.textOption("palette"), fontPath: fontPath, step: "\(job.step.id)")
    }

    init(prompt rawPrompt: String, style rawStyle: String?, palette paletteName: String?, fontPath: String?, step: String) throws(ProducerError) {
        let prompt = CardText.normalized(rawPrompt)
        guard !prompt.isEmpty else {
            throw ProducerError("\(step): the prompt is empty",
                                help: "give the scene a prompt (the recipe's prompt for this step, or an override)")
        }
        let style = rawStyle.map(CardText.normalized) ?? ""
        let look = (style.isEmpty ? prompt : style).lowercased()

        if let name = paletteName {
            guard let p = CardPalette.named(name) else {
                throw ProducerError("\(step): there is no card palette '\(name)'",
                                    help: "palettes: " + CardPalette.all.map(\.name).joined(separator: ", "))
            }
            palette = p
        } else {
            palette = CardPalette.forStyle(look)
        }

        let archival = CardText.mentions(look, CardText.archivalWords)
        grain = archival || CardText.mentions(look, ["grain", "grainy"])
        seed = CardText.hash(prompt + "\u{1F}" + style)

        let phrases = CardText.phrases(prompt: prompt, style: style)
        if let fontPath {
            guard FileManager.default.fileExists(atPath: fontPath) else {
                throw ProducerError("\(step): the font file \(fontPath) does not exist",
                                    help: "set the card's font option to a .ttf or .otf file (relative to the project folder), or leave it out for DejaVu")
            }
            let font = CardFont(path: fontPath)
            (headlineFont, headline) = (font, font.settable(phrases.headline))
            (captionFont, caption) = (font, font.settable(phrases.caption))
        } else {
            let sansBold = try CardFont.dejaVu("DejaVuSans-Bold.ttf")
            let preferred = archival ? try CardFont.dejaVu("DejaVuSerif-Bold.ttf") : sansBold
            headlineFont = preferred.covers(phrases.headline) ? preferred : sansBold
            headline = headlineFont.settable(phrases.headline)
            captionFont = try CardFont.dejaVu("DejaVuSans.ttf")
            caption = captionFont.settable(phrases.caption)
        }
    }

    /// Draws the card as a PNG of exactly `width` x `height` at `output`. The text files go to the
    /// job's work folder. `border` draws the thin inset frame line.
    func render(width: Int, height: Int, border: Bool, to output: String, job: Job) throws(ProducerError) {
        guard (16...16384).contains(width), (16...16384).contains(height) else {
            throw ProducerError("\(job.step.id): a card cannot be \(width)x\(height)", help: "use a frame size between 16 and 16384 pixels a side")
        }
        let layout = CardLayout(design: self, width: width, height: height)
        var files: [String] = []
        for (i, line) in (layout.headline.map(\.text) + [layout.caption?.text].compactMap { $0 }).enumerated() {
            let path = job.workDir + "/card-line-\(i + 1).txt"
            guard FileManager.default.createFile(atPath: path, contents: Data(line.utf8)) else {
                throw ProducerError("cannot write \(path)")
            }
            files.append(path)
        }
        let graph = filtergraph(layout, width: width, height: height, border: border, textFiles: files)
        try Subprocess.check(["ffmpeg", "-nostdin", "-y", "-v", "error", "-filter_complex", graph,
                              "-frames:v", "1", "-fflags", "+bitexact", "-flags", "+bitexact", "-map_metadata", "-1",
                              "-c:v", "png", "-update", "1", "-f", "image2", "file:" + output],
                             cancel: job.cancel, timeout: 120, log: job.log)
        guard Media.sniffExtension(output) == "png" else { throw ProducerError("ffmpeg wrote no card for \(job.step.id)") }
    }

    /// The ffmpeg graph that draws `layout`; `textFiles` holds the headline lines, then the caption.
    func filtergraph(_ layout: CardLayout, width: Int, height: Int, border: Bool, textFiles: [String]) -> String {
        let p = palette
        // A radial glow behind the text, its centre moved sideways a little by the seed; the
        // radius reaches the farthest corner.
        let cx = width * (40 + Int(seed % 21)) / 100, cy = height * 42 / 100
        let corner = (cx < width / 2 ? width : 0, cy < height / 2 ? height : 0)
        var f = ["gradients=s=\(width)x\(height):n=2:c0=\(p.glow):c1=\(p.edge)"
                 + ":x0=\(cx):y0=\(cy):x1=\(corner.0):y1=\(corner.1):seed=\(seed % 4_294_967_295):type=radial",
                 "format=yuv444p"]
        if grain { f.append("noise=c0s=10:c0f=u:c0_seed=\(seed % 2_147_483_647)") }
        f.append("vignette=angle=\(p.vignette)")
        let u = Double(min(width, height))
        if border {
            let inset = Int((u * 0.04).rounded())
            let t = max(1, Int((u * 0.0016).rounded()))
            f.append("drawbox=x=\(inset):y=\(inset):w=\(width - 2 * inset):h=\(height - 2 * inset):color=\(p.accent)@0.35:t=\(t)")
        }
        func text(_ file: String, _ font: CardFont, _ size: Int, _ color: String, _ baseline: Int, shadow: Int) -> String {
            var s = "drawtext=fontfile=\(FFmpegEscape.path(font.path)):textfile=\(FFmpegEscape.path(file)):expansion=none"
                + ":fontsize=\(size):fontcolor=\(color):x=(w-tw)/2:y=\(baseline)-ascent"
            if shadow > 0 { s += ":shadowx=0:shadowy=\(shadow):shadowcolor=\(p.shadow)" }
            return s
        }
        let shadow = max(1, Int((Double(layout.headlineSize) * 0.03).rounded()))
        for (line, file) in zip(layout.headline, textFiles) {
            f.append(text(file, headlineFont, layout.headlineSize, p.headline, line.baseline, shadow: shadow))
        }
        let r = layout.rule
        f.append("drawbox=x=\(r.x):y=\(r.y):w=\(r.width):h=\(r.height):color=\(p.accent):t=fill")
        if let c = layout.caption, let file = textFiles.last {
            f.append(text(file, captionFont, layout.captionSize, p.caption, c.baseline, shadow: 0))
        }
        f.append("format=rgb24")
        return f.joined(separator: ",")
    }
}

/// Where everything goes on a card of a given size. Sizes are in pixels, relative to the shorter
/// side `u`, so a card looks the same at any resolution; the content stays inside margins of 10 %
/// of the width and of the height. The headline takes at most 3 lines on a landscape frame, 4 on
/// a squarish one and 5 on a portrait one.
struct CardLayout {
    struct Line {
        var text: String
        /// The y of the baseline (drawtext is given `y=baseline-ascent`).
        var baseline: Int
    }
    var headline: [Line]
    var headlineSize: Int
    var caption: Line?
    var captionSize: Int
    var rule: (x: Int, y: Int, width: Int, height: Int)

    /// Height of capitals and of descenders, in em; DejaVu's values, close for most faces.
    static let capHeight = 0.73
    static let descent = 0.24
    /// Baseline to baseline, in em.
    static let lineSpacing = 1.18

    init(design: CardDesign, width: Int, height: Int) {
        let w = Double(width), h = Double(height)
        let u = min(w, h)
        let maxWidth = w * 0.8
        let contentHeight = h * 0.8
        let aspect = w / h
        let maxLines = aspect >= 1.3 ? 3 : aspect > 0.8 ? 4 : 5

        // Caption: one line, cut with an ellipsis if it is too long.
        captionSize = max(8, Int((u * 0.028).rounded()))
        let captionText = CardText.fit(design.caption, font: design.captionFont, size: Double(captionSize), width: maxWidth)

        // Headline: the largest size from 0.115 u down to 0.04 u at which it wraps into at most
        // `maxLines` lines that fit the height left over; below that, cut the last line.
        let headroom = contentHeight - (captionText.isEmpty ? 0 : Double(captionSize) * 3) - u * 0.06
        let words = CardText.units(design.headline)
        let font = design.headlineFont
        var size = u * 0.115
        let smallest = max(10, u * 0.04)
        var lines = CardText.wrap(words, font: font, size: size, width: maxWidth)
        while size > smallest {
            let block = Double(lines.count - 1) * CardLayout.lineSpacing * size + (CardLayout.capHeight + CardLayout.descent) * size
            if lines.count <= maxLines && block <= headroom { break }
            size = max(smallest, size * 0.95)
            lines = CardText.wrap(words, font: font, size: size, width: maxWidth)
        }
        if lines.count > maxLines {
            lines = Array(lines.prefix(maxLines))
            lines[maxLines - 1] = CardText.fit(lines[maxLines - 1] + " " + CardText.ellipsis, font: font, size: size, width: maxWidth, forceEllipsis: true)
        } else {
            lines = CardText.balanced(words, lines: lines, font: font, size: size, width: maxWidth)
        }
        headlineSize = Int(size.rounded(.down))

        // Stack: headline, rule, caption, centred a little above the middle.
        let s = Double(headlineSize)
        let pitch = CardLayout.lineSpacing * s
        let headBlock = Double(lines.count - 1) * pitch + CardLayout.capHeight * s
        let ruleGap = s * 0.62
        let ruleHeight = max(2, Int((u * 0.004).rounded()))
        let captionGap = Double(captionSize) * 2.2
        let total = headBlock + ruleGap + Double(ruleHeight) + (captionText.isEmpty ? 0 : captionGap)
        let top = (h - total) / 2 - h * 0.02
        let firstBaseline = top + CardLayout.capHeight * s
        headline = lines.enumerated().map { i, text in Line(text: text, baseline: Int((firstBaseline + Double(i) * pitch).rounded())) }
        let ruleY = Int((firstBaseline + Double(lines.count - 1) * pitch + ruleGap).rounded())
        let ruleWidth = Int((u * 0.09).rounded())
        rule = ((width - ruleWidth) / 2, ruleY, ruleWidth, ruleHeight)
        caption = captionText.isEmpty ? nil : Line(text: captionText, baseline: ruleY + ruleHeight + Int(captionGap.rounded()))
    }
}

/// Colours of a card, as ffmpeg colours (`0xRRGGBB`).
struct CardPalette: Sendable, Equatable {
    var name: String
    /// The gradient's colour at its centre, behind the text, and at the far corner.
    var glow: String
    var edge: String
    var headline: String
    var caption: String
    /// The rule and the frame line.
    var accent: String
    /// The headline's drop shadow, with alpha.
    var shadow: String
    /// vignette's lens angle: larger is darker corners.
    var vignette: String

    static let sepia = CardPalette(name: "sepia", glow: "0x8a6842", edge: "0x2e1f12", headline: "0xf6ead0", caption: "0xdcc59c",
                                   accent: "0xc9a064", shadow: "0x000000@0.45", vignette: "PI/4.5")
    static let noir = CardPalette(name: "noir", glow: "0x4a4a4a", edge: "0x0b0b0b", headline: "0xf4f4f4", caption: "0xbdbdbd",
                                  accent: "0xd8d8d8", shadow: "0x000000@0.6", vignette: "PI/4.5")
    static let neon = CardPalette(name: "neon", glow: "0x2a0f45", edge: "0x07040f", headline: "0xffffff", caption: "0x39e6ff",
                                  accent: "0xff2bd6", shadow: "0xff2bd6@0.35", vignette: "PI/5")
    static let pastel = CardPalette(name: "pastel", glow: "0xfdf1f5", edge: "0xc9dbee", headline: "0x3b3450", caption: "0x6a6282",
                                    accent: "0xe58fb0", shadow: "0xffffff@0.5", vignette: "PI/9")
    static let cinematic = CardPalette(name: "cinematic", glow: "0x9c5428", edge: "0x06262e", headline: "0xfff3e3", caption: "0xffc38f",
                                       accent: "0xff9a4a", shadow: "0x000000@0.5", vignette: "PI/4.5")
    static let midnight = CardPalette(name: "midnight", glow: "0x2f4a6e", edge: "0x0f1a2e", headline: "0xf2f5fa", caption: "0xb7c6dc",
                                      accent: "0xe0b25a", shadow: "0x000000@0.45", vignette: "PI/5")
    static let forest = CardPalette(name: "forest", glow: "0x3a6b50", edge: "0x0c2219", headline: "0xf1f0e4", caption: "0xcfd9bd",
                                    accent: "0xe3c77a", shadow: "0x000000@0.45", vignette: "PI/5")
    static let ocean = CardPalette(name: "ocean", glow: "0x0f7c86", edge: "0x072a3d", headline: "0xf0fbfc", caption: "0xb5e3e6",
                                   accent: "0xffc971", shadow: "0x000000@0.45", vignette: "PI/5")
    static let plum = CardPalette(name: "plum", glow: "0x6e3a5e", edge: "0x1f1029", headline: "0xfbf0f5", caption: "0xe2bfd2",
                                  accent: "0xf2a65a", shadow: "0x000000@0.45", vignette: "PI/5")
    static let slate = CardPalette(name: "slate", glow: "0x4e5d6c", edge: "0x161c24", headline: "0xf5f7fa", caption: "0xc3ccd6",
                                   accent: "0x7fc8a9", shadow: "0x000000@0.45", vignette: "PI/5")
    static let ember = CardPalette(name: "ember", glow: "0x7d2f1d", edge: "0x1e0b0a", headline: "0xfff1e6", caption: "0xf0c2a8",
                                   accent: "0xffb347", shadow: "0x000000@0.45", vignette: "PI/5")

    static let all = [sepia, noir, neon, pastel, cinematic, midnight, forest, ocean, plum, slate, ember]
    /// The palettes a style without telling words is hashed onto.
    static let neutral = [midnight, forest, ocean, plum, slate, ember]

    static func named(_ name: String) -> CardPalette? {
        let n = name.trimmingCharacters(in: .whitespaces).lowercased()
        return all.first { $0.name == n }
    }

    /// The palette a style calls for (lowercased text): sepia for archival/sepia/vintage, noir for
    /// black and white, neon for neon/cyberpunk, pastel for pastel/watercolor, cinematic (teal and
    /// orange) for cinematic/film; otherwise one of `neutral`, chosen by the SHA-256 of the style.
    static func forStyle(_ style: String) -> CardPalette {
        let rules: [([String], CardPalette)] = [
            (CardText.archivalWords, sepia),
            (["noir", "black and white", "black & white", "b&w", "monochrome", "grayscale", "greyscale"], noir),
            (["neon", "cyberpunk", "synthwave", "vaporwave"], neon),
            (["pastel", "watercolor", "watercolour"], pastel),
            (["cinematic", "film", "movie", "teal and orange"], cinematic),
        ]
        for (words, palette) in rules where CardText.mentions(style, words) { return palette }
        return neutral[Int(CardText.hash(style) % UInt64(neutral.count))]
    }
}

/// A font file and, when it can be read as TrueType/OpenType, its metrics.
struct CardFont: Sendable {
    var path: String
    var metrics: FontMetrics?

    init(path: String) {
        self.path = path
        metrics = FontMetrics(path: path)
    }

    /// One of the DejaVu faces; fails if the file is missing.
    static func dejaVu(_ file: String) throws(ProducerError) -> CardFont {
        let path = CardDesign.fontFolder + file
        guard FileManager.default.fileExists(atPath: path) else {
            throw ProducerError("the font \(path) is missing", help: "install the DejaVu fonts (Debian: apt-get install fonts-dejavu-core), or set the card's font option")
        }
        return CardFont(path: path)
    }

    /// The width of `text` at `size` pixels: advance widths from the font (no kerning), or 0.55 em
    /// per character when the font could not be read.
    func width(_ text: String, size: Double) -> Double {
        guard let metrics else { return Double(text.count) * 0.55 * size }
        return metrics.width(text) * size
    }

    /// Whether the font has a glyph for every visible character.
    func covers(_ text: String) -> Bool {
        guard let metrics else { return true }
        return text.unicodeScalars.allSatisfy { $0.properties.isWhitespace || metrics.covers($0) }
    }

    /// The text without the characters the font has no glyph for, spaces tidied; the text as it is
    /// when that would leave no letters or digits at all.
    func settable(_ text: String) -> String {
        guard let metrics else { return text }
        var kept = String.UnicodeScalarView()
        for s in text.unicodeScalars where s.properties.isWhitespace || metrics.covers(s) { kept.append(s) }
        let result = CardText.normalized(String(kept))
        return result.unicodeScalars.contains { $0.properties.isAlphabetic || $0.properties.numericType != nil } ? result : text
    }
}

/// The text side of a card: picking the key phrase, measuring, wrapping.
enum CardText {
    static let ellipsis = "\u{2026}"
    static let archivalWords = ["archival", "sepia", "vintage", "antique", "daguerreotype", "historic", "historical", "victorian", "old photograph"]
    /// Words a shortened headline should not end on.
    static let weakEndings: Set<String> = ["a", "an", "the", "of", "and", "or", "with", "at", "in", "on", "to", "for", "from", "by", "as", "into", "over", "under", "while"]
    /// Characters that separate the phrases of a prompt.
    static let separators: Set<Character> = [",", ";", "\n", "\r\n", "\r", "\u{060C}", "\u{FF0C}", "\u{3001}", "\u{FF1B}"]

    /// Runs of whitespace (newlines too) and control characters become one space; trimmed.
    static func normalized(_ s: String) -> String {
        var out = ""
        var pendingSpace = false
        for c in s {
            if c.isWhitespace || c.unicodeScalars.allSatisfy({ $0.properties.generalCategory == .control }) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(c)
            }
        }
        return out
    }

    /// Whether lowercased `text` contains one of `words` as whole words.
    static func mentions(_ text: String, _ words: [String]) -> Bool {
        let padded = " " + tokens(text).joined(separator: " ") + " "
        return words.contains { padded.contains(" " + tokens($0).joined(separator: " ") + " ") }
    }

    /// The lowercased words of a text, without punctuation (`&` kept, for "b&w").
    static func tokens(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "&") }.map(String.init)
    }

    /// 64 bits of the SHA-256 of a text.
    static func hash(_ text: String) -> UInt64 {
        UInt64(SHA256.hex(text).prefix(16), radix: 16) ?? 0
    }

    /// The headline and caption of a prompt (both normalized). The prompt's phrases are split at
    /// commas, semicolons and line breaks; a phrase loses a trailing copy of the style or of one of
    /// its comma-separated parts ("…at dawn in archival photograph sepia"), and phrases after the
    /// first that are only style words go. The headline is the first phrase, shortened to about
    /// 9 words or 80 characters with an ellipsis; the caption is the other phrases joined with
    /// " · ", or else the style's parts, in capitals.
    static func phrases(prompt: String, style: String) -> (headline: String, caption: String) {
        let styleParts = style.split { separators.contains($0) }.map { normalized(String($0)) }.filter { !$0.isEmpty }
        let styleWords = Set(tokens(style))
        var clauses = prompt.split { separators.contains($0) }
            .map { withoutStyle(normalized(String($0)), styleParts) }
            .filter { !$0.isEmpty }
        if clauses.isEmpty { clauses = [prompt] }
        let head = shortened(clauses[0])
        let rest = clauses.dropFirst().filter { !tokens($0).allSatisfy(styleWords.contains) }
        let caption = (rest.isEmpty ? styleParts : rest).joined(separator: " \u{00B7} ").uppercased()
        return (head, caption)
    }

    /// A phrase without trailing copies of the style's parts, as long as a word is left.
    static func withoutStyle(_ phrase: String, _ styleParts: [String]) -> String {
        var result = phrase
        var changed = true
        while changed {
            changed = false
            for part in styleParts {
                let t = tokens(result), p = tokens(part)
                if !p.isEmpty, t.count > p.count, t.suffix(p.count).elementsEqual(p) {
                    result = dropWords(p.count, from: result)
                    changed = true
                }
            }
        }
        return result
    }

    /// `text` without its last `n` words (as `tokens` counts them) and without a connecting word
    /// left dangling ("in").
    static func dropWords(_ n: Int, from text: String) -> String {
        var words = text.split(separator: " ")
        var dropped = 0
        while dropped < n, let last = words.popLast() { dropped += tokens(String(last)).count }
        while words.count > 1, let last = words.last, weakEndings.contains(last.lowercased()) { words.removeLast() }
        return words.joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: " -–—:"))
    }

    /// A headline of more than 12 words keeps its first 9; one of more than 90 characters is cut
    /// at a word boundary before 80 (or at 80 characters if it has no spaces); both with an ellipsis.
    static func shortened(_ text: String) -> String {
        var words = text.split(separator: " ").map(String.init)
        var cut = false
        if words.count > 12 {
            words = Array(words.prefix(9))
            cut = true
        }
        var result = words.joined(separator: " ")
        if result.count > 90 {
            let prefix = String(result.prefix(80))
            if let space = prefix.lastIndex(of: " ") {
                result = String(prefix[..<space])
            } else {
                result = prefix
            }
            cut = true
        }
        guard cut else { return result }
        var kept = result.split(separator: " ")
        while kept.count > 1, let last = kept.last, weakEndings.contains(last.lowercased()) { kept.removeLast() }
        return kept.joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: ".,:;-–— ")) + ellipsis
    }

    /// `text` if it fits `width`, else as many characters as fit followed by an ellipsis (always
    /// with an ellipsis when `forceEllipsis`, for a line the text was cut after).
    static func fit(_ text: String, font: CardFont, size: Double, width: Double, forceEllipsis: Bool = false) -> String {
        var base = forceEllipsis && text.hasSuffix(ellipsis) ? String(text.dropLast()) : text
        if !forceEllipsis, font.width(text, size: size) <= width { return text }
        while !base.isEmpty {
            let candidate = base.trimmingCharacters(in: CharacterSet(charactersIn: " .,:;-–—")) + ellipsis
            if font.width(candidate, size: size) <= width { return candidate }
            base.removeLast()
        }
        return ""
    }

    /// The words of a headline as units for line breaking: a short connecting word ("at", "the")
    /// or an initial ("S.") stays with the word after it, so no line ends on one; with
    /// `bindingInitials` an initial stays with the word before it too, so "Robert E. Lee" stays
    /// whole where it can.
    static func units(_ text: String, bindingInitials: Bool = true) -> [String] {
        var units: [String] = []
        var glueNext = false
        for word in text.split(separator: " ").map(String.init) {
            let isInitial = word.count == 2 && word.last == "." && word.first?.isUppercase == true
            if let last = units.last, glueNext || (bindingInitials && isInitial) {
                units[units.count - 1] = last + " " + word
            } else {
                units.append(word)
            }
            glueNext = isInitial || weakEndings.contains(word.lowercased())
        }
        return units
    }

    /// Greedy line breaking between `words` (units that may contain spaces). A unit wider than a
    /// line is broken into looser units (initials bound forward only), else at its spaces; a
    /// single word wider than a line is broken between characters.
    static func wrap(_ words: [String], font: CardFont, size: Double, width: Double) -> [String] {
        var lines: [String] = []
        var line = ""
        func place(_ word: String) {
            let candidate = line.isEmpty ? word : line + " " + word
            if font.width(candidate, size: size) <= width {
                line = candidate
                return
            }
            if !line.isEmpty { lines.append(line) }
            line = ""
            if font.width(word, size: size) <= width {
                line = word
            } else if word.contains(" ") {
                let looser = units(word, bindingInitials: false)
                for part in looser.count > 1 ? looser : word.split(separator: " ").map(String.init) { place(part) }
            } else {
                for c in word {
                    if !line.isEmpty, font.width(line + String(c), size: size) > width {
                        lines.append(line)
                        line = ""
                    }
                    line.append(c)
                }
            }
        }
        for word in words { place(word) }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// The same number of lines as `lines`, but as even in length as greedy breaking allows: the
    /// narrowest width that still needs no more lines.
    static func balanced(_ words: [String], lines: [String], font: CardFont, size: Double, width: Double) -> [String] {
        guard lines.count > 1 else { return lines }
        var low = 0.0, high = width
        var best = lines
        for _ in 0..<14 {
            let mid = (low + high) / 2
            let attempt = wrap(words, font: font, size: size, width: mid)
            if attempt.count <= lines.count && attempt.allSatisfy({ font.width($0, size: size) <= mid }) {
                best = attempt
                high = mid
            } else {
                low = mid
            }
        }
        return best
    }
}

/// Advance widths of a TrueType/OpenType font, read from its `cmap`, `hmtx`, `hhea` and `head`
/// tables (the first font of a collection): enough to measure a line the way drawtext sets it,
/// less kerning, and to know which characters the font has.
struct FontMetrics: Sendable {
    /// Character to glyph.
    private var glyphs: [UInt32: Int]
    /// Advance width per glyph, in em; glyphs past the end use the last entry (as in `hmtx`).
    private var advances: [Double]

    private struct Malformed: Error {}

    /// Nil if the file cannot be read or is not a TrueType/OpenType font.
    init?(path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        do throws(Malformed) {
            (glyphs, advances) = try FontMetrics.parse(bytes)
        } catch {
            return nil
        }
    }

    func covers(_ scalar: Unicode.Scalar) -> Bool { glyphs[scalar.value] != nil }

    /// The advance width of a text, in em.
    func width(_ text: String) -> Double {
        guard let last = advances.last else { return 0 }
        var sum = 0.0
        for s in text.unicodeScalars {
            let g = glyphs[s.value] ?? 0
            sum += g < advances.count ? advances[g] : last
        }
        return sum
    }

    private static func parse(_ b: [UInt8]) throws(Malformed) -> ([UInt32: Int], [Double]) {
        func u16(_ o: Int) throws(Malformed) -> Int {
            guard o >= 0, o + 2 <= b.count else { throw Malformed() }
            return Int(b[o]) << 8 | Int(b[o + 1])
        }
        func u32(_ o: Int) throws(Malformed) -> Int {
            try u16(o) << 16 | u16(o + 2)
        }
        // A collection ("ttcf") starts with the offsets of its fonts; take the first.
        let start = try u32(0) == 0x7474_6366 ? u32(12) : 0
        let tableCount = try u16(start + 4)
        var tables: [String: Int] = [:]
        for i in 0..<tableCount {
            let record = start + 12 + 16 * i
            guard record + 16 <= b.count else { throw Malformed() }
            tables[String(decoding: b[record..<record + 4], as: UTF8.self)] = try u32(record + 8)
        }
        guard let head = tables["head"], let hhea = tables["hhea"], let hmtx = tables["hmtx"], let cmap = tables["cmap"] else { throw Malformed() }
        let unitsPerEm = Double(try u16(head + 18))
        let metricCount = try u16(hhea + 34)
        guard unitsPerEm > 0, metricCount > 0 else { throw Malformed() }
        var advances: [Double] = []
        advances.reserveCapacity(metricCount)
        for i in 0..<metricCount { advances.append(Double(try u16(hmtx + 4 * i)) / unitsPerEm) }

        // The Unicode subtable: format 12 (all planes) if there is one, else format 4 (BMP).
        var format4: Int?
        var format12: Int?
        let subtableCount = try u16(cmap + 2)
        for i in 0..<subtableCount {
            let platform = try u16(cmap + 4 + 8 * i)
            let encoding = try u16(cmap + 6 + 8 * i)
            guard platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10)) else { continue }
            let sub = cmap + (try u32(cmap + 8 + 8 * i))
            switch try u16(sub) {
            case 4: format4 = format4 ?? sub
            case 12: format12 = format12 ?? sub
            default: break
            }
        }
        var glyphs: [UInt32: Int] = [:]
        if let sub = format12 {
            var budget = 200_000
            let groupCount = try u32(sub + 12)
            for g in 0..<groupCount {
                let group = sub + 16 + 12 * g
                let first = try u32(group), last = try u32(group + 4), glyph = try u32(group + 8)
                guard first <= last, last <= 0x10FFFF, last - first < budget else { throw Malformed() }
                budget -= last - first + 1
                for c in first...last { glyphs[UInt32(c)] = glyph + c - first }
            }
        } else if let sub = format4 {
            let segments = try u16(sub + 6) / 2
            let ends = sub + 14, starts = ends + 2 * segments + 2
            let deltas = starts + 2 * segments, rangeOffsets = deltas + 2 * segments
            for s in 0..<segments {
                let first = try u16(starts + 2 * s), last = try u16(ends + 2 * s)
                let delta = try u16(deltas + 2 * s), rangeOffset = try u16(rangeOffsets + 2 * s)
                guard first <= last else { continue }
                for c in first...last where c != 0xFFFF {
                    var glyph: Int
                    if rangeOffset == 0 {
                        glyph = (c + delta) & 0xFFFF
                    } else {
                        glyph = try u16(rangeOffsets + 2 * s + rangeOffset + 2 * (c - first))
                        if glyph != 0 { glyph = (glyph + delta) & 0xFFFF }
                    }
                    if glyph != 0 { glyphs[UInt32(c)] = glyph }
                }
            }
        } else {
            throw Malformed()
        }
        return (glyphs, advances)
    }
}
