import Foundation
import SkucastEngine
import SkucastEvents
import SkucastPipeline
import Testing

/// A message of a test: only its topic and timestamp matter to the merge.
func message(
    _ topic: InputTopic,
    offset: Int64,
    at timestamp: Int64?,
    partition: Int32 = 0,
    key: String? = nil,
    value: [UInt8]? = nil
) -> RecordedMessage {
    RecordedMessage(
        topic: topic == .orders ? "orders" : "inventory",
        partition: partition,
        offset: offset,
        timestamp: timestamp,
        key: key.map { Array($0.utf8) },
        value: value
    )
}

/// Pops everything the merge releases.
func release(_ merge: inout InputMerge<RecordedMessage>, caughtUp: Set<InputTopic>) -> [RecordedMessage] {
    var out: [RecordedMessage] = []
    while let t = merge.next(caughtUp: { caughtUp.contains($0) }) { out.append(merge.pop(t)) }
    return out
}

@Suite("The input merge")
struct InputMergeTests {
    @Test("by timestamp, inventory before orders on a tie")
    func order() {
        var merge = InputMerge<RecordedMessage>()
        merge.append(message(.orders, offset: 0, at: 10), .orders)
        merge.append(message(.orders, offset: 1, at: 20), .orders)
        merge.append(message(.inventory, offset: 0, at: 20), .inventory)
        merge.append(message(.inventory, offset: 1, at: 25), .inventory)
        let out = release(&merge, caughtUp: [.orders, .inventory])
        #expect(
            out.map { "\($0.topic)@\($0.timestampMilliseconds!)" } == [
                "orders@10", "inventory@20", "orders@20", "inventory@25",
            ]
        )
    }

    @Test("a topic with nothing waiting holds the other back until it has caught up")
    func holds() {
        var merge = InputMerge<RecordedMessage>()
        merge.append(message(.orders, offset: 0, at: 10), .orders)
        #expect(release(&merge, caughtUp: [.orders]).isEmpty)
        #expect(merge.count == 1)
        // The inventory message that was still on its way comes first.
        merge.append(message(.inventory, offset: 0, at: 5), .inventory)
        #expect(release(&merge, caughtUp: [.orders]).map(\.topic) == ["inventory"])
        #expect(release(&merge, caughtUp: [.orders, .inventory]).map(\.topic) == ["orders"])
        #expect(merge.count == 0)
    }

    @Test("a hold limit lets a waiting head go, and only a head that waits")
    func holdLimit() {
        var merge = InputMerge<RecordedMessage>()
        merge.append(message(.orders, offset: 0, at: 10), .orders)
        merge.append(message(.orders, offset: 1, at: 30), .orders)
        var asked: [Int64] = []
        // Only the order at 10 has waited long enough.
        let expired: (RecordedMessage) -> Bool = {
            asked.append($0.offset)
            return $0.timestampMilliseconds! <= 10
        }
        var out: [RecordedMessage] = []
        while let t = merge.next(caughtUp: { _ in false }, holdExpired: expired) { out.append(merge.pop(t)) }
        #expect(out.map(\.offset) == [0])
        #expect(asked == [0, 1])
        // With both sides waiting, timestamps decide and the limit is not asked.
        merge.append(message(.inventory, offset: 0, at: 20), .inventory)
        asked = []
        while let t = merge.next(caughtUp: { _ in false }, holdExpired: expired) { out.append(merge.pop(t)) }
        #expect(out.map(\.topic) == ["orders", "inventory"])
        #expect(asked == [1])
        #expect(merge.count == 1)
    }

    @Test("the same messages give the same order however they are batched (1,000 random cases)")
    func batching() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<1000 {
            let counts = [Int.random(in: 0...30, using: &random), Int.random(in: 0...30, using: &random)]
            var streams: [[RecordedMessage]] = InputTopic.allCases.map { t in
                var time: Int64 = 0
                return (0..<counts[t.rawValue]).map { i in
                    time += Int64.random(in: 0...3, using: &random)
                    return message(t, offset: Int64(i), at: time)
                }
            }
            // Reference: everything known at once.
            var whole = InputMerge<RecordedMessage>()
            for t in InputTopic.allCases { for m in streams[t.rawValue] { whole.append(m, t) } }
            let expected = release(&whole, caughtUp: [.orders, .inventory])
            #expect(expected.count == counts.reduce(0, +))
            // Delivered in random chunks, a topic caught up only once all of it arrived.
            var merge = InputMerge<RecordedMessage>()
            var got: [RecordedMessage] = []
            var caughtUp: Set<InputTopic> = []
            while !streams.allSatisfy(\.isEmpty) || caughtUp.count < 2 {
                let t = InputTopic.allCases.randomElement(using: &random)!
                let n = min(streams[t.rawValue].count, Int.random(in: 0...5, using: &random))
                for m in streams[t.rawValue].prefix(n) { merge.append(m, t) }
                streams[t.rawValue].removeFirst(n)
                if streams[t.rawValue].isEmpty { caughtUp.insert(t) }
                got += release(&merge, caughtUp: caughtUp)
            }
            #expect(got == expected)
        }
    }
}

