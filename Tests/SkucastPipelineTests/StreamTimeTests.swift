import Foundation
import SkucastEngine
import SkucastEvents
import SkucastPipeline
import Testing

@Suite("Event time that a bad clock cannot break")
struct StreamTimeTests {
    /// Replays `messages` through six partitions into memory.
    static func replay(
        _ messages: [(message: RecordedMessage, topic: InputTopic)],
        configuration: EngineConfiguration = EngineConfiguration()
    ) throws -> Replay<RecordedMessage, MemorySink> {
        var replay = Replay<RecordedMessage, MemorySink>(
            partitions: 0..<6,
            configuration: configuration,
            sink: MemorySink()
        )
        for (m, t) in messages { try replay.append(m, t) }
        try replay.endAll()
        return replay
    }

    @Test(
        "An order dated 2098 in the middle of a real replay goes to dead letters on its own: every later event counts, the outputs equal a clean run's, and no extra bucket closes"
    )
    func farFutureOrder() throws {
        let clean = try realInput(rows: 60_000, partitions: 6).messages
        // After 20,000 messages, as a producer with a broken clock would send it: the message
        // timestamp is the producer's (its neighbour's), the event time in the value is 2098.
        let at = 20_000
        let neighbour = try #require(
            clean[..<at].last { $0.message.key == Array("85123A".utf8) && $0.topic == .orders }
        )
        var buffer: [UInt8] = []
        OrderEvent(
            orderID: "BAD1",
            line: 1,
            sku: "85123A",
            quantity: 6,
            kind: .sale,
            unitPrice: 2.55,
            currency: "GBP",
            eventTime: EventTime(year: 2098, month: 12, day: 9, hour: 10)!
        ).encodeJSON(into: &buffer)
        var bad = neighbour.message
        bad.value = buffer
        bad.timestampMilliseconds = clean[at - 1].message.timestampMilliseconds
        // It repeats its neighbour's offset, so that the later messages keep theirs and the
        // outputs (alerts name the offset of their cause) compare byte for byte.
        var poisoned = clean
        poisoned.insert((bad, .orders), at: at)

        let a = try Self.replay(clean)
        let b = try Self.replay(poisoned)
        #expect(b.counts.events[0] == a.counts.events[0] + 1)
        #expect(b.counts.bucketsClosed == a.counts.bucketsClosed)
        #expect(b.sink.forecasts == a.sink.forecasts)
        #expect(b.sink.alerts == a.sink.alerts)
        let extra = b.sink.deadLetters.filter { $0.rejection.reason == .aheadOfStreamTime }
        #expect(extra.count == 1 && extra.first?.message.value == buffer)
        #expect(b.sink.deadLetters.count == a.sink.deadLetters.count + 1)
        #expect(a.counts.rejected[.aheadOfStreamTime] == nil)
    }

    @Test(
        "A feed that really jumps further than the maximum skew loses nothing: with a 3-day skew the Christmas pause of the real log (orders to 2011-01-05) is confirmed by the orders after it, and the outputs equal a run with a 30-day skew"
    )
    func confirmedJump() throws {
        let messages = try realInput(rows: 45_000, partitions: 6, stock: false).messages
        var narrow = EngineConfiguration()
        narrow.maxClockSkewMilliseconds = 3 * 86_400_000
        var wide = EngineConfiguration()
        wide.maxClockSkewMilliseconds = 30 * 86_400_000
        let a = try Self.replay(messages, configuration: wide)
        let b = try Self.replay(messages, configuration: narrow)
        #expect(a.counts.rejected[.aheadOfStreamTime] == nil && b.counts.rejected[.aheadOfStreamTime] == nil)
        #expect(b.sink.forecasts.count > 0)
        #expect(b.sink.forecasts == a.sink.forecasts)
        #expect(b.sink.alerts == a.sink.alerts)
        #expect(b.sink.deadLetters.count == a.sink.deadLetters.count)
    }

    @Test(
        "A partition whose first event is ten years before the rest jumps once confirmed, and closes a bounded number of buckets, not ten years of them"
    )
    func boundedCatchUp() throws {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        func sale(_ sku: String, _ time: EventTime) -> OrderEvent {
            OrderEvent(
                orderID: "o\(time.milliseconds)",
                line: 1,
                sku: sku,
                quantity: 1,
                kind: .sale,
                unitPrice: 1,
                currency: "GBP",
                eventTime: time
            )
        }
        #expect(engine.apply(sale("A", EventTime(year: 2001, month: 3, day: 1, hour: 9)!)) == .applied)
        let later = EventTime(year: 2011, month: 3, day: 1, hour: 9)!
        guard case .aheadOfStreamTime = engine.apply(sale("B", later)) else {
            Issue.record("ten years ahead was accepted")
            return
        }
        engine.jumpStreamTime(to: later)
        #expect(engine.apply(sale("B", later)) == .applied)
        var closed = 0
        engine.advance { _ in closed += 1 }
        // One SKU for 2 × 28 days; days 1 to 28 of the gap and the 28 before the jump.
        #expect(closed <= 2 * 28 + 1, "\(closed) SKU-buckets closed")
        #expect(engine.closedThrough == EngineConfiguration().calendar.bucket(of: later) - 1)
    }
}
