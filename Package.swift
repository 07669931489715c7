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
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        .target(name: "RecipeParser", dependencies: ["CYaml"], exclude: ["README.md"]),
        .target(name: "Planner", dependencies: ["RecipeParser", "CCrypto"], exclude: ["README.md"]),
        .target(name: "HTTP", dependencies: ["CCurl"], exclude: ["README.md"]),
        .target(name: "Producers", dependencies: ["Planner", "RecipeParser", "HTTP"], exclude: ["README.md"]),
        .target(name: "BuildState", dependencies: ["Producers", "Planner", "RecipeParser"], exclude: ["README.md"]),
        .target(name: "Runner", dependencies: ["BuildState", "Producers", "Planner", "RecipeParser"], exclude: ["README.md"]),
        .target(name: "Emitters", dependencies: ["Planner", "RecipeParser"], exclude: ["README.md"]),
        .executableTarget(name: "vidmake", dependencies: ["RecipeParser", "Planner", "Producers", "BuildState", "Runner", "Emitters"], exclude: ["README.md"]),

        // One test target per module; TestSupport holds what several share (the source tree's
        // paths, a scratch copy of a project run with the real binary, the example built once).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "RecipeParserTests", dependencies: ["RecipeParser", "TestSupport"]),
        .testTarget(name: "PlannerTests", dependencies: ["Planner", "BuildState", "RecipeParser", "TestSupport"]),
        .testTarget(name: "ProducersTests", dependencies: ["Producers", "Planner", "RecipeParser"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "FakeProviders"]),
        .testTarget(name: "RunnerTests", dependencies: ["Runner", "BuildState", "Producers", "Planner", "RecipeParser", "FakeProviders", "TestSupport"]),
        .testTarget(name: "EmittersTests", dependencies: ["Emitters", "TestSupport"]),
        .testTarget(name: "vidmakeTests", dependencies: ["TestSupport"]),
        .testTarget(name: "BuildStateTests", dependencies: ["BuildState", "Planner", "RecipeParser", "Producers"]),

        // A loopback stand-in for OpenAI, Replicate, ElevenLabs and Ollama that speaks their real
        // HTTP APIs, with fault injection, so tests can run the real HTTP client end to end.
        .target(name: "FakeProviders", path: "Tests/FakeProviders", exclude: ["README.md"]),
        .executableTarget(name: "fake-providers", dependencies: ["FakeProviders"], path: "Tests/FakeProvidersMain"),
        .testTarget(name: "FakeProvidersTests", dependencies: ["FakeProviders"], path: "Tests/FakeProvidersTests"),
    ]
)
