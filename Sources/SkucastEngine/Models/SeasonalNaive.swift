/// The same bucket one cycle back (for day buckets: last week's same weekday); the mean of
/// the history while the series is younger than the lag.
public struct SeasonalNaive: DemandModel {
    public static let name = "seasonal_naive"
    public static let stateVersion = 1

    public init() {}

    /// Everything it needs is in the SKU's history.
    public mutating func learn(_ bucket: ObservedBucket) {}

    public func forecast(step h: Int, _ context: ForecastContext) -> Double {
        let (cycle, history) = (context.cycle, context.history)
        // y[t + h − k·cycle] for the smallest k that reaches into the past.
        let lag = cycle * ((h + cycle - 1) / cycle) - h + 1
        return lag <= history.count ? history.value(lag: lag) : context.recentMean
    }

    public func write(to w: inout ByteWriter) {}

    public init(from r: inout ByteReader) throws(SnapshotError) { self.init() }
}
