import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libespeak-ng, bound at run time: speech as 16-bit mono WAV plus the time each word starts.
///
/// **Why dlopen.** The espeak-ng command line prints no timings; the C API reports an
/// `espeakEVENT_WORD` for every word. The library (`libespeak-ng.so.1`) ships with the `espeak-ng`
/// package, but its headers (`libespeak-ng-dev`) usually do not, and a link-time dependency would
/// stop vidmake from starting on machines without it. So the few functions used are looked up
/// with `dlopen`/`dlsym` and declared here as `@convention(c)` types, from `speak_lib.h` of
/// espeak-ng 1.51 (an API unchanged since espeak 1.48). When the library, a function or its data
/// is missing, `shared` is nil and `local/espeak` runs the CLI instead.
///
/// **A fresh library for every synthesis.** libespeak-ng keeps synthesis state that no function
/// resets: the phase of its pitch flutter and of the wave, the echo buffer, and libc's `rand()`
/// (breathy voices such as `+whisper` add noise from it). Spoken twice in one process, the same
/// text comes out a few samples different the second time. So each synthesis loads the library
/// anew (`dlopen`), initializes it (`espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL,
/// espeakINITIALIZE_DONT_EXIT)`, which reads espeak-ng-data and returns the sample rate, 22050),
/// speaks with `rand()` switched to a private state seeded with 1 (`initstate`; the process's own
/// state is put back after), then `espeak_Terminate`s it (which joins its worker thread) and
/// `dlclose`s it, which unmaps it so that the next `dlopen` starts from zeroed statics. That costs
/// about 8 ms a synthesis (the tests compare each result with a fresh `espeak-ng` process, byte
/// for byte). If the library is already loaded when a synthesis starts (another part of the
/// process holds it, or it could not be unmapped) its state cannot be trusted: the synthesis
/// fails and `local/espeak` runs the CLI.
///
/// **Thread-safety.** libespeak-ng is one global synthesizer (voice, parameters, buffers, the
/// callback) and is not thread-safe. Everything from `dlopen` to `dlclose` happens while holding
/// `lock`, one lock for the process; so do the probe that decides `shared`. Initializing also
/// calls `setlocale(LC_CTYPE, "C.UTF-8")` for the process (espeak-ng needs it for `iswalpha`).
///
/// **Input is text, never markup or commands.** `espeak_Synth` gets `espeakCHARS_UTF8 |
/// espeakENDPAUSE` (the CLI's defaults, so the audio matches): no `espeakSSML` (so `<break …/>` is
/// read, not obeyed) and no `espeakPHONEMES` (so `[[…]]` is read as text). espeak-ng still obeys
/// two control characters in any text (U+0001 starts an embedded command such as a voice, speed
/// or punctuation change; `[` + U+0002 starts phoneme input), so callers pass `plainText(_:)`.
///
/// **Events.** In synchronous mode `espeak_Synth` calls the synth callback on the calling thread,
/// before it returns, with each buffer of samples and a list of `espeak_EVENT`s terminated by type
/// 0, and finally once with a NULL buffer. The layout of `espeak_EVENT` (LP64 offsets):
///
///     0  int  type            1 = word, 2 = sentence, 5 = end of clause, 8 = sample rate
///     4  uint unique_identifier
///     8  int  text_position   1-based position of the word's first character
///    12  int  length          the word's length in characters (at most 255)
///    16  int  audio_position  milliseconds from the start of the audio
///    20  int  sample          the same position in samples (internal)
///    24  void* user_data
///    32  union { int number; const char *name; char string[8]; } id   (8 = sample rate: number)
///        size 40
///
/// `text_position` and `length` count **Unicode scalars** (code points) of the text, not UTF-8 bytes
/// and not grapheme clusters: in "Café naïve résumé" the words are at 1, 6 and 12 (bytes would give
/// 1, 7 and 14), and "e" + U+0301 counts as two. Verified against 1.51 by the tests.
final class EspeakLibrary: Sendable {
    /// Why a synthesis failed.
    enum Failure: Error, Sendable, Equatable {
        /// espeak-ng knows no such voice (as the CLI's "The specified espeak-ng voice does not exist").
        case unknownVoice(String)
        /// The job was cancelled before the library was reached.
        case cancelled
        /// The library reported an error or could not be used.
        case failed(String)
    }

