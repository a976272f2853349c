import SkucastEvents

/// How the engine cuts and forecasts demand.
public struct EngineConfiguration: Sendable, Hashable {
    public var calendar = BucketCalendar()
    /// How far behind the newest event time an event may be and still count: a bucket
    /// closes once the partition's newest event time minus this passes its end.
    public var allowedLatenessMilliseconds: Int64 = 3_600_000
    /// Buckets forecast ahead at every close.
    public var horizon = 14
    /// Service level, lead time and review period of the restock policy.
    public var restock = RestockConfiguration()

    public init() {}

    /// One line for logs: bucket, zone, lateness, horizon and restock policy.
    public var summary: String {
        "\(calendar.size.rawValue) buckets in \(calendar.zone), lateness \(allowedLatenessMilliseconds) ms, horizon \(horizon), "
            + "service level \(restock.serviceLevel), lead time \(restock.defaultLeadTimeDays) d, review \(restock.reviewPeriodDays) d, warm-up \(restock.warmUpBuckets)"
    }
}

/// What happened to an order event.
public enum OrderOutcome: Sendable, Hashable {
    /// Counted as demand of its bucket.
    case applied
    /// Not demand (a return, cancellation, adjustment, or a sale at no price): counted elsewhere.
    case notDemand
    /// Its bucket is behind the watermark (closed, or closing at the next advance): later
    /// than the allowed lateness. Never silently dropped: the caller reports it
    /// (dead-letter topic, metrics). `closedThrough` is the last bucket the watermark
    /// has passed.
    case tooLate(bucket: Int64, closedThrough: Int64)
}

/// A SKU's bucket has closed: its forecaster has folded the bucket in.
public struct ClosedBucket: Sendable {
    public let sku: String
    /// The bucket that closed; forecasts start at the next one.
    public let bucket: Int64
    public let forecaster: SKUForecaster
    /// The SKU's lead time from its last stock count, if any.
    public let leadTimeDays: Double?
    /// Seasonal positions the partition's shop does not trade on (bit per position).
    public let closedSeasons: UInt8
    /// The partition's prior over the ensemble's models (see ``PartitionEngine/modelPrior``).
    public let modelPrior: SIMD8<Double>
    /// The partition's calibration of lead-time quantiles (see ``LeadTimeCalibration``).
    public let leadTimeCalibration: LeadTimeCalibration
    /// For hour buckets, each local hour's share of a day's demand times 24 (mean 1):
    /// per-step forecasts are shaped by it. Nil for days and weeks, or before any demand.
    public let intradayProfile: [Double]?
}

/// The forecasting state of one input partition: its SKUs, its event-time watermark, and
/// the buckets it has closed. Pure and deterministic: the same events in the same order
/// give the same closed buckets and forecasts, whoever drives it (live, topic replay, file).
public struct PartitionEngine: Sendable {
    public let configuration: EngineConfiguration

    /// A SKU's forecasting state: what bucket closes read and write.
    struct Slot: Sendable, Hashable {
        let sku: String
        let firstBucket: Int64
        var forecaster: SKUForecaster
        /// Reorder levels as of the last closed bucket (or stock count), cached because
        /// every order event of a stocked SKU is checked against them.
        var levels: ReorderLevels?
        var alert: OpenAlert?
        /// Alerts raised so far: part of each new alert's id.
        var alertsRaised = 0
        /// The reorder-point check under way (see ``LeadTimeCalibration``).
        var check: LeadTimeCheck?

        static func == (a: Slot, b: Slot) -> Bool {
            a.sku == b.sku && a.firstBucket == b.firstBucket && a.forecaster == b.forecaster && a.levels == b.levels
                && a.alert == b.alert && a.alertsRaised == b.alertsRaised && a.check == b.check
        }

        func hash(into h: inout Hasher) {
            h.combine(sku)
            h.combine(firstBucket)
            h.combine(forecaster)
        }
    }

