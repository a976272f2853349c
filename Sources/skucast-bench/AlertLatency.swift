import ArgumentParser
import Foundation
import Logging
import SkucastEvents
import SkucastKafka
import Synchronization

/// Alert latency through a running `skucast run`: orders at a steady rate, stamped with
/// the wall clock as their event time; an alert raised on an order carries that event
/// time, so consuming it tells how long the order took to become an alert.
struct AlertLatency: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-latency",
        abstract:
            "Orders at --rate per second against a running skucast run; prints p50/p99 from producing the order that crosses a reorder point to consuming its alert."
    )
    @OptionGroup var common: Common
    @Option var topicPrefix: String = ""
    @Option var rate: Int = 10_000
    @Option var seconds: Int = 20
    @Option var skus: Int = 1000
    @Option(help: "Seconds of the live phase left out of the figures (bucket closes of the backfill).")
    var warmUp: Int = 5
    @Flag(help: "Measure the broker alone: consume the orders themselves instead of alerts.")
    var baseline = false
    @Option(
        help:
            "The service's /metrics URL: its histogram skucast_alert_latency_seconds is read when the measured period starts and when it ends, and the difference summarised."
    )
    var metrics: String?

    func run() throws {
        let orders = topicPrefix + "orders"
        let inventory = topicPrefix + "inventory"
        let alerts = topicPrefix + "restock-alerts"
        var config = KafkaProducerConfiguration(client: common.client())
        config.linger = .zero
        let producer = try KafkaProducer(configuration: config, logger: common.logger())
        let names = (0..<skus).map { "LAT\(10_000 + $0)" }
        var buffer: [UInt8] = []
        func send(_ topic: String, _ sku: String, _ time: Int64) throws {
            try buffer.withUnsafeBytes { _ = try producer.send(topic: topic, key: sku, value: $0, timestamp: time) }
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let day: Int64 = 86_400_000
        var orderNumber = 0
        func order(_ sku: String, _ qty: Double, _ time: Int64) throws {
            orderNumber += 1
            OrderEvent(
                orderID: "L\(orderNumber)",
                line: 1,
                sku: sku,
                quantity: qty,
                kind: .sale,
                unitPrice: 2.5,
                currency: "GBP",
                eventTime: EventTime(milliseconds: time)
            ).encodeJSON(into: &buffer)
            try send(orders, sku, time)
        }
        func stock(_ sku: String, _ onHand: Double, _ time: Int64) throws {
            InventoryEvent(sku: sku, onHand: onHand, leadTimeDays: 3, eventTime: EventTime(milliseconds: time))
                .encodeJSON(into: &buffer)
            try send(inventory, sku, time)
        }
        // Three weeks of history (40 a day), so every SKU has forecasts and levels.
        for d in stride(from: 21, through: 1, by: -1) {
            for sku in names { try order(sku, 40, now - Int64(d) * day) }
        }
        try producer.flush(timeout: .seconds(30))

        // Consume alerts from here on, on a thread of its own.
        let latencies = Mutex<[Double]>([])
        let stop = Atomic<Bool>(false)
        let measureFrom = now + Int64(warmUp) * 1000
        var cconfig = KafkaConsumerConfiguration(client: common.client(), groupID: "bench-latency-\(getpid())")
        cconfig.client.properties["fetch.wait.max.ms"] = "5"
        let consumer = try KafkaConsumer(configuration: cconfig, logger: common.logger())
        let measured = baseline ? orders : alerts
        let partitions = try require(consumer.metadata(topics: [measured], timeout: .seconds(10)).topic(measured))
            .partitions
        try consumer.assign(
            Dictionary(
                uniqueKeysWithValues: partitions.map {
                    (KafkaTopicPartition(topic: measured, partition: $0.id), KafkaOffset.beginning)
                }
            )
        )
        let baseline = baseline
        let reader = Thread {
            while !stop.load(ordering: .relaxed) {
                guard let batch = try? consumer.poll(timeout: .milliseconds(50)) else { continue }
                let received = Date().timeIntervalSince1970 * 1000
                for m in batch {
                    guard let text = m.value.map({ String(decoding: $0, as: UTF8.self) }),
                        baseline || text.contains("\"cause\""),
                        !text.contains("\"state\":\"resolved\""),
                        let r = text.range(of: "\"event_time\":\""),
                        let t = EventTime(rfc3339: String(text[r.upperBound...].prefix { $0 != "\"" })),
                        t.milliseconds >= measureFrom
                    else { continue }
                    latencies.withLock { $0.append(received - Double(t.milliseconds)) }
                }
            }
        }
        reader.start()
        var histogramAtStart: [(Double, Double)]?

        // Live: orders of one unit at the rate; every SKU restocked to 130 (just above
        // its reorder point, about three days of 40) every 4 s, so it crosses again and again.
        let start = Date()
        var sent = 0
        var restocked = 0
        while Date().timeIntervalSince(start) < Double(seconds) {
            let elapsed = Date().timeIntervalSince(start)
            let due = Int(elapsed * Double(rate))
            let t = Int64(Date().timeIntervalSince1970 * 1000)
            while restocked < Int(elapsed / 4 * Double(skus)) + skus {
                try stock(names[restocked % skus], 130, t)
                restocked += 1
            }
            while sent < due {
                try order(names[sent % skus], 1, t)
                sent += 1
            }
            if let metrics, histogramAtStart == nil, t >= measureFrom {
                histogramAtStart = try ServiceHistogram.read(metrics)
            }
            Thread.sleep(forTimeInterval: 0.0005)
        }
        try producer.flush(timeout: .seconds(30))
        Thread.sleep(forTimeInterval: 2)
        stop.store(true, ordering: .relaxed)
        if let metrics, let histogramAtStart {
            print(ServiceHistogram.summary(from: histogramAtStart, to: try ServiceHistogram.read(metrics)))
        }
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        let l = latencies.withLock { $0 }.sorted()
        guard !l.isEmpty else { throw ValidationError("no alerts measured: is skucast run consuming \(orders)?") }
        func q(_ p: Double) -> Double { l[min(l.count - 1, Int(p * Double(l.count - 1)))] }
        print(
            String(
                format: baseline
                    ? "order latency through the broker alone at %d orders/s for %d s (%d SKUs): %d orders measured; p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
                    : "alert latency at %d orders/s for %d s (%d SKUs): %d alerts measured; p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
                rate,
                seconds,
                skus,
                l.count,
                q(0.5),
                q(0.9),
                q(0.99),
                l.last!
            )
        )
    }
}