    /// The file the library is loaded from (the first of `libraryNames` that worked).
    let name: String

    /// The library, if it loads and initializes (tried once, the first time this is read).
    static var shared: EspeakLibrary? {
        if case .available(let library) = probe { return library }
        return nil
    }

    /// Why `shared` is nil, for the log.
    static var unavailableReason: String? {
        if case .unavailable(let why) = probe { return why }
        return nil
    }

    /// The file names tried, in order.
    static let libraryNames = ["libespeak-ng.so.1", "libespeak-ng.1.dylib"]

    // MARK: - Loading

    private enum Probe: Sendable {
        case available(EspeakLibrary)
        case unavailable(String)
    }

    /// Serializes every use of the library in the process (it has one global state).
    private static let lock = NSLock()

    /// Loads, initializes and unloads the library once, to know whether it can be used. Swift runs
    /// a static initializer exactly once.
    private static let probe: Probe = {
        lock.lock()
        defer { lock.unlock() }
        var reasons: [String] = []
        for name in libraryNames {
            switch API.open(name) {
            case .failure(let failure):
                reasons.append(failure.reason)
            case .success(let api):
                defer { api.close() }
                // DONT_EXIT: without it a missing espeak-ng-data makes the library call exit(1). On
                // that failure the sample rate stays 0 and no worker thread was started.
                guard api.initialize(C.audioOutputSynchronous, 0, nil, C.initializeDontExit) > 0 else {
                    reasons.append("\(name): espeak_Initialize failed (is espeak-ng-data installed?)")
                    continue
                }
                _ = api.terminate()
                return .available(EspeakLibrary(name: name))
            }
        }
        return .unavailable(reasons.joined(separator: "; "))
    }()

    private init(name: String) {
        self.name = name
    }

    // MARK: - Speaking

    /// Speaks `text` (UTF-8, given as data: see `plainText(_:)`) with an espeak-ng voice such as
    /// `en-us`, `en-gb`, `en-us+f3`, at `rate` words per minute (80–450) and `pitch` (0–99).
    /// Blocks while another thread uses the library.
    func synthesize(_ text: String, voice: String, rate: Int, pitch: Int,
                    cancel: CancelToken = CancelToken()) throws(Failure) -> EspeakSynthesis {
        guard (80...450).contains(rate), (0...99).contains(pitch) else {
            throw .failed("rate \(rate) or pitch \(pitch) is out of range")
        }
        // The library reads up to the first NUL; plainText has none, but a caller might.
        let bytes = Array(text.utf8).map { $0 == 0 ? 0x20 : $0 } + [0]
        let collector = EspeakCollector()
        let status: Int32
        let initialRate: Int
        do {
            Self.lock.lock()
            defer { Self.lock.unlock() }
            if cancel.isCancelled { throw Failure.cancelled }
            if let held = dlopen(name, RTLD_NOW | RTLD_NOLOAD) {
                dlclose(held)
                throw Failure.failed("\(name) is already loaded in this process, so its state is not fresh")
            }
            let api: API
            switch API.open(name) {
            case .success(let a): api = a
            case .failure(let failure): throw Failure.failed(failure.reason)
            }
            defer { api.close() }
            let initialized = api.initialize(C.audioOutputSynchronous, 0, nil, C.initializeDontExit)
            guard initialized > 0 else { throw Failure.failed("espeak_Initialize failed") }
            defer { _ = api.terminate() }
            initialRate = Int(initialized)
            api.setSynthCallback(espeakSynthCallback)
            try selectVoice(voice, api)
            guard api.setParameter(C.parameterRate, Int32(rate), 0) == C.ok,
                  api.setParameter(C.parameterPitch, Int32(pitch), 0) == C.ok else {
                throw Failure.failed("espeak_SetParameter refused rate \(rate) / pitch \(pitch)")
            }
            let random = FreshRandomState()
            defer { random.restore() }
            espeakActiveCollector = collector
            defer { espeakActiveCollector = nil }
            status = bytes.withUnsafeBytes { raw in
                api.synth(raw.baseAddress, raw.count, 0, C.positionCharacter, 0,
                          C.charsUTF8 | C.endPause, nil, nil)
            }
            _ = api.synchronize()
        }
        guard status == C.ok else { throw .failed("espeak_Synth returned \(status)") }
        if let problem = collector.problem { throw .failed(problem) }
        guard collector.ended else { throw .failed("espeak_Synth returned before the end of the speech") }
        guard !collector.samples.isEmpty else { throw .failed("espeak-ng made no audio") }
        let rateHz = collector.sampleRate ?? initialRate
        let words = EspeakTiming.words(of: text, events: collector.words, samples: collector.samples, sampleRate: rateHz)
        return EspeakSynthesis(wav: WAV.mono16(collector.samples, sampleRate: rateHz), sampleRate: rateHz,
                               samples: collector.samples, events: collector.words, words: words)
    }

