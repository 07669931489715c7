import Foundation
import Testing
import TestSupport

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
        let completed = Set(p.records().map(\.step))
        let parts = point.split(separator: ":")
        let (kind, n) = (String(parts[0]), try #require(Int(parts[1])))
        // With -j 2 one other step may be in flight when the point is reached, not yet recorded.
        switch kind {
        case "commit":
            // Killed right after the n-th record: exactly n steps are complete.
            #expect(crashed.signal == SIGKILL, "\(point): the build was not killed: \(crashed.err)")
            #expect(completed.count == n, "\(point): \(completed.sorted())")
        case "blobs", "record", "torn":
            // Killed before the n-th finished step's outputs are stored, before its record, or
            // halfway through writing it: that step is not complete, the n - 1 before it are (bar
            // the one the other worker may be committing).
            #expect(crashed.signal == SIGKILL, "\(point): the build was not killed: \(crashed.err)")
            #expect((n - 2...n - 1).contains(completed.count), "\(point): \(completed.count) complete: \(completed.sorted())")
        case "run":
            // The kill comes 50 ms after the n-th producer starts. A build that finishes within
            // those 50 ms is not killed; then it must have finished cleanly, every step recorded
            // (so the resume below runs nothing).
            if crashed.signal == SIGKILL {
                // Of the n - 1 producers started before, at most one (on the other worker) was still running.
                #expect(completed.count >= n - 2, "\(point): \(completed.count) complete: \(completed.sorted())")
            } else {
                #expect(crashed.status == 0, "\(point): neither killed nor finished: \(crashed.err)")
                #expect(p.finalHashes() == Self.reference, "\(point): the build that outran the kill made different outputs")
            }
        default:
            Issue.record("\(point): no expectation for this crash point")
        }

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
