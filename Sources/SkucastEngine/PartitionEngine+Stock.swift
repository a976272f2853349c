import SkucastEvents

/// The stock path: a count resets its SKU's position and reorder levels.
extension PartitionEngine {
    /// Takes a stock count: the SKU's position starts again from it, or, for a SKU counted
    /// per location, from the sum over its locations (see ``StockLocations``). Counts older
    /// than the one held for their location are not taken (they arrive late and would
    /// move stock back in time).
    /// - Parameters:
    ///   - stock: The count.
    ///   - alerts: Receives alert changes (a replenishment resolves an alert).
    /// - Returns: Whether the count was taken, and why not.
    @discardableResult
    public mutating func apply(_ stock: InventoryEvent, alerts: (RestockAlert) -> Void) -> StockOutcome {
        if let latest = latestAccepted, stock.eventTime > latest { return .aheadOfStreamTime(latest: latest) }
        if maxEventTime.map({ stock.eventTime > $0 }) ?? true { maxEventTime = stock.eventTime }
        let i = store.slot(
            for: stock.sku,
            from: max(configuration.calendar.bucket(of: stock.eventTime), (closedThrough ?? .min) + 1)
        )
        var count = StockPosition(
            onHand: stock.onHand,
            onOrder: stock.onOrder,
            leadTimeDays: stock.leadTimeDays,
            countedAt: stock.eventTime
        )
        let location = stock.location ?? ""
        let held = store.restockRecord(i).map { restock.records[$0].stock }
        if !location.isEmpty || locations.counts[Int32(i)] != nil {
            let one = StockLocations.Count(
                location: location,
                onHand: stock.onHand,
                onOrder: stock.onOrder,
                countedAt: stock.eventTime
            )
            guard let totals = locations.take(one, slot: Int32(i), held: held) else { return .stale }
            (count.onHand, count.onOrder) = totals
            // A count older than another location's newest: sales since that one still count.
            if let held, stock.eventTime <= held.countedAt {
                count.countedAt = held.countedAt
                count.consumedSince = held.consumedSince
                count.leadTimeDays = held.leadTimeDays
            }
        } else if let held, stock.eventTime < held.countedAt {
            return .stale
        }
        let r: Int
        if let known = store.restockRecord(i) {
            let leadTimeChanged = restock.replace(known, with: count)
            r = known
            if leadTimeChanged || restock.records[r].levels == nil {
                refreshLevels(slot: i, record: r, outlook: outlook)
            }
        } else {
            r = restock.add(RestockTracker.Record(slot: i, sku: store.slots[i].sku, stock: count))
            store.tallies[i].restock = Int32(r)
            refreshLevels(slot: i, record: r, outlook: outlook)
        }
        restock.evaluate(r, at: stock.eventTime, alerts)
        return .taken
    }

    /// Works out a counted SKU's reorder levels again, from its forecasts now.
    mutating func refreshLevels(slot i: Int, record r: Int, outlook: PartitionOutlook) {
        let next = configuration.calendar.season(of: (closedThrough ?? store.slots[i].firstBucket - 1) + 1)
        let levels = outlook.reorderLevels(
            store.slots[i].forecaster,
            leadTimeDays: restock.leadTimeDays(r),
            nextSeason: next
        )
        restock.refresh(
            r,
            levels: levels,
            warmedUp: store.slots[i].forecaster.buckets >= configuration.restock.warmUpBuckets
        )
    }
}