    /// As the CLI does: the voice by name (a voice file such as `en-us`, with an optional `+variant`),
    /// else a voice for a language of that name (`en-gb`). Called with the lock held.
    private func selectVoice(_ voice: String, _ api: API) throws(Failure) {
        guard !voice.isEmpty, !voice.utf8.contains(0) else { throw .unknownVoice(voice) }
        if voice.withCString({ api.setVoiceByName($0) }) == C.ok { return }
        // espeak_VOICE { const char *name, *languages, *identifier; unsigned char gender, age,
        // variant, xx1; int score; void *spare; }, zeroed except `languages`.
        let pointer = MemoryLayout<UnsafeRawPointer>.size
        let size = C.align(3 * pointer + 8, pointer) + pointer
        let selector = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<UnsafeRawPointer>.alignment)
        defer { selector.deallocate() }
        selector.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        let status = voice.withCString { language in
            selector.storeBytes(of: UnsafeRawPointer(language), toByteOffset: pointer, as: UnsafeRawPointer.self)
            return api.setVoiceByProperties(selector)
        }
        guard status == C.ok else { throw .unknownVoice(voice) }
    }

    /// `text` with the characters espeak-ng would obey instead of speak replaced by spaces: the C0
    /// and C1 control characters other than tab, line feed and carriage return (U+0001 starts an
    /// embedded command, U+0002 after `[` starts phoneme input, NUL ends the text). One scalar
    /// for one, so positions in the result are positions in the text.
    static func plainText(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            let v = s.value
            let control = (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || (0x7F...0x9F).contains(v)
            scalars.append(control ? " " : s)
        }
        return String(scalars)
    }

    // MARK: - The C API

    /// The constants of `speak_lib.h` used here.
    enum C {
        static let ok: Int32 = 0                       // EE_OK
        static let audioOutputSynchronous: Int32 = 2   // AUDIO_OUTPUT_SYNCHRONOUS
        static let initializeDontExit: Int32 = 0x8000  // espeakINITIALIZE_DONT_EXIT
        static let positionCharacter: Int32 = 1        // POS_CHARACTER
        static let charsUTF8: UInt32 = 1               // espeakCHARS_UTF8
        static let endPause: UInt32 = 0x1000           // espeakENDPAUSE (a sentence pause at the end, as the CLI)
        static let parameterRate: Int32 = 1            // espeakRATE
        static let parameterPitch: Int32 = 3           // espeakPITCH
        static let eventListTerminated: Int32 = 0      // espeakEVENT_LIST_TERMINATED
        static let eventWord: Int32 = 1                // espeakEVENT_WORD
        static let eventSampleRate: Int32 = 8          // espeakEVENT_SAMPLERATE

        static func align(_ n: Int, _ to: Int) -> Int { (n + to - 1) / to * to }
    }

    /// Offsets in `espeak_EVENT` (see the type's documentation), for this platform's pointer size.
    enum EventLayout {
        static let type = 0
        static let textPosition = 8
        static let length = 12
        static let audioPosition = 16
        static let id = C.align(24, MemoryLayout<UnsafeRawPointer>.alignment) + MemoryLayout<UnsafeRawPointer>.size
        static let stride = C.align(id + max(8, MemoryLayout<UnsafeRawPointer>.size), MemoryLayout<UnsafeRawPointer>.alignment)
    }

    typealias SynthCallback = @convention(c) (UnsafeMutablePointer<Int16>?, Int32, UnsafeMutableRawPointer?) -> Int32

    /// One loaded copy of the library and its functions, resolved with dlsym.
    struct API {
        /// `int espeak_Initialize(espeak_AUDIO_OUTPUT output, int buflength, const char *path, int options)`
        typealias Initialize = @convention(c) (Int32, Int32, UnsafePointer<CChar>?, Int32) -> Int32
        /// `void espeak_SetSynthCallback(t_espeak_callback *cb)`; `int cb(short *wav, int numsamples, espeak_EVENT *events)`
        typealias SetSynthCallback = @convention(c) (SynthCallback?) -> Void
        /// `espeak_ERROR espeak_SetVoiceByName(const char *name)`
        typealias SetVoiceByName = @convention(c) (UnsafePointer<CChar>?) -> Int32
        /// `espeak_ERROR espeak_SetVoiceByProperties(espeak_VOICE *voice_spec)`
        typealias SetVoiceByProperties = @convention(c) (UnsafeMutableRawPointer?) -> Int32
        /// `espeak_ERROR espeak_SetParameter(espeak_PARAMETER parameter, int value, int relative)`
        typealias SetParameter = @convention(c) (Int32, Int32, Int32) -> Int32
        /// `espeak_ERROR espeak_Synth(const void *text, size_t size, unsigned int position, espeak_POSITION_TYPE
        /// position_type, unsigned int end_position, unsigned int flags, unsigned int *unique_identifier, void *user_data)`
        typealias Synth = @convention(c) (UnsafeRawPointer?, Int, UInt32, Int32, UInt32, UInt32,
                                          UnsafeMutablePointer<UInt32>?, UnsafeMutableRawPointer?) -> Int32
        /// `espeak_ERROR espeak_Synchronize(void)`, `espeak_ERROR espeak_Terminate(void)`
        typealias NoArguments = @convention(c) () -> Int32

        let handle: UnsafeMutableRawPointer
        let initialize: Initialize
        let setSynthCallback: SetSynthCallback
        let setVoiceByName: SetVoiceByName
        let setVoiceByProperties: SetVoiceByProperties
        let setParameter: SetParameter
        let synth: Synth
        let synchronize: NoArguments
        /// Frees what `initialize` made and joins its worker thread; only after a successful `initialize`.
        let terminate: NoArguments

        struct Unavailable: Error { var reason: String }

        /// Loads the library and looks up every function; calls none.
        static func open(_ name: String) -> Result<API, Unavailable> {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                return .failure(Unavailable(reason: dlerror().map { String(cString: $0) } ?? "\(name): cannot be opened"))
            }
            func symbol<T>(_ symbol: String, _: T.Type) -> T? {
                guard let address = dlsym(handle, symbol) else { return nil }
                return unsafeBitCast(address, to: T.self)
            }
            guard let initialize = symbol("espeak_Initialize", Initialize.self),
                  let setSynthCallback = symbol("espeak_SetSynthCallback", SetSynthCallback.self),
                  let setVoiceByName = symbol("espeak_SetVoiceByName", SetVoiceByName.self),
                  let setVoiceByProperties = symbol("espeak_SetVoiceByProperties", SetVoiceByProperties.self),
                  let setParameter = symbol("espeak_SetParameter", SetParameter.self),
                  let synth = symbol("espeak_Synth", Synth.self),
                  let synchronize = symbol("espeak_Synchronize", NoArguments.self),
                  let terminate = symbol("espeak_Terminate", NoArguments.self) else {
                dlclose(handle)
                return .failure(Unavailable(reason: "\(name) lacks a function of the espeak API"))
            }
            return .success(API(handle: handle, initialize: initialize, setSynthCallback: setSynthCallback,
                                setVoiceByName: setVoiceByName, setVoiceByProperties: setVoiceByProperties,
                                setParameter: setParameter, synth: synth, synchronize: synchronize, terminate: terminate))
        }

        /// Unloads this copy; none of its functions may be called after.
        func close() { dlclose(handle) }
    }
}

