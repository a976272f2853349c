import Foundation
import SkucastEngine
import SkucastEvents
import SkucastPipeline
import Testing

@Suite("Publishing forecasts on change")
struct PublishOnChangeTests {
    static let change = PublishOnChange(tolerance: 0.1, maxAge: 7)

    static func replay(_ files: FileSource, onChange: PublishOnChange?) throws -> Replay<RecordedMessage, MemorySink> {
        var replay = Replay<RecordedMessage, MemorySink>(
            partitions: [0, 1, 2],
            configuration: EngineConfiguration(),
            publishOnChange: onChange,
            sink: MemorySink()
        )
        for (m, topic) in files.messages { try replay.append(m, topic) }
        try replay.endAll()
        return replay
    }

    struct Published {
        var id: String
        var origin: Int64
        var leadMean: Double
        var leadTop: Double
    }

    static func parse(_ record: MemorySink.Record) throws -> Published {
        let o = try JSONSerialization.jsonObject(with: Data(record.value)) as? [String: Any] ?? [:]
        let lead = o["lead_time_demand"] as? [String: Any] ?? [:]
        let quantiles = (lead["quantiles"] as? [String: NSNumber] ?? [:]).sorted {
            (Double($0.key.dropFirst()) ?? 0) < (Double($1.key.dropFirst()) ?? 0)
        }
        return Published(
            id: o["forecast_id"] as? String ?? "",
            origin: (o["origin"] as? String).flatMap(EventTime.init(rfc3339:))?.milliseconds ?? -1,
            leadMean: (lead["mean"] as? NSNumber)?.doubleValue ?? .nan,
            leadTop: quantiles.last?.value.doubleValue ?? .nan
        )
    }

    @Test(
        "two weeks of the real log: fewer forecasts, and at every close each SKU's last published forecast is within the tolerance of its current one, or the current one is published, and none older than the maximum age"
    )
    func withinTolerance() throws {
        let files = try realInput(rows: 20_000)
        let every = try Self.replay(files, onChange: nil)
        let onChange = try Self.replay(files, onChange: Self.change)
        let all = every.sink.forecasts
        let some = onChange.sink.forecasts
        #expect(all.count > 1000)
        // In its first two weeks a SKU's forecasts move most (13,532 of 15,482 here; over
        // the whole log 440,510 of 959,561).
        #expect(some.count * 10 < all.count * 9, "\(some.count) of \(all.count) published")
        #expect(onChange.counts.unchanged == all.count - some.count)
        #expect(onChange.counts.forecasts == some.count)
        // The alerts do not depend on what is published.
        #expect(onChange.sink.alerts == every.sink.alerts)
        var published: [String: [Published]] = [:]
        for r in some { published[r.key, default: []].append(try Self.parse(r)) }
        let day: Int64 = 86_400_000
        for r in all {
            let current = try Self.parse(r)
            let last = try #require(published[r.key]?.last { $0.origin <= current.origin }, "\(r.key)")
            if last.id == current.id { continue }
            let tolerance = Self.change.tolerance
            #expect(
                abs(current.leadMean - last.leadMean) <= tolerance * max(last.leadMean, 1) + 1e-3
                    && abs(current.leadTop - last.leadTop) <= tolerance * max(last.leadTop, 1) + 1e-3,
                "\(r.key) at \(current.origin): \(current.leadMean)/\(current.leadTop) against \(last.leadMean)/\(last.leadTop) published"
            )
            #expect((current.origin - last.origin) / day < Int64(Self.change.maxAge), "\(r.key)")
        }
    }

    @Test("a replay cut in two, its state through the snapshot codec in between, publishes what one replay publishes")
    func restoredDecidesAlike() throws {
        let files = try realInput(rows: 20_000)
        let whole = try Self.replay(files, onChange: Self.change)
        var first = Replay<RecordedMessage, MemorySink>(
            partitions: [0, 1, 2],
            configuration: EngineConfiguration(),
            publishOnChange: Self.change,
            sink: MemorySink()
        )
        let half = files.messages.count / 2
        for (m, topic) in files.messages.prefix(half) { try first.append(m, topic) }
        var restored: [Int32: PartitionProcessor] = [:]
        for (p, processor) in first.processors {
            let bytes = SnapshotCodec.encode(processor.snapshot(topicNames: ["orders", "inventory"]))
            restored[p] = PartitionProcessor(
                partition: p,
                snapshot: try SnapshotCodec.decode(bytes),
                configuration: EngineConfiguration(),
                publishOnChange: Self.change
            )
            #expect(restored[p]!.engine == processor.engine, "partition \(p) through the codec")
        }
        var second = Replay<RecordedMessage, MemorySink>(processors: restored, sink: MemorySink())
        for (m, topic) in files.messages
        where m.offset >= restored[m.partition]!.resumeAt[topic.rawValue] {
            try second.append(m, topic)
        }
        try second.endAll()
        func bySKU(_ records: [MemorySink.Record]) -> [String: [[UInt8]]] {
            Dictionary(grouping: records, by: \.key).mapValues { $0.map(\.value) }
        }
        #expect(first.sink.forecasts.count > 100 && second.sink.forecasts.count > 100)
        #expect(bySKU(first.sink.forecasts + second.sink.forecasts) == bySKU(whole.sink.forecasts))
    }
}
