import Foundation
import Testing

@testable import SkucastEvents

@Suite("Named values over a shared buffer")
struct NamedValuesTests {
    /// Two steps whose quantiles are slices of one buffer, as the engine publishes them.
    static func message() -> ForecastMessage {
        let names = ["p50", "p90"]
        let flat: [Double] = [1, 2, 3.5, 7.25]
        let steps = (1...2).map { h in
            ForecastMessage.Step(
                step: h,
                start: EventTime(milliseconds: Int64(h) * 86_400_000),
                mean: Double(h),
                quantiles: NamedValues(names: names, values: flat[(h - 1) * 2..<h * 2])
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
        #expect(second.values.startIndex == 2)
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
        // Field 9, packed floats: tag 9 << 3 | 2, then 4 floats of 4 bytes.
        let tag: [UInt8] = [9 << 3 | 2, 16]
        let at = try #require(
            (0..<protobuf.count - 1).first { protobuf[$0] == tag[0] && protobuf[$0 + 1] == tag[1] }
        )
        let floats = (0..<4).map { i in
            let b = protobuf[(at + 2 + 4 * i)..<(at + 6 + 4 * i)]
            return Float(bitPattern: b.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
        #expect(floats == [1, 2, 3.5, 7.25])
    }
}
