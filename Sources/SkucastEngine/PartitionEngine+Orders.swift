import SkucastEvents

/// The order path: an order line counts towards its bucket, nets what it undoes, and moves
/// its SKU's stock projection.
extension PartitionEngine {
    /// Counts an order line towards its bucket's demand.
    public mutating func apply(_ order: OrderEvent) -> OrderOutcome {
        apply(order) { _ in }
    }

    /// Counts an order line towards its bucket's demand and its SKU's stock projection;
    /// an order that moves the projected position across the reorder point changes the
    /// SKU's alert at once, not at the next bucket close.
    /// - Parameters:
    ///   - order: The order line.
    ///   - alerts: Receives alert changes.
    public mutating func apply(_ order: OrderEvent, alerts: (RestockAlert) -> Void) -> OrderOutcome {
        var (sku, orderID) = (order.sku, order.orderID)
        let keys = configuration.demand == .net ? MatchKeys(order) : MatchKeys()
        let identity = orderID.withUTF8 {
            RecentLines.key(order: UnsafeRawBufferPointer($0), line: order.line, kind: order.kind)
        }
        return sku.withUTF8 { u in
            let bytes = UnsafeRawBufferPointer(u)
            return apply(
                sku: bytes,
                prefix: TextPrefix(bytes),
                eventTime: order.eventTime,
                kind: order.kind,
                quantity: order.quantity,
                unitPrice: order.unitPrice,
                promoted: order.promotion == true,
                identity: identity,
                keys: keys,
                alerts: alerts
            )
        }
    }

    /// Counts an order line read in place from its message, as the `OrderEvent` form
    /// does: the SKU is looked up by its bytes, and no `String` is made unless the SKU is new.
    /// - Parameters:
    ///   - order: The order line.
    ///   - alerts: Receives alert changes.
    public mutating func apply(_ order: OrderEventView, alerts: (RestockAlert) -> Void) -> OrderOutcome {
        let keys = configuration.demand == .net ? MatchKeys(order) : MatchKeys()
        let identity = order.orderID.withUTF8 { RecentLines.key(order: $0, line: order.line, kind: order.kind) }
        return order.sku.withUTF8 { sku in
            apply(
                sku: sku,
                prefix: order.skuPrefix,
                eventTime: order.eventTime,
                kind: order.kind,
                quantity: order.quantity,
                unitPrice: order.unitPrice,
                promoted: order.promotion == true,
                identity: identity,
                keys: keys,
                alerts: alerts
            )
        }
    }

    private mutating func apply(
        sku: UnsafeRawBufferPointer,
        prefix: TextPrefix,
        eventTime: EventTime,
        kind: OrderKind,
        quantity: Double,
        unitPrice: Double,
        promoted: Bool,
        identity: UInt64,
        keys: MatchKeys,
        alerts: (RestockAlert) -> Void
    ) -> OrderOutcome {
        if let latest = latestAccepted, eventTime > latest { return .aheadOfStreamTime(latest: latest) }
        let hash = SKUIndex.hash(prefix, sku)
        let known = store.slot(of: sku, prefix: prefix, hash: hash)
        // Before anything moves (stream time, stock, demand): a duplicate changes nothing.
        if let i = known, !recentLines.insert(identity, slot: Int32(i)) { return .duplicate }
        if maxEventTime.map({ eventTime > $0 }) ?? true { maxEventTime = eventTime }
        // Stock moves whatever the lateness: a late sale still left the shelf.
        if let i = known, let r = store.restockRecord(i),
            restock.consume(r, kind: kind, quantity: quantity, at: eventTime)
        {
            restock.evaluate(r, at: eventTime, alerts)
        }
        if kind == .return || kind == .cancellation, configuration.demand == .net, let i = known {
            return net(slot: i, units: -quantity, keys: keys, at: eventTime)
        }
        let bucket = configuration.calendar.bucket(of: eventTime)
        let closed = lastClosedBucket
        guard kind == .sale, quantity > 0 else { return .notDemand }
        guard unitPrice > 0, bucket > closed else {
            // Not counted; under net demand kept so that undoing it takes nothing off.
            if let i = known {
                recordSale(slot: i, keys: keys, quantity: quantity, bucket: bucket, at: eventTime, counted: false)
            }
            guard unitPrice > 0 else { return .notDemand }
            lateEvents += 1
            return .tooLate(bucket: bucket, closedThrough: closed)
        }
        let i = known ?? store.add(sku: String(decoding: sku, as: UTF8.self), prefix: prefix, hash: hash, from: bucket)
        if known == nil { _ = recentLines.insert(identity, slot: Int32(i)) }
        store.tallies[i].pending.add(
            BucketDemand(quantity: quantity, revenue: quantity * unitPrice, promotedQuantity: promoted ? quantity : 0),
            to: bucket
        )
        recordSale(slot: i, keys: keys, quantity: quantity, bucket: bucket, at: eventTime, counted: true)
        return .applied
    }

    /// Keeps a sale line for net demand to match (nothing under gross demand).
    private mutating func recordSale(
        slot i: Int,
        keys: MatchKeys,
        quantity: Double,
        bucket: Int64,
        at time: EventTime,
        counted: Bool
    ) {
        guard configuration.demand == .net else { return }
        let sale = SaleLedger.Sale(
            order: keys.order,
            customer: keys.customer,
            quantity: quantity,
            bucket: bucket,
            time: time,
            counted: counted
        )
        ledger.record(sale, slot: Int32(i))
    }

    /// The last bucket behind the watermark: late means at or before it, whether or not
    /// a bucket has closed yet (before the first close, an old event would otherwise open
    /// a bucket that no close ever reaches).
    private var lastClosedBucket: Int64 {
        max(closedThrough ?? .min, watermark.map { configuration.calendar.bucket(of: $0) - 1 } ?? .min)
    }

    /// Net demand: takes a cancellation's or return's units off the bucket of each sale it
    /// undoes while that bucket is open, and otherwise (no sale matched, or its bucket has
    /// closed: the models have learned it already) off the current bucket, the event's own
    /// or the first still open. A sale that never counted (too late, no price) takes
    /// nothing off. A bucket's demand never goes below zero.
    private mutating func net(slot i: Int, units: Double, keys: MatchKeys, at time: EventTime) -> OrderOutcome {
        let matches = ledger.match(
            slot: Int32(i),
            reference: keys.reference,
            customer: keys.customer,
            units: units,
            at: time,
            window: configuration.saleMatchWindowMilliseconds
        )
        let open = lastClosedBucket + 1
        var (offSale, rest) = (0.0, units)
        for m in matches {
            rest -= m.units
            if !m.counted { continue }
            if m.bucket >= open {
                offSale += store.tallies[i].pending.takeOff(m.units, from: m.bucket)
            } else {
                rest += m.units
            }
        }
        let current = max(configuration.calendar.bucket(of: time), open)
        let offCurrent = rest > 0 ? store.tallies[i].pending.takeOff(rest, from: current) : 0
        return .netted(offSale: offSale, offCurrent: offCurrent)
    }
}