/// libc's `rand()` switched to a state of its own, seeded with 1 as in a fresh process, until
/// `restore()` puts the process's state back (glibc's `rand()` draws from `random()`'s state).
private struct FreshRandomState {
    private let buffer: UnsafeMutableRawPointer
    private let previous: UnsafeMutablePointer<CChar>?
    private static let size = 128      // glibc's default: TYPE_3, as the state a process starts with

    init() {
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.size, alignment: 8)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: Self.size)
        previous = initstate(1, buffer.assumingMemoryBound(to: CChar.self), Self.size)
    }

    func restore() {
        if let previous { _ = setstate(previous) }
        buffer.deallocate()
    }
}

/// One `espeakEVENT_WORD` as the library reported it.
struct EspeakWordEvent: Sendable, Hashable {
    /// 1-based position of the word's first character, in Unicode scalars of the text.
    var textPosition: Int
    /// Its length in Unicode scalars (espeak-ng keeps 8 bits of it).
    var length: Int
    /// Where its sound starts, in milliseconds.
    var audioPosition: Int
}

/// What one synthesis made.
struct EspeakSynthesis: Sendable {
    /// A complete RIFF/WAVE file: PCM, 16-bit, mono.
    var wav: Data
    var sampleRate: Int
    var samples: [Int16]
    /// Every word event of length > 0, in order.
    var events: [EspeakWordEvent]
    /// The text's words with their times; nil when no event fell on any word.
    var words: [TimedWord]?

