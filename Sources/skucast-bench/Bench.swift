import ArgumentParser
import Foundation
import Logging
import SkucastEngine
import SkucastEvents
import SkucastKafka
import Synchronization

/// Throughput benchmarks of the Kafka binding. They print figures; they assert nothing.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skucast-bench",
        abstract: "Kafka throughput benchmarks (see Deploy/bench-kafka.sh).",
        subcommands: [
            Produce.self, Consume.self, Engine.self, Publish.self, State.self, AlertLatency.self, ManySKUs.self,
        ]
    )
}

struct Common: ParsableArguments {
    @Option var brokers: String = "127.0.0.1:19092"
    @Option var topic: String = "bench"

    func client() -> KafkaClientConfiguration {
        KafkaClientConfiguration(bootstrapServers: brokers.split(separator: ",").map(String.init))
    }

    func logger() -> Logger {
        var l = Logger(label: "skucast.bench")
        l.logLevel = .warning
        return l
    }
}

struct Produce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Produce N order-like JSON messages of about --size bytes, keyed by one of --keys SKUs."
    )
    @OptionGroup var common: Common
    @Option var messages: Int = 1_000_000
    @Option var size: Int = 150
    @Option var keys: Int = 4000

    func run() throws {
        let failures = Atomic<Int>(0)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: common.client()),
            logger: common.logger()
        ) { r in
            if r.error != nil { failures.add(1, ordering: .relaxed) }
        }
        // SKU-like keys: five digits, some with a letter, as in the Online Retail data.
        let skus: [String] = (0..<keys).map { (i: Int) -> String in
            let digits = String(10_000 + i * 7 % 89_999)
            return i % 3 == 0 ? digits + "A" : digits
        }
        let clock = ContinuousClock()
        let start = clock.now
        var value = [UInt8]()
        var bytes = 0
        for i in 0..<messages {
            let sku = skus[i % skus.count]
            let body =
                #"{"order_id":"\#(536365 + i / 20)","line":\#(i % 20 + 1)","sku":"\#(sku)","quantity":\#(i % 12 + 1),"kind":"sale","unit_price":2.55,"currency":"GBP","event_time":"2011-01-01T00:00:00Z""#
            value.removeAll(keepingCapacity: true)
            value.append(contentsOf: body.utf8)
            while value.count < size - 1 { value.append(UInt8(ascii: " ")) }
            value.append(UInt8(ascii: "}"))
            bytes += value.count
            try value.withUnsafeBytes {
                _ = try producer.send(topic: common.topic, key: sku, value: $0, timestamp: 1_293_840_000_000 + Int64(i))
            }
        }
        try producer.flush(timeout: .seconds(120))
        let seconds = (clock.now - start).seconds
        print(
            String(
                format: "produce: %d messages (%.1f MB) in %.2f s: %.0f msg/s, %.1f MB/s, %d failed",
                messages,
                Double(bytes) / 1e6,
                seconds,
                Double(messages) / seconds,
                Double(bytes) / 1e6 / seconds,
                failures.load(ordering: .relaxed)
            )
        )
    }
}

struct Consume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the whole topic from the beginning to its end, touching every value, like kcat -C -e."
    )
    @OptionGroup var common: Common
    @Option var batch: Int = 4096

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        var config = KafkaConsumerConfiguration(client: common.client(), groupID: "skucast-bench-\(getpid())")
        config.reportEndOfPartition = true
        let consumer = try KafkaConsumer(configuration: config, logger: common.logger())
        guard let topic = try consumer.metadata(topics: [common.topic], timeout: .seconds(10)).topic(common.topic)
        else {
            throw ValidationError("no topic \(common.topic)")
        }
        let partitions = topic.partitions.map { KafkaTopicPartition(topic: common.topic, partition: $0.id) }
        try consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, .beginning) }))
        var remaining = Set(partitions)
        var count = 0
        var bytes = 0
        var checksum: UInt64 = 0
        while !remaining.isEmpty {
            let messages = try consumer.poll(maxMessages: batch, timeout: .seconds(1))
            for m in messages {
                count += 1
                m.withUnsafeValue { v in
                    guard let v else { return }
                    bytes += v.count
                    checksum &+= UInt64(v[v.count - 1])
                }
            }
            remaining.subtract(messages.reachedEnd)
        }
        let seconds = (clock.now - start).seconds
        print(
            String(
                format: "consume: %d messages (%.1f MB) in %.2f s: %.0f msg/s, %.1f MB/s (checksum %llu)",
                count,
                Double(bytes) / 1e6,
                seconds,
                Double(count) / seconds,
                Double(bytes) / 1e6 / seconds,
                checksum
            )
        )
        try consumer.close()
    }
}

