import SkucastEvents

/// The forecasting state of one input partition: its SKUs, its event-time watermark, and
/// the buckets it has closed. Pure and deterministic: the same events in the same order
/// give the same closed buckets and forecasts, whoever drives it (live, topic replay, file).
///
/// It coordinates three parts with one job each: the ``SKUStore`` (the SKUs, their pending
/// demand and models), the ``RestockTracker`` (stock, reorder levels, alerts) and the
/// ``PartitionLearners`` (what is learned across all SKUs). Forecasts and reorder levels
/// are read through a ``PartitionOutlook``.
public struct PartitionEngine: Sendable {
    public let configuration: EngineConfiguration
    var store = SKUStore()
    var restock: RestockTracker
    var learners = PartitionLearners()
    /// Recent sales, for net demand to match what undoes them.
    var ledger = SaleLedger()
    /// Stock counts per location, for SKUs counted per location.
    var locations = StockLocations()
    /// Each SKU's last order lines, to tell a duplicate.
    var recentLines = RecentLines()
    /// The newest event time seen.
    public internal(set) var maxEventTime: EventTime?
    /// The last bucket closed in this partition.
    public internal(set) var closedThrough: Int64?
    /// Events that came after their bucket had closed.
    public internal(set) var lateEvents = 0
    /// What the last close's forecasts read, for queries to answer with what it published.
    var closeOutlook: PartitionOutlook? {
        learners.lastClose.readings.map { PartitionOutlook(configuration: configuration, readings: $0) }
    }

    public init(configuration: EngineConfiguration) {
        self.configuration = configuration
        restock = RestockTracker(configuration: configuration.restock)
    }

    /// SKUs with demand seen.
    public var skuCount: Int { store.count }

    /// SKUs with a restock alert open.
    public var openAlerts: Int { restock.openAlerts }

    /// What a forecast reads of the partition now.
    public var outlook: PartitionOutlook { PartitionOutlook(configuration: configuration, learners: learners) }

    /// Seasonal positions the partition's shop does not trade on (bit per position).
    public var closedSeasons: UInt8 { learners.shopCalendar.closedSeasons }
    /// The partition's prior over the ensemble's models (see ``ModelPrior``).
    public var modelPrior: EnsembleLanes { learners.modelPrior.lanes }
    /// The model all SKUs of the partition share (see ``GlobalDemandModel``).
    public var globalModel: GlobalDemandModel { learners.globalModel }
    /// The partition's forecasts against the demand that followed (see ``AccuracyMonitor``).
    public var accuracy: AccuracyMonitor { learners.accuracy }
    /// Keeps reorder points covering the service level (see ``LeadTimeCalibration``).
    public var leadTimeCalibration: LeadTimeCalibration { learners.leadTimeCalibration }
    /// Each local hour's share of the partition's daily demand, times 24; nil but for hour buckets.
    public var intradayProfile: [Double]? {
        configuration.calendar.size == .hour ? learners.intradayShape.profile : nil
    }
    /// The ensemble's discounted one-bucket-ahead error and demand over all SKUs.
    public var errorSum: Double { learners.ensembleError.errorSum }
    public var demandSum: Double { learners.ensembleError.demandSum }
    /// Their ratio, a rolling WAPE; nil before any demand.
    public var rollingError: Double? { learners.ensembleError.rolling }

    /// The latest event time accepted now: the stream time plus the maximum clock skew
    /// (nil before the first event, when any plausible time is).
    public var latestAccepted: EventTime? {
        maxEventTime.map { EventTime(milliseconds: $0.milliseconds &+ configuration.maxClockSkewMilliseconds) }
    }

    /// Moves the stream time to `time`, beyond ``latestAccepted``: what a driver does once
    /// several events in a row confirm that the feed itself jumped (it resumed after a
    /// pause longer than the maximum skew). The buckets in between close at the next
    /// ``advance(_:)``, a long empty stretch without its middle (see ``close(through:_:alerts:)``).
    public mutating func jumpStreamTime(to time: EventTime) {
        if maxEventTime.map({ time > $0 }) ?? true { maxEventTime = time }
    }

    /// The event-time watermark: buckets ending at or before it are closed by ``advance(_:)``.
    public var watermark: EventTime? {
        maxEventTime.map { EventTime(milliseconds: $0.milliseconds - configuration.allowedLatenessMilliseconds) }
    }
}

extension PartitionEngine: Equatable {
    /// Same configuration, SKUs (in the same order) with the same state, same clock. Restock
    /// records compare by SKU: a restored engine numbers them in SKU order.
    public static func == (a: PartitionEngine, b: PartitionEngine) -> Bool {
        guard a.configuration == b.configuration, a.maxEventTime == b.maxEventTime, a.closedThrough == b.closedThrough,
            a.lateEvents == b.lateEvents, a.learners == b.learners, a.ledger == b.ledger,
            a.locations == b.locations, a.recentLines == b.recentLines, a.store.slots == b.store.slots,
            a.store.tallies.count == b.store.tallies.count, a.restock.records.count == b.restock.records.count
        else { return false }
        for (x, y) in zip(a.store.tallies, b.store.tallies) {
            guard x.key == y.key, x.pending == y.pending, (x.restock >= 0) == (y.restock >= 0) else { return false }
            if x.restock >= 0, a.restock.records[Int(x.restock)] != b.restock.records[Int(y.restock)] { return false }
        }
        return true
    }
}
