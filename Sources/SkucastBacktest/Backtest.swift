import SkucastEngine
import SkucastEvents
import SkucastPipeline

/// A forecaster a backtest scores: the ensemble, one of its models, or a baseline; or a
/// reference that reads the future (``readsTheFuture``), scored beside them.
public enum BacktestForecaster: Hashable, Sendable, CustomStringConvertible {
    case ensemble
    /// One lane of the ensemble (named by ``SKUForecaster/modelNames``).
    case model(lane: Int)
    /// The protocol target's last day, for every step.
    case naive
    /// The protocol target's same weekday a week before: the protocol's seasonal-naive
    /// baseline, read from the target itself (the ensemble's `seasonal_naive` lane learns
    /// the demand skucast counts: net and bounded).
    case seasonalNaive
    /// Not a forecaster but a reference that reads the future: the ensemble's path scaled
    /// so that its total over the scored steps equals the demand that followed (spread
    /// evenly where the path is all zero). It scores what the ensemble would if it knew each
    /// SKU's total demand over the horizon, and so splits the error into the level's and
    /// what is left: the path's shape and the day-to-day scatter around it. Scored over the
    /// whole horizon only: within a band its total would not match.
    case hindsightLevel

    public static var all: [BacktestForecaster] {
        [.ensemble] + SKUForecaster.modelNames.indices.map { .model(lane: $0) } + [
            .naive, .seasonalNaive, .hindsightLevel,
        ]
    }

    public var description: String {
        switch self {
        case .ensemble: "ensemble"
        case .model(let lane): SKUForecaster.modelNames[lane]
        case .naive: "naive"
        case .seasonalNaive: "snaive"
        case .hindsightLevel: "hindsight_level"
        }
    }

    /// Whether this is a reference that reads the demand that followed, not a forecaster.
    public var readsTheFuture: Bool { self == .hindsightLevel }

    public init?(name: String) {
        guard let f = Self.all.first(where: { $0.description == name }) else { return nil }
        self = f
    }

    /// This forecaster's means for steps 1…`means.count` of a forecast, into `means`.
    /// - Parameter target: The protocol's target on a day bucket.
    func means(
        _ forecast: EmittedForecast,
        _ detail: ForecastDetail,
        into means: inout [Double],
        target: (Int64) -> Double
    ) {
        let path = forecast.message.horizon
        switch self {
        case .ensemble: for h in means.indices { means[h] = path[h].mean }
        case .model(let lane): for h in means.indices { means[h] = detail.modelMeans[lane][h] }
        case .naive:
            let last = target(forecast.bucket)
            for h in means.indices { means[h] = last }
        case .seasonalNaive:
            for h in means.indices {
                let step = h + 1
                means[h] = target(forecast.bucket + Int64(step) - 7 * Int64((step + 6) / 7))
            }
        case .hindsightLevel:
            // The path scaled so that its total equals the targets' over the same steps.
            var (demand, total) = (0.0, 0.0)
            for h in means.indices {
                demand += target(forecast.bucket + Int64(h + 1))
                total += path[h].mean
            }
            for h in means.indices {
                means[h] = total > 0 ? path[h].mean * demand / total : demand / Double(means.count)
            }
        }
    }
}

/// What a backtest found.
public struct BacktestResult: Sendable {
    public let panel: RetailDailyV1
    /// Metrics per forecaster, in ``BacktestForecaster/all`` order.
    public let scores: [(forecaster: BacktestForecaster, metrics: [String: Double])]
    /// The same per band of the horizon (1–7, 8–14 and, for a longer horizon, 15 on), for
    /// the forecasters only (not the references).
    public let bandScores:
        [(steps: ClosedRange<Int>, scores: [(forecaster: BacktestForecaster, metrics: [String: Double])])]
    /// The protocol forecast file of the chosen forecaster.
    public let forecastFile: [UInt8]
    public let events: Int
    public let lateEvents: Int
    /// How often the restock policy's reorder point (the lead-time demand quantile at the
    /// configured service level) covered the demand that followed, per lead time: what a
    /// planner's service level rests on. Not part of the protocol; every series × origin.
    public let reorderPointCoverage: [ReorderPointCoverage]
    /// Coverage of the published p50 and p90 per step, 1…horizon.
    public let stepCoverage: [StepCoverage]
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

/// How the published quantiles of one step of the horizon covered the protocol's targets,
/// over every series × origin: calibration by step. Demand is a count, so a calibrated
/// quantile at level τ need not cover exactly τ: many targets equal it (most often zero).
/// If it is calibrated, τ lies between the share of targets strictly below it and the
/// share at or below it (for a count distribution F, F(q−) ≤ τ ≤ F(q)); the converse does
/// not hold, so this is a check that can fail, not a proof.
public struct StepCoverage: Sendable {
    public let step: Int
    /// Shares of targets at or below the p50 and the p90.
    public let p50: Double
    public let p90: Double
    /// Shares strictly below them.
    public let p50Below: Double
    public let p90Below: Double
}

/// Why a backtest could not run.
public struct BacktestError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Scores the forecasts a replay's processors publish under `retail-daily-v1`: a sink the
/// pipeline feeds like any other. Each forecast at a test origin is scored as published
/// (the ensemble's mean and quantiles), beside each model's own mean and the naive
/// baseline from the forecast's detail; the restock levels are checked against the demand
/// that followed.
public struct ProtocolScoringSink: OutputSink {
    public let panel: RetailDailyV1
    let configuration: EngineConfiguration
    let file: BacktestForecaster
    let index: [String: Int]
    let forecasters = BacktestForecaster.all
    var scores: [ProtocolScore]
    /// Per band of the horizon (``bands``), per forecaster.
    var bandScores: [[ProtocolScore]]
    var rows: [[UInt8]]
    var received = 0
    var mean: [Double], p50: [Double], p90: [Double]
    static let leadTimes = [7, 14]
    var covered: [Int], reorderSum: [Double], leadDemandSum: [Double], activeCovered: [Int]
    var active = 0
    /// Per lead time, per calibrated level: covered counts over all and over active SKUs.
    var publishedCovered: [[Int]], publishedActiveCovered: [[Int]]
    let publishedChecked: [Int]
    let p50Name: String, p90Name: String
    /// Per step, series × origins whose target stayed at or below the p50 and the p90,
    /// then strictly below each.
    var stepCovered: [SIMD4<Int>]

