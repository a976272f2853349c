import SkucastEvents

/// The restock side of a partition: each counted SKU's stock position, its reorder levels,
/// and its alert's state machine (raised → updated → resolved).
///
/// Only SKUs with a stock count have a record; most SKUs of a catalogue never get one, and
/// the order path reaches a record through its SKU's tally (``SKUStore/Tally/restock``).
struct RestockTracker: Sendable {
    struct Record: Sendable, Hashable {
        /// The SKU's slot in the partition's ``SKUStore``.
        let slot: Int
        let sku: String
        var stock: StockPosition
        /// Reorder levels as of the last closed bucket (or stock count), kept because every
        /// order event of a counted SKU is checked against them.
        var levels: ReorderLevels?
        var alert: OpenAlert?
        /// Alerts raised so far: part of each new alert's id.
        var alertsRaised = 0
        /// Whether the SKU has been forecast over the warm-up (see
        /// ``RestockConfiguration/warmUpBuckets``): until then it raises no alert.
        var warmedUp = false
    }

    let configuration: RestockConfiguration
    private(set) var records: [Record] = []

    init(configuration: RestockConfiguration) {
        self.configuration = configuration
    }

    /// SKUs with an alert open.
    var openAlerts: Int { records.reduce(0) { $0 + ($1.alert == nil ? 0 : 1) } }

    /// The lead time of a record's SKU: its count's, or the configured default.
    func leadTimeDays(_ r: Int) -> Double { records[r].stock.leadTimeDays ?? configuration.defaultLeadTimeDays }

    /// Adds the record of a SKU's first stock count (or one restored from a snapshot).
    /// - Returns: The record's number.
    mutating func add(_ record: Record) -> Int {
        records.append(record)
        return records.count - 1
    }

    /// Replaces a record's stock position (a newer count, or a location's count summed in).
    /// - Returns: Whether the lead time changed.
    mutating func replace(_ r: Int, with position: StockPosition) -> Bool {
        let changed = records[r].stock.leadTimeDays != position.leadTimeDays
        records[r].stock = position
        return changed
    }

    /// Moves a record's stock by an order line; a line older than the count is in it already.
    /// - Returns: Whether the stock moved.
    @inline(__always)
    mutating func consume(_ r: Int, kind: OrderKind, quantity: Double, at time: EventTime) -> Bool {
        guard time >= records[r].stock.countedAt else { return false }
        switch kind {
        case .sale, .return, .cancellation: records[r].stock.consumedSince += quantity
        case .adjustment: records[r].stock.consumedSince -= quantity
        }
        return true
    }

    /// New reorder levels for a record, as its SKU's forecasts moved.
    mutating func refresh(_ r: Int, levels: ReorderLevels, warmedUp: Bool) {
        records[r].levels = levels
        records[r].warmedUp = warmedUp
    }

    /// Moves the record's alert through raised → updated → resolved as its position demands.
    mutating func evaluate(_ r: Int, at time: EventTime, _ alerts: (RestockAlert) -> Void) {
        guard let levels = records[r].levels else { return }
        guard records[r].alert != nil || records[r].warmedUp else { return }
        let stock = records[r].stock
        let severity = Self.severity(stock, levels)
        let state: RestockAlert.State
        var open: OpenAlert
        switch (records[r].alert, severity) {
        case (nil, .none):
            return
        case (nil, _):
            var h = StableHash()
            h.add(records[r].sku)
            h.add(time.milliseconds)
            h.add(Int64(records[r].alertsRaised))
            records[r].alertsRaised += 1
            open = OpenAlert(id: h.hex, severity: severity, changes: 0)
            state = .raised
        case (let current?, .none):
            open = current
            state = .resolved
        case (let current?, _) where current.severity != severity:
            open = current
            open.severity = severity
            state = .updated
        default:
            return
        }
        var h = StableHash()
        h.add(open.id)
        h.add(state.rawValue)
        h.add(Int64(open.changes))
        open.changes += 1
        records[r].alert = state == .resolved ? nil : open
        alerts(
            RestockAlert(
                alertID: open.id,
                eventID: h.hex,
                sku: records[r].sku,
                state: state,
                severity: severity,
                eventTime: time,
                onHand: stock.projectedOnHand,
                onOrder: stock.onOrder,
                projectedPosition: stock.position,
                reorderPoint: levels.reorderPoint,
                orderUpTo: levels.orderUpTo,
                suggestedOrderQuantity: levels.suggestedOrder(at: stock.position),
                daysOfCover: levels.daysOfCover(onHand: stock.projectedOnHand),
                leadTimeDays: leadTimeDays(r),
                serviceLevel: configuration.serviceLevel
            )
        )
    }

    /// How bad a position is against the levels.
    static func severity(_ stock: StockPosition, _ levels: ReorderLevels) -> RestockSeverity {
        if !levels.calls(forOrderAt: stock.position) { return .none }
        if stock.projectedOnHand <= 0 { return .outOfStock }
        if stock.projectedOnHand < levels.leadTimeDemand { return .stockoutWithinLeadTime }
        return .belowReorderPoint
    }
}
