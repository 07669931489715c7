import Foundation

// vidmake: a thin command line over RecipeParser, Planner and Emitters.
let status = CommandLineInterface.run(Array(CommandLine.arguments.dropFirst()))
exit(status)
