/// What a partition learns across all its SKUs, beside each SKU's own models: every
/// partition-level learner, listed here once (a field, and its line in ``registered``).
/// Each is its own type with its own update; the engine feeds them at each bucket close,
/// and a snapshot keeps each one's state in a named, versioned section.
struct PartitionLearners: Sendable, Hashable {
    /// Which days the shop trades on.
    var shopCalendar = ShopCalendar()
    /// The shape of a day, for hour buckets.
    var intradayShape = IntradayShape()
    /// How much the ensemble trusts each model before a SKU's own errors say otherwise.
    var modelPrior = ModelPrior()
    /// The model all SKUs of the partition share.
    var globalModel = GlobalDemandModel()
    /// The ensemble's recent error over all SKUs.
    var ensembleError = EnsembleError()
    /// The partition's forecasts against the demand that followed, by class and model.
    var accuracy = AccuracyMonitor()
    /// Keeps reorder points covering the service level.
    var leadTimeCalibration = LeadTimeCalibration()
    /// Bounds how far one bucket moves a SKU's models.
    var demandCeiling = DemandCeiling()
    /// What each SKU's last published forecast said, when publishing on change.
    var publicationLog = PublicationLog()
    /// What the last close's forecasts read of the learners above.
    var lastClose = LastClose()
}

extension PartitionLearners {
    /// Every learner, in the order snapshots write them.
    static var registered: [Registration] {
        [
            Registration(\.shopCalendar),
            Registration(\.intradayShape),
            Registration(\.modelPrior),
            Registration(\.globalModel),
            Registration(\.ensembleError),
            Registration(\.leadTimeCalibration),
            Registration(\.demandCeiling),
            Registration(\.publicationLog),
            Registration(\.accuracy),
            Registration(\.lastClose),
        ]
    }

    /// A learner's name and state version, and how its state is written and read.
    struct Registration {
        let name: String
        let version: Int
        /// The versions of its section it reads.
        let reads: ClosedRange<Int>
        let write: (PartitionLearners, inout ByteWriter) -> Void
        let read: (inout PartitionLearners, inout ByteReader, Int) throws(SnapshotError) -> Void

        init<L: PartitionLearner>(_ path: WritableKeyPath<PartitionLearners, L>) {
            name = L.name
            version = L.stateVersion
            reads = L.oldestReadableVersion...L.stateVersion
            write = { learners, w in learners[keyPath: path].write(to: &w) }
            read = { learners, r, version throws(SnapshotError) in
                learners[keyPath: path] = try L(from: &r, version: version)
            }
        }
    }
}

/// The shop's trading calendar, learned across all SKUs of a partition: discounted total
/// demand per position of the seasonal cycle, and how many buckets of each were seen.
struct ShopCalendar: Sendable, Hashable {
    var seasonDemand = SIMD8<Double>.zero
    var seasonCount = SIMD8<Double>.zero
    /// Positions with (almost) no demand across the partition: closed days.
    var closedSeasons: UInt8 = 0

    /// A position whose discounted demand across all SKUs stays under 1 % of the busiest
    /// one, after three cycles, is closed (the Online Retail shop never trades on Saturdays).
    mutating func learn(season: Int, demand: Double, cycle: Int) {
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

/// Discounted demand of all SKUs per local hour of the day (hour buckets only): the shape
/// of a day the SKUs' own models, which see no cycle in hours, are given. Pooled, because
/// one SKU's hourly series is almost all zeros.
struct IntradayShape: Sendable, Hashable {
    var hours = [Double](repeating: 0, count: 24)

    mutating func learn(hour: Int, demand: Double) {
        hours[hour] = 0.95 * hours[hour] + demand
    }

    /// Each local hour's share of the day's demand, times 24 (mean 1); nil before any demand.
    var profile: [Double]? {
        let total = hours.reduce(0, +)
        guard total > 0 else { return nil }
        return hours.map { 24 * $0 / total }
    }
}

/// How much the ensemble trusts each model before a SKU's own errors say otherwise: the
/// inverse fourth power of the model's mean relative error across all SKUs of the
/// partition. Per-SKU errors on intermittent demand are noisy; pooled, they are not.
/// The power was chosen on the validation period (the 92 days before retail-daily-v1's
/// test period): better from 1 to 4, flat from 4 to 8.
struct ModelPrior: Sendable, Hashable {
    var lanes = EnsembleLanes(repeating: 1)

    /// Pools every SKU's relative model errors.
    mutating func learn(from slots: UnsafeBufferPointer<SKUStore.Slot>) {
        var sum = EnsembleLanes.zero
        var n = 0.0
        for slot in slots {
            if let r = slot.forecaster.relativeLosses {
                sum += r
                n += 1
            }
        }
        guard n > 0 else { return }
        var prior = EnsembleLanes(repeating: 1)
        for lane in 0..<SKUForecaster.modelCount {
            let r = max(sum[lane] / n, 1e-6)
            prior[lane] = 1 / (r * r * r * r)
        }
        lanes = prior
    }
}

/// Discounted absolute one-bucket-ahead error of the ensemble, and discounted demand, over
/// all SKUs of a partition (memory of about 33 buckets).
struct EnsembleError: Sendable, Hashable {
    var errorSum = 0.0
    var demandSum = 0.0

    mutating func learn(error: Double, demand: Double) {
        errorSum = 0.97 * errorSum + error
        demandSum = 0.97 * demandSum + demand
    }

    /// Their ratio, a rolling WAPE; nil before any demand.
    var rolling: Double? { demandSum > 0 ? errorSum / demandSum : nil }
}

/// The outcome of the reorder-point checks that finished in one bucket, per demand class:
/// what ``LeadTimeCalibration`` learns from.
struct FinishedChecks {
    var checks = SIMD4<Double>.zero
    var misses = SIMD4<Double>.zero
    /// Lanes 0–3 the median's, 4–7 the 90th percentile's.
    var publishedChecks = SIMD8<Double>.zero
    var publishedMisses = SIMD8<Double>.zero

    /// Adds a bucket's demand to a SKU's check under way, and counts it if it ends.
    @inline(__always)
    mutating func advance(_ slot: inout LeadTimeCheck?, demand: Double) {
        guard var check = slot else { return }
        check.demand += Float(demand)
        check.bucketsLeft -= 1
        guard check.bucketsLeft <= 0 else {
            slot = check
            return
        }
        let c = check.demandClass.rawValue
        checks[c] += 1
        if check.demand > check.reorderPoint { misses[c] += 1 }
        if check.median >= 0 {
            publishedChecks[c] += 1
            publishedChecks[4 + c] += 1
            if check.demand > check.median { publishedMisses[c] += 1 }
            if check.demand > check.p90 { publishedMisses[4 + c] += 1 }
        }
        slot = nil
    }
}

extension LeadTimeCalibration {
    /// Folds in the checks that finished in one bucket.
    mutating func learn(_ finished: FinishedChecks, serviceLevel: Double) {
        learn(
            checks: finished.checks,
            misses: finished.misses,
            publishedChecks: finished.publishedChecks,
            publishedMisses: finished.publishedMisses,
            serviceLevel: serviceLevel
        )
    }
}

/// What the last bucket close's forecasts read of the partition's learners, before that
/// close taught them: queries answer with it, so that they show what the close published.
/// Not a learner, but kept in a section as one: a snapshot without it (or a partition that
/// has not closed a bucket) answers with the learners as they are.
struct LastClose: Sendable, Hashable {
    var readings: OutlookReadings?
}