    /// What every order event of a SKU reads and writes, kept apart from its slot: the
    /// slot is most of a kilobyte, and an event that read its stock there and added to a
    /// pending array on the heap missed the cache twice.
    struct Tally: Sendable, Hashable {
        /// The SKU packed: the index confirms a match here, on the line the event reads anyway.
        let key: TextPrefix
        var pending: PendingDemand
        var stock: StockPosition?
    }

    /// Lookup only (see ``SKUIndex``).
    var index = SKUIndex()
    /// SKUs in first-seen order; `tallies[i]` belongs to `slots[i]`.
    var slots: [Slot] = []
    var tallies: [Tally] = []
    /// The newest event time seen.
    public internal(set) var maxEventTime: EventTime?
    /// The last bucket closed in this partition.
    public internal(set) var closedThrough: Int64?
    /// Events that came after their bucket had closed.
    public internal(set) var lateEvents = 0
    /// Discounted total demand of all SKUs per position of the seasonal cycle, and how
    /// many buckets of each position were seen: the shop's trading calendar, learned
    /// across all SKUs of the partition.
    var seasonDemand = SIMD8<Double>.zero
    var seasonCount = SIMD8<Double>.zero
    /// Positions with (almost) no demand across the partition: closed days.
    public internal(set) var closedSeasons: UInt8 = 0
    /// How much the ensemble trusts each model before a SKU's own errors say otherwise:
    /// the inverse fourth power of the model's mean relative error across all SKUs of the
    /// partition. Per-SKU errors on intermittent demand are noisy; pooled, they are not.
    /// The power was chosen on the validation period (the 92 days before retail-daily-v1's
    /// test period): better from 1 to 4, flat from 4 to 8.
    public internal(set) var modelPrior = SIMD8<Double>(repeating: 1)
    /// The model all SKUs of the partition share (see ``GlobalDemandModel``).
    public internal(set) var globalModel = GlobalDemandModel()
    /// Discounted absolute one-bucket-ahead error of the ensemble, and discounted demand,
    /// over all SKUs (memory of about 33 buckets): ``rollingError`` is their ratio.
    public internal(set) var errorSum = 0.0
    public internal(set) var demandSum = 0.0
    /// Discounted demand of all SKUs per local hour of the day (hour buckets only): the
    /// shape of a day the SKUs' own models, which see no cycle in hours, are given.
    /// Pooled, because one SKU's hourly series is almost all zeros.
    var intradayDemand = [Double](repeating: 0, count: 24)
    /// Keeps reorder points covering the service level (see ``LeadTimeCalibration``).
    public internal(set) var leadTimeCalibration = LeadTimeCalibration()

    public init(configuration: EngineConfiguration) {
        self.configuration = configuration
    }

    /// Each local hour's share of the partition's daily demand, times 24 (see
    /// ``ClosedBucket/intradayProfile``).
    public var intradayProfile: [Double]? {
        let total = intradayDemand.reduce(0, +)
        guard configuration.calendar.size == .hour, total > 0 else { return nil }
        return intradayDemand.map { 24 * $0 / total }
    }

    /// SKUs with demand seen.
    public var skuCount: Int { slots.count }

    /// The ensemble's recent one-bucket-ahead error over all SKUs, relative to their
    /// demand (a rolling WAPE); nil before any demand.
    public var rollingError: Double? { demandSum > 0 ? errorSum / demandSum : nil }

