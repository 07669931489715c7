import Foundation

/// One part of a `multipart/form-data` body (RFC 7578).
struct MultipartPart {
    /// The `name` of its Content-Disposition.
    var name: String
    /// The `filename` of its Content-Disposition, for file fields.
    var filename: String?
    var contentType: String?
    var data: Data

    var text: String { String(decoding: data, as: UTF8.self) }
}

enum Multipart {
    /// The `boundary` parameter of a `multipart/form-data` Content-Type.
    static func boundary(contentType: String) -> String? {
        let parameters = parseParameters(contentType)
        guard parameters.value.lowercased() == "multipart/form-data", let boundary = parameters.params["boundary"],
              !boundary.isEmpty else { return nil }
        return boundary
    }

    /// The parts of `body`, nil if it is not a well-formed multipart body with that boundary.
    static func parse(_ body: Data, boundary: String) -> [MultipartPart]? {
        let delimiter = Data("--\(boundary)".utf8)
        let separator = Data("\r\n--\(boundary)".utf8)
        let headerEnd = Data("\r\n\r\n".utf8)
        // The first delimiter may follow a preamble.
        guard var cursor = body.range(of: delimiter)?.upperBound else { return nil }
        var parts: [MultipartPart] = []
        while true {
            // After a delimiter: "--" ends the body; otherwise CRLF and the part's headers.
            let next = body[cursor...].prefix(2)
            if next.elementsEqual("--".utf8) { return parts }
            guard next.elementsEqual("\r\n".utf8) else { return nil }
            let headersStart = cursor + 2
            guard let headersEnd = body.range(of: headerEnd, in: headersStart..<body.endIndex) else { return nil }
            let contentStart = headersEnd.upperBound
            guard let end = body.range(of: separator, in: contentStart..<body.endIndex) else { return nil }

            var name: String?
            var filename: String?
            var contentType: String?
            let headerText = String(decoding: body[headersStart..<headersEnd.lowerBound], as: UTF8.self)
            for line in headerText.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let field = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if field == "content-disposition" {
                    let disposition = parseParameters(value)
                    name = disposition.params["name"]
                    filename = disposition.params["filename"]
                } else if field == "content-type" {
                    contentType = value
                }
            }
            guard let name else { return nil }
            parts.append(MultipartPart(name: name, filename: filename, contentType: contentType, data: body[contentStart..<end.lowerBound]))
            cursor = end.upperBound
        }
    }

    /// Splits `value; a=1; b="two; three"` into its leading value and its parameters (names lowercased).
    static func parseParameters(_ header: String) -> (value: String, params: [String: String]) {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in header {
            if escaped { current.append(character); escaped = false; continue }
            switch character {
            case "\\" where quoted: escaped = true
            case "\"": quoted.toggle(); current.append(character)
            case ";" where !quoted: pieces.append(current); current = ""
            default: current.append(character)
            }
        }
        pieces.append(current)
        var params: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            params[key] = value
        }
        return (pieces[0].trimmingCharacters(in: .whitespaces), params)
    }
}
