import Foundation
import Planner
import RecipeParser

/// `local/tones` for music: a synthesized ambient bed of any length, offline — soft pad chords
/// that cross-fade into each other over a quiet bass, with a gentle arpeggio for upbeat moods.
///
/// Inputs: `duration` (required, more than 0 and at most an hour), `mood` (e.g. "calm reflective
/// orchestral") and `prompt` (the music prompt; its words count as mood words too). Options:
/// `seed` (int), `key` ("D minor", "F#", "Bb major", "Em"), `tempo` (30–240 bpm; a chord lasts one
/// bar of four beats).
///
/// Output: a WAV file, 48 kHz, stereo, 16-bit PCM, exactly round(duration x 48000) frames, with a
/// 2 s fade-in and a 3 s fade-out (shorter for short beds), peaking at -6 dBFS. Written by Swift
/// directly, a second at a time, so an hour needs no more memory than a minute. The same inputs
/// give the same bytes: every choice comes from the SHA-256 of prompt, mood and seed.
///
/// See `TonePlan` for the musical choices and `ToneSynth` for the sound.
public struct TonesMusic: Producer {
    public init() {}

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        guard let out = job.step.outputs.first else { throw ProducerError("\(job.step.id) has no output") }
        let seconds: Double
        switch job.value("duration") {
        case .duration(let t)?: seconds = t.seconds
        case .int(let n)?: seconds = Double(n)
        case .number(let d)?: seconds = d
        default:
            throw ProducerError("\(job.step.id): the music has no duration", help: "set the duration input, e.g. duration: 90s")
        }
        guard seconds > 0, seconds <= 3600 else {
            throw ProducerError("\(job.step.id): a music bed of \(seconds) s is out of range", help: "give a duration above 0 and at most 1h")
        }
        let plan = try TonePlan(prompt: try job.text("prompt") ?? "", mood: try job.text("mood") ?? "",
                                seed: job.options["seed"]?.int, key: job.textOption("key"), tempo: job.options["tempo"]?.int,
                                step: "\(job.step.id)")
        let wav = job.outputPath(out.artifact, ext: "wav")
        let frames = Int((seconds * Double(ToneSynth.rate)).rounded())
        try ToneSynth(plan).write(frames: frames, to: wav, cancel: job.cancel)
        return Produced(files: [out.artifact: wav])
    }
}

/// The musical choices for a bed: mode, key, chord progression, tempo, arpeggio.
///
/// - Mode: minor when the mood (or prompt) has more words like sad, reflective, dark, melancholy,
///   tense than words like happy, bright, uplifting, hopeful; major when it has more of those;
///   otherwise the seed decides. A `key` option with a mode ("D minor") overrides both.
/// - Progression: one of four per mode, by seed: minor i–VI–III–VII, i–iv–VI–V, i–VII–VI–VII,
///   i–VI–iv–v; major I–V–vi–IV, I–IV–vi–V, I–vi–IV–V, IV–I–V–vi.
/// - Key: the `key` option's note, else one chosen by the seed.
/// - Tempo: the `tempo` option, else 100–115 bpm for upbeat moods (which also get an arpeggio)
///   and 50–61 bpm for the rest.
struct TonePlan: Sendable {
    struct Chord: Sendable {
        /// Semitones above the key's root.
        var offset: Int
        var minor: Bool
        var pitchClasses: [Int] { [offset, offset + (minor ? 3 : 4), offset + 7].map { (($0 % 12) + 12) % 12 } }
    }

    var root: Int
    var minor: Bool
    var progression: [Chord]
    var tempo: Int
    var arpeggio: Bool
    var seed: UInt64

    static let minorWords: Set<String> = ["sad", "reflective", "dark", "melancholy", "melancholic", "tense", "somber", "sombre",
                                          "mysterious", "ominous", "moody", "tragic", "grief", "mournful", "haunting", "suspense",
                                          "suspenseful", "serious", "brooding", "lonely", "eerie", "solemn", "wistful"]
    static let majorWords: Set<String> = ["happy", "bright", "uplifting", "hopeful", "joyful", "cheerful", "optimistic", "warm",
                                          "triumphant", "playful", "sunny", "inspiring", "inspirational", "positive", "festive"]
    static let upbeatWords: Set<String> = ["upbeat", "energetic", "lively", "driving", "fast", "dance", "exciting", "bouncy", "pulsing"]

