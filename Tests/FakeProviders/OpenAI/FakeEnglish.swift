import Foundation

/// FNV-1a, 64-bit: a stable hash (Swift's `Hasher` is seeded per process).
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
}

/// SplitMix64: a small deterministic generator, so the same seed always makes the same text.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Deterministic, plausible English: documentary-flavoured sentences and titles.
enum FakeEnglish {
    private static let adjectives = [
        "quiet", "ancient", "bustling", "forgotten", "golden", "narrow", "distant", "weathered", "vast", "crowded",
        "silent", "early", "northern", "remote", "humble", "restless", "steady", "bright", "modest", "famous",
        "old", "iron", "open", "eastern", "hidden", "long",
    ]
    private static let nouns = [
        "river", "village", "harbor", "market", "railway", "cathedral", "factory", "valley", "general", "merchant",
        "farmer", "bridge", "letter", "map", "treaty", "engine", "mountain", "city", "army", "scholar", "storm",
        "frontier", "lighthouse", "garden", "council", "road", "ship", "library",
    ]
    private static let verbs = [
        "crossed", "watched", "shaped", "carried", "built", "guarded", "changed", "followed", "reached", "defended",
        "mapped", "revealed", "connected", "welcomed", "survived", "transformed", "remembered", "explored",
    ]
    private static let adverbs = ["slowly", "quietly", "steadily", "suddenly", "carefully", "gradually", "boldly", "patiently"]
    private static let prepositions = ["near", "beyond", "across", "beside", "toward", "along", "under", "around"]
    private static let times = [
        "in the early spring", "after the long winter", "by the end of the decade", "before the first snow",
        "at dawn", "during the harvest", "within a single generation", "in those uncertain years",
    ]

    /// One sentence of 17 to 21 words.
    static func sentence(seed: UInt64) -> String {
        var g = SeededGenerator(seed: seed)
        func pick(_ words: [String]) -> String { words[Int(g.next() % UInt64(words.count))] }
        func plural() -> String { pluralize(pick(nouns)) }
        let text: String
        switch g.next() % 4 {
        case 0:
            text = "the \(pick(adjectives)) \(pick(nouns)) \(pick(verbs)) the \(pick(adjectives)) \(pick(nouns)) "
                + "\(pick(prepositions)) the \(pick(nouns)) \(pick(times)), while \(plural()) \(pick(verbs)) \(pick(adverbs))."
        case 1:
            text = "\(pick(times)), \(plural()) from the \(pick(adjectives)) \(pick(nouns)) \(pick(verbs)) the \(pick(nouns)) "
                + "\(pick(prepositions)) the \(pick(adjectives)) \(pick(nouns)) and \(pick(verbs)) its \(pick(adjectives)) "
                + "\(pick(nouns)) \(pick(adverbs))."
        case 2:
            text = "few \(plural()) \(pick(verbs)) the \(pick(nouns)) as \(pick(adverbs)) as the \(pick(adjectives)) "
                + "\(pick(nouns)) that \(pick(verbs)) \(pick(prepositions)) the \(pick(nouns)) \(pick(times))."
        default:
            text = "every \(pick(nouns)) \(pick(prepositions)) the \(pick(adjectives)) \(pick(nouns)) \(pick(verbs)) "
                + "\(article(pick(adjectives))) \(pick(nouns)), and the \(plural()) \(pick(verbs)) it \(pick(adverbs)) \(pick(times))."
        }
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    /// A title of four or five words in title case.
    static func title(seed: UInt64) -> String {
        var g = SeededGenerator(seed: seed)
        func pick(_ words: [String]) -> String { words[Int(g.next() % UInt64(words.count))].capitalized }
        return g.next() % 2 == 0
            ? "The \(pick(adjectives)) \(pick(nouns)) of \(pick(nouns))"
            : "\(pick(adjectives)) \(pluralize(pick(nouns))) \(pick(prepositions).lowercased()) the \(pick(nouns))"
    }

    /// "a" or "an" before `word`.
    private static func article(_ word: String) -> String {
        "aeiou".contains(word.first ?? "x") ? "an \(word)" : "a \(word)"
    }

    private static func pluralize(_ noun: String) -> String {
        if noun.hasSuffix("y"), let before = noun.dropLast().last, !"aeiou".contains(before) { return noun.dropLast() + "ies" }
        if noun.hasSuffix("s") || noun.hasSuffix("h") { return noun + "es" }
        return noun + "s"
    }
}