/// The first rows of the real log, as a file source with synthetic stock.
func realInput(rows: Int, partitions: Int = 3, stock: Bool = true) throws -> FileSource {
    let path =
        ProcessInfo.processInfo.environment["SKUCAST_DATA"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data/online-retail/online_retail_2010_2011.csv")
        .path
    var files = FileSource(partitions: partitions, topicNames: ["orders", "inventory"])
    try files.addOnlineRetail(
        Array(Data(contentsOf: URL(fileURLWithPath: path))),
        syntheticInventory: stock,
        limit: rows
    )
    return files
}

@Suite("Partition processors driven through a replay, without a broker")
struct ProcessorTests {
    let order = OrderEvent(
        orderID: "1",
        line: 1,
        sku: "A",
        quantity: 2,
        kind: .sale,
        unitPrice: 1,
        currency: "GBP",
        eventTime: EventTime(year: 2011, month: 1, day: 3, hour: 9)!
    )

    func json(_ e: OrderEvent) -> [UInt8] {
        var b: [UInt8] = []
        e.encodeJSON(into: &b)
        return b
    }

    @Test("forecasts at each close, dead letters with their reason: malformed, key mismatch, too late")
    func outputs() throws {
        var replay = Replay<RecordedMessage, MemorySink>(
            partitions: [0],
            configuration: EngineConfiguration(),
            sink: MemorySink()
        )
        try replay.end(.inventory, partition: 0)
        var offset: Int64 = 0
        func send(_ e: OrderEvent, key: String? = nil) throws {
            try replay.append(
                message(.orders, offset: offset, at: e.eventTime.milliseconds, key: key ?? e.sku, value: json(e)),
                .orders
            )
            offset += 1
        }
        for day in 0..<10 {
            var e = order
            e.orderID = "\(day)"
            e.eventTime = EventTime(milliseconds: order.eventTime.milliseconds + Int64(day) * 86_400_000)
            try send(e)
        }
        try replay.append(message(.orders, offset: offset, at: nil, key: "A", value: Array("{\"sku\":".utf8)), .orders)
        offset += 1
        try send(order, key: "B")
        try send(order)  // day 0 again, nine days late
        let sink = replay.sink
        // Days 0…8 closed (day 9's events keep it open): one forecast each for the one SKU.
        #expect(sink.forecasts.count == 9)
        #expect(
            sink.forecasts.allSatisfy {
                $0.key == "A" && String(decoding: $0.value, as: UTF8.self).hasPrefix("{\"forecast_id\":")
            }
        )
        #expect(sink.deadLetters.map(\.rejection.reason) == [.malformed, .keyMismatch, .tooLate])
        #expect(sink.deadLetters.map(\.message.offset) == [10, 11, 12])
        #expect(replay.counts.events == [13, 0])
        #expect(replay.counts.rejected == [.malformed: 1, .keyMismatch: 1, .tooLate: 1])
    }

    @Test(
        "two weeks of the real log with stock: the same outputs whatever order the topics are delivered in; alerts name their cause"
    )
    func deterministic() throws {
        let files = try realInput(rows: 20_000)
        #expect(files.hasInventory && files.unreadable.isEmpty)
        func run(inventoryFirst: Bool) throws -> MemorySink {
            var replay = Replay<RecordedMessage, MemorySink>(
                partitions: [0, 1, 2],
                configuration: EngineConfiguration(),
                sink: MemorySink()
            )
            // Either as the file has them, or one whole topic after the other.
            let inventoryThenOrders =
                files.messages.filter { $0.topic == .inventory } + files.messages.filter { $0.topic == .orders }
            for (m, topic) in (inventoryFirst ? inventoryThenOrders : files.messages) { try replay.append(m, topic) }
            try replay.endAll()
            #expect(replay.waiting == 0)
            return replay.sink
        }
        let a = try run(inventoryFirst: false)
        let b = try run(inventoryFirst: true)
        #expect(a.forecasts.count > 1000)
        #expect(a.alerts.count > 10)
        // Partitions interleave differently; each SKU's outputs come in the same order.
        func bySKU(_ records: [MemorySink.Record]) -> [String: [[UInt8]]] {
            Dictionary(grouping: records, by: \.key).mapValues { $0.map(\.value) }
        }
        let sameForecasts = bySKU(a.forecasts) == bySKU(b.forecasts)
        let sameAlerts = bySKU(a.alerts) == bySKU(b.alerts)
        #expect(sameForecasts)
        #expect(sameAlerts)
        #expect(a.alerts.allSatisfy { String(decoding: $0.value, as: UTF8.self).contains("\"cause\":{\"topic\":") })
    }

    @Test("JSON lines files: the topics' examples replay; a line that does not decode goes to dead letters")
    func jsonLines() throws {
        let topics = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Topics")
        func lines(_ topic: String) throws -> [UInt8] {
            let dir = topics.appendingPathComponent(topic).appendingPathComponent("examples")
            let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
                .sorted()
            return try names.flatMap { Array(try Data(contentsOf: dir.appendingPathComponent($0))) + [0x0A] }
        }
        var files = FileSource(partitions: 2, topicNames: ["orders", "inventory"])
        files.addJSONLines(try lines("orders") + Array("not json\n\n".utf8), topic: .orders)
        files.addJSONLines(try lines("inventory"), topic: .inventory)
        #expect(files.messages.count == 5 + 1 + 2)
        let bad = try #require(files.messages.first { $0.message.key == nil })
        #expect(bad.message.partition == 0)
        // The examples are single events of a year apart, not one feed: the maximum clock
        // skew must not hold them back.
        var configuration = EngineConfiguration()
        configuration.maxClockSkewMilliseconds = 400 * 86_400_000
        var replay = Replay<RecordedMessage, MemorySink>(
            partitions: [0, 1],
            configuration: configuration,
            sink: MemorySink()
        )
        for (m, t) in files.messages { try replay.append(m, t) }
        try replay.endAll()
        #expect(replay.counts.events == [6, 2])
        #expect(replay.sink.deadLetters.map(\.rejection.reason) == [.malformed])
        #expect(replay.sink.deadLetters.first?.message.value == Array("not json".utf8))
    }

    @Test("the JSON lines sink writes the bytes a memory sink keeps, one value a line")
    func jsonLinesSink() throws {
        let files = try realInput(rows: 5_000)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-sink-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        struct Both: OutputSink {
            var memory = MemorySink()
            let file: JSONLinesSink
            mutating func forecast(_ f: EmittedForecast) throws {
                try memory.forecast(f)
                try file.forecast(f)
            }
            mutating func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws {
                try memory.alert(sku: sku, value: value, timestamp: timestamp)
                try file.alert(sku: sku, value: value, timestamp: timestamp)
            }
            mutating func deadLetter(_ m: InputMessage, rejection: Rejection) throws {
                try memory.deadLetter(m, rejection: rejection)
                try file.deadLetter(m, rejection: rejection)
            }
        }
        var replay = Replay<RecordedMessage, Both>(
            partitions: [0, 1, 2],
            configuration: EngineConfiguration(),
            sink: Both(file: try JSONLinesSink(directory: dir))
        )
        for (m, t) in files.messages { try replay.append(m, t) }
        try replay.endAll()
        try replay.sink.file.close()
        func lines(_ name: String) throws -> [[UInt8]] {
            try Data(contentsOf: dir.appendingPathComponent(name)).split(
                separator: 0x0A,
                omittingEmptySubsequences: false
            ).dropLast().map { Array($0) }
        }
        #expect(replay.sink.memory.forecasts.count > 100)
        #expect(try lines("forecasts.jsonl") == replay.sink.memory.forecasts.map(\.value))
        #expect(try lines("restock-alerts.jsonl") == replay.sink.memory.alerts.map(\.value))
        #expect(try lines("dead-letter.jsonl").count == replay.sink.memory.deadLetters.count)
    }
}
