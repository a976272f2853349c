import SkucastEvents

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
    private mutating func refreshLevels(slot i: Int, record r: Int, outlook: PartitionOutlook) {
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

    /// Closes every bucket the watermark has passed, for every SKU, in bucket order.
    /// - Parameter emit: Receives each SKU's closed bucket, after its forecaster folded it in.
    public mutating func advance(_ emit: (ClosedBucket) -> Void) {
        advance(emit, alerts: { _ in })
    }

    /// Closes every bucket the watermark has passed; reorder levels move with the new
    /// forecasts, which may raise or resolve alerts.
    /// - Parameters:
    ///   - emit: Receives each SKU's closed bucket.
    ///   - alerts: Receives alert changes.
    public mutating func advance(_ emit: (ClosedBucket) -> Void, alerts: (RestockAlert) -> Void) {
        guard let watermark else { return }
        close(through: configuration.calendar.bucket(of: watermark) - 1, emit, alerts: alerts)
    }

    /// Closes every bucket up to and including `last`, whatever the watermark: the end of
    /// a replay, or an idle partition.
    ///
    /// The work is bounded: of a stretch without demand longer than both twice
    /// ``catchUpBuckets`` and the maximum clock skew (a feed that resumed after a long
    /// pause), only the first and last ``catchUpBuckets`` close. The models learn a gap
    /// of that length, not years of zeros; pauses shorter than the skew close in full.
    public mutating func close(
        through last: Int64,
        _ emit: (ClosedBucket) -> Void,
        alerts: (RestockAlert) -> Void = { _ in }
    ) {
        var bucket =
            (closedThrough ?? store.slots.map(\.firstBucket).min() ?? last + 1) + (closedThrough == nil ? 0 : 1)
        guard bucket <= last else { return }
        let catchUp = Self.catchUpBuckets
        let longest = max(2 * catchUp, configuration.calendar.buckets(spanning: configuration.maxClockSkewMilliseconds))
        // Only a range that could hold such a stretch is searched for demand.
        let withDemand = last - bucket > longest ? bucketsWithDemand(from: bucket, through: last) : []
        var k = 0
        while bucket <= last {
            while k < withDemand.count, withDemand[k] < bucket { k += 1 }
            let nextDemand = k < withDemand.count ? withDemand[k] : last + 1
            if nextDemand - bucket > longest {
                for _ in 0..<catchUp {
                    close(bucket, emit, alerts: alerts)
                    bucket += 1
                }
                bucket = nextDemand - catchUp
                closedThrough = bucket - 1
                continue
            }
            close(bucket, emit, alerts: alerts)
            bucket += 1
        }
    }

    /// How many empty buckets at each end of a long stretch close (see ``close(through:_:alerts:)``):
    /// as many as a SKU's history holds.
    static let catchUpBuckets = Int64(DemandHistory.capacity)

    /// The buckets from `first` through `last` with demand pending for any SKU, ascending.
    private func bucketsWithDemand(from first: Int64, through last: Int64) -> [Int64] {
        var buckets: Set<Int64> = []
        store.tallies.withUnsafeBufferPointer { tallies in
            for t in tallies {
                t.pending.forEachBucket { p in if p.bucket >= first, p.bucket <= last { buckets.insert(p.bucket) } }
            }
        }
        return buckets.sorted()
    }

    /// Closes one bucket: the partition's calendar learns its total, every SKU's models
    /// learn its demand, then the partition-level learners, then the restock levels.
    private mutating func close(_ bucket: Int64, _ emit: (ClosedBucket) -> Void, alerts: (RestockAlert) -> Void) {
        let calendar = configuration.calendar
        let season = calendar.season(of: bucket)
        learnTotal(of: bucket, season: season)
        // What every SKU's forecast of this close reads: the learners as they stood before it.
        let readings = OutlookReadings(learners)
        learners.lastClose.readings = readings
        let before = PartitionOutlook(configuration: configuration, readings: readings)
        var finished = FinishedChecks()
        var bucketError = 0.0
        var bucketDemand = 0.0
        var outcomes = AccuracyMonitor.Sums()
        // Locals: the closure below holds the store and cannot read other properties.
        var learner = learners.globalModel
        let (cycle, coefficients, closedNow, prior) = (
            calendar.modelCycle, learners.globalModel.coefficients, before.closedSeasons, before.modelPrior
        )
        let (tracker, defaultLead) = (restock, configuration.restock.defaultLeadTimeDays)
        let ceiling = learners.demandCeiling
        store.tallies.withUnsafeMutableBufferPointer { tallies in
            store.slots.withUnsafeMutableBufferPointer { slots in
                for i in slots.indices where slots[i].firstBucket <= bucket {
                    let demand = tallies[i].pending.remove(bucket)
                    let selling = slots[i].forecaster.history.selling
                    if slots[i].forecaster.buckets > 0 {
                        let ensemble = slots[i].forecaster.nextBucketMean(prior: prior)
                        bucketError += abs(demand.quantity - ensemble)
                        bucketDemand += demand.quantity
                        // SKUs forecast at the last close: those that sold within 28 buckets
                        // (the default --forecast-active-buckets).
                        if selling.count > 0 {
                            // The p90 costs a sort: checked for one SKU-bucket in eight. As
                            // published for this bucket, scaled by the ensemble's mean (up to
                            // the last close's update of the partition's prior).
                            let p90 =
                                (i + Int(truncatingIfNeeded: bucket)) & 7 == 0
                                ? slots[i].forecaster.quantiles(
                                    means: [ensemble][...],
                                    nextSeason: season,
                                    cycle: cycle,
                                    levels: AccuracyMonitor.checkedLevels,
                                    closedSeasons: closedNow
                                )[0][0] : nil
                            outcomes.add(
                                DemandClass(history: slots[i].forecaster.history),
                                demand: demand.quantity,
                                models: slots[i].forecaster.nextBucket,
                                ensemble: ensemble,
                                p90: p90
                            )
                        }
                    }
                    finished.advance(&slots[i].check, demand: demand.quantity)
                    if let example = slots[i].forecaster.close(
                        ceiling.learned(demand, selling: selling),
                        season: season,
                        cycle: cycle,
                        closedSeasons: closedNow,
                        global: coefficients
                    ) {
                        learner.learn(example)
                    }
                    let record = tallies[i].restock >= 0 ? Int(tallies[i].restock) : nil
                    let lead = record.map { tracker.leadTimeDays($0) } ?? defaultLead
                    emit(
                        ClosedBucket(
                            forecast: SKUForecast(
                                sku: slots[i].sku,
                                bucket: bucket,
                                leadTimeDays: lead,
                                outlook: before,
                                forecaster: slots[i].forecaster,
                                lastBucketDemand: demand.quantity,
                                stockOnHand: record.map { tracker.records[$0].stock.projectedOnHand }
                            )
                        )
                    )
                }
            }
        }
        learners.leadTimeCalibration.learn(finished, serviceLevel: configuration.restock.serviceLevel)
        learners.globalModel = learner
        learners.ensembleError.learn(error: bucketError, demand: bucketDemand)
        learners.accuracy.learn(outcomes)
        learners.globalModel.finishBucket()
        store.slots.withUnsafeBufferPointer { learners.modelPrior.learn(from: $0) }
        closedThrough = bucket
        if configuration.demand == .net {
            ledger.sweep(at: calendar.start(of: bucket + 1), window: configuration.saleMatchWindowMilliseconds)
        }
        let after = outlook
        let end = calendar.start(of: bucket + 1)
        for i in store.tallies.indices {
            guard let r = store.restockRecord(i) else { continue }
            refreshLevels(slot: i, record: r, outlook: after)
            restock.evaluate(r, at: end, alerts)
        }
        startChecks(next: bucket + 1, outlook: after)
    }

    /// The demand ceiling learns the bucket's typical selling SKU; then the partition's
    /// calendar (and for hour buckets its day shape) learns the bucket's total over all
    /// SKUs, each bounded as its models will learn it: one giant order must not make
    /// every other day of the week look closed.
    private mutating func learnTotal(of bucket: Int64, season: Int) {
        // The selling SKUs, found in one pass over all; the rest read only them.
        var selling: [(slot: Int, quantity: Double)] = []
        // Through the buffer: an array subscript here can copy a whole tally to read one field.
        store.tallies.withUnsafeBufferPointer { tallies in
            for i in tallies.indices {
                let q = tallies[i].pending.quantity(of: bucket)
                if q > 0 { selling.append((i, q)) }
            }
        }
        guard !selling.isEmpty else {
            learnTotal(0, season: season, bucket: bucket)
            return
        }
        var total = 0.0
        store.slots.withUnsafeBufferPointer { slots in
            // Each bounded by the ceiling so far: in a partition of few SKUs the median is
            // the giant order itself.
            let before = learners.demandCeiling
            var bounded = selling.map { min($0.quantity, before.ceiling(slots[$0.slot].forecaster.history)) }
            learners.demandCeiling.learn(selling: &bounded)
            let ceiling = learners.demandCeiling
            for (i, q) in selling { total += min(q, ceiling.ceiling(slots[i].forecaster.history)) }
        }
        learnTotal(total, season: season, bucket: bucket)
    }

    private mutating func learnTotal(_ total: Double, season: Int, bucket: Int64) {
        learners.shopCalendar.learn(season: season, demand: total, cycle: configuration.calendar.modelCycle)
        if configuration.calendar.size == .hour {
            learners.intradayShape.learn(hour: configuration.calendar.hourOfDay(of: bucket), demand: total)
        }
    }

    /// Starts a reorder-point check for every SKU past its warm-up without one under way:
    /// the reorder point it would order at now, against the demand of its lead time.
    /// SKUs without a sale in their recent window, or with a zero reorder point, are left
    /// out: no scale moves a zero point (and most SKUs of a catalogue sleep).
    private mutating func startChecks(next bucket: Int64, outlook: PartitionOutlook) {
        let (restockSettings, calendar) = (configuration.restock, configuration.calendar)
        let nextSeason = calendar.season(of: bucket)
        let published = outlook.publishedLevels
        let (median, p90) = (published.firstIndex(of: 0.5)!, published.firstIndex(of: 0.9)!)
        let tracker = restock
        store.tallies.withUnsafeBufferPointer { tallies in
            store.slots.withUnsafeMutableBufferPointer { slots in
                for i in slots.indices
                where slots[i].check == nil && slots[i].forecaster.buckets >= restockSettings.warmUpBuckets
                    && slots[i].forecaster.history.sum(last: DemandHistory.capacity) > 0
                {
                    let record = tallies[i].restock >= 0 ? Int(tallies[i].restock) : nil
                    let lead = record.map(tracker.leadTimeDays) ?? restockSettings.defaultLeadTimeDays
                    let levels =
                        record.flatMap { tracker.records[$0].levels }
                        ?? outlook.reorderLevels(slots[i].forecaster, leadTimeDays: lead, nextSeason: nextSeason)
                    guard levels.reorderPoint > 0 else { continue }
                    let demandClass = DemandClass(history: slots[i].forecaster.history)
                    // What the forecast published now says of the lead time.
                    let quantiles = outlook.leadTimeQuantiles(
                        levels,
                        levels: published,
                        demandClass: demandClass,
                        leadTimeDays: lead
                    )
                    slots[i].check = LeadTimeCheck(
                        reorderPoint: Float(levels.reorderPoint),
                        median: Float(quantiles[median]),
                        p90: Float(quantiles[p90]),
                        demand: 0,
                        bucketsLeft: Int32(max(1, (lead * calendar.bucketsPerDay).rounded(.up))),
                        demandClass: demandClass
                    )
                }
            }
        }
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
