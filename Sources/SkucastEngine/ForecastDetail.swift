/// What a closed bucket's SKU forecasts beyond the published message, for sinks that score
/// or explain forecasts (a backtest): each model's own means and the restock levels at
/// lead times of the reader's choosing.
public struct ForecastDetail: Sendable {
    /// Restock levels for one lead time.
    public struct LeadTimeLevels: Sendable {
        public var leadTimeDays: Double
        public var reorderPoint: Double
        /// Lead-time demand quantiles at ``ReorderLevels/publishedLevels(serviceLevel:)``.
        public var quantiles: [Double]
    }

    /// Per lane of the ensemble (named by ``modelNames``), the mean of steps 1…horizon.
    public var modelMeans: [[Double]]
    public var modelNames: [String]
    /// The demand of the bucket that closed.
    public var lastBucketDemand: Double
    /// Whether the SKU sold within the 28 buckets up to the close.
    public var soldRecently: Bool
    public var leadTimes: [LeadTimeLevels]
}

extension ClosedBucket {
    /// The detail behind this bucket's forecast.
    /// - Parameters:
    ///   - configuration: The engine's configuration.
    ///   - leadTimes: Lead times, in days, to compute restock levels for.
    public func detail(configuration: EngineConfiguration, leadTimes: [Double]) -> ForecastDetail {
        let calendar = configuration.calendar
        let next = calendar.season(of: bucket + 1)
        let f = forecaster
        let means = f.laneForecasts(steps: configuration.horizon, nextSeason: next, cycle: calendar.modelCycle, closedSeasons: closedSeasons)
        let published = ReorderLevels.publishedLevels(serviceLevel: configuration.restock.serviceLevel)
        let demandClass = DemandClass(history: f.history)
        let levels = leadTimes.map { days in
            let reorder = ReorderLevels(forecaster: f, leadTimeDays: days, configuration: configuration.restock, nextSeason: next, calendar: calendar,
                                        closedSeasons: closedSeasons, prior: modelPrior, calibration: leadTimeCalibration)
            let quantiles = reorder.leadTimeQuantiles(levels: published, serviceLevel: configuration.restock.serviceLevel, leadTimeDays: days,
                                                      bucketsPerDay: calendar.bucketsPerDay, demandClass: demandClass, calibration: leadTimeCalibration)
            return ForecastDetail.LeadTimeLevels(leadTimeDays: days, reorderPoint: reorder.reorderPoint, quantiles: quantiles)
        }
        return ForecastDetail(
            modelMeans: means, modelNames: SKUForecaster.modelNames, lastBucketDemand: f.history.value(lag: 1),
            soldRecently: soldWithin(DemandHistory.capacity), leadTimes: levels
        )
    }

    /// Whether the SKU sold within the last `buckets` buckets (at most 28).
    public func soldWithin(_ buckets: Int) -> Bool { forecaster.history.sum(last: buckets) > 0 }
}
