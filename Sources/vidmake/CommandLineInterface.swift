import Foundation
import RecipeParser

/// Exit codes: 0 success, 1 the input is invalid or the work failed, 2 the command line is wrong.
enum ExitCode {
    static let ok: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
}

/// A command's help text and its entry point.
struct Command: Sendable {
    var name: String
    var summary: String
    var usage: String
    var details: String
    var run: @Sendable (inout Arguments) -> Int32
}

enum CommandLineInterface {
    static let version = "0.1.0"

    static let commands: [Command] = [
        CheckCommand.command,
        BuildCommand.command,
        StatusCommand.command,
        LogCommand.command,
        CleanCommand.command,
        EditsCommand.adopt,
        EditsCommand.discard,
        EmitCommand.command,
        ProduceCommand.command,
        PlanCommand.command,
        GraphCommand.command,
        ExplainCommand.command,
        SchemaCommand.command,
    ]

    static func run(_ argv: [String]) -> Int32 {
        var args = Arguments(argv)
        guard let first = args.next() else {
            Output.err(overview)
            return ExitCode.usage
        }
        switch first {
        case "--help", "-h":
            Output.out(overview)
            return ExitCode.ok
        case "--version", "-V":
            Output.out("vidmake \(version)")
            return ExitCode.ok
        case "help":
            guard let name = args.next() else { Output.out(overview); return ExitCode.ok }
            guard let c = commands.first(where: { $0.name == name }) else { return unknownCommand(name) }
            Output.out(help(c))
            return ExitCode.ok
        default:
            guard let c = commands.first(where: { $0.name == first }) else { return unknownCommand(first) }
            if args.remaining.contains("--help") || args.remaining.contains("-h") {
                Output.out(help(c))
                return ExitCode.ok
            }
            return c.run(&args)
        }
    }

    static func unknownCommand(_ name: String) -> Int32 {
        var msg = "vidmake: unknown command '\(name)'"
        if name.hasPrefix("-") { msg = "vidmake: unknown option '\(name)'" }
        if let s = Spelling.suggest(name, from: commands.map(\.name)) { msg += "; did you mean '\(s)'?" }
        Output.err(msg + "\nRun 'vidmake --help' for the list of commands.")
        return ExitCode.usage
    }

    static var overview: String {
        let width = commands.map(\.name.count).max() ?? 0
        let list = commands.map { "  \($0.name.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.summary)" }.joined(separator: "\n")
        return """
        vidmake \(version): make for narrated, AI-generated videos

        Usage: vidmake COMMAND [OPTIONS] FILE…

        Commands:
        \(list)

        Options:
          -h, --help     Show help (also: vidmake help COMMAND)
          -V, --version  Show the version

        Exit status: 0 success, 1 invalid input or failed work, 2 wrong command line.
        """
    }

    static func help(_ c: Command) -> String {
        "Usage: \(c.usage)\n\n\(c.summary)\n\n\(c.details)"
    }
}

/// The words of a command line, consumed front to back.
struct Arguments {
    private(set) var remaining: [String]
    init(_ argv: [String]) { remaining = argv }

    mutating func next() -> String? { remaining.isEmpty ? nil : remaining.removeFirst() }
    var isEmpty: Bool { remaining.isEmpty }
}

/// A usage error: printed with the command's usage line, exit status 2.
struct UsageError: Error {
    var message: String
}

enum Output {
    static func out(_ s: String) {
        FileHandle.standardOutput.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
    }

    static func err(_ s: String) {
        FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8))
    }

    static func usageError(_ message: String, _ command: Command) -> Int32 {
        err("vidmake \(command.name): \(message)\nUsage: \(command.usage)\nRun 'vidmake help \(command.name)' for details.")
        return ExitCode.usage
    }
}
