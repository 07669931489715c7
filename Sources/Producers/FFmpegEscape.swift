/// Escaping for text that goes into an ffmpeg filtergraph, by level (media-notes §1.6; the rules
/// come from FFmpeg's filters.texi "Notes on filtergraph escaping" and utils.texi "Quoting and
/// escaping", and were checked on ffmpeg 5.1 by round-tripping values through `metadata=mode=print`).
///
/// A value passes through up to three parsers, innermost first, so it is escaped innermost first:
///
/// 0. drawtext's text expansion (only `drawtext` with `expansion=normal`, the default): `drawtext(_:)`;
/// 1. the option parser of one filter (`key=value:key=value`): `optionValue(_:)`;
/// 2. the filtergraph parser (`filter,filter;[link]filter`): `filtergraph(_:)`.
///
/// A drawtext `text=` value is therefore `filtergraph(optionValue(drawtext(text)))`, and a file path
/// in an option (`textfile=`, `fontfile=`, `subtitles=`) is `path(p)`. Every level turns a backslash
/// followed by any character into that character, so escaping a character that did not need it is
/// harmless; missing a level is not.
///
/// There is no shell level: vidmake runs ffmpeg with an argument vector, never through `sh -c`.
/// Better still, keep user text out of the graph altogether: write it to a file and use
/// `drawtext=textfile=…:expansion=none`, so that only a path you chose needs escaping.
///
/// Leading and trailing spaces and tabs are escaped because ffmpeg's tokenizer trims them; a
/// leading or trailing newline or carriage return is still trimmed (another reason for `textfile=`).
public enum FFmpegEscape {
    /// Level 0, drawtext text expansion: prefixes `\` and `%` with a backslash, so `%{pts}` and a
    /// stray `%` are drawn literally instead of expanded or rejected ("Stray % near …").
    /// Not needed with `expansion=none`.
    public static func drawtext(_ s: String) -> String {
        prefixing(s, "\\%")
    }

    /// Level 1, an option value inside `key=value:key=value`: prefixes `\`, `'`, `:`, space and tab
    /// with a backslash.
    public static func optionValue(_ s: String) -> String {
        prefixing(s, "\\': \t")
    }

    /// Level 2, the filtergraph description: prefixes `\`, `'`, `[`, `]`, `,`, `;`, space and tab
    /// with a backslash. Apply it to a level-1 result (or to anything that sits in the graph text).
    public static func filtergraph(_ s: String) -> String {
        prefixing(s, "\\'[],; \t")
    }

    /// A file path as the value of a filter option (`textfile=`, `fontfile=`, `subtitles=`):
    /// `filtergraph(optionValue(path))`.
    public static func path(_ path: String) -> String {
        filtergraph(optionValue(path))
    }

    private static func prefixing(_ s: String, _ special: String) -> String {
        let set = Set(special.unicodeScalars)
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            if set.contains(c) { out.append("\\") }
            out.append(c)
        }
        return String(out)
    }
}
