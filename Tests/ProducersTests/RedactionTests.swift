import Foundation
import Testing
@testable import Producers

/// A key is redacted in every form a server may echo it: literal, JSON-escaped, URL-encoded.
struct RedactionTests {
    static let key = "el-3f9a/Zq+k_T0ken"
    static let environment = ProviderEnvironment(["ELEVENLABS_API_KEY": key])

    /// JSON as a server that escapes every non-alphanumeric character writes it.
    static func jsonEscaped(_ s: String) -> String {
        s.unicodeScalars.map { c in
            c.properties.isAlphabetic || ("0"..."9").contains(c) ? String(c) : String(format: "\\u%04x", c.value)
        }.joined()
    }

    @Test(arguments: [
        key,
        jsonEscaped(key),
        key.replacingOccurrences(of: "/", with: "\\/"),                                    // JSONSerialization's form
        key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,                 // %2D, %2F, %2B, %5F
        key.unicodeScalars.map { ("a"..."z").contains($0) || ("A"..."Z").contains($0) ? String($0) : String(format: "%%%02x", $0.value) }.joined(),
        "el\\u002d" + key.dropFirst(3),                                                      // one escaped dash
    ])
    func everyFormIsRedacted(_ echoed: String) {
        let said = "{\"detail\": {\"status\": \"invalid_api_key\", \"message\": \"Invalid API key: \(echoed)\"}}"
        let shown = Self.environment.redact(said)
        #expect(shown == "{\"detail\": {\"status\": \"invalid_api_key\", \"message\": \"Invalid API key: [redacted]\"}}", "\(shown)")
    }

    @Test func otherTextIsUntouched() {
        let text = "HTTP 401 from POST /v1/text-to-speech: el-3f9a is not a key, and %2D nor \\u002d alone are nothing"
        #expect(Self.environment.redact(text) == text)
        #expect(Redaction.redact("abc", in: "xxabcxx\\u0061bc%61%62%63") == "xx[redacted]xx[redacted][redacted]")
    }
}
