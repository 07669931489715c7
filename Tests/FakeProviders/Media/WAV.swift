import Foundation

/// 16-bit PCM audio: tones, WAV headers, and reading a WAV header back.
enum WAV {
    /// A 44-byte canonical header for mono 16-bit PCM. With `dataBytes` nil the RIFF and data sizes
    /// are 0xFFFFFFFF, as streaming encoders (OpenAI's `/audio/speech`) write them.
    static func header(sampleRate: Int, dataBytes: Int?) -> Data {
        let channels: UInt16 = 1, bits: UInt16 = 16
        let blockAlign = channels * bits / 8
        var h = [UInt8]()
        h += Array("RIFF".utf8)
        h.append(littleEndian: dataBytes.map { UInt32(36 + $0) } ?? 0xFFFF_FFFF)
        h += Array("WAVEfmt ".utf8)
        h.append(littleEndian: UInt32(16))
        h.append(littleEndian: UInt16(1))  // PCM
        h.append(littleEndian: channels)
        h.append(littleEndian: UInt32(sampleRate))
        h.append(littleEndian: UInt32(sampleRate) * UInt32(blockAlign))
        h.append(littleEndian: blockAlign)
        h.append(littleEndian: bits)
        h += Array("data".utf8)
        h.append(littleEndian: dataBytes.map { UInt32($0) } ?? 0xFFFF_FFFF)
        return Data(h)
    }

    /// A complete WAV file (sizes filled in) of `pcm` samples.
    static func file(sampleRate: Int, pcm: Data) -> Data {
        header(sampleRate: sampleRate, dataBytes: pcm.count) + pcm
    }

    /// Raw s16le mono samples: the sum of sines at `frequencies`, peaking at `amplitude` (0…1),
    /// faded in and out over 20 ms so there are no clicks.
    static func tone(seconds: Double, sampleRate: Int, frequencies: [Double], amplitude: Double) -> Data {
        let count = max(0, Int((seconds * Double(sampleRate)).rounded()))
        let fade = max(1, sampleRate / 50)
        let scale = amplitude * 32_767 / Double(max(1, frequencies.count))
        let steps = frequencies.map { 2 * Double.pi * $0 / Double(sampleRate) }
        var samples = [Int16](repeating: 0, count: count)
        samples.withUnsafeMutableBufferPointer { out in
            for i in 0..<count {
                var value = 0.0
                for step in steps { value += sin(step * Double(i)) }
                let envelope = min(1.0, Double(min(i, count - 1 - i)) / Double(fade))
                out[i] = Int16((value * scale * envelope).rounded()).littleEndian
            }
        }
        return samples.withUnsafeBytes { Data($0) }
    }

    /// What a WAV header says.
    struct Info: Equatable {
        var sampleRate: Int
        var channels: Int
        var bitsPerSample: Int
        /// Bytes of sample data: the data chunk's size, or everything after its header when the size
        /// is 0xFFFFFFFF (streamed) or larger than the file.
        var dataBytes: Int

        var duration: Double {
            let bytesPerSecond = sampleRate * channels * max(1, bitsPerSample / 8)
            return bytesPerSecond > 0 ? Double(dataBytes) / Double(bytesPerSecond) : 0
        }
    }

    /// Reads a RIFF/WAVE header, walking chunks to `fmt ` and `data`; nil if it isn't one.
    static func parse(_ data: Data) -> Info? {
        let bytes = [UInt8](data.prefix(64 * 1024))
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else { return nil }
        var format: (rate: Int, channels: Int, bits: Int)?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt " {
                guard body + 16 <= bytes.count else { return nil }
                format = (u32(body + 4), u16(body + 2), u16(body + 14))
            } else if id == "data" {
                guard let format, format.rate > 0, format.channels > 0 else { return nil }
                let remaining = data.count - body
                let dataBytes = size == 0xFFFF_FFFF || size > remaining ? remaining : size
                return Info(sampleRate: format.rate, channels: format.channels, bitsPerSample: format.bits, dataBytes: dataBytes)
            }
            offset = body + size + (size & 1)  // chunks are word-aligned
        }
        return nil
    }
}

/// Bytes that no image or audio decoder accepts (an odd count, so not even 16-bit PCM).
func garbageMedia(count: Int = 4097) -> Data {
    let word = Array("garbage".utf8)
    return Data((0..<count).map { word[$0 % word.count] })
}
