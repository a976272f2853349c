import SkucastEvents

/// The close path: buckets the watermark passed close in order, every SKU's models and
/// the partition's learners learn them, and reorder levels follow the new forecasts.
extension PartitionEngine {
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
                        // (the default --forecast-active-buckets). The p90 costs a sort: one
                        // SKU-bucket in eight checks it.
                        if selling.count > 0 {
                            outcomes.score(
                                slots[i].forecaster,
                                ensemble: ensemble,
                                demand: demand.quantity,
                                checkingP90: (i + Int(truncatingIfNeeded: bucket)) & 7 == 0,
                                season: season,
                                cycle: cycle,
                                closedSeasons: closedNow
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
