import Foundation
import SkucastEngine
import SkucastEvents
import SkucastPipeline
import SkucastTestSupport
import Testing

@Suite("Damaged input mixed into the real log")
struct DamagedInputTests {
    /// A damaged copy of a good order message, and the reason it must be rejected with.
    static func damage(
        _ good: RecordedMessage,
        _ rng: inout SplitMix64
    ) -> (message: RecordedMessage, reason: Rejection.Reason) {
        var m = good
        let value = good.value ?? []
        let text = String(decoding: value, as: UTF8.self)
        func replacing(_ pattern: String, with replacement: String) -> [UInt8] {
            guard let r = text.range(of: pattern, options: .regularExpression) else { return value }
            return Array(text.replacingCharacters(in: r, with: replacement).utf8)
        }
        switch Int.random(in: 0..<8, using: &rng) {
        case 0:
            m.value = Array(value.prefix(Int.random(in: 1..<(value.count - 1), using: &rng)))
            return (m, .malformed)
        case 1:
            m.value = replacing(#""quantity":[-0-9.e]+"#, with: #""quantity":"12""#)
            return (m, .wrongType)
        case 2:
            m.value = replacing(#""unit_price":[-0-9.e]+"#, with: #""unit_price":NaN"#)
            return (m, .malformed)
        case 3:
            m.value = replacing(#""quantity":[-0-9.e]+"#, with: #""quantity":1e300"#)
            return (m, .invalidValue)
        case 4:
            var bytes = value
            bytes[bytes.count / 2] = 0xFF
            m.value = bytes
            return (m, .notUTF8)
        case 5:
            let year = Int.random(in: 2040...2099, using: &rng)
            let month = Int.random(in: 1...12, using: &rng)
            m.value = replacing(
                #""event_time":"[^"]+""#,
                with: "\"event_time\":\"\(year)-\(month < 10 ? "0" : "")\(month)-09T10:00:00Z\""
            )
            return (m, .aheadOfStreamTime)
        case 6:
            m.value = replacing(#""event_time":"[0-9]{4}"#, with: #""event_time":"1987"#)
            return (m, .implausibleTime)
        default:
            m.key = Array("NOT-THE-SKU".utf8)
            return (m, .keyMismatch)
        }
    }

    @Test(
        "About 2,000 damaged orders (truncated, wrong types, NaN, huge numbers, broken UTF-8, far-future and far-past times, wrong keys) among 40,000 real rows: each goes to dead letters with its reason, nothing crashes, and the good events' forecasts and alerts equal a clean run's"
    )
    func damagedOrders() throws {
        let clean = try realInput(rows: 40_000, partitions: 6).messages
        var rng = SplitMix64(seed: 12)
        var mixed: [(message: RecordedMessage, topic: InputTopic)] = []
        var expected: [Rejection.Reason: Int] = [:]
        // Each damaged message copies a good order just before it, offset included, so
        // the later messages keep their offsets and the outputs compare byte for byte.
        for (m, topic) in clean {
            mixed.append((m, topic))
            guard topic == .orders, Int.random(in: 0..<20, using: &rng) == 0 else { continue }
            let (bad, reason) = Self.damage(m, &rng)
            mixed.append((bad, .orders))
            expected[reason, default: 0] += 1
        }
        let a = try StreamTimeTests.replay(clean)
        let b = try StreamTimeTests.replay(mixed)
        let damaged = expected.values.reduce(0, +)
        print("damaged orders by reason: \(expected.map { "\($0.key.rawValue)=\($0.value)" }.sorted())")
        #expect(damaged > 1_500)
        #expect(b.sink.forecasts == a.sink.forecasts)
        #expect(b.sink.alerts == a.sink.alerts)
        var found = a.counts.rejected
        for (reason, n) in expected { found[reason, default: 0] += n }
        #expect(b.counts.rejected == found)
        #expect(b.sink.deadLetters.count == a.sink.deadLetters.count + damaged)
    }
}
