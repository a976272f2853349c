import Foundation
import SkucastEvents
import Testing

@Suite("Named values over a shared buffer")
struct NamedValuesTests {
    /// Two steps whose quantiles are slices of one buffer, as the engine publishes them,
    /// with values before and after them that neither step holds.
    static func message() -> ForecastMessage {
        let names = ["p50", "p90"]
        let flat: [Double] = [99, 1, 2, 3.5, 7.25, 99]
        let steps = (1...2).map { h in
            ForecastMessage.Step(
                step: h,
                start: EventTime(milliseconds: Int64(h) * 86_400_000),
                mean: Double(h),
                quantiles: NamedValues(names: names, values: flat[(2 * h - 1)..<(2 * h + 1)])
            )
        }
        return ForecastMessage(
            forecastID: "id",
            sku: "A",
            origin: EventTime(milliseconds: 0),
            bucket: "day",
            timeZone: "UTC",
            horizon: steps,
            leadTimeDays: 7,
            leadTimeMean: 10,
            leadTimeQuantiles: [NamedValue("p50", 9), NamedValue("p90", 14)],
            weights: [],
            components: [],
            daysSinceLastSale: 0,
            quantileLevels: [0.5, 0.9]
        )
    }

    @Test("a slice that starts mid-buffer reads its own values, and equals the same pairs stored alone")
    func slices() {
        let second = Self.message().horizon[1].quantiles
        #expect(second.values.startIndex == 3)
        #expect(Array(second) == [NamedValue("p50", 3.5), NamedValue("p90", 7.25)])
        #expect(second.value(at: 1) == 7.25)
        let alone: NamedValues = [NamedValue("p50", 3.5), NamedValue("p90", 7.25)]
        #expect(second == alone && second.hashValue == alone.hashValue)
        #expect(second != [NamedValue("p50", 3.5), NamedValue("p95", 7.25)])
    }

    @Test("JSON and Protocol Buffers write each step's own quantiles")
    func encodings() throws {
        let message = Self.message()
        var json: [UInt8] = []
        message.encodeJSON(into: &json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        let horizon = try #require(object["horizon"] as? [[String: Any]])
        let quantiles = horizon.map { $0["quantiles"] as? [String: Double] ?? [:] }
        #expect(quantiles == [["p50": 1, "p90": 2], ["p50": 3.5, "p90": 7.25]])

        var protobuf: [UInt8] = []
        message.encodeProtobuf(into: &protobuf)
        // `step_quantiles` (field 9 of Topics/forecasts/value.proto): packed floats, step by step.
        let field = Array(try #require(Self.fields(of: protobuf)[9]))
        let floats = stride(from: 0, to: field.count, by: 4).map { i in
            Float(bitPattern: field[i..<i + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
        #expect(floats == [1, 2, 3.5, 7.25])
    }

    /// The length-delimited fields of a top-level Protocol Buffers message, by number.
    static func fields(of bytes: [UInt8]) -> [Int: ArraySlice<UInt8>] {
        var at = 0
        func varint() -> UInt64 {
            var (value, shift) = (UInt64(0), UInt64(0))
            while true {
                let b = bytes[at]
                at += 1
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
        }
        var fields: [Int: ArraySlice<UInt8>] = [:]
        while at < bytes.count {
            let tag = varint()
            switch tag & 7 {
            case 0: _ = varint()
            case 1: at += 8
            case 5: at += 4
            default:
                let n = Int(varint())
                fields[Int(tag >> 3)] = bytes[at..<at + n]
                at += n
            }
        }
        return fields
    }
}
