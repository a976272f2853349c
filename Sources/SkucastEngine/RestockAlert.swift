import SkucastEvents

/// How bad a SKU's stock position is.
public enum RestockSeverity: String, Sendable, Hashable, Comparable {
    case none
    /// Position (on hand, minus sales since the last count, plus on order) is below the reorder point.
    case belowReorderPoint = "below_reorder_point"
    /// Stock on hand will not last the lead time at forecast demand.
    case stockoutWithinLeadTime = "stockout_within_lead_time"
    /// Nothing left on hand.
    case outOfStock = "out_of_stock"

    private var rank: Int {
        switch self {
        case .none: 0
        case .belowReorderPoint: 1
        case .stockoutWithinLeadTime: 2
        case .outOfStock: 3
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// A change of a SKU's restock alert (see `Topics/restock-alerts`).
public struct RestockAlert: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case raised, updated, resolved
    }

    /// Identifies the alert across its states; deterministic.
    public var alertID: String
    /// Identifies this change; consumers de-duplicate on it.
    public var eventID: String
    public var sku: String
    public var state: State
    public var severity: RestockSeverity
    public var eventTime: EventTime
    public var onHand: Double
    public var onOrder: Double
    public var projectedPosition: Double
    public var reorderPoint: Double
    public var orderUpTo: Double
    public var suggestedOrderQuantity: Double
    /// Days the stock on hand lasts at forecast demand; nil when no demand is expected.
    public var daysOfCover: Double?
    public var leadTimeDays: Double
    public var serviceLevel: Double
}

/// A SKU's last counted stock and what happened to it since.
struct StockPosition: Sendable, Hashable {
    var onHand: Double
    var onOrder: Double
    var leadTimeDays: Double?
    var countedAt: EventTime
    /// Units gone since the count: sales and write-offs, minus returns and cancellations.
    var consumedSince = 0.0

    var projectedOnHand: Double { onHand - consumedSince }
    var position: Double { projectedOnHand + onOrder }
}

/// An open alert of a SKU.
struct OpenAlert: Sendable, Hashable {
    var id: String
    var severity: RestockSeverity
    var changes: Int
}
