import Foundation

/// What each producer needs and can make beyond its `provider:` line — the parameters it cannot
/// run without, the ones it reads at all, the outputs it can make, the options it needs, and what
/// it needs from this machine. The checker holds every vidfile to these before anything runs, so a
/// vidfile that checks is one the producers can build; `ProducerRegistry` is tested against this
/// table (ProducersTests/CatalogDriftTests), so the two cannot drift apart unnoticed.
public struct ProducerContract: Sendable {
    public enum Need: Sendable {
        /// An espeak-ng voice named by this parameter (or, when it is unset, by `language`).
        case espeakVoice(parameter: String)
        /// A font file named by this option, inside the project.
        case fontFile(option: String)
    }

    public var family: String
    public var kind: ProducerKind
    /// nil: every model of the family.
    public var model: String?
    /// Parameters it cannot run without → the help line when one is missing or unset.
    public var requires: [String: String] = [:]
    /// Parameters it reads; nil when it reads any (a prompt can use every input).
    public var reads: Set<String>? = nil
    /// Which output names it can make (nil: any name).
    public var makes: Set<String>? = nil
    /// Options it cannot run without → help.
    public var requiredOptions: [String: String] = [:]
    public var needs: [Need] = []
    /// For render producers: reads per role, a scene (`for:` a dimension) or the assembly.
    public var sceneReads: Set<String>? = nil

    public func covers(_ provider: ProviderRef, kind: ProducerKind) -> Bool {
        provider.family == family && self.kind == kind && (model == nil || model == provider.model)
    }
}

extension ProviderCatalog {
    public static let contracts: [ProducerContract] = [
        ProducerContract(family: "local", kind: .llm, model: "article",
                         requires: ["source": "local/article narrates an article: set 'source: article.md' under 'inputs:' (or pick an llm provider such as openai or ollama)"],
                         makes: ["title", "summary", "narration", "image_prompt", "motion_prompt"]),
        ProducerContract(family: "local", kind: .llm, model: "template"),
        ProducerContract(family: "local", kind: .tts, model: "espeak",
                         requires: ["text": "wire the narration text to the producer: 'text: narration[segment]'"],
                         reads: ["text", "voice", "language"], needs: [.espeakVoice(parameter: "voice")]),
        ProducerContract(family: "local", kind: .image, model: "card", needs: [.fontFile(option: "font")]),
        ProducerContract(family: "local", kind: .video, model: "card", needs: [.fontFile(option: "font")]),
        ProducerContract(family: "local", kind: .music, model: "tones",
                         requires: ["duration": "local/tones makes a bed as long as the video: wire 'duration: duration' into the producer's inputs"]),
        ProducerContract(family: "local", kind: .render, model: "ffmpeg",
                         reads: ["title", "summary", "narration", "audio", "scene", "clip_scene", "animation_scene", "music"],
                         sceneReads: ["audio", "text", "image", "clip"]),
        ProducerContract(family: "file", kind: .image, requiredOptions: ["path": "write options: { path: photos/intro.png }"]),
        ProducerContract(family: "file", kind: .video, requiredOptions: ["path": "write options: { path: media/intro.mp4 }"]),
        ProducerContract(family: "file", kind: .music, requiredOptions: ["path": "write options: { path: media/bed.mp3 }"]),
        ProducerContract(family: "file", kind: .tts, requiredOptions: ["path": "write options: { path: media/voice.wav }"]),
        ProducerContract(family: "openai", kind: .llm),
        ProducerContract(family: "openai", kind: .tts),
        ProducerContract(family: "openai", kind: .image),
        ProducerContract(family: "openai", kind: .align),
        ProducerContract(family: "ollama", kind: .llm),
        ProducerContract(family: "replicate", kind: .image),
        ProducerContract(family: "replicate", kind: .video),
        ProducerContract(family: "replicate", kind: .music),
        ProducerContract(family: "elevenlabs", kind: .tts),
    ]

    public static func contract(for provider: ProviderRef, kind: ProducerKind) -> ProducerContract? {
        contracts.first { $0.covers(provider, kind: kind) }
    }
}

/// What the checker may ask of this machine. Tests pass their own; `vidmake check` asks the machine.
public protocol MachineFacts: Sendable {
    /// The espeak-ng voices installed, by the names `espeak-ng -v` accepts; nil when espeak-ng
    /// cannot be asked (then voices are checked at build time).
    func espeakVoices() -> Set<String>?
}

/// The machine vidmake runs on: `espeak-ng --voices`, asked once (MBROLA voices are listed by
/// espeak-ng whether or not their data is installed, so they are not taken from its list).
public final class LiveMachine: MachineFacts, @unchecked Sendable {
    public static let shared = LiveMachine()
    private let lock = NSLock()
    private var voices: Set<String>??

    public func espeakVoices() -> Set<String>? {
        lock.lock(); defer { lock.unlock() }
        if let voices { return voices }
        let found = Self.ask(["--voices"])
        voices = .some(found)
        return found
    }

    /// The language and file columns of `espeak-ng --voices`: both name a voice for `-v`.
    static func ask(_ arguments: [String]) -> Set<String>? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["espeak-ng"] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        var names: Set<String> = []
        // Columns: Pty, Language, Age/Gender, VoiceName, File, Other Languages ("(zh-cmn 5)(zh 5)").
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
            let cols = line.split(whereSeparator: { $0 == " " }).map { $0.lowercased() }
            guard cols.count >= 5 else { continue }
            names.insert(cols[1])
            names.insert(cols[3])
            names.insert(cols[4])
            if let last = cols[4].split(separator: "/").last { names.insert(String(last)) }
            for other in cols.dropFirst(5) { for part in other.split(separator: ")") where part.hasPrefix("(") { names.insert(String(part.dropFirst())) } }
        }
        return names.isEmpty ? nil : names
    }

    /// `en-us+f3`: a voice with a variant; the variant (after `+`) is not a voice of its own.
    public static func baseVoice(_ voice: String) -> String {
        String(voice.lowercased().prefix { $0 != "+" })
    }
}