    static let minorProgressions: [[Chord]] = [
        [Chord(offset: 0, minor: true), Chord(offset: 8, minor: false), Chord(offset: 3, minor: false), Chord(offset: 10, minor: false)],
        [Chord(offset: 0, minor: true), Chord(offset: 5, minor: true), Chord(offset: 8, minor: false), Chord(offset: 7, minor: false)],
        [Chord(offset: 0, minor: true), Chord(offset: 10, minor: false), Chord(offset: 8, minor: false), Chord(offset: 10, minor: false)],
        [Chord(offset: 0, minor: true), Chord(offset: 8, minor: false), Chord(offset: 5, minor: true), Chord(offset: 7, minor: true)],
    ]
    static let majorProgressions: [[Chord]] = [
        [Chord(offset: 0, minor: false), Chord(offset: 7, minor: false), Chord(offset: 9, minor: true), Chord(offset: 5, minor: false)],
        [Chord(offset: 0, minor: false), Chord(offset: 5, minor: false), Chord(offset: 9, minor: true), Chord(offset: 7, minor: false)],
        [Chord(offset: 0, minor: false), Chord(offset: 9, minor: true), Chord(offset: 5, minor: false), Chord(offset: 7, minor: false)],
        [Chord(offset: 5, minor: false), Chord(offset: 0, minor: false), Chord(offset: 7, minor: false), Chord(offset: 9, minor: true)],
    ]

    init(prompt: String, mood: String, seed option: Int?, key: String?, tempo: Int?, step: String) throws(ProducerError) {
        seed = CardText.hash(["tones", prompt, mood, option.map(String.init) ?? ""].joined(separator: "\u{1F}"))
        var rng = SplitMix64(seed: seed)
        let words = CardText.tokens(mood + " " + prompt)
        let minorCount = words.filter(TonePlan.minorWords.contains).count
        let majorCount = words.filter(TonePlan.majorWords.contains).count
        arpeggio = words.contains(where: TonePlan.upbeatWords.contains)

        var keyRoot: Int?
        var keyMinor: Bool?
        if let key {
            guard let parsed = TonePlan.parseKey(key) else {
                throw ProducerError("\(step): '\(key)' is not a key", help: "write a key as a note and an optional mode: C, F#, Bb major, D minor, Em")
            }
            (keyRoot, keyMinor) = parsed
        }
        let coin = rng.below(2) == 0
        minor = keyMinor ?? (minorCount != majorCount ? minorCount > majorCount : coin)
        let choices = minor ? TonePlan.minorProgressions : TonePlan.majorProgressions
        progression = choices[rng.below(choices.count)]
        let randomRoot = rng.below(12)
        root = keyRoot ?? randomRoot
        let randomTempo = arpeggio ? 100 + rng.below(16) : 50 + rng.below(12)
        if let tempo, !(30...240).contains(tempo) {
            throw ProducerError("\(step): a tempo of \(tempo) bpm is out of range", help: "use 30 to 240 bpm")
        }
        self.tempo = tempo ?? randomTempo
    }

    /// "D minor" → (2, true); "F#" → (6, nil); "Bb major" → (10, false); "Em" → (4, true).
    static func parseKey(_ text: String) -> (root: Int, minor: Bool?)? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard let letter = rest.first?.uppercased(),
              let natural = ["C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11][letter] else { return nil }
        rest = rest.dropFirst()
        var root = natural
        if let a = rest.first, "#♯b♭".contains(a) {
            root += (a == "#" || a == "♯") ? 1 : -1
            rest = rest.dropFirst()
        }
        let mode: Bool?
        switch rest.trimmingCharacters(in: .whitespaces).lowercased() {
        case "": mode = nil
        case "major", "maj": mode = false
        case "minor", "min", "m": mode = true
        default: return nil
        }
        return ((root + 12) % 12, mode)
    }
}

/// A small, fast, reproducible random number generator (SplitMix64).
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0 ..< n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// 0 ..< 1.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// Two channels of float samples, allocated once and zeroed. Plain pointers: the sample loops
/// index them directly, which stays fast even in a debug build.
final class StereoBuffer {
    let count: Int
    let left: UnsafeMutablePointer<Float>
    let right: UnsafeMutablePointer<Float>

