/// A partition's forecasts measured against the demand that follows, online: what the
/// service shows of its own accuracy by demand class and by model, and the drift signal.
///
/// At each close, every SKU forecast at the close before (it sold within the last 28
/// buckets) adds its one-step errors: each model's own and the ensemble's, absolute and
/// signed, and whether the p90 published for the bucket covered the demand (for day and
/// week buckets; hour buckets' published quantiles also carry the day's shape). Sums are forgotten by
/// ``recentDecay`` per bucket, so they describe about the last ten buckets.
///
/// Drift: each class's recent WAPE is also followed by a slow mean and variance (about
/// fifty buckets). When the recent WAPE leaves that band by more than ``driftSigmas``
/// standard deviations the class drifts: one event is counted, and it stays drifting until
/// it is back within ``settleSigmas``. Everything is a function of the closed buckets
/// alone, so replays and restores agree.
public struct AccuracyMonitor: Sendable, Hashable {
    /// One bucket's outcome, or forgotten sums of them, per ``DemandClass`` (lanes 0–3).
    public struct Sums: Sendable, Hashable {
        /// Absolute one-step error of each model lane (``SKUForecaster/modelNames``), per class.
        public var modelError = [EnsembleLanes](repeating: .zero, count: 4)
        public var ensembleError = SIMD4<Double>.zero
        /// Ensemble forecast less demand.
        public var signedError = SIMD4<Double>.zero
        public var demand = SIMD4<Double>.zero
        /// SKU-buckets whose p90 was checked, and of those, covered (demand ≤ p90).
        public var p90Checks = SIMD4<Double>.zero
        public var p90Covered = SIMD4<Double>.zero

        public init() {}

        mutating func scale(by f: Double) {
            for c in 0..<4 { modelError[c] *= f }
            ensembleError *= f
            signedError *= f
            demand *= f
            p90Checks *= f
            p90Covered *= f
        }

        /// Adds another's sums (another partition's, for an instance's view).
        public mutating func add(_ o: Sums) {
            for c in 0..<4 { modelError[c] += o.modelError[c] }
            ensembleError += o.ensembleError
            signedError += o.signedError
            demand += o.demand
            p90Checks += o.p90Checks
            p90Covered += o.p90Covered
        }

        /// Adds one SKU's outcome.
        @inline(__always)
        mutating func add(
            _ demandClass: DemandClass,
            demand y: Double,
            models: EnsembleLanes,
            ensemble: Double,
            p90: Double?
        ) {
            let c = demandClass.rawValue
            let e = models - EnsembleLanes(repeating: y)
            modelError[c] += e.replacing(with: -e, where: e .< 0)
            ensembleError[c] += abs(ensemble - y)
            signedError[c] += ensemble - y
            demand[c] += y
            if let p90 {
                p90Checks[c] += 1
                if y <= p90 { p90Covered[c] += 1 }
            }
        }
    }

    /// The level whose coverage is checked: the published p90.
    static let checkedLevels = [0.9]
    /// Forgetting of ``recent`` per bucket.
    static let recentDecay = 0.9
    /// Forgetting of the drift band per bucket.
    static let bandDecay = 0.98
    /// Buckets the band learns before it can call a drift.
    static let bandWarmUp = 28
    static let driftSigmas = 3.0
    static let settleSigmas = 2.0

    public internal(set) var recent = Sums()
    /// Per class: the slow mean and variance of the recent WAPE, and how many buckets they
    /// hold.
    var bandMean = SIMD4<Double>.zero
    var bandVariance = SIMD4<Double>.zero
    var bandBuckets = SIMD4<Double>.zero
    /// Classes drifting now (bit per class), and drift events so far per class.
    public internal(set) var drifting: UInt8 = 0
    public internal(set) var driftEvents = SIMD4<Double>.zero

    public init() {}

    /// A class's recent WAPE of the ensemble; nil before any demand.
    public func wape(_ c: DemandClass) -> Double? {
        let d = recent.demand[c.rawValue]
        return d > 0 ? recent.ensembleError[c.rawValue] / d : nil
    }

    /// The band a class's recent WAPE is expected in (mean ± ``driftSigmas`` deviations,
    /// from zero up where the spread reaches below it: a WAPE is never negative, so such a
    /// class can only drift upwards); nil while it is still learning.
    public func band(_ c: DemandClass) -> ClosedRange<Double>? {
        let k = c.rawValue
        guard bandBuckets[k] >= Double(Self.bandWarmUp) else { return nil }
        let spread = Self.driftSigmas * bandVariance[k].squareRoot()
        return max(0, bandMean[k] - spread)...(bandMean[k] + spread)
    }