/// The service's own alert latency histogram, read from its `/metrics` page.
enum ServiceHistogram {
    /// Cumulative counts by upper bound (seconds), ascending.
    static func read(_ url: String) throws -> [(Double, Double)] {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        curl.arguments = ["curl", "-fsS", url]
        let pipe = Pipe()
        curl.standardOutput = pipe
        try curl.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        let prefix = "skucast_alert_latency_seconds_bucket{le=\""
        return text.split(separator: "\n").compactMap { line -> (Double, Double)? in
            guard line.hasPrefix(prefix) else { return nil }
            let rest = line.dropFirst(prefix.count)
            guard let quote = rest.firstIndex(of: "\""), let space = rest.lastIndex(of: " ") else { return nil }
            let bound = rest[..<quote] == "+Inf" ? Double.infinity : Double(rest[..<quote]) ?? .nan
            return Double(rest[rest.index(after: space)...]).map { (bound, $0) }
        }.sorted { $0.0 < $1.0 }
    }

    /// p50 and p99 of the alerts recorded between two readings, as bucket bounds.
    static func summary(from start: [(Double, Double)], to end: [(Double, Double)]) -> String {
        let before = Dictionary(start, uniquingKeysWith: { a, _ in a })
        let counts = end.map { ($0.0, $0.1 - (before[$0.0] ?? 0)) }
        guard let total = counts.last?.1, total > 0 else {
            return "the service's own share: no alerts recorded in the measured period"
        }
        func q(_ p: Double) -> String {
            let bound = counts.first { $0.1 >= p * total }?.0 ?? .infinity
            return bound.isFinite ? String(format: "<= %g ms", bound * 1000) : "above the last bucket"
        }
        return
            "the service's own share over the same period (skucast_alert_latency_seconds, poll that fetched the order to the alert handed to the producer; \(Int(total)) alerts): p50 \(q(0.5)), p99 \(q(0.99))"
    }
}

func require<T>(_ value: T?) throws -> T {
    guard let value else { throw ValidationError("missing") }
    return value
}

/// Valid order events for many distinct SKUs, for state-size and recovery measurements.
struct ManySKUs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "many-skus",
        abstract: "Produce --days days of one sale per SKU per day for --skus distinct SKUs into an orders topic."
    )
    @OptionGroup var common: Common
    @Option var topicPrefix: String = ""
    @Option var skus: Int = 1_000_000
    @Option var days: Int = 2

    func run() throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: common.client()),
            logger: common.logger()
        )
        let start = EventTime(year: 2011, month: 1, day: 3, hour: 9)!.milliseconds
        var buffer: [UInt8] = []
        for d in 0..<days {
            for k in 0..<skus {
                let sku = "S\(k)"
                let t = start + Int64(d) * 86_400_000 + Int64(k % 36_000) * 1000
                OrderEvent(
                    orderID: "M\(d)-\(k)",
                    line: 1,
                    sku: sku,
                    quantity: Double(1 + k % 5),
                    kind: .sale,
                    unitPrice: 1.5,
                    currency: "GBP",
                    eventTime: EventTime(milliseconds: t)
                ).encodeJSON(into: &buffer)
                try buffer.withUnsafeBytes {
                    _ = try producer.send(topic: topicPrefix + "orders", key: sku, value: $0, timestamp: t)
                }
            }
        }
        try producer.flush(timeout: .seconds(120))
        print("produced \(skus * days) orders for \(skus) SKUs")
    }
}
