import Foundation
import Testing

/// A build killed with SIGKILL at exact instants — after n finished steps, between a step's
/// blobs and its record, halfway through writing a record, in the middle of a producer's work —
/// is finished by the next build, with the same final hashes as an uninterrupted build, and
/// without rerunning any step that had completed.
@Suite(.serialized)
struct CrashTests {
    static let reference: [String: [String: String]] = {
        let p = Scratch.storyboard()
        _ = try? p.vidmake(["build", p.vidfile])
        return p.finalHashes()
    }()

    static let cases: [String] =
        (1...10).map { "commit:\($0)" } + [1, 4, 8].flatMap { ["blobs:\($0)", "record:\($0)", "torn:\($0)"] } + ["run:1", "run:6"]

    @Test(arguments: cases)
    func killedBuildResumes(_ point: String) throws {
        #expect(Self.reference.count == 11, "the reference build did not complete")
        let p = Scratch.storyboard()
        let crashed = try p.vidmake(["build", "-j", "2", p.vidfile], env: ["VIDMAKE_CRASH_AT": point])
        #expect(crashed.signal == SIGKILL || point.hasPrefix("run:"), "\(point): the build was not killed: \(crashed.err)")
        let completed = Set(p.records().map(\.step))
        if point.hasPrefix("commit:"), let n = Int(point.dropFirst(7)) { #expect(completed.count == n) }

        let resumed = try p.vidmake(["build", p.vidfile])
        #expect(resumed.status == 0, "\(point): resume failed: \(resumed.err)")
        let executed = Set(try p.executed())
        #expect(executed.isDisjoint(with: completed), "\(point): reran \(executed.intersection(completed).sorted())")
        #expect(p.finalHashes() == Self.reference, "\(point): the resumed build made different outputs")
        #expect(!p.exists(".vidmake/tmp"))
        // And the tree a person reads is complete.
        #expect(p.exists("out/story/music.wav") && p.exists("out/story/segments/04/image.png"))
    }
}
