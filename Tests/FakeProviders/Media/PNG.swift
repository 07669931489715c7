import Foundation

/// A minimal PNG encoder: 8-bit RGB, one IDAT holding a zlib stream of stored (uncompressed)
/// deflate blocks. Big files, but valid ones, with no compression library.
enum PNG {
    struct Colour: Hashable, Sendable {
        var r: UInt8, g: UInt8, b: UInt8
    }

    /// The colours images are painted in; few, so the encoded-image cache stays small.
    static let palette: [Colour] = [
        Colour(r: 0x4E, g: 0x79, b: 0xA7), Colour(r: 0xF2, g: 0x8E, b: 0x2B), Colour(r: 0xE1, g: 0x57, b: 0x59),
        Colour(r: 0x76, g: 0xB7, b: 0xB2), Colour(r: 0x59, g: 0xA1, b: 0x4F), Colour(r: 0xED, g: 0xC9, b: 0x48),
        Colour(r: 0xB0, g: 0x7A, b: 0xA1), Colour(r: 0x9C, g: 0x75, b: 0x5F),
    ]

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A `width`×`height` image shading from `colour` at the top to half its brightness at the bottom.
    static func encode(width: Int, height: Int, colour: Colour) -> Data {
        precondition(width > 0 && height > 0)
        // Scanlines, each a filter-type byte (0, none) and the row's pixels.
        let rowBytes = 1 + width * 3
        var raw = [UInt8](repeating: 0, count: rowBytes * height)
        raw.withUnsafeMutableBufferPointer { pixels in
            for y in 0..<height {
                let shade = 1.0 - 0.5 * Double(y) / Double(max(1, height - 1))
                let r = UInt8(Double(colour.r) * shade), g = UInt8(Double(colour.g) * shade), b = UInt8(Double(colour.b) * shade)
                var i = y * rowBytes + 1
                for _ in 0..<width {
                    pixels[i] = r
                    pixels[i + 1] = g
                    pixels[i + 2] = b
                    i += 3
                }
            }
        }

        var header = [UInt8]()
        header.append(bigEndian: UInt32(width))
        header.append(bigEndian: UInt32(height))
        header += [8, 2, 0, 0, 0]  // bit depth 8, colour type 2 (RGB), deflate, no filter method, no interlace

        var png = Data(signature)
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", zlibStored(raw), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// Wraps `bytes` in a zlib stream of stored deflate blocks (RFC 1950/1951).
    static func zlibStored(_ bytes: [UInt8]) -> [UInt8] {
        let blockLimit = 65_535
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + bytes.count / blockLimit * 5 + 16)
        out += [0x78, 0x01]  // deflate, 32 KiB window; no dictionary; check bits make it a multiple of 31
        var start = 0
        repeat {
            let end = min(start + blockLimit, bytes.count)
            let length = UInt16(end - start)
            out.append(end == bytes.count ? 1 : 0)  // BFINAL, BTYPE 00 (stored)
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            out.append(contentsOf: bytes[start..<end])
            start = end
        } while start < bytes.count
        out.append(bigEndian: adler32(bytes))
        return out
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout Data) {
        let typeBytes = Array(type.utf8)
        var length = [UInt8]()
        length.append(bigEndian: UInt32(data.count))
        var crc = CRC32()
        crc.update(typeBytes)
        crc.update(data)
        var trailer = [UInt8]()
        trailer.append(bigEndian: crc.value)
        png.append(contentsOf: length)
        png.append(contentsOf: typeBytes)
        png.append(contentsOf: data)
        png.append(contentsOf: trailer)
    }

    /// Adler-32 (RFC 1950), the zlib stream's checksum.
    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        bytes.withUnsafeBufferPointer { buffer in
            // 5552 bytes is the most that can be summed before the modulo without overflowing.
            var index = 0
            while index < buffer.count {
                let end = min(index + 5552, buffer.count)
                while index < end {
                    a &+= UInt32(buffer[index])
                    b &+= a
                    index += 1
                }
                a %= 65_521
                b %= 65_521
            }
        }
        return b << 16 | a
    }
}

/// CRC-32 as PNG uses it (ISO 3309, reflected polynomial 0xEDB88320).
struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    private var crc: UInt32 = 0xFFFF_FFFF

    mutating func update(_ bytes: [UInt8]) {
        var c = crc
        Self.table.withUnsafeBufferPointer { table in
            bytes.withUnsafeBufferPointer { buffer in
                for byte in buffer { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
            }
        }
        crc = c
    }

    var value: UInt32 { crc ^ 0xFFFF_FFFF }
}

extension Array where Element == UInt8 {
    mutating func append(bigEndian value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
    }

    mutating func append(littleEndian value: UInt32) {
        append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)])
    }

    mutating func append(littleEndian value: UInt16) {
        append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8)])
    }
}
