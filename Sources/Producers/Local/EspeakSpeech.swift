import Foundation
import Planner
import RecipeParser

/// `local/espeak`: speech from espeak-ng, offline. Inputs `text` (the narration), `voice`
/// (an espeak-ng voice such as `en-us`, `en-gb`, `en-us+f3`) and `language` (used when no voice is
/// set); options `rate` (words per minute, default 165) and `pitch` (0–99, default 50). WAV out.
public struct EspeakSpeech: Producer {
    public init() {}

    public func run(_ job: Job) throws(ProducerError) -> Produced {
        guard let out = job.step.outputs.first else { throw ProducerError("\(job.step.id) has no output") }
        guard let text = try job.text("text")?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            throw ProducerError("\(job.step.id): the narration to speak is empty",
                                help: "give the segment some narration (an override, or a script producer that writes it)")
        }
        var voice = try job.text("voice") ?? ""
        if voice.isEmpty { voice = try job.text("language") ?? "en-us" }
        guard !voice.isEmpty, voice.count < 80, voice.allSatisfy({ $0.isLetter || $0.isNumber || "-_+".contains($0) }) else {
            throw ProducerError("'\(voice)' is not an espeak-ng voice", help: "espeak-ng voices look like en-us, en-gb, de, en-us+f3; list them with: espeak-ng --voices")
        }
        let rate = job.intOption("rate", default: job.intOption("words_per_minute", default: 165))
        let pitch = job.intOption("pitch", default: 50)
        guard (80...450).contains(rate) else { throw ProducerError("rate \(rate) is outside espeak-ng's 80–450 words per minute") }
        guard (0...99).contains(pitch) else { throw ProducerError("pitch \(pitch) is outside espeak-ng's 0–99") }

        // The text travels in a file, never on the command line.
        let textFile = job.workDir + "/narration.txt"
        guard FileManager.default.createFile(atPath: textFile, contents: Data(text.utf8)) else {
            throw ProducerError("cannot write \(textFile)")
        }
        let wav = job.outputPath(out.artifact, ext: "wav")
        let r = try Subprocess.run(["espeak-ng", "-v", voice, "-s", String(rate), "-p", String(pitch), "-w", wav, "-f", textFile],
                                   cancel: job.cancel, timeout: 300, log: job.log)
        guard r.status == 0 else {
            if r.stderr.contains("voice does not exist") {
                throw ProducerError("espeak-ng has no voice '\(voice)'", help: "list the voices with: espeak-ng --voices (e.g. en-us, en-gb, fr, de)")
            }
            throw ProducerError("espeak-ng exited with status \(r.status):\n" + Subprocess.lastLines(r.stderr, 6))
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: wav)[.size] as? Int) ?? 0
        guard size > 44, Media.sniffExtension(wav) == "wav" else { throw ProducerError("espeak-ng wrote no audio for \(job.step.id)") }
        return Produced(files: [out.artifact: wav])
    }
}
