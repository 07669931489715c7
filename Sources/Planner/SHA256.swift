import CCrypto
import Foundation

/// SHA-256 through OpenSSL's libcrypto (hardware-accelerated), as lowercase hex.
public enum SHA256 {
    public static func hex(_ text: String) -> String {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { hex(UnsafeRawBufferPointer($0)) }
    }

    public static func hex(_ data: Data) -> String {
        data.withUnsafeBytes { hex($0) }
    }

    public static func hex(_ buffer: UnsafeRawBufferPointer) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = EVP_Digest(buffer.baseAddress, buffer.count, &digest, &len, EVP_sha256(), nil)
        precondition(ok == 1, "EVP_Digest failed")
        return encode(digest)
    }

    /// Streams a file in 1 MiB chunks; nil if it cannot be read or is a symbolic link (a
    /// final link is never followed: callers pass real paths, see `ProjectPaths.confined`).
    public static func hex(fileAt path: String) -> String? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        let h = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? h.close() }
        guard let ctx = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else { return nil }
        while true {
            // nil means end of file on Linux; a thrown error means the read failed.
            guard let chunk = try? h.read(upToCount: 1 << 20) ?? Data() else { return nil }
            if chunk.isEmpty { break }
            let ok = chunk.withUnsafeBytes { EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
            guard ok == 1 else { return nil }
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        guard EVP_DigestFinal_ex(ctx, &digest, &len) == 1 else { return nil }
        return encode(digest)
    }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func encode(_ d: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in d {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
