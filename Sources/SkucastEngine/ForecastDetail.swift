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

extension SKUForecast {
    /// The detail behind this forecast.
    /// - Parameter leadTimes: Lead times, in days, to compute restock levels for.
    public func detail(leadTimes: [Double]) -> ForecastDetail {
        let configuration = outlook.configuration
        let means = forecaster.laneForecasts(
            steps: configuration.horizon,
            nextSeason: nextSeason,
            cycle: configuration.calendar.modelCycle,
            closedSeasons: outlook.closedSeasons
        )
        let levels = leadTimes.map { days in
            let (reorder, quantiles) = restockLevels(leadTimeDays: days)
            return ForecastDetail.LeadTimeLevels(
                leadTimeDays: days,
                reorderPoint: reorder.reorderPoint,
                quantiles: quantiles
            )
        }
        return ForecastDetail(
            modelMeans: means,
            modelNames: SKUForecaster.modelNames,
            lastBucketDemand: lastBucketDemand,
            soldRecently: soldWithin(DemandHistory.capacity),
            leadTimes: levels
        )
    }
}