    /// SKUs with a restock alert open.
    public var openAlerts: Int { slots.reduce(0) { $0 + ($1.alert == nil ? 0 : 1) } }

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
        var sku = order.sku
        return sku.withUTF8 { u in
            let bytes = UnsafeRawBufferPointer(u)
            return apply(sku: bytes, prefix: TextPrefix(bytes), eventTime: order.eventTime, kind: order.kind, quantity: order.quantity,
                         unitPrice: order.unitPrice, promoted: order.promotion == true, alerts: alerts)
        }
    }

    /// Counts an order line read in place from its message, as the `OrderEvent` form
    /// does: the SKU is looked up by its bytes, and no `String` is made unless the SKU is new.
    /// - Parameters:
    ///   - order: The order line.
    ///   - alerts: Receives alert changes.
    public mutating func apply(_ order: OrderEventView, alerts: (RestockAlert) -> Void) -> OrderOutcome {
        order.sku.withUTF8 { sku in
            apply(sku: sku, prefix: order.skuPrefix, eventTime: order.eventTime, kind: order.kind, quantity: order.quantity,
                  unitPrice: order.unitPrice, promoted: order.promotion == true, alerts: alerts)
        }
    }

    private mutating func apply(sku: UnsafeRawBufferPointer, prefix: TextPrefix, eventTime: EventTime, kind: OrderKind, quantity: Double,
                                unitPrice: Double, promoted: Bool, alerts: (RestockAlert) -> Void) -> OrderOutcome {
        if maxEventTime.map({ eventTime > $0 }) ?? true { maxEventTime = eventTime }
        let hash = SKUIndex.hash(prefix, sku)
        let known = slot(of: sku, prefix: prefix, hash: hash)
        // Stock moves whatever the lateness: a late sale still left the shelf.
        if let i = known, var stock = tallies[i].stock, eventTime >= stock.countedAt {
            switch kind {
            case .sale, .return, .cancellation: stock.consumedSince += quantity
            case .adjustment: stock.consumedSince -= quantity
            }
            tallies[i].stock = stock
            evaluateAlert(i, at: eventTime, alerts)
        }
        guard kind == .sale, quantity > 0, unitPrice > 0 else { return .notDemand }
        let bucket = configuration.calendar.bucket(of: eventTime)
        // Late means behind the watermark's bucket, whether or not a bucket has closed
        // yet: before the first close, an old event would otherwise open a bucket that
        // no close ever reaches.
        let closed = max(closedThrough ?? .min, watermark.map { configuration.calendar.bucket(of: $0) - 1 } ?? .min)
        if bucket <= closed {
            lateEvents += 1
            return .tooLate(bucket: bucket, closedThrough: closed)
        }
        let i = known ?? addSlot(sku: String(decoding: sku, as: UTF8.self), prefix: prefix, hash: hash, from: bucket)
        tallies[i].pending.add(BucketDemand(quantity: quantity, revenue: quantity * unitPrice, promotedQuantity: promoted ? quantity : 0), to: bucket)
        return .applied
    }

    /// Takes a stock count: the SKU's position starts again from it. Counts older than the
    /// one held are ignored (they arrive late and would move stock back in time).
    /// - Parameters:
    ///   - stock: The count.
    ///   - alerts: Receives alert changes (a replenishment resolves an alert).
    /// - Returns: Whether the count was taken.
    @discardableResult
    public mutating func apply(_ stock: InventoryEvent, alerts: (RestockAlert) -> Void) -> Bool {
        if maxEventTime.map({ stock.eventTime > $0 }) ?? true { maxEventTime = stock.eventTime }
        let i = slot(for: stock.sku, from: max(configuration.calendar.bucket(of: stock.eventTime), (closedThrough ?? .min) + 1))
        if let held = tallies[i].stock, stock.eventTime < held.countedAt { return false }
        let leadTimeChanged = tallies[i].stock?.leadTimeDays != stock.leadTimeDays
        tallies[i].stock = StockPosition(onHand: stock.onHand, onOrder: stock.onOrder, leadTimeDays: stock.leadTimeDays, countedAt: stock.eventTime)
        if leadTimeChanged || slots[i].levels == nil { updateLevels(i) }
        evaluateAlert(i, at: stock.eventTime, alerts)
        return true
    }

    /// The slot of a SKU, added if new.
    private mutating func slot(for sku: String, from bucket: Int64) -> Int {
        var text = sku
        return text.withUTF8 { u in
            let bytes = UnsafeRawBufferPointer(u)
            let prefix = TextPrefix(bytes)
            let hash = SKUIndex.hash(prefix, bytes)
            return slot(of: bytes, prefix: prefix, hash: hash) ?? addSlot(sku: sku, prefix: prefix, hash: hash, from: bucket)
        }
    }

    /// The slot of the SKU with these bytes, if seen.
    @inline(__always)
    func slot(of sku: UnsafeRawBufferPointer, prefix: TextPrefix, hash: UInt64) -> Int? {
        tallies.withUnsafeBufferPointer { tallies in
            index.slot(hash: hash) { i in
                // Past 16 bytes, the rest of the SKU is compared on the slot's own text.
                guard tallies[i].key == prefix else { return false }
                guard prefix.length > 16 else { return true }
                var known = slots[i].sku
                return known.withUTF8 { $0.elementsEqual(sku) }
            }
        }
    }

    /// Appends a slot and its tally for a SKU not seen before.
    mutating func addSlot(sku: String, prefix: TextPrefix, hash: UInt64, from bucket: Int64) -> Int {
        index.insert(slot: slots.count, hash: hash)
        slots.append(Slot(sku: sku, firstBucket: bucket, forecaster: SKUForecaster()))
        tallies.append(Tally(key: prefix, pending: PendingDemand()))
        return slots.count - 1
    }

    private mutating func updateLevels(_ i: Int) {
        guard let stock = tallies[i].stock else { return }
        let next = configuration.calendar.season(of: (closedThrough ?? slots[i].firstBucket - 1) + 1)
        slots[i].levels = ReorderLevels(
            forecaster: slots[i].forecaster,
            leadTimeDays: stock.leadTimeDays ?? configuration.restock.defaultLeadTimeDays,
            configuration: configuration.restock,
            nextSeason: next,
            calendar: configuration.calendar,
            closedSeasons: closedSeasons,
            prior: modelPrior,
            calibration: leadTimeCalibration
        )
    }

    /// Moves the SKU's alert through raised → updated → resolved as its position demands.
    private mutating func evaluateAlert(_ i: Int, at time: EventTime, _ alerts: (RestockAlert) -> Void) {
        guard let stock = tallies[i].stock, let levels = slots[i].levels else { return }
        guard slots[i].alert != nil || slots[i].forecaster.buckets >= configuration.restock.warmUpBuckets else { return }
        let severity: RestockSeverity
        if stock.position >= levels.reorderPoint || levels.reorderPoint <= 0 {
            severity = .none
        } else if stock.projectedOnHand <= 0 {
            severity = .outOfStock
        } else if stock.projectedOnHand < levels.leadTimeDemand {
            severity = .stockoutWithinLeadTime
        } else {
            severity = .belowReorderPoint
        }
        let state: RestockAlert.State
        var open: OpenAlert
        switch (slots[i].alert, severity) {
        case (nil, .none):
            return
        case (nil, _):
            var h = StableHash()
            h.add(slots[i].sku)
            h.add(time.milliseconds)
            h.add(Int64(slots[i].alertsRaised))
            slots[i].alertsRaised += 1
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
        slots[i].alert = state == .resolved ? nil : open
        let lead = stock.leadTimeDays ?? configuration.restock.defaultLeadTimeDays
        alerts(RestockAlert(
            alertID: open.id,
            eventID: h.hex,
            sku: slots[i].sku,
            state: state,
            severity: severity,
            eventTime: time,
            onHand: stock.projectedOnHand,
            onOrder: stock.onOrder,
            projectedPosition: stock.position,
            reorderPoint: levels.reorderPoint,
            orderUpTo: levels.orderUpTo,
            suggestedOrderQuantity: max(0, levels.orderUpTo - stock.position),
            daysOfCover: levels.dailyDemand > 0 ? max(0, stock.projectedOnHand) / levels.dailyDemand : nil,
            leadTimeDays: lead,
            serviceLevel: configuration.restock.serviceLevel
        ))
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
    public mutating func close(through last: Int64, _ emit: (ClosedBucket) -> Void, alerts: (RestockAlert) -> Void = { _ in }) {
        let first = (closedThrough ?? slots.map(\.firstBucket).min() ?? last + 1) + (closedThrough == nil ? 0 : 1)
        guard first <= last else { return }
        let cycle = configuration.calendar.modelCycle
        for bucket in first...last {
            let season = configuration.calendar.season(of: bucket)
            // Through the buffer: an array subscript here can copy a whole slot (most of
            // a kilobyte) to read one field.
            var total = 0.0
            tallies.withUnsafeBufferPointer { tallies in
                for t in tallies { total += t.pending.quantity(of: bucket) }
            }
            learnCalendar(season: season, demand: total, cycle: cycle)
            if configuration.calendar.size == .hour {
                let hour = configuration.calendar.hourOfDay(of: bucket)
                intradayDemand[hour] = 0.95 * intradayDemand[hour] + total
            }
            // Locals: the closure below holds `slots` and cannot read other properties.
            var learner = globalModel
            var (bucketError, bucketDemand) = (0.0, 0.0)
            var (checks, misses) = (SIMD4<Double>.zero, SIMD4<Double>.zero)
            var (publishedChecks, publishedMisses) = (SIMD8<Double>.zero, SIMD8<Double>.zero)
            let (coefficients, closedNow, prior, calibration) = (globalModel.coefficients, closedSeasons, modelPrior, leadTimeCalibration)
            let intraday = intradayProfile
            tallies.withUnsafeMutableBufferPointer { tallies in
            slots.withUnsafeMutableBufferPointer { slots in
                for i in slots.indices where slots[i].firstBucket <= bucket {
                    let demand = tallies[i].pending.remove(bucket)
                    if slots[i].forecaster.buckets > 0 {
                        bucketError += abs(demand.quantity - slots[i].forecaster.nextBucketMean(prior: prior))
                        bucketDemand += demand.quantity
                    }
                    if var check = slots[i].check {
                        check.demand += Float(demand.quantity)
                        check.bucketsLeft -= 1
                        if check.bucketsLeft > 0 {
                            slots[i].check = check
                        } else {
                            let c = check.demandClass.rawValue
                            checks[c] += 1
                            if check.demand > check.reorderPoint { misses[c] += 1 }
                            if check.median >= 0 {
                                publishedChecks[c] += 1
                                publishedChecks[4 + c] += 1
                                if check.demand > check.median { publishedMisses[c] += 1 }
                                if check.demand > check.p90 { publishedMisses[4 + c] += 1 }
                            }
                            slots[i].check = nil
                        }
                    }
                    if let example = slots[i].forecaster.close(demand, season: season, cycle: cycle, closedSeasons: closedNow, global: coefficients) {
                        learner.learn(example)
                    }
                    emit(ClosedBucket(sku: slots[i].sku, bucket: bucket, forecaster: slots[i].forecaster,
                                      leadTimeDays: tallies[i].stock?.leadTimeDays, closedSeasons: closedNow, modelPrior: prior,
                                      leadTimeCalibration: calibration, intradayProfile: intraday))
                }
            }
            }
            leadTimeCalibration.learn(checks: checks, misses: misses, publishedChecks: publishedChecks, publishedMisses: publishedMisses,
                                      serviceLevel: configuration.restock.serviceLevel)
            globalModel = learner
            errorSum = 0.97 * errorSum + bucketError
            demandSum = 0.97 * demandSum + bucketDemand
            globalModel.finishBucket()
            learnModelPrior()
            closedThrough = bucket
            let end = configuration.calendar.start(of: bucket + 1)
            for i in tallies.indices where tallies[i].stock != nil {
                updateLevels(i)
                evaluateAlert(i, at: end, alerts)
            }
            startChecks(next: bucket + 1)
        }
    }

    /// Starts a reorder-point check for every SKU past its warm-up without one under way:
    /// the reorder point it would order at now, against the demand of its lead time.
    /// SKUs without a sale in their recent window, or with a zero reorder point, are left
    /// out: no scale moves a zero point (and most SKUs of a catalogue sleep).
    private mutating func startChecks(next bucket: Int64) {
        let (restock, calendar) = (configuration.restock, configuration.calendar)
        let (nextSeason, closedNow, prior, calibration) = (calendar.season(of: bucket), closedSeasons, modelPrior, leadTimeCalibration)
        let published = ReorderLevels.publishedLevels(serviceLevel: restock.serviceLevel)
        let (median, p90) = (published.firstIndex(of: 0.5)!, published.firstIndex(of: 0.9)!)
        tallies.withUnsafeBufferPointer { tallies in
        slots.withUnsafeMutableBufferPointer { slots in
            for i in slots.indices where slots[i].check == nil && slots[i].forecaster.buckets >= restock.warmUpBuckets
                && slots[i].forecaster.history.sum(last: DemandHistory.capacity) > 0 {
                let lead = tallies[i].stock?.leadTimeDays ?? restock.defaultLeadTimeDays
                let levels = slots[i].levels
                    ?? ReorderLevels(forecaster: slots[i].forecaster, leadTimeDays: lead, configuration: restock, nextSeason: nextSeason,
                                     calendar: calendar, closedSeasons: closedNow, prior: prior, calibration: calibration)
                guard levels.reorderPoint > 0 else { continue }
                let demandClass = DemandClass(history: slots[i].forecaster.history)
                // What the forecast published now says of the lead time.
                let quantiles = levels.leadTimeQuantiles(levels: published, serviceLevel: restock.serviceLevel, leadTimeDays: lead,
                                                         bucketsPerDay: calendar.bucketsPerDay, demandClass: demandClass, calibration: calibration)
                slots[i].check = LeadTimeCheck(reorderPoint: Float(levels.reorderPoint), median: Float(quantiles[median]), p90: Float(quantiles[p90]),
                                               demand: 0, bucketsLeft: Int32(max(1, (lead * calendar.bucketsPerDay).rounded(.up))),
                                               demandClass: demandClass)
            }
        }
        }
    }
}

extension PartitionEngine {
    /// Learns which positions of the cycle the shop trades on: a position whose
    /// discounted demand across all SKUs stays under 1 % of the busiest one, after three
    /// cycles, is closed (the Online Retail shop never trades on Saturdays).
    mutating func learnCalendar(season: Int, demand: Double, cycle: Int) {
        guard cycle > 1 else { return }
        seasonDemand[season] = 0.8 * seasonDemand[season] + demand
        seasonCount[season] += 1
        var peak = 0.0
        for s in 0..<cycle { peak = max(peak, seasonDemand[s]) }
        var mask: UInt8 = 0
        for s in 0..<cycle where seasonCount[s] >= 3 && seasonDemand[s] < 0.01 * peak { mask |= 1 << UInt8(s) }
        closedSeasons = mask
    }
}

extension PartitionEngine {
    /// Pools every SKU's relative model errors into the partition's prior.
    mutating func learnModelPrior() {
        var sum = SIMD8<Double>.zero
        var n = 0.0
        for slot in slots {
            if let r = slot.forecaster.relativeLosses {
                sum += r
                n += 1
            }
        }
        guard n > 0 else { return }
        var prior = SIMD8<Double>(repeating: 1)
        for lane in 0..<SKUForecaster.modelCount {
            let r = max(sum[lane] / n, 1e-6)
            prior[lane] = 1 / (r * r * r * r)
        }
        modelPrior = prior
    }
}

extension PartitionEngine: Equatable {
    /// Same configuration, SKUs (in the same order) with the same state, same clock.
    public static func == (a: PartitionEngine, b: PartitionEngine) -> Bool {
        a.configuration == b.configuration && a.maxEventTime == b.maxEventTime && a.closedThrough == b.closedThrough
            && a.lateEvents == b.lateEvents && a.slots == b.slots && a.tallies == b.tallies && a.seasonDemand == b.seasonDemand
            && a.seasonCount == b.seasonCount && a.closedSeasons == b.closedSeasons && a.modelPrior == b.modelPrior
            && a.leadTimeCalibration == b.leadTimeCalibration && a.intradayDemand == b.intradayDemand
            && a.globalModel == b.globalModel && a.errorSum == b.errorSum && a.demandSum == b.demandSum
    }
}
