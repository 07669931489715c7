import Foundation

/// Paths a vidfile or recipe names: relative to the file's folder, and never outside it.
public enum ProjectPaths {
    /// Resolves `path` inside `folder`; absolute paths and paths that leave the folder
    /// (through `..` or a symbolic link) are errors. Checks that the file exists.
    /// `folderName` names `folder` in messages: the project folder, or the folder of a recipe.
    static func resolve(_ path: String, inside folder: String, what: String, at span: SourceSpan, mustExist: Bool = true,
                        folderName: String = "the project folder", _ diags: inout Diagnostics) -> String? {
        if path.isEmpty { diags.error("empty path", at: span); return nil }
        if path.hasPrefix("/") || path.hasPrefix("~") {
            diags.error("\(what) '\(path)' is an absolute path", at: span,
                        help: "write it relative to \(display(folder)); vidmake projects stay inside their folder so they can be moved and shared")
            return nil
        }
        if path.contains("\0") || path.contains("\n") {
            diags.error("\(what) path contains a control character", at: span)
            return nil
        }
        let root = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
        let joined = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: root, isDirectory: true)).standardizedFileURL
        guard isInside(joined.path, root) else {
            diags.error("\(what) '\(path)' is outside \(folderName)", at: span, help: "keep files in \(display(folder)) or below it")
            return nil
        }
        let real = joined.resolvingSymlinksInPath().path
        guard isInside(real, root) else {
            diags.error("\(what) '\(path)' leads outside \(folderName) through a symbolic link", at: span,
                        help: "copy the file into \(display(folder))")
            return nil
        }
        var isFolder: ObjCBool = false
        if mustExist, FileManager.default.fileExists(atPath: joined.path, isDirectory: &isFolder), isFolder.boolValue {
            diags.error("'\(path)' is a folder, not a \(what)", at: span, help: "name a file inside it")
            return nil
        }
        if mustExist, !FileManager.default.fileExists(atPath: joined.path) {
            let dir = joined.deletingLastPathComponent().path
            let siblings = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            let suggestion = Spelling.suggest(joined.lastPathComponent, from: siblings)
            diags.error("\(what) '\(path)' does not exist", at: span,
                        help: suggestion.map { "did you mean '\((path as NSString).deletingLastPathComponent.isEmpty ? $0 : (path as NSString).deletingLastPathComponent + "/" + $0)'?" })
            return nil
        }
        return joined.path
    }

    static func isInside(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// How to show an absolute path: relative to the working directory when below it.
    public static func display(_ absolute: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
        return absolute.hasPrefix(prefix) ? String(absolute.dropFirst(prefix.count)) : absolute
    }

    /// An absolute, standardized path for a path the user gave on the command line.
    public static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
            .standardizedFileURL.path
    }
}

