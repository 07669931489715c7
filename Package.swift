// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vidmake",
    products: [
        .executable(name: "vidmake", targets: ["vidmake"]),
    ],
    targets: [
        // C libraries from Debian's -dev packages; each module map names a local shim header.
        .systemLibrary(name: "CYaml", path: "Sources/CYaml", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        .target(name: "RecipeParser", dependencies: ["CYaml"]),
        .target(name: "Planner", dependencies: ["RecipeParser", "CCrypto"]),
        .target(name: "Emitters", dependencies: ["Planner"]),
        .executableTarget(name: "vidmake", dependencies: ["RecipeParser", "Planner", "Emitters"]),

        .testTarget(name: "RecipeParserTests", dependencies: ["RecipeParser"]),
        .testTarget(name: "PlannerTests", dependencies: ["Planner", "Emitters", "RecipeParser"]),
    ]
)