    var duration: Double { Double(samples.count) / Double(sampleRate) }
}

// MARK: - The callback

/// Samples and events of the synthesis under way. Only touched with `EspeakLibrary.lock` held:
/// the callback runs inside `espeak_Synth`, on the thread that holds it.
final class EspeakCollector {
    var samples: [Int16] = []
    var words: [EspeakWordEvent] = []
    var sampleRate: Int?
    var ended = false
    var problem: String?
}

/// The collector of the synthesis under way (set and cleared with the lock held). A global rather
/// than `user_data` because a C callback can capture nothing and the lock makes one at a time.
nonisolated(unsafe) private var espeakActiveCollector: EspeakCollector?

/// The synth callback: `int cb(short *wav, int numsamples, espeak_EVENT *events)`. Returns 0 to go
/// on, 1 to stop.
private func espeakSynthCallback(_ wav: UnsafeMutablePointer<Int16>?, _ count: Int32, _ events: UnsafeMutableRawPointer?) -> Int32 {
    guard let collector = espeakActiveCollector else { return 1 }
    if let events {
        // The list ends with type 0; espeak-ng holds at most a few dozen per buffer.
        var event = events
        var n = 0
        while true {
            let type = event.load(fromByteOffset: EspeakLibrary.EventLayout.type, as: Int32.self)
            if type == EspeakLibrary.C.eventListTerminated { break }
            n += 1
            guard n <= 100_000 else {
                collector.problem = "the event list of espeak-ng has no end"
                return 1
            }
            if type == EspeakLibrary.C.eventWord {
                let position = Int(event.load(fromByteOffset: EspeakLibrary.EventLayout.textPosition, as: Int32.self))
                let length = Int(event.load(fromByteOffset: EspeakLibrary.EventLayout.length, as: Int32.self))
                let ms = Int(event.load(fromByteOffset: EspeakLibrary.EventLayout.audioPosition, as: Int32.self))
                // Zero-length words are artefacts (espeak-ng's own player drops them too).
                if length > 0, position > 0, ms >= 0 {
                    collector.words.append(EspeakWordEvent(textPosition: position, length: length, audioPosition: ms))
                }
            } else if type == EspeakLibrary.C.eventSampleRate {
                let rate = Int(event.load(fromByteOffset: EspeakLibrary.EventLayout.id, as: Int32.self))
                if rate > 0 { collector.sampleRate = rate }
            }
            event += EspeakLibrary.EventLayout.stride
        }
    }
    if let wav {
        if count > 0 { collector.samples.append(contentsOf: UnsafeBufferPointer(start: wav, count: Int(count))) }
    } else {
        collector.ended = true
    }
    return 0
}

// MARK: - Word times

/// Turns espeak-ng's word events into times for the words of the text.
enum EspeakTiming {
    /// A word of the text: a run of non-whitespace, as scalar offsets.
    struct Token: Equatable {
        var text: String
        var first: Int
        var count: Int
    }