    /// The bands of a horizon metrics are also reported by: the first week, the second,
    /// and the rest.
    public static func bands(horizon: Int) -> [ClosedRange<Int>] {
        [1...7, 8...14] + (horizon > 14 ? [15...horizon] : [])
    }

    /// Why settings do not fit the protocol, or nil when they do: its forecasts are of UTC
    /// days, at least 14 ahead (a longer horizon is scored over all its steps).
    public static func misfit(_ configuration: EngineConfiguration) -> String? {
        var why: [String] = []
        if configuration.calendar.size != .day {
            why.append("buckets of a \(configuration.calendar.size.rawValue), not a day")
        }
        if configuration.calendar.zone != .utc {
            why.append("days cut in \(configuration.calendar.zone.identifier), not UTC")
        }
        if configuration.horizon < RetailDailyV1.standardHorizon {
            why.append("a horizon of \(configuration.horizon), under \(RetailDailyV1.standardHorizon)")
        }
        return why.isEmpty
            ? nil
            : "retail-daily-v1 scores UTC day forecasts \(RetailDailyV1.standardHorizon) days ahead; these settings have \(why.joined(separator: " and "))"
    }

    /// - Parameters:
    ///   - panel: The protocol's targets.
    ///   - configuration: The engine's configuration (see ``misfit(_:)``).
    ///   - file: The forecaster whose forecasts the protocol file holds.
    /// - Throws: ``BacktestError`` when the configuration does not fit the protocol.
    public init(
        panel: RetailDailyV1,
        configuration: EngineConfiguration,
        file: BacktestForecaster
    ) throws(BacktestError) {
        if let why = Self.misfit(configuration) { throw BacktestError(description: why) }
        guard configuration.horizon >= panel.horizon else {
            throw BacktestError(
                description: "the panel scores \(panel.horizon) steps; the forecasts reach \(configuration.horizon)"
            )
        }
        self.panel = panel
        self.configuration = configuration
        self.file = file
        index = Dictionary(uniqueKeysWithValues: panel.series.enumerated().map { ($1, $0) })
        scores = forecasters.map { _ in ProtocolScore(panel: panel) }
        let count = forecasters.count
        bandScores = Self.bands(horizon: panel.horizon).map { band in
            [ProtocolScore](repeating: ProtocolScore(panel: panel, steps: band), count: count)
        }
        mean = [Double](repeating: 0, count: panel.horizon)
        p50 = mean
        p90 = mean
        stepCovered = [SIMD4<Int>](repeating: .zero, count: panel.horizon)
        rows = [[UInt8]](repeating: [], count: panel.series.count)
        let n = Self.leadTimes.count
        (covered, activeCovered, reorderSum, leadDemandSum) = (
            [Int](repeating: 0, count: n), [Int](repeating: 0, count: n), [Double](repeating: 0, count: n),
            [Double](repeating: 0, count: n)
        )
        let published = ReorderLevels.publishedLevels(serviceLevel: configuration.restock.serviceLevel)
        let calibrated = LeadTimeCalibration.calibratedLevels
        publishedChecked = calibrated.map { published.firstIndex(of: $0)! }
        publishedCovered = [[Int]](repeating: [Int](repeating: 0, count: calibrated.count), count: n)
        publishedActiveCovered = publishedCovered
        (p50Name, p90Name) = (ForecastMessage.quantileName(0.5), ForecastMessage.quantileName(0.9))
    }

