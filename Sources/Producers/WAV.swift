import Foundation

/// 16-bit PCM WAV files: what `local/espeak` and `local/tones` write, and what `local/espeak` reads.
enum WAV {
    /// The canonical 44-byte RIFF/WAVE header of 16-bit PCM (the one the espeak-ng CLI writes).
    static func header(channels: Int, sampleRate: Int, frames: Int) -> Data {
        let dataBytes = frames * channels * 2
        var d = Data(capacity: 44)
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: Array("RIFF".utf8)); u32(36 + dataBytes)
        d.append(contentsOf: Array("WAVE".utf8))
        d.append(contentsOf: Array("fmt ".utf8)); u32(16)
        u16(1)                                  // PCM
        u16(channels)
        u32(sampleRate)
        u32(sampleRate * channels * 2)          // bytes per second
        u16(channels * 2)                       // bytes per frame
        u16(16)                                 // bits per sample
        d.append(contentsOf: Array("data".utf8)); u32(dataBytes)
        return d
    }

    /// A whole mono file: the header, then the samples little-endian.
    static func mono16(_ samples: [Int16], sampleRate: Int) -> Data {
        var d = header(channels: 1, sampleRate: sampleRate, frames: samples.count)
        d.reserveCapacity(44 + 2 * samples.count)
        if UInt16(1).littleEndian == 1 {
            samples.withUnsafeBytes { d.append(contentsOf: $0) }
        } else {
            for s in samples { withUnsafeBytes(of: UInt16(bitPattern: s).littleEndian) { d.append(contentsOf: $0) } }
        }
        return d
    }

    /// The samples of a 16-bit mono PCM WAV (the first channel when there are more); nil when the
    /// data is not one.
    static func samples16(_ data: Data) -> (sampleRate: Int, samples: [Int16])? {
        let b = [UInt8](data)
        func u32(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24 }
        func u16(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        guard b.count >= 12, b[0..<4].elementsEqual("RIFF".utf8), b[8..<12].elementsEqual("WAVE".utf8) else { return nil }
        var i = 12
        var format: (rate: Int, channels: Int)?
        while i + 8 <= b.count {
            let size = u32(i + 4)
            let body = i + 8
            if b[i..<i + 4].elementsEqual("fmt ".utf8), size >= 16, body + 16 <= b.count {
                guard u16(body) == 1, u16(body + 14) == 16, u16(body + 2) >= 1 else { return nil }
                format = (u32(body + 4), u16(body + 2))
            } else if b[i..<i + 4].elementsEqual("data".utf8), let f = format, f.rate > 0 {
                // The CLI streams: a size it could not fix up is larger than the file.
                let end = min(body + size, b.count)
                let frame = 2 * f.channels
                var out: [Int16] = []
                out.reserveCapacity((end - body) / frame)
                var j = body
                while j + frame <= end {
                    out.append(Int16(bitPattern: UInt16(u16(j))))
                    j += frame
                }
                return (f.rate, out)
            }
            i = body + size + (size & 1)
        }
        return nil
    }
}
