import Foundation
import SkucastTestSupport
import Testing

@testable import SkucastEvents

@Suite("JSON writer")
struct JSONWriterTests {
    @Test("strings of every kind are escaped so a JSON parser reads them back; long ones cross the staging block")
    func strings() throws {
        var rng = SplitMix64(seed: 11)
        let alphabet: [Character] = [
            "a", "Z", "0", " ", "\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "é", "€", "😀", "/",
        ]
        for length in [0, 1, 2, 63, 64, 65, 255, 256, 257, 1000, 5000] {
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &rng)! })
            var w = JSONWriter(buffer: [])
            w.beginObject()
            w.key("text")
            w.string(text)
            w.key(text)
            w.integer(Int64(length))
            w.endObject()
            let parsed = try #require(
                try JSONSerialization.jsonObject(with: Data(w.buffer)) as? [String: Any],
                "\(String(decoding: w.buffer, as: UTF8.self))"
            )
            #expect(parsed["text"] as? String == text)
            #expect(parsed[text] as? Int == length)
        }
    }

    @Test("keys written in code, short and longer than half the staging block, read back")
    func literalKeys() throws {
        var w = JSONWriter(buffer: [])
        w.beginObject()
        w.key("short")
        w.integer(1)
        w.key(
            "a_key_written_in_code_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        )
        w.integer(2)
        w.endObject()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(w.buffer)) as? [String: Int])
        #expect(
            parsed == [
                "short": 1,
                "a_key_written_in_code_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx":
                    2,
            ]
        )
    }

    @Test("every kind of value, many times over, is the JSON it should be")
    func values() throws {
        var w = JSONWriter(buffer: Array(repeating: 7, count: 10))  // contents discarded
        w.beginArray()
        for i in 0..<500 {
            w.beginObject()
            w.key("i")
            w.integer(Int64(i) * 1_000_003 - 250_000_000)
            w.key("extremes")
            w.beginArray()
            w.integer(.min)
            w.integer(.max)
            w.endArray()
            w.key("q")
            w.quantity(Double(i) / 8 - 20)
            w.key("n")
            w.number(Double(i) + 0.1)
            w.key("flag")
            w.bool(i % 2 == 0)
            w.key("none")
            w.null()
            w.key("at")
            w.timestamp(EventTime(milliseconds: 1_291_191_960_000 + Int64(i) * 86_400_123))
            w.key("raw")
            w.raw(Array(#"{"a":[1,2]}"#.utf8))
            w.endObject()
        }
        w.endArray()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(w.buffer)) as? [[String: Any]])
        #expect(parsed.count == 500)
        for (i, o) in parsed.enumerated() {
            #expect(o["i"] as? Int == i * 1_000_003 - 250_000_000)
            #expect(o["extremes"] as? [Int64] == [.min, .max])
            #expect(o["q"] as? Double == Double(i) / 8 - 20)
            #expect(o["n"] as? Double == Double(i) + 0.1)
            #expect(o["flag"] as? Bool == (i % 2 == 0))
            #expect(o["none"] is NSNull)
            #expect((o["raw"] as? [String: [Int]])?["a"] == [1, 2])
            let at = EventTime(milliseconds: 1_291_191_960_000 + Int64(i) * 86_400_123)
            #expect(o["at"] as? String == at.description)
        }
        #expect(
            String(decoding: w.buffer.prefix(60), as: UTF8.self).hasPrefix(
                #"[{"i":-250000000,"extremes":[-9223372036854775808,"#
            )
        )
    }

    /// The text a quantity must have, its digits worked out apart from the writer's: the
    /// double product v × 10⁴ rounded half away from zero (so 0.00015, stored just below,
    /// whose product rounds to exactly 1.5, gives 0.0002), the point four digits in,
    /// trailing zeros dropped, no sign on zero.
    static func expectedQuantity(_ v: Double) -> String {
        let scaled = (v * 10_000).rounded()
        let m = UInt64(abs(scaled))
        var fraction = String(m % 10_000)
        fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (scaled < 0 ? "-" : "") + String(m / 10_000) + (fraction.isEmpty ? "" : "." + fraction)
    }

    @Test("the bytes are exactly the rule's: quantities of every magnitude, integers, plain strings of every length")
    func exactBytes() {
        func written(_ body: (inout JSONWriter) -> Void) -> String {
            var w = JSONWriter(buffer: [])
            body(&w)
            return String(decoding: w.buffer, as: UTF8.self)
        }
        var values: [Double] = [
            0, -0.0, 0.1, 0.01, 0.001, 0.0001, 0.00005, 0.00004, -0.00004, -0.00005, 1234.5, 100, 10.01,
            99_999_999_999_999.99, -99_999_999_999_999.99, 468.34999999999997,
        ]
        var rng = SplitMix64(seed: 3)
        for _ in 0..<20_000 {
            let magnitude = pow(10, Double.random(in: -6...13.9, using: &rng))
            values.append(Bool.random(using: &rng) ? magnitude : -magnitude)
        }
        for v in values {
            #expect(written { $0.quantity(v) } == Self.expectedQuantity(v), "\(v)")
        }
        // From 1e14 on, and for non-finite values, quantities are written as numbers.
        #expect(written { $0.quantity(1e14) } == "100000000000000")
        #expect(written { $0.quantity(-2.5e15) } == "-2500000000000000")
        #expect(written { $0.quantity(.infinity) } == "null")
        // Empty raw bytes write nothing.
        #expect(
            written {
                $0.beginArray()
                $0.raw([])
                $0.endArray()
            } == "[]"
        )
        for i: Int64 in [0, 1, -1, 9, 10, 99, 100, 101, 12_345, -12_345, .max, .min, .max - 1, .min + 1] {
            #expect(written { $0.integer(i) } == String(i))
        }
        for length in [0, 1, 64, 100, 128, 129, 200, 300] {
            let text = String(repeating: "abcdefghij", count: 30).prefix(length)
            #expect(written { $0.string(String(text)) } == "\"\(text)\"")
            #expect(
                written {
                    $0.beginObject()
                    $0.key(String(text))
                    $0.bool(true)
                    $0.endObject()
                } == "{\"\(text)\":true}"
            )
        }
    }
}