    /// Folds in one closed bucket's outcomes.
    /// - Returns: The classes that started drifting with this bucket.
    @discardableResult
    mutating func learn(_ bucket: Sums) -> [DemandClass] {
        guard bucket.demand.sum() > 0 || bucket.p90Checks.sum() > 0 else { return [] }
        recent.scale(by: Self.recentDecay)
        recent.add(bucket)
        var started: [DemandClass] = []
        for c in DemandClass.allCases {
            let k = c.rawValue
            guard bucket.demand[k] > 0 || bucket.ensembleError[k] > 0, let w = wape(c) else { continue }
            let sd = bandVariance[k].squareRoot()
            if bandBuckets[k] >= Double(Self.bandWarmUp), sd > 0 {
                let z = abs(w - bandMean[k]) / sd
                let bit: UInt8 = 1 << UInt8(k)
                if drifting & bit == 0, z > Self.driftSigmas {
                    drifting |= bit
                    driftEvents[k] += 1
                    started.append(c)
                } else if drifting & bit != 0, z <= Self.settleSigmas {
                    drifting &= ~bit
                }
            }
            // Exponentially weighted mean and variance (West's update).
            if bandBuckets[k] == 0 {
                bandMean[k] = w
            } else {
                let a = 1 - Self.bandDecay
                let delta = w - bandMean[k]
                bandMean[k] += a * delta
                bandVariance[k] = (1 - a) * (bandVariance[k] + a * delta * delta)
            }
            bandBuckets[k] += 1
        }
        return started
    }
}

extension AccuracyMonitor: PartitionLearner {
    static let name = "accuracy_monitor"
    /// Version 1 wrote each class's model errors as eight lanes whole; 2 writes the lanes in use.
    static let stateVersion = 2
    static let oldestReadableVersion = 1

    func write(to w: inout ByteWriter) {
        func four(_ v: SIMD4<Double>) { for k in 0..<4 { w.double(v[k]) } }
        for c in 0..<4 { w.ensembleLanes(recent.modelError[c]) }
        for v in [
            recent.ensembleError, recent.signedError, recent.demand, recent.p90Checks, recent.p90Covered, bandMean,
            bandVariance, bandBuckets, driftEvents,
        ] { four(v) }
        w.uint8(drifting)
    }

    init(from r: inout ByteReader) throws(SnapshotError) { try self.init(from: &r, version: Self.stateVersion) }

    init(from r: inout ByteReader, version: Int) throws(SnapshotError) {
        self.init()
        func four() throws(SnapshotError) -> SIMD4<Double> {
            var v = SIMD4<Double>.zero
            for k in 0..<4 { v[k] = try r.double() }
            return v
        }
        for c in 0..<4 {
            recent.modelError[c] =
                version == 1
                ? try ModelDirectory.readEightLanes(&r, fill: 0) : try ModelDirectory.readLanes(&r, fill: 0)
        }
        recent.ensembleError = try four()
        recent.signedError = try four()
        recent.demand = try four()
        recent.p90Checks = try four()
        recent.p90Covered = try four()
        bandMean = try four()
        bandVariance = try four()
        bandBuckets = try four()
        driftEvents = try four()
        drifting = try r.uint8()
    }
}

extension AccuracyMonitor.Sums {
    /// Scores a SKU's forecast of the bucket that closes, as the last close made it: its
    /// models' and the ensemble's errors, and, when `checkingP90`, whether the p90 published
    /// for this bucket (scaled by the ensemble's mean, up to the last close's update of the
    /// partition's prior) covered the demand.
    @inline(__always)
    mutating func score(
        _ forecaster: SKUForecaster,
        ensemble: Double,
        demand: Double,
        checkingP90: Bool,
        season: Int,
        cycle: Int,
        closedSeasons: UInt8
    ) {
        let p90 =
            checkingP90
            ? forecaster.stepQuantiles(
                means: [ensemble][...],
                nextSeason: season,
                cycle: cycle,
                levels: AccuracyMonitor.checkedLevels,
                closedSeasons: closedSeasons
            )[0] : nil
        add(
            DemandClass(history: forecaster.history),
            demand: demand,
            models: forecaster.nextBucket,
            ensemble: ensemble,
            p90: p90
        )
    }
}