struct Engine: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "The engine on one core, from pre-encoded event bytes in memory: decode + validate + window update, then bucket closes."
    )
    @Option(help: "The Online Retail CSV whose events are encoded once, then replayed.")
    var csv: String
    @Option(help: "What counts as demand: net (cancellations and returns matched to their sales) or gross.")
    var demand: String = "net"
    @Option(help: "Replay the encoded events this many times (each pass shifted by the file's span, so time moves on).")
    var passes: Int = 5

    func run() throws {
        var events: [OrderEvent] = []
        for row in try OnlineRetailOrderReader(Array(Data(contentsOf: URL(fileURLWithPath: csv)))) {
            if case .success(let e) = row { events.append(e) }
        }
        let span = events.last!.eventTime.milliseconds - events.first!.eventTime.milliseconds + 86_400_000
        // All passes encoded up front: the timed loop reads bytes only.
        var blob: [UInt8] = []
        var ends: [Int] = []
        var buffer: [UInt8] = []
        for pass in 0..<passes {
            for var e in events {
                e.eventTime = EventTime(milliseconds: e.eventTime.milliseconds + Int64(pass) * span)
                e.encodeJSON(into: &buffer)
                blob += buffer
                ends.append(blob.count)
            }
        }
        let decoder = OrderEventDecoder()
        // Decode and validate alone, for the split.
        var decodeOnly = Duration.zero
        var checksum = 0.0
        blob.withUnsafeBytes { all in
            let t0 = ContinuousClock.now
            var start = 0
            for end in ends {
                if case .success(let e) = decoder.decodeInPlace(UnsafeRawBufferPointer(rebasing: all[start..<end])) {
                    checksum += e.quantity
                }
                start = end
            }
            decodeOnly = ContinuousClock.now - t0
        }
        var configuration = EngineConfiguration()
        configuration.demand = DemandDefinition(rawValue: demand) ?? .net
        var engine = PartitionEngine(configuration: configuration)
        var closed = 0
        var rejected = 0
        var decodeTime = Duration.zero
        var closeTime = Duration.zero
        let clock = ContinuousClock()
        blob.withUnsafeBytes { all in
            var start = 0
            // Decode and apply in slices of a day's worth, closing buckets between slices,
            // so the two costs are timed apart.
            var i = 0
            while i < ends.count {
                let sliceEnd = min(i + 2000, ends.count)
                let t0 = clock.now
                for k in i..<sliceEnd {
                    switch decoder.decodeInPlace(UnsafeRawBufferPointer(rebasing: all[start..<ends[k]])) {
                    case .success(let e): _ = engine.apply(e) { _ in }
                    case .failure: rejected += 1
                    }
                    start = ends[k]
                }
                let t1 = clock.now
                engine.advance { _ in closed += 1 }
                closeTime += clock.now - t1
                decodeTime += t1 - t0
                i = sliceEnd
            }
        }
        print(
            String(
                format: "decode+validate alone: %.2f M events/s (checksum %.0f)",
                Double(ends.count) / decodeOnly.seconds / 1e6,
                checksum
            )
        )
        print(
            String(
                format: "decode+validate+window: %d events (%.1f MB) in %.2f s: %.2f M events/s (%d rejected)",
                ends.count,
                Double(blob.count) / 1e6,
                decodeTime.seconds,
                Double(ends.count) / decodeTime.seconds / 1e6,
                rejected
            )
        )
        print(
            String(
                format: "bucket close (all models, ensemble): %d SKU-buckets in %.2f s: %.2f M SKU-buckets/s; %d SKUs",
                closed,
                closeTime.seconds,
                Double(closed) / closeTime.seconds / 1e6,
                engine.skuCount
            )
        )
    }
}

struct State: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Memory per SKU and snapshot speed: one partition with N SKUs after some weeks of sales."
    )
    @Option var skus: Int = 1_000_000
    @Option var days: Int = 35
    @Option(help: "How many times to write and read the snapshot.") var repeats: Int = 1

    func run() throws {
        func rssBytes() -> Int {
            // Resident pages from /proc/self/statm (second field).
            guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
            return (Int(text.split(separator: " ")[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
        let before = rssBytes()
        var engine = PartitionEngine(configuration: EngineConfiguration())
        let start = EventTime(year: 2011, month: 1, day: 3)!.milliseconds
        let clock = ContinuousClock()
        let t0 = clock.now
        var closed = 0
        for day in 0..<days {
            // Every SKU sells on some days: one SKU in 3 a day, with a few units.
            for k in stride(from: day % 3, to: skus, by: 3) {
                let e = OrderEvent(
                    orderID: "o",
                    line: 1,
                    sku: "SKU\(k)",
                    quantity: Double(1 + (k + day) % 5),
                    kind: .sale,
                    unitPrice: 1,
                    currency: "GBP",
                    eventTime: EventTime(milliseconds: start + Int64(day) * 86_400_000 + Int64(k % 80_000_000))
                )
                _ = engine.apply(e)
            }
            engine.advance { _ in closed += 1 }
        }
        let built = clock.now - t0
        let after = rssBytes()
        print(
            String(
                format: "%d SKUs, %d days (%d SKU-buckets closed in %.1f s)",
                engine.skuCount,
                days,
                closed,
                built.seconds
            )
        )
        print(
            String(
                format: "memory: %.0f MiB resident for the engine, %.0f bytes per SKU",
                Double(after - before) / 1_048_576,
                Double(after - before) / Double(skus)
            )
        )
        // This machine's timings vary by 2x from run to run: repeat, and report each.
        for _ in 0..<repeats {
            let t1 = clock.now
            let bytes = SnapshotCodec.encode(
                PartitionSnapshot(engine: engine, offsets: [SourceOffset(topic: "orders", partition: 0, nextOffset: 1)])
            )
            let encodeTime = clock.now - t1
            let t2 = clock.now
            let decoded = try SnapshotCodec.decode(bytes)
            let decodeTime = clock.now - t2
            // The header's CRC-32 of the payload: equal across builds that write the same bytes.
            let crc = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[20 + $1]) << (8 * $1) }
            print(
                String(
                    format:
                        "snapshot: %.1f MB (%.0f bytes per SKU, CRC-32 %08x); encode %.2f s, decode + verify %.2f s; restored %d SKUs",
                    Double(bytes.count) / 1e6,
                    Double(bytes.count) / Double(skus),
                    crc,
                    encodeTime.seconds,
                    decodeTime.seconds,
                    decoded.engine.skuCount
                )
            )
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
