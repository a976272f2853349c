import SkucastEvents

/// A SKU's stock as the engine holds it: the last count, moved by the order lines since.
public struct StockStanding: Sendable, Hashable {
    /// On hand: the count less what went since.
    public var onHand: Double
    public var onOrder: Double
    /// On hand plus on order: what the reorder point is compared with.
    public var position: Double
    public var leadTimeDays: Double
    public var countedAt: EventTime
}

/// A SKU's open restock alert as it stands now, with the stock and levels it stands on.
public struct OpenAlertStanding: Sendable, Hashable {
    public var alertID: String
    public var sku: String
    public var severity: RestockSeverity
    public var stock: StockStanding
    public var reorderPoint: Double
    public var orderUpTo: Double
    public var suggestedOrderQuantity: Double
    /// Days the stock on hand lasts at forecast demand; nil when no demand is expected.
    public var daysOfCover: Double?
    public var serviceLevel: Double
    /// Changes published so far (raised, then each update).
    public var changes: Int
}

/// What a partition knows of one SKU now: the answer to an interactive query.
public struct SKUStanding: Sendable {
    public var sku: String
    /// The SKU's forecast as of the last closed bucket (what that close published, for a
    /// SKU that sold recently); nil before the SKU's first close.
    public var forecast: SKUForecast?
    /// Nil for a SKU without a stock count.
    public var stock: StockStanding?
    public var alert: OpenAlertStanding?
}

extension PartitionEngine {
    /// What the partition knows of `sku`, or nil if it has never seen it.
    public func standing(of sku: String) -> SKUStanding? {
        guard let i = store.slot(of: sku) else { return nil }
        let record = store.restockRecord(i)
        var forecast: SKUForecast?
        if let bucket = closedThrough, store.slots[i].firstBucket <= bucket {
            forecast = SKUForecast(
                sku: sku,
                bucket: bucket,
                leadTimeDays: record.map { restock.leadTimeDays($0) } ?? configuration.restock.defaultLeadTimeDays,
                outlook: closeOutlook ?? outlook,
                forecaster: store.slots[i].forecaster,
                lastBucketDemand: store.slots[i].forecaster.history.value(lag: 1),
                stockOnHand: record.map { restock.records[$0].stock.projectedOnHand }
            )
        }
        return SKUStanding(
            sku: sku,
            forecast: forecast,
            stock: record.map(stockStanding),
            alert: record.flatMap(alertStanding)
        )
    }

    /// The open alerts of the partition, the most severe first, then by SKU.
    public func openAlertStandings() -> [OpenAlertStanding] {
        restock.records.indices.compactMap(alertStanding).sorted {
            ($0.severity, $1.sku) > ($1.severity, $0.sku)
        }
    }

    func stockStanding(_ r: Int) -> StockStanding {
        let s = restock.records[r].stock
        return StockStanding(
            onHand: s.projectedOnHand,
            onOrder: s.onOrder,
            position: s.position,
            leadTimeDays: restock.leadTimeDays(r),
            countedAt: s.countedAt
        )
    }

    func alertStanding(_ r: Int) -> OpenAlertStanding? {
        let record = restock.records[r]
        guard let open = record.alert, let levels = record.levels else { return nil }
        let stock = stockStanding(r)
        return OpenAlertStanding(
            alertID: open.id,
            sku: record.sku,
            severity: open.severity,
            stock: stock,
            reorderPoint: levels.reorderPoint,
            orderUpTo: levels.orderUpTo,
            suggestedOrderQuantity: levels.suggestedOrder(at: stock.position),
            daysOfCover: levels.daysOfCover(onHand: stock.onHand),
            serviceLevel: configuration.restock.serviceLevel,
            changes: open.changes
        )
    }
}

extension StockStanding {
    /// Appends the standing as a JSON object.
    public func encodeJSON(into w: inout JSONWriter) {
        w.beginObject()
        w.key("on_hand")
        w.quantity(onHand)
        w.key("on_order")
        w.quantity(onOrder)
        w.key("position")
        w.quantity(position)
        w.key("lead_time_days")
        w.number(leadTimeDays)
        w.key("counted_at")
        w.timestamp(countedAt)
        w.endObject()
    }
}

extension OpenAlertStanding {
    /// Appends the standing as a JSON object: the `restock-alerts` fields that describe
    /// the alert now (not those of one change: event id, state, cause).
    public func encodeJSON(into w: inout JSONWriter) {
        w.beginObject()
        w.key("alert_id")
        w.string(alertID)
        w.key("sku")
        w.string(sku)
        w.key("severity")
        w.string(severity.rawValue)
        RestockFields(
            onHand: stock.onHand,
            onOrder: stock.onOrder,
            position: stock.position,
            reorderPoint: reorderPoint,
            orderUpTo: orderUpTo,
            suggestedOrderQuantity: suggestedOrderQuantity,
            daysOfCover: daysOfCover,
            leadTimeDays: stock.leadTimeDays,
            serviceLevel: serviceLevel
        ).write(into: &w)
        w.key("counted_at")
        w.timestamp(stock.countedAt)
        w.key("changes")
        w.integer(Int64(changes))
        w.endObject()
    }
}