    /// Samples this close to zero are silence (espeak-ng's pauses are exact zeros).
    static let silenceLevel: Int16 = 64
    /// A silence at least this long before the next word (or the end) is a pause, not part of the word.
    static let pauseSeconds = 0.1

    /// The words of a text: maximal runs of non-whitespace Unicode scalars.
    static func tokens(of text: String) -> [Token] {
        var tokens: [Token] = []
        var current = String.UnicodeScalarView()
        var first = 0
        for (i, s) in text.unicodeScalars.enumerated() {
            if s.properties.isWhitespace {
                if !current.isEmpty { tokens.append(Token(text: String(current), first: first, count: current.count)) }
                current = String.UnicodeScalarView()
            } else {
                if current.isEmpty { first = i }
                current.append(s)
            }
        }
        if !current.isEmpty { tokens.append(Token(text: String(current), first: first, count: current.count)) }
        return tokens
    }

    /// Every word of `text` in order, timed by the events:
    /// - a word starts at its earliest event (an event that points at whitespace belongs to the word
    ///   before it: espeak-ng does that for the second word of an expansion, like an emoji's name),
    ///   never before the word ahead of it;
    /// - it ends where the next word starts or, when the voice stops for a pause of 0.1 s or more
    ///   before that (a sentence or clause pause) or before the end of the audio, where the voice
    ///   stops;
    /// - a word with no event of its own (a lone dash, a symbol espeak-ng does not read) takes the
    ///   start of the next timed word, with no length (the end of the last timed word if none follows).
    /// Times are in seconds, to the millisecond. Nil when no event falls on any word.
    static func words(of text: String, events: [EspeakWordEvent], samples: [Int16], sampleRate: Int) -> [TimedWord]? {
        let tokens = tokens(of: text)
        let scalarCount = text.unicodeScalars.count
        guard !tokens.isEmpty, sampleRate > 0 else { return nil }
        var owner = [Int](repeating: -1, count: scalarCount)
        for (t, token) in tokens.enumerated() {
            for i in token.first..<(token.first + token.count) { owner[i] = t }
        }
        var startMS = [Int?](repeating: nil, count: tokens.count)
        for e in events {
            let i = e.textPosition - 1
            guard i >= 0, i < scalarCount else { continue }
            var t = owner[i]
            if t < 0 {
                t = owner[..<i].last(where: { $0 >= 0 }) ?? owner[i...].first(where: { $0 >= 0 }) ?? -1
            }
            guard t >= 0 else { continue }
            startMS[t] = min(startMS[t] ?? e.audioPosition, e.audioPosition)
        }
        var timed: [(token: Int, start: Int)] = []      // start in samples
        var earliest = 0
        for (t, ms) in startMS.enumerated() {
            guard let ms else { continue }
            let sample = min(max(ms * sampleRate / 1000, earliest), samples.count)
            earliest = sample
            timed.append((t, sample))
        }
        guard !timed.isEmpty else { return nil }

        func seconds(_ sample: Int) -> Double { (Double(sample) * 1000 / Double(sampleRate)).rounded() / 1000 }
        var span = [(start: Double, end: Double)?](repeating: nil, count: tokens.count)
        for (k, w) in timed.enumerated() {
            let next = timed[(k + 1)...].first(where: { $0.start > w.start })?.start ?? samples.count
            var end = next
            var j = next
            while j > w.start, abs(Int(samples[j - 1])) <= Int(silenceLevel) { j -= 1 }
            if Double(next - j) >= pauseSeconds * Double(sampleRate) { end = j }
            span[w.token] = (seconds(w.start), seconds(max(end, w.start)))
        }
        var result: [TimedWord] = []
        var after: Double? = nil          // start of the next timed word, walking backwards
        var filled = span
        for t in stride(from: tokens.count - 1, through: 0, by: -1) {
            if let s = span[t] { after = s.start; continue }
            if let a = after { filled[t] = (a, a) }
        }
        var before = 0.0
        for t in tokens.indices {
            let s = filled[t] ?? (before, before)
            before = s.end
            result.append(TimedWord(text: tokens[t].text, start: s.start, end: s.end))
        }
        return result
    }
}
