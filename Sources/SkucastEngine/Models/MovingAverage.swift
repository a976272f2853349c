/// The mean of the last 28 buckets, the same for every step.
public struct MovingAverage: DemandModel {
    public static let name = "moving_average_28"
    public static let stateVersion = 1
    public static let forecastIsFlat = true

    public init() {}

    public mutating func learn(_ bucket: ObservedBucket) {}

    public func forecast(step h: Int, _ context: ForecastContext) -> Double {
        context.recentMean * context.openDayFactor
    }

    public func write(to w: inout ByteWriter) {}

    public init(from r: inout ByteReader) throws(SnapshotError) { self.init() }
}