    public var forecastInterest: ForecastInterest {
        ForecastInterest(published: false, detail: panel.origins, detailLeadTimes: Self.leadTimes.map(Double.init))
    }

    public mutating func forecast(_ forecast: EmittedForecast) throws {
        guard let detail = forecast.detail, panel.origins.contains(forecast.bucket), let s = index[forecast.sku] else {
            return
        }
        received += 1
        for h in 0..<panel.horizon {
            let q = forecast.message.horizon[h].quantiles
            p50[h] = protocolValue(q.first { $0.name == p50Name }!.value)
            p90[h] = max(p50[h], protocolValue(q.first { $0.name == p90Name }!.value))
            let y = panel.y(s, day: forecast.bucket + Int64(h + 1))
            stepCovered[h] &+= SIMD4(y <= p50[h] ? 1 : 0, y <= p90[h] ? 1 : 0, y < p50[h] ? 1 : 0, y < p90[h] ? 1 : 0)
        }
        if detail.soldRecently { active += 1 }
        for (k, levels) in detail.leadTimes.enumerated() {
            let days = Self.leadTimes[k]
            let demand = (1...days).reduce(0.0) { $0 + panel.y(s, day: forecast.bucket + Int64($1)) }
            if demand <= levels.reorderPoint {
                covered[k] += 1
                if detail.soldRecently { activeCovered[k] += 1 }
            }
            reorderSum[k] += levels.reorderPoint
            for (j, q) in publishedChecked.enumerated() where demand <= levels.quantiles[q] {
                publishedCovered[k][j] += 1
                if detail.soldRecently { publishedActiveCovered[k][j] += 1 }
            }
            leadDemandSum[k] += demand
        }
        for (k, forecaster) in forecasters.enumerated() {
            forecaster.means(forecast, detail, into: &mean) { [panel] in panel.y(s, day: $0) }
            for h in mean.indices { mean[h] = protocolValue(mean[h]) }
            scores[k].add(series: s, origin: forecast.bucket, mean: mean, p50: p50, p90: p90)
            for b in bandScores.indices {
                bandScores[b][k].add(series: s, origin: forecast.bucket, mean: mean, p50: p50, p90: p90)
            }
            if forecaster == file { appendRows(series: s, sku: forecast.sku, bucket: forecast.bucket) }
        }
    }

    private mutating func appendRows(series s: Int, sku: String, bucket: Int64) {
        let origin = Array(configuration.calendar.start(of: bucket).description.prefix(10).utf8)
        for h in 0..<panel.horizon {
            rows[s] += sku.utf8
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

    public mutating func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws {}

    public mutating func deadLetter(_ message: InputMessage, rejection: Rejection) throws {}

    /// The scores, once the replay has ended.
    /// - Parameters:
    ///   - events: Input events replayed; `lateEvents`: of those, rejected as too late.
    /// - Throws: ``BacktestError`` when a series × origin forecast is missing.
    public func result(events: Int, lateEvents: Int) throws(BacktestError) -> BacktestResult {
        let expected = panel.series.count * RetailDailyV1.originCount
        guard received == expected else {
            throw BacktestError(description: "\(received) of \(expected) series × origin forecasts were made")
        }
        var out = Array("sku,origin,h,mean,p50,p90\n".utf8)
        for r in rows { out += r }
        let calibrated = LeadTimeCalibration.calibratedLevels
        return BacktestResult(
            panel: panel,
            scores: zip(forecasters, scores).map { ($0, $1.metrics) },
            bandScores: zip(Self.bands(horizon: panel.horizon), bandScores).map { band, scores in
                (band, zip(forecasters, scores).filter { !$0.0.readsTheFuture }.map { ($0, $1.metrics) })
            },
            forecastFile: out,
            events: events,
            lateEvents: lateEvents,
            reorderPointCoverage: Self.leadTimes.indices.map { k in
                ReorderPointCoverage(
                    leadTimeDays: Self.leadTimes[k],
                    serviceLevel: configuration.restock.serviceLevel,
                    coverage: Double(covered[k]) / Double(received),
                    activeCoverage: Double(activeCovered[k]) / Double(active),
                    stockRatio: reorderSum[k] / leadDemandSum[k],
                    publishedCoverage: calibrated.indices.map { j in
                        (
                            calibrated[j], Double(publishedCovered[k][j]) / Double(received),
                            Double(publishedActiveCovered[k][j]) / Double(active)
                        )
                    },
                    count: received
                )
            },
            stepCoverage: stepCovered.enumerated().map { h, c in
                let share = SIMD4<Double>(c) / Double(received)
                return StepCoverage(step: h + 1, p50: share[0], p90: share[1], p50Below: share[2], p90Below: share[3])
            }
        )
    }
}

/// Appends a non-negative finite number rounded to 4 decimals, without trailing zeros.
func appendDecimal(_ value: Double, to out: inout [UInt8]) {
    DecimalText.append(max(0, value), to: &out)
}
