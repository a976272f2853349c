import Foundation
import SkucastTestSupport
import Testing

@testable import SkucastEvents

func decodeOrder(_ json: String) -> Result<OrderEvent, Rejection> {
    var bytes = Array(json.utf8)
    return bytes.withUnsafeMutableBytes { OrderEventDecoder().decode(UnsafeRawBufferPointer($0)) }
}

func rejection(_ json: String) -> Rejection? {
    if case .failure(let r) = decodeOrder(json) { return r }
    return nil
}

let valid =
    #"{"order_id":"536365","line":1,"sku":"85123A","quantity":6,"kind":"sale","unit_price":2.55,"currency":"GBP","event_time":"2010-12-01T08:26:00Z"}"#

@Suite("Hot-path decoders")
struct DecoderTests {
    @Test("Every real Online Retail event decodes back to exactly what was encoded")
    func realRoundTrip() throws {
        var buffer: [UInt8] = []
        var count = 0
        for row in try OnlineRetailOrderReader(Array(Data(contentsOf: onlineRetailCSV))) {
            let event = try row.get()
            event.encodeJSON(into: &buffer)
            let decoded = buffer.withUnsafeBytes { OrderEventDecoder().decode($0) }
            #expect(try decoded.get() == event)
            count += 1
        }
        #expect(count == 541_909)
    }

