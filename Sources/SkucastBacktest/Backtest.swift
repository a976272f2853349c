import SkucastEngine
import SkucastEvents

/// A forecaster a backtest scores: the ensemble, one of its models, or a baseline.
public enum BacktestForecaster: Hashable, Sendable, CustomStringConvertible {
    case ensemble
    case model(SKUForecaster.Model)
    /// The last day's demand for every step.
    case naive

    public static var all: [BacktestForecaster] { [.ensemble] + SKUForecaster.Model.allCases.map { .model($0) } + [.naive] }

    public var description: String {
        switch self {
        case .ensemble: "ensemble"
        case .model(let m): m.name
        case .naive: "naive"
        }
    }

    public init?(name: String) {
        guard let f = Self.all.first(where: { $0.description == name }) else { return nil }
        self = f
    }

    func mean(_ f: SKUForecaster, step h: Int, nextSeason: Int, closedSeasons: UInt8, prior: SIMD8<Double>) -> Double {
        switch self {
        case .ensemble: f.mean(step: h, nextSeason: nextSeason, cycle: 7, closedSeasons: closedSeasons, prior: prior)
        case .model(let m): f.forecast(m, step: h, nextSeason: nextSeason, cycle: 7, closedSeasons: closedSeasons)
        case .naive: f.history.value(lag: 1)
        }
    }
}

/// What a backtest found.
public struct BacktestResult: Sendable {
    public let panel: RetailDailyV1
    /// Metrics per forecaster, in ``BacktestForecaster/all`` order.
    public let scores: [(forecaster: BacktestForecaster, metrics: [String: Double])]
    /// The protocol forecast file of the chosen forecaster.
    public let forecastFile: [UInt8]
    public let events: Int
    public let lateEvents: Int
    /// How often the restock policy's reorder point (the lead-time demand quantile at the
    /// configured service level) covered the demand that followed, per lead time: what a
    /// planner's service level rests on. Not part of the protocol; every series × origin.
    public let reorderPointCoverage: [ReorderPointCoverage]
}

/// The reorder point against the demand over the lead time that followed it.
public struct ReorderPointCoverage: Sendable {
    public let leadTimeDays: Int
    public let serviceLevel: Double
    /// Share of series × origins whose lead-time demand stayed at or below the reorder point.
    public let coverage: Double
    /// The same over series that sold in the 28 days before the origin: a SKU waking from a
    /// long sleep has a reorder point of zero that no calibration moves.
    public let activeCoverage: Double
    /// Total reorder points over total lead-time demand: the stock the coverage costs.
    public let stockRatio: Double
    /// The published lead-time median's and 90th percentile's coverage, over all series
    /// and over those that sold in the 28 days before.
    public let publishedCoverage: [(level: Double, coverage: Double, activeCoverage: Double)]
    /// Series × origins counted.
    public let count: Int
}

