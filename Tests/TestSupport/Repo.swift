import Foundation

/// Paths of the source tree, found from this file, so tests run from any working directory.
public enum Repo {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    public static let example = root + "/examples/civilwar"
    public static let storyboard = root + "/Tests/Fixtures/runner"
    public static let fixtures = root + "/Tests/Fixtures"
    public static let examples = root + "/examples"
    public static let recipes = root + "/recipes"

    /// The built vidmake binary: $VIDMAKE_BIN (set by `make test`), else the debug build.
    public static var binary: String {
        if let b = ProcessInfo.processInfo.environment["VIDMAKE_BIN"], FileManager.default.isExecutableFile(atPath: b) { return b }
        return root + "/.build/debug/vidmake"
    }
}
