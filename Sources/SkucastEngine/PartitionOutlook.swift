import SkucastEvents

/// What a SKU's forecast reads of its partition at a bucket close: the engine's settings and
/// what the partition's learners know then.
///
/// The one place reorder levels and lead-time quantiles are worked out: the levels alerts
/// act on, the lead-time demand a forecast publishes, and the levels a backtest checks are
/// the same numbers by construction.
///
/// A class: every SKU's forecast of a close holds the same one, and a copy of a struct of
/// this many arrays and strings retained each of them, for every SKU and bucket.
public final class PartitionOutlook: Sendable {
    public let configuration: EngineConfiguration
    /// Seasonal positions the partition's shop does not trade on (bit per position).
    public let closedSeasons: UInt8
    /// The partition's prior over the ensemble's models (see ``ModelPrior``).
    public let modelPrior: EnsembleLanes
    /// The partition's calibration of lead-time quantiles (see ``LeadTimeCalibration``).
    public let leadTimeCalibration: LeadTimeCalibration
    /// For hour buckets, each local hour's share of a day's demand times 24 (mean 1):
    /// per-step forecasts are shaped by it. Nil for days and weeks, or before any demand.
    public let intradayProfile: [Double]?
    /// The partition's global model as it stood: the coefficients a close's global
    /// forecasts are made with, and its explanations read.
    public let globalCoefficients: DemandFeatures
    /// The levels a forecast publishes quantiles at (see
    /// ``ReorderLevels/publishedLevels(serviceLevel:)``), and their names (`p50`, …):
    /// worked out once per close, not once per forecast.
    public let publishedLevels: [Double]
    public let publishedLevelNames: [String]

    convenience init(configuration: EngineConfiguration, learners: PartitionLearners) {
        self.init(configuration: configuration, readings: OutlookReadings(learners))
    }

    init(configuration: EngineConfiguration, readings r: OutlookReadings) {
        self.configuration = configuration
        closedSeasons = r.closedSeasons
        modelPrior = r.modelPrior
        leadTimeCalibration = r.leadTimeCalibration
        intradayProfile = configuration.calendar.size == .hour ? r.intradayProfile : nil
        globalCoefficients = r.globalCoefficients
        publishedLevels = ReorderLevels.publishedLevels(serviceLevel: configuration.restock.serviceLevel)
        publishedLevelNames = publishedLevels.map(ForecastMessage.quantileName)
    }

    /// Buckets of ensemble forecast the levels for this lead time read.
    func bucketsNeeded(leadTimeDays: Double) -> Int {
        ReorderLevels.bucketsNeeded(
            leadTimeDays: leadTimeDays,
            configuration: configuration.restock,
            calendar: configuration.calendar
        )
    }

    /// The ensemble's means of steps 1…n after the bucket before `nextSeason`'s.
    func means(_ forecaster: SKUForecaster, steps n: Int, nextSeason: Int) -> [Double] {
        forecaster.means(
            steps: n,
            nextSeason: nextSeason,
            cycle: configuration.calendar.modelCycle,
            closedSeasons: closedSeasons,
            prior: modelPrior
        )
    }

    /// A SKU's reorder levels for a lead time.
    func reorderLevels(_ forecaster: SKUForecaster, leadTimeDays: Double, nextSeason: Int) -> ReorderLevels {
        reorderLevels(
            means: means(forecaster, steps: bucketsNeeded(leadTimeDays: leadTimeDays), nextSeason: nextSeason),
            history: forecaster.history,
            leadTimeDays: leadTimeDays
        )
    }

    /// A SKU's reorder levels from the ensemble's means already worked out (at least
    /// ``bucketsNeeded(leadTimeDays:)`` steps).
    func reorderLevels(means: [Double], history: DemandHistory, leadTimeDays: Double) -> ReorderLevels {
        ReorderLevels(
            means: means,
            history: history,
            leadTimeDays: leadTimeDays,
            configuration: configuration.restock,
            calendar: configuration.calendar,
            calibration: leadTimeCalibration
        )
    }

    /// Lead-time demand at `levels` (the published ones unless given), each calibrated.
    func leadTimeQuantiles(
        _ reorder: ReorderLevels,
        levels: [Double]? = nil,
        demandClass: DemandClass,
        leadTimeDays: Double
    ) -> [Double] {
        reorder.leadTimeQuantiles(
            levels: levels ?? publishedLevels,
            serviceLevel: configuration.restock.serviceLevel,
            leadTimeDays: leadTimeDays,
            bucketsPerDay: configuration.calendar.bucketsPerDay,
            demandClass: demandClass,
            calibration: leadTimeCalibration
        )
    }
}

/// A SKU's forecast as of a closed bucket, worked out when read: most closed buckets are
/// of SKUs that publish nothing, and a forecast costs more than the close that made it.
public struct SKUForecast: Sendable {
    public let sku: String
    /// The bucket that closed; forecasts start at the next one.
    public let bucket: Int64
    /// The SKU's lead time: its last stock count's, or the configured default.
    public let leadTimeDays: Double
    public let outlook: PartitionOutlook
    /// The SKU's state after the close. Not public: readers get forecasts, not models.
    let forecaster: SKUForecaster
    /// The demand of the bucket that closed, every unit (its models learned it bounded:
    /// see ``DemandCeiling``).
    public let lastBucketDemand: Double
    /// The SKU's stock on hand at the close (its count less what went since), for SKUs
    /// with a stock count.
    public let stockOnHand: Double?

    /// The seasonal position of the first step.
    var nextSeason: Int { outlook.configuration.calendar.season(of: bucket + 1) }

    /// Whether the SKU sold within the last `buckets` buckets (at most 28).
    public func soldWithin(_ buckets: Int) -> Bool { forecaster.history.sum(last: buckets) > 0 }

    /// The ensemble's means of steps 1…n.
    public func means(steps n: Int) -> [Double] { outlook.means(forecaster, steps: n, nextSeason: nextSeason) }

    /// The SKU's reorder levels at a lead time, with the lead-time demand at the published
    /// levels.
    public func restockLevels(leadTimeDays: Double) -> (levels: ReorderLevels, quantiles: [Double]) {
        let levels = outlook.reorderLevels(forecaster, leadTimeDays: leadTimeDays, nextSeason: nextSeason)
        return (
            levels,
            outlook.leadTimeQuantiles(
                levels,
                demandClass: DemandClass(history: forecaster.history),
                leadTimeDays: leadTimeDays
            )
        )
    }
}

/// A SKU's bucket has closed: its models have folded the bucket in.
public struct ClosedBucket: Sendable {
    public var sku: String { forecast.sku }
    /// The bucket that closed.
    public var bucket: Int64 { forecast.bucket }
    /// The SKU's forecast from here on.
    public let forecast: SKUForecast
}

/// What an outlook reads of the partition's learners. The last close's are kept (and
/// snapshotted, see ``LastClose``), so that a query answers with what that close published,
/// after a restore too.
struct OutlookReadings: Sendable, Hashable {
    var closedSeasons: UInt8 = 0
    var modelPrior = EnsembleLanes(repeating: 1)
    var leadTimeCalibration = LeadTimeCalibration()
    var intradayProfile: [Double]?
    var globalCoefficients = DemandFeatures.zero

    init() {}

    init(_ learners: PartitionLearners) {
        closedSeasons = learners.shopCalendar.closedSeasons
        modelPrior = learners.modelPrior.lanes
        leadTimeCalibration = learners.leadTimeCalibration
        intradayProfile = learners.intradayShape.profile
        globalCoefficients = learners.globalModel.coefficients
    }
}