/// Finds the recipe an `include:` names.
public enum RecipeLocator {
    /// Where shipped recipes live, wherever the binary is: `<prefix>/share/vidmake/recipes` for an
    /// installed binary, else the `recipes/` folder of the source tree the binary was built in.
    public static func shippedRecipeFolders(executable: String = CommandLine.executablePath) -> [String] {
        var out: [String] = []
        let exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
        let bin = exe.deletingLastPathComponent()
        out.append(bin.deletingLastPathComponent().appendingPathComponent("share/vidmake/recipes").path)
        // A development build: .build/<triple>/debug/vidmake → walk up to the folder holding Package.swift.
        var dir = bin
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                out.append(dir.appendingPathComponent("recipes").path)
                break
            }
            dir = dir.deletingLastPathComponent()
        }
        return out
    }

    /// The search path for `include: NAME`, in order.
    public static func searchFolders(vidfileFolder: String, environment: [String: String]) -> [String] {
        var out = [vidfileFolder]
        if let env = environment["VIDMAKE_RECIPES"] {
            out += env.split(separator: ":").map { ProjectPaths.absolute(String($0)) }
        }
        out += shippedRecipeFolders()
        return out
    }

    static func locate(_ name: String, vidfileFolder: String, environment: [String: String], at span: SourceSpan,
                       _ diags: inout Diagnostics) -> String? {
        if name.hasPrefix("./") || name.hasPrefix("../") || name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.contains("/") {
            var found = Diagnostics()
            let path = ProjectPaths.resolve(name, inside: vidfileFolder, what: "recipe", at: span, &found)
            // `include: documentary.yaml` or a path to vidmake's own copy: the recipe is included by name.
            let base = ((name as NSString).lastPathComponent as NSString).deletingPathExtension
            let shipped = path == nil && isIdentifier(base.replacingOccurrences(of: "-", with: "_"))
                && searchFolders(vidfileFolder: vidfileFolder, environment: environment).dropFirst().contains {
                    FileManager.default.fileExists(atPath: URL(fileURLWithPath: $0).appendingPathComponent("\(base).yaml").path)
                }
            for var d in found.all {
                if shipped { d.help = "to include the recipe '\(base)' by name, write 'include: \(base)'" }
                diags.add(d)
            }
            return path
        }
        guard isIdentifier(name.replacingOccurrences(of: "-", with: "_")) else {
            diags.error("'\(name)' is not a recipe name or path", at: span, help: "write a name like documentary, or a path like ./my-recipe.yaml")
            return nil
        }
        let folders = searchFolders(vidfileFolder: vidfileFolder, environment: environment)
        for f in folders {
            let p = URL(fileURLWithPath: f).appendingPathComponent("\(name).yaml").path
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        var known: Set<String> = []
        for f in folders {
            for e in (try? FileManager.default.contentsOfDirectory(atPath: f)) ?? [] where e.hasSuffix(".yaml") {
                known.insert(String(e.dropLast(5)))
            }
        }
        diags.error("no recipe named '\(name)'", at: span,
                    help: Spelling.didYouMean(name, known) ?? "looked for \(name).yaml in: \(folders.map(ProjectPaths.display).joined(separator: ", "))")
        return nil
    }
}

extension CommandLine {
    /// This process's executable, symlinks resolved (Linux: /proc/self/exe).
    public static var executablePath: String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return ProjectPaths.absolute(arguments.first ?? "vidmake")
    }
}

/// Where a path a vidfile or recipe names leads, as vidmake reads it at the moment of reading
/// (the checker has said so already at check time; a symbolic link can change after it).
public enum ConfinedPath: Equatable, Sendable {
    /// The file's real path (no symbolic link left in it), inside the project folder.
    case inside(String)
    /// It does not exist (or cannot be resolved).
    case missing
    /// `..` or a symbolic link leads it to `real`, outside the project folder.
    case outside(real: String)

    public var path: String? { if case .inside(let p) = self { p } else { nil } }
}

extension ProjectPaths {
    /// The one rule for every project file vidmake reads (`build`, `produce`, edits under
    /// `out/`): `relative` is resolved inside `folder`, every symbolic link followed, and the
    /// result must still be inside `folder`'s real path. Read the returned path, never the
    /// given one: it has no link left to swap (and `SHA256.hex(fileAt:)` and the stat cache
    /// open it without following a final link).
    public static func confined(_ relative: String, inside folder: String) -> ConfinedPath {
        guard let root = realPath(folder) else { return .missing }
        let joined = relative.hasPrefix("/") ? relative : folder + "/" + relative
        guard let real = realPath(joined) else { return .missing }
        return isInside(real, root) ? .inside(real) : .outside(real: real)
    }

    /// realpath(3): every link and `..` resolved; nil if a part does not exist.
    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}

extension Project {
    /// The file the project names by `relative`, confined to the project folder (see `ProjectPaths.confined`).
    public func file(_ relative: String) -> ConfinedPath { ProjectPaths.confined(relative, inside: folder) }
}
