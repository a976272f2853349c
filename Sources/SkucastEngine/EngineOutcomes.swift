import SkucastEvents

/// What happened to an order event.
public enum OrderOutcome: Sendable, Hashable {
    /// Counted as demand of its bucket.
    case applied
    /// Not demand (a return, cancellation, adjustment, or a sale at no price): counted elsewhere.
    case notDemand
    /// A cancellation or return, under net demand: took `offSale` units off the buckets of
    /// the sales it undoes, and `offCurrent` off the current bucket (both zero when the
    /// buckets had none left, or the sale it undoes never counted).
    case netted(offSale: Double, offCurrent: Double)
    /// Its bucket is behind the watermark (closed, or closing at the next advance): later
    /// than the allowed lateness. Never silently dropped: the caller reports it
    /// (dead-letter topic, metrics). `closedThrough` is the last bucket the watermark
    /// has passed.
    case tooLate(bucket: Int64, closedThrough: Int64)
    /// Dated beyond ``PartitionEngine/latestAccepted``: nothing changed.
    case aheadOfStreamTime(latest: EventTime)
    /// The same order line (order id and line number) as one of the SKU's last lines:
    /// nothing changed.
    case duplicate
}

/// What happened to a stock count.
public enum StockOutcome: Sendable, Hashable {
    /// The SKU's position starts again from it.
    case taken
    /// Older than the count held for its SKU: it would move stock back in time.
    case stale
    /// Dated beyond ``PartitionEngine/latestAccepted``: nothing changed.
    case aheadOfStreamTime(latest: EventTime)
}