    @Test("Fields in any order decode the same as in the schema's order (2,000 real events, shuffled)")
    func anyOrder() throws {
        var rng = SplitMix64(seed: 5)
        var buffer: [UInt8] = []
        var count = 0
        for row in try OnlineRetailOrderReader(Array(Data(contentsOf: onlineRetailCSV))) {
            let event = try row.get()
            count += 1
            guard count % 250 == 0 else { continue }
            event.encodeJSON(into: &buffer)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer)) as? [String: Any])
            var members = try object.map { key, value in
                "\"\(key)\":"
                    + String(
                        decoding: try JSONSerialization.data(withJSONObject: value, options: .fragmentsAllowed),
                        as: UTF8.self
                    )
            }
            members.shuffle(using: &rng)
            #expect(try decodeOrder("{" + members.joined(separator: ",") + "}").get() == event)
        }
        #expect(count > 500_000)
    }

    @Test("Optional fields, escapes, unknown and nested fields, whitespace")
    func fullForm() throws {
        let json = """
            { "order_id" : "R-1\\"x\\u00e9\\ud83d\\ude00", "line": 2, "sku": "22423", "quantity": -2.5e0, "kind": "return",
              "unit_price": 12.75, "currency": "EUR", "event_time": "2011-03-14T16:02:11.250+01:00",
              "customer_id": null, "channel": "app", "region": "Germany", "promotion": true,
              "future_field": {"nested": [1, {"a": "}"}]}, "another": [] }
            """
        let e = try decodeOrder(json).get()
        #expect(e.orderID == "R-1\"xé😀")
        #expect(e.quantity == -2.5)
        #expect(e.kind == .return)
        #expect(e.eventTime.description == "2011-03-14T15:02:11.250Z")
        #expect(e.customerID == nil && e.channel == "app" && e.region == "Germany" && e.promotion == true)
    }

    /// Bad inputs and the reason each must be rejected with.
    static let badInputs: [BadInput] = {
        func edit(_ from: String, _ to: String) -> String { valid.replacingOccurrences(of: from, with: to) }
        var all: [BadInput] = []
        func add(_ json: String, _ reason: Rejection.Reason) { all.append(BadInput(json: json, reason: reason)) }
        add("", .malformed)
        add("not json", .malformed)
        add(#"{"order_id":"1""#, .malformed)
        add(valid + "x", .malformed)
        add(edit(#""line":1,"#, #""line":1,"line":1,"#), .malformed)
        add(edit(#""sku":"85123A","#, ""), .missingField)
        add(edit(#""event_time":"2010-12-01T08:26:00Z""#, #""x":1"#), .missingField)
        add(edit(#""quantity":6"#, #""quantity":"6""#), .wrongType)
        add(edit(#""sku":"85123A""#, #""sku":85123"#), .wrongType)
        add(edit(#""quantity":6"#, #""quantity":0"#), .invalidValue)
        add(edit(#""quantity":6"#, #""quantity":-6"#), .invalidValue)
        add(edit(#""quantity":6"#, #""quantity":1e300"#), .invalidValue)
        add(edit(#""quantity":6"#, #""quantity":1e999"#), .invalidValue)
        add(edit(#""line":1"#, #""line":1.5"#), .invalidValue)
        add(edit(#""kind":"sale""#, #""kind":"gift""#), .invalidValue)
        add(edit(#""currency":"GBP""#, #""currency":"pounds""#), .invalidValue)
        add(edit(#""sku":"85123A""#, #""sku":"""#), .invalidValue)
        add(edit("2010-12-01T08:26:00Z", "2010-12-01 08:26:00"), .invalidValue)
        add(edit("2010-12-01T08:26:00Z", "2010-02-30T08:26:00Z"), .invalidValue)
        add(edit("2010-12-01T08:26:00Z", "1970-01-15T08:26:00Z"), .implausibleTime)
        add(edit("2010-12-01T08:26:00Z", "2410-12-01T08:26:00Z"), .implausibleTime)
        add(edit("85123A", String(repeating: "x", count: 20_000)), .oversize)
        return all
    }()

    @Test("Each kind of bad input is rejected with its reason", arguments: badInputs)
    func rejections(input: BadInput) {
        let r = rejection(input.json)
        #expect(r?.reason == input.reason, "\(input.json.prefix(120)) → \(String(describing: r))")
        #expect(r?.detail.isEmpty == false)
    }

    @Test("A field name written with escapes is still that field")
    func escapedFieldName() throws {
        let e = try decodeOrder(valid.replacingOccurrences(of: #""sku":"#, with: #""sk\u0075":"#)).get()
        #expect(e.sku == "85123A")
    }

    @Test("A field name packed in place in a message equals its spelling packed; near-misses differ")
    func packedFieldNames() {
        let spellings = OrderField.allCases.map(\.spelling) + InventoryField.allCases.map(\.spelling)
        // Names are matched by their first 16 bytes and length: a longer one would also
        // match any name that differs only after its 16th byte.
        for spelling in spellings { #expect(spelling.utf8CodeUnitCount <= 16, "\(spelling)") }
        for spelling in spellings {
            // The name inside a longer message (two words loaded and masked), and at its
            // very end (byte by byte).
            for json in ["{\"\(spelling)\":1,\"padding_padding\":2}", "\"\(spelling)"] {
                var bytes = Array(json.utf8)
                let packed = bytes.withUnsafeMutableBytes { all in
                    let name = UnsafeRawBufferPointer(
                        rebasing: all[(json.hasPrefix("{") ? 2 : 1)...].prefix(spelling.utf8CodeUnitCount)
                    )
                    return TextPrefix(name, within: UnsafeRawBufferPointer(all))
                }
                #expect(packed == TextPrefix(spelling), "\(json)")
            }
        }
        // A prefix, an extension, and a name past 16 bytes.
        for other: StaticString in [
            "sk", "skus", "order_i", "order_idx", "unit_pric", "lead_time_days_", "lead_time_days_and_more",
        ] {
            #expect(!spellings.contains { TextPrefix($0) == TextPrefix(other) }, "\(other)")
        }
    }

    @Test("Names and strings at every position relative to 8-byte words, and at the buffer's end, read the same")
    func wordBoundaries() throws {
        // Padding shifts every field against the 8-byte words the scanner loads; a last
        // field ending the buffer takes the byte-by-byte path.
        for pad in 0..<17 {
            let spaces = String(repeating: " ", count: pad)
            let json =
                #"{"# + spaces + #""order_id":"A\"BCDEFGHIJ","line":1,"sku":"X"#
                + String(repeating: "y", count: pad)
                + #"","quantity":6,"kind":"sale","unit_price":2.55,"currency":"G\u0042P","region":"R","#
                + #""event_time":"2010-12-01T08:26:00Z","sku_note":"\u0000","customer_id":"C"}"#
            let e = try decodeOrder(json).get()
            #expect(e.orderID == "A\"BCDEFGHIJ" && e.sku == "X" + String(repeating: "y", count: pad))
            #expect(e.currency == "GBP" && e.region == "R" && e.customerID == "C")
        }
        #expect(rejection(valid.replacingOccurrences(of: "85123A", with: "85123\u{1}A"))?.reason == .malformed)
        #expect(rejection(valid.replacingOccurrences(of: "85123A", with: "8512345678\u{1F}A"))?.reason == .malformed)
    }

    @Test("Invalid UTF-8 is rejected as such")
    func notUTF8() {
        var bytes = Array(valid.utf8)
        bytes[bytes.firstIndex(of: UInt8(ascii: "8"))!] = 0xC3
        let r = bytes.withUnsafeBytes { OrderEventDecoder().decode($0) }
        guard case .failure(let rejection) = r else {
            Issue.record("accepted invalid UTF-8")
            return
        }
        #expect(rejection.reason == .notUTF8)
    }

    @Test("RFC 3339 forms: offsets, fractions, lower case")
    func timestamps() {
        #expect(EventTime(rfc3339: "2011-03-14T16:02:11+01:00")?.description == "2011-03-14T15:02:11Z")
        #expect(EventTime(rfc3339: "2011-03-14t15:02:11.1z")?.description == "2011-03-14T15:02:11.100Z")
        #expect(EventTime(rfc3339: "2011-03-14T15:02:11.123456789-00:30")?.description == "2011-03-14T15:32:11.123Z")
        #expect(EventTime(rfc3339: "2011-03-14T15:02:11") == nil)
        #expect(EventTime(rfc3339: "2011-03-14T15:02:11.Z") == nil)
        #expect(EventTime(rfc3339: "2011-03-14T24:02:11Z") == nil)
    }

    @Test("Numbers are read exactly as Swift's own parser reads them (50,000 random decimals)")
    func numbersExact() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<50_000 {
            let whole = rng.next() % 1_000_000
            let fractionDigits = Int(rng.next() % 8)
            let fraction = fractionDigits == 0 ? "" : "." + String(String(rng.next()).suffix(fractionDigits))
            let text = "\(whole)\(fraction)"
            let json = valid.replacingOccurrences(of: #""unit_price":2.55"#, with: #""unit_price":\#(text)"#)
            let e = try decodeOrder(json).get()
            #expect(e.unitPrice == Double(text)!, "\(text)")
        }
    }

    @Test("Random corruption of valid messages never crashes: each is decoded or rejected with a reason")
    func mutations() {
        var rng = SplitMix64(seed: 11)
        let base = Array(valid.utf8)
        var outcomes: [String: Int] = [:]
        for _ in 0..<30_000 {
            var bytes = base
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.remove(at: at)
                default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                }
            }
            switch bytes.withUnsafeBytes({ OrderEventDecoder().decode($0) }) {
            case .success: outcomes["accepted", default: 0] += 1
            case .failure(let r): outcomes[r.reason.rawValue, default: 0] += 1
            }
        }
        #expect(outcomes.values.reduce(0, +) == 30_000)
        #expect(outcomes["malformed", default: 0] > 1000)
        #expect(outcomes["accepted", default: 0] > 0)
    }

    @Test("Inventory events decode and validate")
    func inventory() throws {
        var buffer: [UInt8] = []
        let event = InventoryEvent(
            sku: "85123A",
            onHand: 240,
            onOrder: 600,
            leadTimeDays: 14,
            location: "UK-1",
            eventTime: EventTime(milliseconds: 1_291_186_800_000),
            synthetic: true
        )
        event.encodeJSON(into: &buffer)
        #expect(try buffer.withUnsafeBytes { InventoryEventDecoder().decode($0) }.get() == event)
        let bad = Array(#"{"sku":"A","on_hand":5,"lead_time_days":0,"event_time":"2011-01-01T00:00:00Z"}"#.utf8)
        guard case .failure(let r) = bad.withUnsafeBytes({ InventoryEventDecoder().decode($0) }) else {
            Issue.record("accepted lead time 0")
            return
        }
        #expect(r.reason == .invalidValue)
    }
}

struct BadInput: Sendable, CustomTestStringConvertible {
    let json: String
    let reason: Rejection.Reason
    var testDescription: String { "\(reason.rawValue): \(json.prefix(60))" }
}
