import Foundation
import RecipeParser

/// The fonts libass can draw with. libass asks fontconfig for a family and fontconfig always
/// answers, with a substitute when the family is not installed (media-notes §7, gotcha 7), so a
/// misspelt font would silently render in another one. Asking `fc-list` first turns that into an
/// error that names the installed families.
enum Fonts {
    /// Fails unless fontconfig has `family` (case-insensitively, under any of its names). When
    /// `fc-list` cannot run, nothing is checked: the render goes on with fontconfig's choice.
    static func check(family: String, cancel: CancelToken) throws(ProducerError) {
        let listed: Subprocess.Result
        do { listed = try Subprocess.run(["fc-list", ":", "family"], cancel: cancel, timeout: 60, captureStdout: true) } catch {
            if error.cancelled { throw error }
            return
        }
        guard listed.status == 0 else { return }
        let families = Set(String(decoding: listed.stdout, as: UTF8.self)
            .split(whereSeparator: { $0 == "\n" || $0 == "," })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty })
        guard !families.isEmpty, !families.contains(where: { $0.caseInsensitiveCompare(family) == .orderedSame }) else { return }
        let sorted = families.sorted()
        throw ProducerError("the subtitle font '\(family)' is not installed",
                            help: Spelling.didYouMean(family, sorted) ?? "installed families: \(sorted.joined(separator: ", "))")
    }
}
