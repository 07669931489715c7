import BuildState
import Foundation
import Testing
import TestSupport

/// A blob whose bytes no longer match its hash is never trusted: not copied out, not handed to a
/// producer, not taken for a person's edit. It is set aside, reported once, and its step rebuilt.
@Suite(.serialized)
struct CorruptStoreTests {
    static func sha(_ path: String) -> String? { SHA256Hex.of(path) }

    /// Flips 16 bytes in the middle of the blob that `outFile` was copied from.
    static func corruptBlob(of outFile: String, in s: Scratch) throws -> String {
        let hash = try #require(sha(outFile))
        let blob = s.dir + "/.vidmake/cas/sha256/\(hash.prefix(2))/\(hash)"
        let h = try #require(FileHandle(forUpdatingAtPath: blob))
        let size = try h.seekToEnd()
        try h.seek(toOffset: size / 2)
        h.write(Data(repeating: 0xA5, count: 16))
        try h.close()
        #expect(sha(blob) != hash)
        return hash
    }

    @Test(arguments: ["civilwar.mp4", "segments/02/narration.wav", "segments/04/image-1.png"])
    func aCorruptBlobIsSetAsideAndItsStepRebuilt(_ file: String) throws {
        let s = BuiltExample.copy()
        let out = s.out + "/" + file
        let hash = try Self.corruptBlob(of: out, in: s)
        unlink(out)
        let r = try s.build()
        #expect(r.err.components(separatedBy: "did not match its hash").count == 2, "reported once:\n\(r.err)")
        #expect(r.err.contains(String(hash.prefix(12))), "\(r.err)")
        // Rebuilt to the same bytes: the producers are deterministic.
        #expect(Self.sha(out) == hash, "\(file) was not rebuilt")
        #expect(Self.sha(s.dir + "/.vidmake/cas/sha256/\(hash.prefix(2))/\(hash)") == hash)
        #expect(!(try s.executed()).isEmpty)
        let status = try s.vidmake(["status", s.vidfile])
        #expect(!status.out.contains("edited"), "\(status.out)")
        // The bad copy is kept aside for a look, not deleted.
        let aside = (try? FileManager.default.contentsOfDirectory(atPath: s.dir + "/.vidmake/corrupt")) ?? []
        #expect(aside.count == 1 && aside[0].hasPrefix(hash), "\(aside)")
        // The next build trusts the rebuilt blob: nothing runs, nothing is reported.
        let again = try s.build()
        #expect(!again.err.contains("did not match"), "\(again.err)")
        #expect(try s.executed() == [])
    }

    @Test func aForcedRenderDoesNotKeepACorruptBlobOfTheSameHash() throws {
        let s = BuiltExample.copy()
        let mp4 = s.out + "/civilwar.mp4"
        let hash = try Self.corruptBlob(of: mp4, in: s)
        let r = try s.build(["--force", "render"])
        #expect(r.err.contains("did not match its hash"), "\(r.err)")
        #expect(Self.sha(mp4) == hash)
        #expect(Self.sha(s.dir + "/.vidmake/cas/sha256/\(hash.prefix(2))/\(hash)") == hash)
    }
}

enum SHA256Hex {
    static func of(_ path: String) -> String? {
        let r = try? Tool.run(["sha256sum", path])
        guard let r, r.status == 0 else { return nil }
        return String(r.out.prefix(64))
    }
}
