import SkucastEvents

/// How the engine cuts and forecasts demand.
public struct EngineConfiguration: Sendable, Hashable {
    public var calendar = BucketCalendar()
    /// How far behind the newest event time an event may be and still count: a bucket
    /// closes once the partition's newest event time minus this passes its end.
    public var allowedLatenessMilliseconds: Int64 = 3_600_000
    /// Buckets forecast ahead at every close.
    public var horizon = 14

    public init() {}
}

/// What happened to an order event.
public enum OrderOutcome: Sendable, Hashable {
    /// Counted as demand of its bucket.
    case applied
    /// Not demand (a return, cancellation, adjustment, or a sale at no price): counted elsewhere.
    case notDemand
    /// Its bucket had closed already: later than the allowed lateness. Never silently dropped:
    /// the caller reports it (dead-letter topic, metrics).
    case tooLate(bucket: Int64, closedThrough: Int64)
}

/// A SKU's bucket has closed: its forecaster has folded the bucket in.
public struct ClosedBucket: Sendable {
    public let sku: String
    /// The bucket that closed; forecasts start at the next one.
    public let bucket: Int64
    public let forecaster: SKUForecaster
}

/// The forecasting state of one input partition: its SKUs, its event-time watermark, and
/// the buckets it has closed. Pure and deterministic: the same events in the same order
/// give the same closed buckets and forecasts, whoever drives it (live, topic replay, file).
public struct PartitionEngine: Sendable {
    public let configuration: EngineConfiguration

    struct Slot: Sendable, Hashable {
        let sku: String
        let firstBucket: Int64
        /// Demand of buckets not closed yet (more than one only within the allowed lateness).
        var pending: [(bucket: Int64, quantity: Double)]
        var forecaster: SKUForecaster

        static func == (a: Slot, b: Slot) -> Bool {
            a.sku == b.sku && a.firstBucket == b.firstBucket && a.forecaster == b.forecaster
                && a.pending.elementsEqual(b.pending) { $0.bucket == $1.bucket && $0.quantity == $1.quantity }
        }

        func hash(into h: inout Hasher) {
            h.combine(sku)
            h.combine(firstBucket)
            h.combine(forecaster)
        }
    }

    /// Lookup only; iteration goes through `slots`, in first-seen order, so results never
    /// depend on hash order.
    var index: [String: Int] = [:]
    var slots: [Slot] = []
    /// The newest event time seen.
    public internal(set) var maxEventTime: EventTime?
    /// The last bucket closed in this partition.
    public internal(set) var closedThrough: Int64?
    /// Events that came after their bucket had closed.
    public internal(set) var lateEvents = 0

    public init(configuration: EngineConfiguration) {
        self.configuration = configuration
    }

    /// SKUs with demand seen.
    public var skuCount: Int { slots.count }

    /// The event-time watermark: buckets ending at or before it are closed by ``advance(_:)``.
    public var watermark: EventTime? {
        maxEventTime.map { EventTime(milliseconds: $0.milliseconds - configuration.allowedLatenessMilliseconds) }
    }

    /// Counts an order line towards its bucket's demand.
    public mutating func apply(_ order: OrderEvent) -> OrderOutcome {
        if maxEventTime.map({ order.eventTime > $0 }) ?? true { maxEventTime = order.eventTime }
        guard order.kind == .sale, order.quantity > 0, order.unitPrice > 0 else { return .notDemand }
        let bucket = configuration.calendar.bucket(of: order.eventTime)
        if let closed = closedThrough, bucket <= closed {
            lateEvents += 1
            return .tooLate(bucket: bucket, closedThrough: closed)
        }
        let i: Int
        if let found = index[order.sku] {
            i = found
        } else {
            i = slots.count
            index[order.sku] = i
            slots.append(Slot(sku: order.sku, firstBucket: bucket, pending: [], forecaster: SKUForecaster()))
        }
        if let p = slots[i].pending.firstIndex(where: { $0.bucket == bucket }) {
            slots[i].pending[p].quantity += order.quantity
        } else {
            slots[i].pending.append((bucket, order.quantity))
        }
        return .applied
    }

    /// Closes every bucket the watermark has passed, for every SKU, in bucket order.
    /// - Parameter emit: Receives each SKU's closed bucket, after its forecaster folded it in.
    public mutating func advance(_ emit: (ClosedBucket) -> Void) {
        guard let watermark else { return }
        close(through: configuration.calendar.bucket(of: watermark) - 1, emit)
    }

    /// Closes every bucket up to and including `last`, whatever the watermark: the end of
    /// a replay, or an idle partition.
    public mutating func close(through last: Int64, _ emit: (ClosedBucket) -> Void) {
        let first = (closedThrough ?? slots.map(\.firstBucket).min() ?? last + 1) + (closedThrough == nil ? 0 : 1)
        guard first <= last else { return }
        let cycle = configuration.calendar.size.seasonLength
        for bucket in first...last {
            let season = configuration.calendar.season(of: bucket)
            for i in slots.indices where slots[i].firstBucket <= bucket {
                var y = 0.0
                if let p = slots[i].pending.firstIndex(where: { $0.bucket == bucket }) {
                    y = slots[i].pending.remove(at: p).quantity
                }
                slots[i].forecaster.close(demand: y, season: season, cycle: cycle)
                emit(ClosedBucket(sku: slots[i].sku, bucket: bucket, forecaster: slots[i].forecaster))
            }
            closedThrough = bucket
        }
    }
}

extension PartitionEngine: Equatable {
    /// Same configuration, SKUs (in the same order) with the same state, same clock.
    public static func == (a: PartitionEngine, b: PartitionEngine) -> Bool {
        a.configuration == b.configuration && a.maxEventTime == b.maxEventTime && a.closedThrough == b.closedThrough
            && a.lateEvents == b.lateEvents && a.slots == b.slots
    }
}
