/// How the engine cuts and forecasts demand.
public struct EngineConfiguration: Sendable, Hashable {
    public var calendar = BucketCalendar()
    /// How far behind the newest event time an event may be and still count: a bucket
    /// closes once the partition's newest event time minus this passes its end.
    public var allowedLatenessMilliseconds: Int64 = 3_600_000
    /// How far ahead of the partition's stream time (its newest event time) an event may be
    /// dated and still count: one bad clock must not move the watermark years ahead and
    /// make every later event late. Longer than any pause of a feed (the Online Retail
    /// log's longest is 11.7 days, over Christmas); a longer jump is taken once several
    /// events in a row confirm it (see `PartitionProcessor`).
    public var maxClockSkewMilliseconds: Int64 = 14 * 86_400_000
    /// What counts as demand: every sale (`gross`), or sales less the cancellations and
    /// returns that undo them (`net`, the default: see ``DemandDefinition``).
    public var demand = DemandDefinition.net
    /// How far back a cancellation or return looks for the sale it undoes (net demand).
    public var saleMatchWindowMilliseconds: Int64 = 28 * 86_400_000
    /// Buckets forecast ahead at every close.
    public var horizon = 14
    /// Service level, lead time and review period of the restock policy.
    public var restock = RestockConfiguration()

    public init() {}

    /// One line for logs: bucket, zone, lateness, horizon and restock policy.
    public var summary: String {
        "\(calendar.size.rawValue) buckets in \(calendar.zone), lateness \(allowedLatenessMilliseconds) ms, "
            + "clock skew \(maxClockSkewMilliseconds) ms, \(demand.rawValue) demand (match window \(saleMatchWindowMilliseconds) ms), horizon \(horizon), "
            + "service level \(restock.serviceLevel), lead time \(restock.defaultLeadTimeDays) d, review \(restock.reviewPeriodDays) d, warm-up \(restock.warmUpBuckets)"
    }
}
