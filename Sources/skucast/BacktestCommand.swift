import ArgumentParser
import Foundation
import SkucastBacktest
import SkucastEngine
import SkucastEvents
import SkucastKafka

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay an Online Retail CSV or an orders topic through the engine; score every model under retail-daily-v1 and write one forecast file."
    )

    @Option(help: "The Online Retail CSV (either UCI header).")
    var csv: String?

    @Option(help: "Or an orders topic (without prefix), read from its beginning without joining any group.")
    var topic: String?

    @Option(help: "With --topic: only messages whose timestamp is at or after this RFC 3339 time.")
    var from: String?

    @Option(help: "With --topic: only messages whose timestamp is before this RFC 3339 time.")
    var to: String?

    @OptionGroup var kafka: KafkaOptions

    @Option(help: "Where to write the forecast file (sku,origin,h,mean,p50,p90).")
    var forecastsOut: String?

    @Option(help: "Where to write the metrics of every model as JSON.")
    var summaryJson: String?

    @Option(help: "Split SKUs over this many partitions with Kafka's partitioner, as the live topics do.")
    var partitions: Int = 6

    @Flag(help: "Score the 92 days before the test period instead (choose settings there, report the test period).")
    var validation = false

    @Option(help: "The forecaster whose point forecasts go into the file: \(BacktestForecaster.all.map(\.description).joined(separator: ", ")).")
    var model: String = "ensemble"

    func validate() throws {
        guard (csv == nil) != (topic == nil) else { throw ValidationError("give either --csv FILE or --topic NAME") }
        for t in [from, to].compactMap({ $0 }) where EventTime(rfc3339: t) == nil {
            throw ValidationError("\(t) is not an RFC 3339 time (e.g. 2011-01-01T00:00:00Z)")
        }
    }

    func run() throws {
        guard let chosen = BacktestForecaster(name: model) else { throw ValidationError("unknown model \(model)") }
        let clock = ContinuousClock()
        let start = clock.now
        var events: [OrderEvent] = []
        var unreadable = 0
        if let csv {
            for row in try OnlineRetailOrderReader(Array(Data(contentsOf: URL(fileURLWithPath: csv)))) {
                switch row {
                case .success(let e): events.append(e)
                case .failure(let error):
                    unreadable += 1
                        note("skipped \(csv):\(error)")
                }
            }
        } else if let topic {
            (events, unreadable) = try readTopic(kafka.topicPrefix + topic)
        }
        let result = try Backtest.run(events: events, partitions: partitions, configuration: EngineConfiguration(), file: chosen, validationShift: validation ? RetailDailyV1.originCount : 0)
        if let forecastsOut { try Data(result.forecastFile).write(to: URL(fileURLWithPath: forecastsOut)) }
        let seconds = (clock.now - start).seconds
        let panel = result.panel
        print("backtest retail-daily-v1\(validation ? " (validation period)" : ""): \(result.events) events (\(unreadable) unreadable, \(result.lateEvents) too late), \(panel.series.count) series × \(RetailDailyV1.originCount) origins × \(RetailDailyV1.horizon) steps = \(panel.series.count * RetailDailyV1.originCount * RetailDailyV1.horizon) rows in \(String(format: "%.2f", seconds)) s")
        let columns = ["wRMSSE", "RMSSE", "Bias", "LT-WAPE", "MASE", "wMASE", "WAPE", "SPL90", "cov90"]
        print("model".padding(toLength: 20, withPad: " ", startingAt: 0) + columns.map { $0.padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
        for (forecaster, metrics) in result.scores {
            let marker = forecaster == chosen && forecastsOut != nil ? "*" : " "
            print((forecaster.description + marker).padding(toLength: 20, withPad: " ", startingAt: 0)
                + columns.map { String(format: "%-9.4f", metrics[$0] ?? .nan) }.joined())
        }
        print("mean: each forecaster's own; p50/p90: empirical quantiles of the last 28 days for all\(forecastsOut.map { "; * = written to \($0)" } ?? "")")
        for c in result.reorderPointCoverage {
            print(String(format: "reorder point, %d-day lead time at service level %.2f: covered the demand that followed in %.4f of %d series × origins (%.4f of those that sold in the 28 days before); reorder points total %.2f× that demand",
                         c.leadTimeDays, c.serviceLevel, c.coverage, c.count, c.activeCoverage, c.stockRatio))
            for q in c.publishedCoverage {
                print(String(format: "  published lead-time p%.0f: covered %.4f (%.4f of those that sold in the 28 days before)", q.level * 100, q.coverage, q.activeCoverage))
            }
        }
        if let summaryJson {
            var object = Dictionary(uniqueKeysWithValues: result.scores.map { ($0.forecaster.description, $0.metrics) })
            // Not a forecaster: the restock policy's reorder points against what followed.
            var reorder: [String: Double] = [:]
            for c in result.reorderPointCoverage {
                reorder["service_level"] = c.serviceLevel
                reorder["coverage_\(c.leadTimeDays)d"] = c.coverage
                reorder["active_coverage_\(c.leadTimeDays)d"] = c.activeCoverage
                reorder["stock_ratio_\(c.leadTimeDays)d"] = c.stockRatio
                for q in c.publishedCoverage {
                    reorder["lead_time_p\(Int(q.level * 100))_coverage_\(c.leadTimeDays)d"] = q.coverage
                    reorder["lead_time_p\(Int(q.level * 100))_active_coverage_\(c.leadTimeDays)d"] = q.activeCoverage
                }
            }
            object["reorder_point"] = reorder
            try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: summaryJson))
        }
    }

    /// The topic's order events, partition after partition in offset order (each
    /// partition's order is what the live engine of that partition sees), filtered by
    /// message timestamp: the dev broker's time lookups ignore timestamps, and reading
    /// everything is exact everywhere.
    func readTopic(_ name: String) throws -> ([OrderEvent], unreadable: Int) {
        var config = KafkaConsumerConfiguration(client: kafka.client(), groupID: "skucast-backtest-\(getpid())")
        config.reportEndOfPartition = true
        let consumer = try KafkaConsumer(configuration: config, logger: kafka.logger("skucast.backtest"))
        guard let metadata = try consumer.metadata(topics: [name], timeout: .seconds(10)).topic(name), !metadata.partitions.isEmpty else {
            throw ValidationError("no topic \(name)")
        }
        let partitions = metadata.partitions.map { KafkaTopicPartition(topic: name, partition: $0.id) }
        // Assigned, not subscribed: a replay never joins the live group or moves its offsets.
        try consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset.beginning) }))
        let lower = from.flatMap { EventTime(rfc3339: $0) }?.milliseconds ?? .min
        let upper = to.flatMap { EventTime(rfc3339: $0) }?.milliseconds ?? .max
        let decoder = OrderEventDecoder()
        var byPartition: [Int32: [OrderEvent]] = [:]
        var unreadable = 0
        var outside = 0
        var remaining = Set(partitions)
        var idle = 0
        while !remaining.isEmpty {
            let batch = try consumer.poll(timeout: .milliseconds(500))
            for m in batch {
                guard let ts = m.timestamp?.milliseconds, ts >= lower, ts < upper else {
                    outside += 1
                    continue
                }
                let decoded = m.withUnsafeValue { decoder.decode($0 ?? UnsafeRawBufferPointer(start: nil, count: 0)) }
                switch decoded {
                case .success(let e): byPartition[m.partition, default: []].append(e)
                case .failure: unreadable += 1
                }
            }
            remaining.subtract(batch.reachedEnd)
            idle = batch.isEmpty && batch.reachedEnd.isEmpty ? idle + 1 : 0
            if idle > 20 { throw ValidationError("no progress for 10 s; partitions not at their end: \(remaining.sorted())") }
        }
        try consumer.close()
        let events = byPartition.keys.sorted().flatMap { byPartition[$0]! }
        note("read \(events.count) order events from \(name) (\(outside) outside --from/--to, \(unreadable) unreadable)")
        return (events, unreadable)
    }
}
