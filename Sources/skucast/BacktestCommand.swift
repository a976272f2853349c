import ArgumentParser
import Foundation
import SkucastBacktest
import SkucastEngine
import SkucastEvents
import SkucastPipeline
import SkucastService

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract:
            "Replay files or the input topics through the same pipeline as `skucast run`; score what it publishes under retail-daily-v1 and write what it would have published.",
        discussion: """
            Sources: --csv (the Online Retail CSV, either UCI header; --inventory synthetic adds the stock counts `skucast load` makes up), \
            --orders-jsonl / --inventory-jsonl (one topic value a line), or --topic (the orders topic and the inventory topic beside it, \
            read by direct assignment, no group). The engine settings are those of `skucast run`. The protocol's forecast file and \
            summary are written when the settings fit it (UTC day buckets, horizon at least 14).
            """
    )

    @Option(help: "The Online Retail CSV (either UCI header).")
    var csv: String?

    @Option(
        help: ArgumentHelp(
            "With --csv: none, or synthetic: replay the made-up stock counts `skucast load --inventory synthetic` publishes.",
            valueName: "mode"
        )
    )
    var inventory: String = "none"

    @Option(help: "With --csv: only the first N rows.")
    var limit: Int?

    @Option(help: "JSON lines of orders values.")
    var ordersJsonl: String?

    @Option(help: "JSON lines of inventory values.")
    var inventoryJsonl: String?

    @Option(help: "Or the orders topic (without prefix); the inventory topic is read beside it.")
    var topic: String?

    @Option(help: "With --topic: the inventory topic (without prefix); skipped when it does not exist.")
    var inventoryTopic: String = "inventory"

    @Option(help: "With --topic: only messages whose timestamp is at or after this RFC 3339 time.")
    var from: String?

    @Option(help: "With --topic: only messages whose timestamp is before this RFC 3339 time.")
    var to: String?

    @OptionGroup var kafka: KafkaOptions

    @OptionGroup var engine: EngineOptions

    @Option(help: "Where to write the forecast file (sku,origin,h,mean,p50,p90).")
    var forecastsOut: String?

    @Option(help: "Where to write the metrics of every model as JSON.")
    var summaryJson: String?

    @Option(
        help:
            "A directory for what the replay would have published: forecasts.jsonl and restock-alerts.jsonl (the topics' values, byte for byte), dead-letter.jsonl."
    )
    var publishedOut: String?

    @Option(help: "With files: split SKUs over this many partitions with Kafka's partitioner, as the live topics do.")
    var partitions: Int = 6

    @Flag(help: "Score the 92 days before the test period instead (choose settings there, report the test period).")
    var validation = false

    @Option(
        help:
            "The forecaster whose point forecasts go into the file: \(BacktestForecaster.all.map { $0.readsTheFuture ? "\($0) (a reference that reads the future)" : $0.description }.joined(separator: ", "))."
    )
    var model: String = "ensemble"

    @OptionGroup var policy: PolicyOptions

    @Option(
        help:
            "Write a self-contained HTML report here: accuracy, forecast against actual, calibration by step, ensemble weights, the restock trade-off curve (simulated at --policy-levels, by default 0.5,0.7,0.8,0.9,0.95,0.98,0.99) and simulated stock."
    )
    var report: String?

    @Option(name: .customLong("report-sku"), help: "A SKU the report shows besides the top sellers (repeatable).")
    var reportSKUs: [String] = []

    func validate() throws {
        let sources = [csv, topic].compactMap { $0 }.count + (ordersJsonl != nil || inventoryJsonl != nil ? 1 : 0)
        guard sources == 1 else {
            throw ValidationError(
                "give one source: --csv FILE, --orders-jsonl/--inventory-jsonl FILES, or --topic NAME"
            )
        }
        guard ["none", "synthetic"].contains(inventory) else {
            throw ValidationError("--inventory must be none or synthetic")
        }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        guard BacktestForecaster(name: model) != nil else { throw ValidationError("unknown model \(model)") }
        guard topic != nil || (from == nil && to == nil) else {
            throw ValidationError("--from and --to bound a topic replay by message timestamp: give --topic")
        }
        for t in [from, to].compactMap({ $0 }) where EventTime(rfc3339: t) == nil {
            throw ValidationError("\(t) is not an RFC 3339 time (e.g. 2011-01-01T00:00:00Z)")
        }
    }

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let configuration = try engine.configuration()
        let topicNames = [kafka.topicPrefix + (topic ?? "orders"), kafka.topicPrefix + inventoryTopic]
        let outcome: ReplayOutcome
        if let topic {
            var replay = TopicReplay(topics: topicNames)
            let lower = from.flatMap { EventTime(rfc3339: $0) }?.milliseconds ?? .min
            let upper = to.flatMap { EventTime(rfc3339: $0) }?.milliseconds ?? .max
            replay.timestamps = lower..<upper
            let input = try replay.read(client: kafka.client(), logger: kafka.logger("skucast.backtest"))
            note(
                "read \(input.messages[0].count) order events from \(kafka.topicPrefix + topic) and \(input.messages[1].count) inventory events (\(input.outside) outside --from/--to)"
            )
            let messages =
                input.messages[0].map { ($0, InputTopic.orders) } + input.messages[1].map { ($0, InputTopic.inventory) }
            outcome = try replayAndScore(
                messages,
                partitions: input.partitions,
                configuration: configuration,
                unreadable: 0
            )
        } else {
            var files = FileSource(partitions: partitions, topicNames: topicNames)
            if let csv {
                try files.addOnlineRetail(
                    Array(Data(contentsOf: URL(fileURLWithPath: csv))),
                    syntheticInventory: inventory == "synthetic",
                    limit: limit
                )
                for row in files.unreadable { note("skipped \(csv):\(row)") }
            }
            if let ordersJsonl {
                files.addJSONLines(Array(try Data(contentsOf: URL(fileURLWithPath: ordersJsonl))), topic: .orders)
            }
            if let inventoryJsonl {
                files.addJSONLines(Array(try Data(contentsOf: URL(fileURLWithPath: inventoryJsonl))), topic: .inventory)
            }
            outcome = try replayAndScore(
                files.messages.map { ($0.message, $0.topic) },
                partitions: (0..<Int32(partitions)).map { $0 },
                configuration: configuration,
                unreadable: files.unreadable.count
            )
        }
        report(outcome, configuration: configuration, seconds: (clock.now - start).seconds)
    }

    /// What a replay did and, where the protocol applies, its scores.
    struct ReplayOutcome {
        var counts: ProcessorCounts
        var unreadable: Int
        var result: BacktestResult?
        var notScored: String?
        var policy: PolicyStudy?
        var trail: ForecastTrailSink?
    }

    /// Replays the messages through the pipeline into the requested sinks.
    func replayAndScore<Message: SourceMessage>(
        _ messages: [(Message, InputTopic)],
        partitions: [Int32],
        configuration: EngineConfiguration,
        unreadable: Int
    ) throws -> ReplayOutcome {
        var sinks = ReplaySinks()
        var notScored: String?
        let orders = messages.filter { $0.1 == .orders }
        if let why = ProtocolScoringSink.misfit(configuration) {
            notScored = why
        } else {
            let decoder = OrderEventDecoder()
            let events = orders.compactMap { m in
                m.0.withUnsafeValue { v in try? decoder.decode(v ?? UnsafeRawBufferPointer(start: nil, count: 0)).get()
                }
            }
            let horizon = configuration.horizon
            if let panel = RetailDailyV1(
                events: events,
                validationShift: validation ? RetailDailyV1.originCount : 0,
                horizon: horizon
            ) {
                sinks.scoring = try ProtocolScoringSink(
                    panel: panel,
                    configuration: configuration,
                    file: BacktestForecaster(name: model)!
                )
            } else {
                notScored =
                    "the data is too short for retail-daily-v1's \(RetailDailyV1.originCount) origins × \(horizon) days"
            }
        }
        if let publishedOut { sinks.published = try JSONLinesSink(directory: URL(fileURLWithPath: publishedOut)) }
        // The simulation and the report's trails cover the scored period, or all of it.
        let from = sinks.scoring?.panel.origins.lowerBound
        let bucketsPerDay = configuration.calendar.bucketsPerDay
        let simulating = policy.enabled || report != nil
        if simulating {
            sinks.simulation = RestockSimulationSink(
                policies: [.alerts] + (try policy.multiples()).map { .naive(multiple: $0) },
                shortage: policy.handling,
                from: from,
                bucketsPerDay: bucketsPerDay,
                stockFromCounts: policy.initialStock == "replayed",
                traced: reportSKUs,
                tracedTop: report == nil ? 0 : 4
            )
        }
        if report != nil { sinks.trail = ForecastTrailSink(from: from ?? .min) }
        let run = try replay(messages, partitions: partitions, configuration: configuration, sinks: sinks)
        try run.sink.published?.close()
        let counts = run.counts
        let result = try run.sink.scoring?.result(events: orders.count, lateEvents: counts.rejected[.tooLate] ?? 0)
        var outcome = ReplayOutcome(counts: counts, unreadable: unreadable, result: result, notScored: notScored)
        outcome.trail = run.sink.trail
        if let simulation = run.sink.simulation?.result() {
            outcome.policy = try study(
                simulation,
                messages,
                partitions: partitions,
                configuration: configuration,
                from: from
            )
        }
        return outcome
    }

    /// Replays the messages through the pipeline into `sinks`.
    func replay<Message: SourceMessage>(
        _ messages: [(Message, InputTopic)],
        partitions: [Int32],
        configuration: EngineConfiguration,
        sinks: ReplaySinks
    ) throws -> Replay<Message, ReplaySinks> {
        var replay = Replay<Message, ReplaySinks>(
            partitions: partitions,
            configuration: configuration,
            forecastActiveBuckets: engine.forecastActiveBuckets,
            publishOnChange: engine.publishOnChange,
            sink: sinks
        )
        for (m, topic) in messages { try replay.append(m, topic) }
        try replay.endAll()
        return replay
    }

    /// The run's simulation, and one more replay per other service level for the curve.
    func study<Message: SourceMessage>(
        _ simulation: RestockSimulationResult,
        _ messages: [(Message, InputTopic)],
        partitions: [Int32],
        configuration: EngineConfiguration,
        from: Int64?
    ) throws -> PolicyStudy {
        let own = configuration.restock.serviceLevel
        var levels = try policy.levels()
        if levels.isEmpty, report != nil { levels = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99] }
        var points = [PolicyPoint(policy: .alerts, serviceLevel: own, outcome: simulation.overall[0])]
        for level in levels where level != own {
            var c = configuration
            c.restock.serviceLevel = level
            var sinks = ReplaySinks()
            sinks.simulation = RestockSimulationSink(
                policies: [.alerts],
                shortage: policy.handling,
                from: from,
                bucketsPerDay: c.calendar.bucketsPerDay,
                stockFromCounts: policy.initialStock == "replayed"
            )
            let run = try replay(messages, partitions: partitions, configuration: c, sinks: sinks)
            if let r = run.sink.simulation?.result() {
                points.append(PolicyPoint(policy: .alerts, serviceLevel: level, outcome: r.overall[0]))
            }
        }
        points.sort { ($0.serviceLevel ?? 0) < ($1.serviceLevel ?? 0) }
        for (k, p) in simulation.policies.enumerated() where p != .alerts {
            points.append(PolicyPoint(policy: p, serviceLevel: nil, outcome: simulation.overall[k]))
        }
        return PolicyStudy(
            run: simulation,
            serviceLevel: own,
            points: points,
            costs: policy.costs,
            shortage: policy.handling,
            bucketsPerDay: configuration.calendar.bucketsPerDay
        )
    }

    /// The metrics the table and the report show, in their order.
    static let metricColumns = ["wRMSSE", "RMSSE", "Bias", "LT-WAPE", "MASE", "wMASE", "WAPE", "SPL90", "cov90"]

    func report(_ outcome: ReplayOutcome, configuration: EngineConfiguration, seconds: Double) {
        defer {
            for line in outcome.policy?.lines() ?? [] { print(line) }
            if let report { writeReport(outcome, configuration: configuration, to: report) }
        }
        let c = outcome.counts
        let rejected = c.rejected.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }
            .joined(separator: " ")
        print(
            "replayed \(c.events[0]) orders and \(c.events[1]) inventory events in \(String(format: "%.2f", seconds)) s: \(c.forecasts) forecasts, \(c.alerts) alert changes, \(c.rejected.values.reduce(0, +)) dead letters [\(rejected)]\(publishedOut.map { " (written to \($0))" } ?? "")"
        )
        guard let result = outcome.result else {
            print("not scored: \(outcome.notScored ?? "no forecasts")")
            return
        }
        let panel = result.panel
        print(
            "backtest retail-daily-v1\(validation ? " (validation period)" : ""): \(result.events) events (\(outcome.unreadable) unreadable, \(result.lateEvents) too late), \(panel.series.count) series × \(RetailDailyV1.originCount) origins × \(panel.horizon) steps = \(panel.series.count * RetailDailyV1.originCount * panel.horizon) rows\(panel.horizon > RetailDailyV1.standardHorizon ? " (a horizon beyond the protocol's 14: origins end \(panel.horizon) days before the data does; score.py reads 14 steps only)" : "")"
        )
        let columns = Self.metricColumns
        print(
            "model".padding(toLength: 20, withPad: " ", startingAt: 0)
                + columns.map { $0.padding(toLength: 9, withPad: " ", startingAt: 0) }.joined()
        )
        let chosen = BacktestForecaster(name: model)!
        for (forecaster, metrics) in result.scores {
            let marker = forecaster == chosen && forecastsOut != nil ? "*" : " "
            print(
                (forecaster.description + marker).padding(toLength: 20, withPad: " ", startingAt: 0)
                    + columns.map { String(format: "%-9.4f", metrics[$0] ?? .nan) }.joined()
            )
        }
        print(
            "mean: the ensemble's as published, each model's own; p50/p90: the published quantiles for all\(forecastsOut.map { "; * = written to \($0)" } ?? "")\(result.scores.contains { $0.forecaster.readsTheFuture } ? "; hindsight_level: a reference that reads the future, not a forecaster" : "")"
        )
        print("the ensemble by band of the horizon:")
        for (steps, scores) in result.bandScores {
            guard let metrics = scores.first(where: { $0.forecaster == .ensemble })?.metrics else { continue }
            print(
                "h \(steps.lowerBound)–\(steps.upperBound)".padding(toLength: 20, withPad: " ", startingAt: 0)
                    + columns.map { String(format: "%-9.4f", metrics[$0] ?? .nan) }.joined()
            )
        }
        print(
            "coverage by step (share of targets at or below the published quantile), p50 / p90: "
                + result.stepCoverage.map { String(format: "%d: %.3f / %.3f", $0.step, $0.p50, $0.p90) }
                .joined(separator: ", ")
        )
        // Counts tie with their quantiles (mostly at zero): a calibrated quantile's level lies
        // between the shares below it and at or below it.
        print(
            "  strictly below it, p50 / p90 (if calibrated, 0.5 and 0.9 lie between these and the above): "
                + result.stepCoverage.map { String(format: "%d: %.3f / %.3f", $0.step, $0.p50Below, $0.p90Below) }
                .joined(separator: ", ")
        )
        for c in result.reorderPointCoverage {
            print(
                String(
                    format:
                        "reorder point, %d-day lead time at service level %.2f: covered the demand that followed in %.4f of %d series × origins (%.4f of those that sold in the 28 days before); reorder points total %.2f× that demand",
                    c.leadTimeDays,
                    c.serviceLevel,
                    c.coverage,
                    c.count,
                    c.activeCoverage,
                    c.stockRatio
                )
            )
            for q in c.publishedCoverage {
                print(
                    String(
                        format:
                            "  published lead-time p%.0f: covered %.4f (%.4f of those that sold in the 28 days before)",
                        q.level * 100,
                        q.coverage,
                        q.activeCoverage
                    )
                )
            }
        }
        do {
            if let forecastsOut { try Data(result.forecastFile).write(to: URL(fileURLWithPath: forecastsOut)) }
            if let summaryJson { try writeSummary(result, policy: outcome.policy, to: summaryJson) }
        } catch {
            note("could not write: \(error)")
        }
    }

    func writeSummary(_ result: BacktestResult, policy: PolicyStudy?, to path: String) throws {
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
        // Nor is the calibration of the published quantiles, step by step.
        var steps: [String: Double] = [:]
        for c in result.stepCoverage {
            steps["p50_coverage_h\(c.step)"] = c.p50
            steps["p90_coverage_h\(c.step)"] = c.p90
            steps["p50_below_h\(c.step)"] = c.p50Below
            steps["p90_below_h\(c.step)"] = c.p90Below
        }
        object["step_coverage"] = steps
        // And every forecaster's metrics by band of the horizon ("ensemble h1-7" and so on).
        for (band, scores) in result.bandScores {
            for (forecaster, metrics) in scores {
                object["\(forecaster) h\(band.lowerBound)-\(band.upperBound)"] = metrics
            }
        }
        // Nor are the simulated policies: one entry per policy and setting.
        for p in policy?.points ?? [] {
            let o = p.outcome
            object["policy \(p.policy) \(p.serviceLevel.map { String(format: "%.2f", $0) } ?? p.setting)"] = [
                "fill_rate": o.fillRate, "cycle_service_level": o.cycleServiceLevel, "average_stock": o.averageStock,
                "buckets_of_demand": o.bucketsOfDemand, "stockout_buckets": Double(o.stockoutBuckets),
                "orders": Double(o.orders), "cost": o.cost(policy!.costs, bucketsPerDay: policy!.bucketsPerDay),
            ]
        }
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(
            to: URL(fileURLWithPath: path)
        )
    }
}