/// Why a backtest could not run.
public struct BacktestError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Replays order events through the live engine, partitioned as the live topics are, and
/// scores every forecaster under `retail-daily-v1`.
public enum Backtest {
    /// - Parameters:
    ///   - events: Order events in the order they happened (file order).
    ///   - partitions: Partitions to split SKUs over with Kafka's partitioner.
    ///   - configuration: The engine's configuration (day buckets).
    ///   - file: The forecaster whose forecasts the file holds.
    /// - Throws: ``BacktestError`` when the data is too short or a forecast is missing.
    ///   - validationShift: Origins this many days earlier than the protocol's (see ``RetailDailyV1``).
    public static func run(events: [OrderEvent], partitions: Int, configuration: EngineConfiguration, file: BacktestForecaster, validationShift: Int = 0) throws(BacktestError) -> BacktestResult {
        guard configuration.calendar.size == .day, configuration.calendar.zone == .utc else {
            throw BacktestError(description: "retail-daily-v1 needs UTC day buckets")
        }
        guard let panel = RetailDailyV1(events: events, validationShift: validationShift) else { throw BacktestError(description: "the data is too short for 92 origins × 14 days") }
        let index = Dictionary(uniqueKeysWithValues: panel.series.enumerated().map { ($1, $0) })
        let forecasters = BacktestForecaster.all
        var scores = forecasters.map { _ in ProtocolScore(panel: panel) }
        var rows = [[UInt8]](repeating: [], count: panel.series.count)
        var received = 0
        var mean = [Double](repeating: 0, count: RetailDailyV1.horizon)
        let levels = [0.5, 0.9]
        let leadTimes = [7, 14]
        var covered = [Int](repeating: 0, count: leadTimes.count), reorderSum = [Double](repeating: 0, count: leadTimes.count)
        var (active, activeCovered) = (0, [Int](repeating: 0, count: leadTimes.count))
        var leadDemandSum = reorderSum
        let published = ReorderLevels.publishedLevels(serviceLevel: configuration.restock.serviceLevel)
        let calibrated = LeadTimeCalibration.calibratedLevels
        let publishedChecked = calibrated.map { published.firstIndex(of: $0)! }
        var publishedCovered = [[Int]](repeating: [Int](repeating: 0, count: calibrated.count), count: leadTimes.count), publishedActiveCovered = publishedCovered
        func receive(_ closed: ClosedBucket) {
            guard panel.origins.contains(closed.bucket), let s = index[closed.sku] else { return }
            received += 1
            let f = closed.forecaster
            let next = configuration.calendar.season(of: closed.bucket + 1)
            var p50 = [Double](repeating: 0, count: RetailDailyV1.horizon)
            var p90 = p50
            let quantiles = f.quantiles(horizon: RetailDailyV1.horizon, nextSeason: next, cycle: 7, levels: levels, closedSeasons: closed.closedSeasons)
            for h in 0..<RetailDailyV1.horizon {
                let q = quantiles[h].map(protocolValue)
                p50[h] = q[0]
                p90[h] = max(q[0], q[1])
            }
            let isActive = f.history.sum(last: DemandHistory.capacity) > 0
            let demandClass = DemandClass(history: f.history)
            if isActive { active += 1 }
            for (k, days) in leadTimes.enumerated() {
                let levels = ReorderLevels(forecaster: f, leadTimeDays: Double(days), configuration: configuration.restock, nextSeason: next,
                                           calendar: configuration.calendar, closedSeasons: closed.closedSeasons, prior: closed.modelPrior,
                                           calibration: closed.leadTimeCalibration)
                let demand = (1...days).reduce(0.0) { $0 + panel.y(s, day: closed.bucket + Int64($1)) }
                if demand <= levels.reorderPoint {
                    covered[k] += 1
                    if isActive { activeCovered[k] += 1 }
                }
                reorderSum[k] += levels.reorderPoint
                let quantiles = levels.leadTimeQuantiles(levels: published, serviceLevel: configuration.restock.serviceLevel, leadTimeDays: Double(days),
                                                         bucketsPerDay: configuration.calendar.bucketsPerDay, demandClass: demandClass,
                                                         calibration: closed.leadTimeCalibration)
                for (j, q) in publishedChecked.enumerated() where demand <= quantiles[q] {
                    publishedCovered[k][j] += 1
                    if isActive { publishedActiveCovered[k][j] += 1 }
                }
                leadDemandSum[k] += demand
            }
            for (k, forecaster) in forecasters.enumerated() {
                for h in 0..<RetailDailyV1.horizon { mean[h] = protocolValue(forecaster.mean(f, step: h + 1, nextSeason: next, closedSeasons: closed.closedSeasons, prior: closed.modelPrior)) }
                scores[k].add(series: s, origin: closed.bucket, mean: mean, p50: p50, p90: p90)
                if forecaster == file {
                    let origin = Array(configuration.calendar.start(of: closed.bucket).description.prefix(10).utf8)
                    for h in 0..<RetailDailyV1.horizon {
                        rows[s] += closed.sku.utf8
                        rows[s].append(UInt8(ascii: ","))
                        rows[s] += origin
                        rows[s].append(UInt8(ascii: ","))
                        appendDecimal(Double(h + 1), to: &rows[s])
                        for v in [mean[h], p50[h], p90[h]] {
                            rows[s].append(UInt8(ascii: ","))
                            appendDecimal(v, to: &rows[s])
                        }
                        rows[s].append(0x0A)
                    }
                }
            }
        }
        var engines = (0..<partitions).map { _ in PartitionEngine(configuration: configuration) }
        for event in events {
            var sku = event.sku
            let p = sku.withUTF8 { Murmur2Partitioner.partition(of: $0, partitions: partitions) }
            _ = engines[p].apply(event)
            engines[p].advance(receive)
        }
        for p in engines.indices { engines[p].close(through: panel.lastDay, receive) }
        let expected = panel.series.count * RetailDailyV1.originCount
        guard received == expected else {
            throw BacktestError(description: "\(received) of \(expected) series × origin forecasts were made")
        }
        var out = Array("sku,origin,h,mean,p50,p90\n".utf8)
        for r in rows { out += r }
        return BacktestResult(
            panel: panel,
            scores: zip(forecasters, scores).map { ($0, $1.metrics) },
            forecastFile: out,
            events: events.count,
            lateEvents: engines.reduce(0) { $0 + $1.lateEvents },
            reorderPointCoverage: leadTimes.indices.map { k in
                ReorderPointCoverage(leadTimeDays: leadTimes[k], serviceLevel: configuration.restock.serviceLevel,
                                     coverage: Double(covered[k]) / Double(received),
                                     activeCoverage: Double(activeCovered[k]) / Double(active),
                                     stockRatio: reorderSum[k] / leadDemandSum[k],
                                     publishedCoverage: calibrated.indices.map { j in
                                         (calibrated[j], Double(publishedCovered[k][j]) / Double(received), Double(publishedActiveCovered[k][j]) / Double(active))
                                     },
                                     count: received)
            }
        )
    }
}

/// Appends a non-negative finite number rounded to 4 decimals, without trailing zeros.
func appendDecimal(_ value: Double, to out: inout [UInt8]) {
    DecimalText.append(max(0, value), to: &out)
}
