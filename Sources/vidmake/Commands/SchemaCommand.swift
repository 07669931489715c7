import RecipeParser

/// `vidmake schema`: the JSON Schema of vidfiles (or recipes), for YAML editors.
enum SchemaCommand {
    static let command = Command(
        name: "schema",
        summary: "Print the JSON Schema of vidfiles, for editors",
        usage: "vidmake schema [--recipe]",
        details: """
        Prints a JSON Schema (draft-07) that YAML editors use to complete and validate vidfiles.
        Save it and point your editor at it, e.g. with a first line
            # yaml-language-server: $schema=./vidfile.schema.json

        Options:
          --recipe   The schema of recipes instead
        """,
        run: run)

    static func run(_ args: inout Arguments) -> Int32 {
        var recipe = false
        while let a = args.next() {
            guard a == "--recipe" else { return Output.usageError("unknown argument '\(a)'", command) }
            recipe = true
        }
        Output.out((recipe ? VidfileSchema.recipe() : VidfileSchema.vidfile()).serialized())
        return ExitCode.ok
    }
}