/// A replay's sinks, each optional: the published streams as files, the protocol's
/// scorer, the restock simulation, the report's trails.
struct ReplaySinks: OutputSink {
    var published: JSONLinesSink?
    var scoring: ProtocolScoringSink?
    var simulation: RestockSimulationSink?
    var trail: ForecastTrailSink?

    var forecastInterest: ForecastInterest {
        var interest = scoring?.forecastInterest ?? ForecastInterest(published: false)
        let readers = [simulation?.forecastInterest, trail?.forecastInterest].compactMap { $0 }
        interest.published = published != nil || !readers.isEmpty
        interest.values = published != nil
        // All of them for the published files, else from the earliest any reader wants.
        let from = readers.map { $0.publishedFrom ?? .min }.min()
        interest.publishedFrom = published != nil ? nil : from == .min ? nil : from
        return interest
    }

    mutating func forecast(_ forecast: EmittedForecast) throws {
        try published?.forecast(forecast)
        try scoring?.forecast(forecast)
        try simulation?.forecast(forecast)
        try trail?.forecast(forecast)
    }

    mutating func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws {
        try published?.alert(sku: sku, value: value, timestamp: timestamp)
    }

    mutating func deadLetter(_ message: InputMessage, rejection: Rejection) throws {
        try published?.deadLetter(message, rejection: rejection)
    }
}