    init(count: Int) {
        self.count = count
        left = .allocate(capacity: count)
        right = .allocate(capacity: count)
        left.initialize(repeating: 0, count: count)
        right.initialize(repeating: 0, count: count)
    }

    func clear() {
        left.update(repeating: 0, count: count)
        right.update(repeating: 0, count: count)
    }

    deinit {
        left.deallocate()
        right.deallocate()
    }
}

/// The sound of a `TonePlan`.
///
/// Each chord is a segment rendered once and reused wherever that chord comes back: three chord
/// tones around middle C, each as two oscillators detuned a few cents apart and panned apart, with
/// a slow tremolo of its own, plus the root two octaves down as a quiet bass. Every second pass
/// through the progression uses a second voicing (an octave higher, with an added ninth) so the
/// loop is not bare repetition. Oscillators are rotating phasors (two multiplications and an
/// addition per step, renormalized every 4096 samples); the second and third partials come from
/// the same phasor (sin 2θ = 2 sin θ cos θ, sin 3θ = sin θ (3 − 4 sin² θ)), so there is no
/// per-sample call to `sin`. Segments overlap by a cross-fade of up to 1.5 s with equal-power
/// sine/cosine envelopes, so chord changes are smooth and nothing starts or stops with a click.
///
/// The bed is assembled a second at a time from the segments, faded, scaled and written. The
/// scale puts the peak at -6 dBFS: the bed is periodic (the progression twice), so for a long bed
/// the peak of one period between the fades is the peak of the whole; a short one is measured
/// entirely.
final class ToneSynth {
    static let rate = 48_000
    /// -6 dBFS.
    static let peakTarget = 0.5

    let plan: TonePlan
    /// One chord, in frames.
    let bar: Int
    /// The overlap of two chords, in frames.
    let crossfade: Int
    private var pads: [Int: StereoBuffer] = [:]
    private var arpeggios: [Int: StereoBuffer] = [:]

    init(_ plan: TonePlan) {
        self.plan = plan
        bar = Int((240.0 / Double(plan.tempo) * Double(ToneSynth.rate)).rounded())
        crossfade = min(Int(1.5 * Double(ToneSynth.rate)), bar * 2 / 5)
    }

    /// Writes `frames` frames of the bed as a WAV file.
    func write(frames: Int, to path: String, cancel: CancelToken) throws(ProducerError) {
        let chunk = ToneSynth.rate
        let buffer = StereoBuffer(count: chunk)
        let left = buffer.left, right = buffer.right

        // Raised-cosine fades: 2 s in and 3 s out, or a quarter and a third of a short bed.
        let fadeIn = Int(min(2, Double(frames) / Double(ToneSynth.rate) * 0.25) * Double(ToneSynth.rate))
        let fadeOut = Int(min(3, Double(frames) / Double(ToneSynth.rate) * 0.35) * Double(ToneSynth.rate))
        func fade(_ t: Int) -> Double {
            var g = 1.0
            if t < fadeIn { g *= (1 - cos(Double.pi * Double(t) / Double(fadeIn))) / 2 }
            if frames - t <= fadeOut { g *= (1 - cos(Double.pi * Double(frames - t - 1) / Double(fadeOut))) / 2 }
            return g
        }

        // The peak: of the whole faded bed if it is short; else of one period (plus the chord
        // that wraps around) between the fades, which is the peak of the whole.
        let period = 2 * plan.progression.count * bar + bar + crossfade
        let whole = frames <= fadeIn + period + fadeOut
        let measured = whole ? 0..<frames : fadeIn..<(fadeIn + period)
        var peak = 0.0
        var start = measured.lowerBound
        while start < measured.upperBound {
            let n = min(chunk, measured.upperBound - start)
            mix(into: buffer, from: start, count: n)
            for i in 0..<n { peak = max(peak, Double(max(abs(left[i]), abs(right[i]))) * fade(start + i)) }
            start += n
        }
        let gain = peak > 0 ? ToneSynth.peakTarget / peak : 1

        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw ProducerError("cannot write \(path)")
        }
        defer { try? file.close() }
        func put(_ data: Data) throws(ProducerError) {
            do { try file.write(contentsOf: data) } catch { throw ProducerError("cannot write \(path): \(error.localizedDescription)") }
        }
        try put(WAV.header(channels: 2, sampleRate: ToneSynth.rate, frames: frames))

        let pcm = UnsafeMutablePointer<Int16>.allocate(capacity: 2 * chunk)
        defer { pcm.deallocate() }
        start = 0
        while start < frames {
            try cancel.check()
            let n = min(chunk, frames - start)
            mix(into: buffer, from: start, count: n)
            for i in 0..<n {
                let g = gain * fade(start + i)
                pcm[2 * i] = ToneSynth.sample(Double(left[i]) * g).littleEndian
                pcm[2 * i + 1] = ToneSynth.sample(Double(right[i]) * g).littleEndian
            }
            try put(Data(bytes: pcm, count: 4 * n))
            start += n
        }
    }

    /// A float sample (full scale 1) as 16-bit PCM, rounded, kept within ±32766.
    static func sample(_ x: Double) -> Int16 {
        Int16(max(-32766, min(32766, (x * 32767).rounded())))
    }

    /// Frames `start ..< start+count` of the bed before fades and scaling, into `out`.
    private func mix(into out: StereoBuffer, from start: Int, count: Int) {
        out.clear()
        let end = start + count
        // Slot k: chord k's pad from k*bar - crossfade/2 (so the cross-fade is centred on the bar
        // line), its arpeggio from k*bar.
        var k = max(0, (start - bar) / bar)
        while k * bar - crossfade / 2 < end {
            add(pad(k), at: k * bar - crossfade / 2, into: out, from: start, to: end)
            if plan.arpeggio { add(arpeggio(k % plan.progression.count), at: k * bar, into: out, from: start, to: end) }
            k += 1
        }
    }

    /// Adds the part of `segment` (placed at frame `offset`) that falls in `from ..< to`.
    private func add(_ segment: StereoBuffer, at offset: Int, into out: StereoBuffer, from: Int, to: Int) {
        let a = max(from, offset), b = min(to, offset + segment.count)
        let (sl, sr, ol, or) = (segment.left, segment.right, out.left, out.right)
        var i = a
        while i < b {
            ol[i - from] += sl[i - offset]
            or[i - from] += sr[i - offset]
            i += 1
        }
    }

    /// The pad of slot `k`, rendered on first use: chord k mod n, voicing 1 or 2 by pass.
    private func pad(_ k: Int) -> StereoBuffer {
        let n = plan.progression.count
        let index = k % (2 * n)
        if let cached = pads[index] { return cached }
        let chord = plan.progression[index % n]
        let second = index >= n
        var rng = SplitMix64(seed: plan.seed &+ UInt64(index + 1) &* 0x9E37_79B9)
        let buffer = StereoBuffer(count: bar + crossfade)

        var notes = chord.pitchClasses.map { ToneSynth.place(plan.root + $0, low: second ? 60 : 55) }
        if second { notes.append(ToneSynth.place(plan.root + chord.offset + 2, low: 67)) }
        for (j, note) in notes.enumerated() {
            let pan = notes.count > 1 ? -0.5 + Double(j) / Double(notes.count - 1) : 0
            let level = j == 3 ? 0.09 : 0.16
            for side in [-1.0, 1.0] {
                let cents = side * (3 + 4 * rng.unit())
                addVoice(to: buffer, frequency: ToneSynth.frequency(note) * pow(2, cents / 1200), level: level,
                         pan: max(-0.8, min(0.8, pan + side * 0.25)), partials: (0.3, 0.12),
                         tremolo: (0.06 + 0.12 * rng.unit(), 0.25, 2 * Double.pi * rng.unit()), phase: 2 * Double.pi * rng.unit())
            }
        }
        let bass = ToneSynth.place(plan.root + chord.offset, low: 36)
        addVoice(to: buffer, frequency: ToneSynth.frequency(bass), level: 0.3, pan: 0, partials: (0.15, 0),
                 tremolo: (0.05, 0.1, 0), phase: 0)

        // Equal-power envelopes over the cross-fades at both ends.
        for i in 0..<crossfade {
            let g = Float(sin(Double.pi / 2 * (Double(i) + 0.5) / Double(crossfade)))
            let e = buffer.count - 1 - i
            buffer.left[i] *= g; buffer.right[i] *= g
            buffer.left[e] *= g; buffer.right[e] *= g
        }
        pads[index] = buffer
        return buffer
    }

    /// The arpeggio over chord `index`: eighth notes on the chord tones an octave up, each a
    /// plucked tone with a 5 ms attack, an exponential decay and a 10 ms release.
    private func arpeggio(_ index: Int) -> StereoBuffer {
        if let cached = arpeggios[index] { return cached }
        let chord = plan.progression[index]
        let tones = chord.pitchClasses.map { ToneSynth.place(plan.root + $0, low: 67) }.sorted()
        let sequence = tones + [tones[0] + 12, tones[2], tones[1], tones[2], tones[0] + 12]
        let step = bar / 8
        let length = 2 * step
        let buffer = StereoBuffer(count: 7 * step + length)
        let (l, r) = (buffer.left, buffer.right)
        let attack = ToneSynth.rate / 200, release = ToneSynth.rate / 100
        let decay = exp(-1 / (0.18 * Double(ToneSynth.rate)))
        for (n, note) in sequence.enumerated() {
            let w = 2 * Double.pi * ToneSynth.frequency(note) / Double(ToneSynth.rate)
            let (cw, sw) = (cos(w), sin(w))
            var c = 1.0, s = 0.0, env = 0.11
            let pan = n % 2 == 0 ? -0.3 : 0.3
            let gl = cos((pan + 1) * Double.pi / 4), gr = sin((pan + 1) * Double.pi / 4)
            for i in 0..<length {
                let shape = min(1, Double(i) / Double(attack), Double(length - i) / Double(release))
                let v = s * (1 + 0.4 * c) * env * shape
                l[n * step + i] += Float(v * gl)
                r[n * step + i] += Float(v * gr)
                (c, s) = (c * cw - s * sw, c * sw + s * cw)
                env *= decay
            }
        }
        arpeggios[index] = buffer
        return buffer
    }

    /// Adds one oscillator: a sine with its 2nd and 3rd partials at `partials` of its level, a
    /// tremolo (rate in Hz, depth, start phase), panned with equal power (`pan` -1 left … 1 right).
    private func addVoice(to buffer: StereoBuffer, frequency: Double, level: Double, pan: Double, partials: (Double, Double),
                          tremolo: (rate: Double, depth: Double, phase: Double), phase: Double) {
        let (l, r) = (buffer.left, buffer.right)
        let rate = Double(ToneSynth.rate)
        let w = 2 * Double.pi * frequency / rate, lw = 2 * Double.pi * tremolo.rate / rate
        let (cw, sw, lcw, lsw) = (cos(w), sin(w), cos(lw), sin(lw))
        var (c, s) = (cos(phase), sin(phase))
        var (lc, ls) = (cos(tremolo.phase), sin(tremolo.phase))
        let gl = level * cos((pan + 1) * Double.pi / 4), gr = level * sin((pan + 1) * Double.pi / 4)
        let (a2, a3) = (2 * partials.0, partials.1)
        var i = 0
        while i < buffer.count {
            let blockEnd = min(buffer.count, i + 4096)
            while i < blockEnd {
                let v = s * (1 + a2 * c + a3 * (3 - 4 * s * s)) * (1 + tremolo.depth * ls)
                l[i] += Float(v * gl)
                r[i] += Float(v * gr)
                (c, s) = (c * cw - s * sw, c * sw + s * cw)
                (lc, ls) = (lc * lcw - ls * lsw, lc * lsw + ls * lcw)
                i += 1
            }
            // Keep the phasors on the unit circle against rounding drift.
            let k = 1 / (c * c + s * s).squareRoot(), lk = 1 / (lc * lc + ls * ls).squareRoot()
            (c, s, lc, ls) = (c * k, s * k, lc * lk, ls * lk)
        }
    }

    /// The MIDI note of pitch class `pc` in the octave from `low`.
    static func place(_ pc: Int, low: Int) -> Int { low + (((pc - low) % 12) + 12) % 12 }

    /// Equal temperament, A4 (MIDI 69) = 440 Hz.
    static func frequency(_ midi: Int) -> Double { 440 * pow(2, Double(midi - 69) / 12) }
}
