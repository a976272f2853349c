import SkucastEvents

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything skucast knows about one SKU's demand: its recent history, its models and
/// how well each has done lately. A value: copying it snapshots it. Fixed size.
public struct SKUForecaster: Sendable, Hashable {
    /// The ensemble's lanes: the registered models (``SKUModels``), then the partition's
    /// ``GlobalDemandModel`` applied to this SKU.
    public static let modelNames = SKUModels.names + ["global_regression"]
    public static let modelCount = modelNames.count
    /// The global model's lane, after the registered models'.
    public static let globalLane = SKUModels.count

    /// The lane of a model by its name.
    public static func lane(named name: String) -> Int? { modelNames.firstIndex(of: name) }

    /// The lane of a registered model.
    public static func lane<M: DemandModel>(of _: M.Type) -> Int { lane(named: M.name)! }

    /// 1 in the lanes of the models, 0 beyond.
    static let modelLanes: EnsembleLanes = {
        precondition(
            modelCount <= EnsembleLanes.scalarCount,
            "the ensemble holds \(EnsembleLanes.scalarCount) lanes (EnsembleLanes); \(modelCount) models are registered"
        )
        var m = EnsembleLanes.zero
        for lane in 0..<modelCount { m[lane] = 1 }
        return m
    }()

    /// How fast the ensemble forgets old errors: a weight of 0.97 per bucket is a
    /// half-life of about 23 buckets. Chosen on the validation period (the 92 days before
    /// retail-daily-v1's test period) from 0.97, 0.99 and 0.995 with weight powers 1–3;
    /// the differences were below 0.2 %.
    static let lossDecay = 0.97

    public internal(set) var history = DemandHistory()
    /// The registered models' states.
    public internal(set) var models = SKUModels()
    /// The global model's forecast for each position of the cycle, made at the last close
    /// with the partition's coefficients of that time.
    var globalForecasts = SIMD8<Float>.zero
    /// Mean unit price of the last bucket with sales, and its smoothed history: the
    /// global model's price-change feature.
    public internal(set) var lastPrice: Float = 0
    public internal(set) var referencePrice: Float = 0
    /// Smoothed share of units sold on promotion.
    public internal(set) var promotedShare: Float = 0
    /// Discounted squared one-step error per lane.
    public internal(set) var losses = EnsembleLanes.zero
    /// Each lane's forecast for the next bucket, made at the last close.
    var nextBucket = EnsembleLanes.zero
    /// Buckets folded in since the first sale.
    public internal(set) var buckets = 0
    /// 1 in the bucket of a sale, counting up with each bucket after it.
    public internal(set) var bucketsSinceSale = 1.0

    public init() {}

    /// Folds in the demand of a closed bucket, as a lone SKU with no partition around it
    /// (its global model never learns, so it forecasts zero).
    /// - Parameters:
    ///   - y: The bucket's demand.
    ///   - season: The bucket's position in the seasonal cycle.
    ///   - cycle: Buckets per cycle.
    ///   - closedSeasons: Seasonal positions the shop does not trade on (bit per position).
    public mutating func close(demand y: Double, season: Int, cycle: Int, closedSeasons: UInt8 = 0) {
        close(BucketDemand(quantity: y), season: season, cycle: cycle, closedSeasons: closedSeasons, global: .zero)
    }

    /// Folds in a closed bucket.
    /// - Parameters:
    ///   - demand: The bucket's demand, revenue and promoted units.
    ///   - season: The bucket's position in the seasonal cycle.
    ///   - cycle: Buckets per cycle.
    ///   - closedSeasons: Seasonal positions the shop does not trade on (bit per position).
    ///   - global: The coefficients of the partition's ``GlobalDemandModel``, as of the last bucket.
    /// - Returns: What the global model can learn from this bucket: the features known
    ///   before it and its demand; nil on a closed day or for the SKU's first bucket.
    @discardableResult
    public mutating func close(
        _ demand: BucketDemand,
        season: Int,
        cycle: Int,
        closedSeasons: UInt8,
        global: DemandFeatures
    ) -> GlobalExample? {
        let y = demand.quantity
        // What the global model could have known before this bucket: the history's part
        // now, the models' signals from the pass below (taken before they learn).
        let before = buckets > 0 && !Self.isClosed(season, closedSeasons) ? HistoryFeatures(history) : nil
        history.append(y)
        let next = (season + 1) % cycle
        let open = !Self.isClosed(next, closedSeasons)
        // Built here, not through methods of `self`: a non-mutating call inside this mutating
        // one copied the whole forecaster (most of a kilobyte) each time.
        let observed = ObservedBucket(demand: y, season: season, cycle: cycle)
        let closed: SKUModels.Closed
        if open {
            var context = ForecastContext(
                history: history,
                nextSeason: next,
                cycle: cycle,
                openDayFactor: Self.openDayFactor(cycle: cycle, closedSeasons: closedSeasons)
            )
            closed = withUnsafePointer(to: &context) { models.close(observed, next: $0) }
        } else {
            closed = models.close(observed, next: nil)
        }
        var example: GlobalExample?
        if buckets > 0 {
            let error = nextBucket - EnsembleLanes(repeating: y)
            // Lanes beyond the models stay zero: they carry nothing, and snapshots omit them.
            losses = (Self.lossDecay * losses + (1 - Self.lossDecay) * error * error) * Self.modelLanes
            if let before {
                let x = Self.features(
                    before,
                    closed.before,
                    bucketsSinceSale: bucketsSinceSale,
                    prices: (lastPrice, referencePrice, promotedShare)
                )
                example = GlobalExample(season: season, levels: x.levels, target: y / before.scale, scale: before.scale)
            }
        }
        bucketsSinceSale = y > 0 ? 1 : bucketsSinceSale + 1
        if y > 0, demand.revenue > 0 {
            let price = Float(demand.revenue / y)
            lastPrice = price
            referencePrice = referencePrice == 0 ? price : referencePrice + 0.1 * (price - referencePrice)
            promotedShare += 0.1 * (Float(min(1, max(0, demand.promotedQuantity / y))) - promotedShare)
        }
        buckets += 1
        // Linear in the one-hot weekday lanes: one dot product, then a lane per position.
        let now = HistoryFeatures(history)
        let x = Self.features(
            now,
            closed.after,
            bucketsSinceSale: bucketsSinceSale,
            prices: (lastPrice, referencePrice, promotedShare)
        )
        let scale = now.scale
        let base = (global.highHalf * x.levels).sum()
        for s in 0..<cycle { globalForecasts[s] = Float(max(0, scale * (base + global[s]))) }
        nextBucket = closed.nextBucket
        if open { nextBucket[Self.globalLane] = Double(globalForecasts[next]) }
        return example
    }

    /// The global model's forecast of the first open bucket from `nextSeason` on, in units,
    /// taken apart by feature: each is its coefficient times the SKU's feature times the
    /// SKU's scale, so they add up to that forecast before it is floored at zero. Empty
    /// when the cycle has no open bucket.
    /// - Parameters:
    ///   - coefficients: The global model the SKU's last close forecast with.
    public func globalContributions(
        coefficients c: DemandFeatures,
        nextSeason: Int,
        cycle: Int,
        closedSeasons: UInt8 = 0
    ) -> [NamedValue] {
        guard let h = (0..<cycle).first(where: { !Self.isClosed((nextSeason + $0) % cycle, closedSeasons) }) else {
            return []
        }
        let now = HistoryFeatures(history)
        let x = Self.features(
            now,
            models.signals,
            bucketsSinceSale: bucketsSinceSale,
            prices: (lastPrice, referencePrice, promotedShare)
        ).levels
        let l = c.highHalf * x * now.scale
        return [
            NamedValue("level", l[0] + l[1] + l[2] + l[3]),
            NamedValue("recency", l[4]),
            NamedValue("selling_days", l[5]),
            NamedValue("price", l[6]),
            NamedValue("promotion", l[7]),
            NamedValue("weekday", c[(nextSeason + h) % cycle] * now.scale),
        ]
    }

    /// The season-independent features of a SKU: its history's part, its models' signals,
    /// and its own recency and prices.
    static func features(
        _ history: HistoryFeatures,
        _ signals: ModelSignals,
        bucketsSinceSale: Double,
        prices: (last: Float, reference: Float, promotedShare: Float)
    ) -> SeasonlessFeatures {
        let scale = history.scale
        var x = SIMD8<Double>.zero
        x[0] = signals.intermittentRate / scale
        x[1] = history.recentMean / scale
        x[2] = signals.decayingRate / scale
        x[3] = max(0, signals.recentLevel) / scale
        x[4] = 1 / max(bucketsSinceSale, 1)
        x[5] = history.soldShare
        if prices.last > 0, prices.reference > 0 {
            x[6] = min(2, max(-2, log(Double(prices.last) / Double(prices.reference))))
        }
        x[7] = Double(prices.promotedShare)
        return SeasonlessFeatures(levels: x)
    }

    static func isClosed(_ season: Int, _ closedSeasons: UInt8) -> Bool { closedSeasons & (1 << UInt8(season)) != 0 }

    /// How much more an open day sells than the average day, for models that know no
    /// calendar: the days per cycle over the open days.
    static func openDayFactor(cycle: Int, closedSeasons: UInt8) -> Double {
        let open = cycle - closedSeasons.nonzeroBitCount
        return open > 0 ? Double(cycle) / Double(open) : 1
    }

    /// What the models read besides their own state, for forecasts from `nextSeason` on.
    func context(nextSeason: Int, cycle: Int, closedSeasons: UInt8) -> ForecastContext {
        ForecastContext(
            history: history,
            nextSeason: nextSeason,
            cycle: cycle,
            openDayFactor: Self.openDayFactor(cycle: cycle, closedSeasons: closedSeasons)
        )
    }

    /// One lane's forecast `h` buckets ahead: nothing on a day the shop is closed.
    public func forecast(lane: Int, step h: Int, nextSeason: Int, cycle: Int, closedSeasons: UInt8 = 0) -> Double {
        let position = (nextSeason + h - 1) % cycle
        guard !Self.isClosed(position, closedSeasons) else { return 0 }
        guard lane != Self.globalLane else { return Double(globalForecasts[position]) }
        return models.forecast(
            lane: lane,
            step: h,
            context(nextSeason: nextSeason, cycle: cycle, closedSeasons: closedSeasons)
        )
    }

    /// Each lane's own forecasts of steps 1…n (`[lane][step − 1]`): zero on closed days.
    public func laneForecasts(steps n: Int, nextSeason: Int, cycle: Int, closedSeasons: UInt8 = 0) -> [[Double]] {
        var out = [[Double]](repeating: [Double](repeating: 0, count: n), count: Self.modelCount)
        models.forecasts(steps: n, context(nextSeason: nextSeason, cycle: cycle, closedSeasons: closedSeasons)) {
            lane,
            values in
            out[lane] = Array(values)
        }
        for i in 0..<n {
            let position = (nextSeason + i) % cycle
            if Self.isClosed(position, closedSeasons) {
                for lane in out.indices { out[lane][i] = 0 }
            } else {
                out[Self.globalLane][i] = Double(globalForecasts[position])
            }
        }
        return out
    }

    /// What the models say of themselves (levels, weekday factor, demand probability).
    public func explanation(nextSeason: Int, cycle: Int, closedSeasons: UInt8 = 0) -> [NamedValue] {
        models.explain(context(nextSeason: nextSeason, cycle: cycle, closedSeasons: closedSeasons))
    }

    /// Empirical quantiles of the demand of recent open days, for the bucket `h` ahead;
    /// all zero on a closed day. Non-negative and non-crossing for increasing levels.
    public func quantiles(
        step h: Int,
        nextSeason: Int,
        cycle: Int,
        levels: [Double],
        closedSeasons: UInt8 = 0
    ) -> [Double] {
        guard !Self.isClosed((nextSeason + h - 1) % cycle, closedSeasons) else { return levels.map { _ in 0 } }
        return openDayQuantiles(nextSeason: nextSeason, cycle: cycle, levels: levels, closedSeasons: closedSeasons)
    }

    /// How strongly a step's quantiles follow the ensemble: each step's empirical quantiles
    /// are multiplied by (the step's ensemble mean / the mean open day of the history) to
    /// this power. Chosen on the validation period (92 days before retail-daily-v1's
    /// test period) from 0.25, 0.5, 1, 1.25, 1.5, 2 and 3 for the upper quantiles and none,
    /// 0.5, 1, 1.5 and 2 for the median, against the 28-day mean as the reference: 1.5 for
    /// both, the open-day mean, gave the lowest SPL90, MASE, wMASE and WAPE.
    static let quantileLevelExponent = 1.5

    /// The quantiles a forecast publishes for steps 1…n, `levels.count` per step, steps in
    /// order: the empirical quantiles of recent open days, each step's scaled by how its
    /// ensemble mean compares with the history's mean open day (see
    /// ``quantileLevelExponent``), so they widen and narrow with the weekday, the trend and
    /// the horizon the ensemble sees. One factor per step for every level: non-negative and
    /// non-crossing as the empirical ones are; zero on closed days.
    /// - Parameter means: The ensemble's means of steps 1…n.
    public func stepQuantiles(
        means: ArraySlice<Double>,
        nextSeason: Int,
        cycle: Int,
        levels: [Double],
        closedSeasons: UInt8 = 0
    ) -> [Double] {
        let open = openDayQuantiles(nextSeason: nextSeason, cycle: cycle, levels: levels, closedSeasons: closedSeasons)
        let openDay =
            history.mean(last: DemandHistory.capacity) * Self.openDayFactor(cycle: cycle, closedSeasons: closedSeasons)
        var out: [Double] = []
        out.reserveCapacity(means.count * levels.count)
        for (h, mean) in means.enumerated() {
            let closed = Self.isClosed((nextSeason + h) % cycle, closedSeasons)
            let factor = openDay > 0 ? pow(max(0, mean) / openDay, Self.quantileLevelExponent) : 1
            for q in open {
                let q = closed ? 0 : q
                out.append(openDay > 0 ? q * factor : q)
            }
        }
        return out
    }

    /// Empirical quantiles of the recent buckets that fell on open days.
    private func openDayQuantiles(nextSeason: Int, cycle: Int, levels: [Double], closedSeasons: UInt8) -> [Double] {
        guard closedSeasons != 0 else { return history.quantiles(last: DemandHistory.capacity, levels: levels) }
        return DemandHistory.quantiles(levels: levels) { body in
            // Newest first: the bucket `lag` back sits at position nextSeason − lag of the cycle.
            var season = ((nextSeason - 1) % cycle + cycle) % cycle
            history.forEach(last: history.count) { demand in
                if !Self.isClosed(season, closedSeasons) { body(demand) }
                season = season == 0 ? cycle - 1 : season - 1
            }
        }
    }

    /// Ensemble weights without a partition prior.
    public var weights: EnsembleLanes { weights(prior: EnsembleLanes(repeating: 1)) }

    /// Each model's error relative to the others for this SKU (scale-free: 1 is average),
    /// which a partition pools into its prior; nil before there is an error.
    var relativeLosses: EnsembleLanes? {
        guard buckets > 1 else { return nil }
        var total = 0.0
        for lane in 0..<Self.modelCount { total += losses[lane] }
        guard total > 0 else { return nil }
        return losses / (total / Double(Self.modelCount))
    }

    /// Ensemble weights, inversely proportional to the square of each model's recent
    /// mean squared error (sharper than plain inverse error, which hardly tells the
    /// models apart on intermittent demand), times the partition's prior (how each model
    /// does across all its SKUs); the prior alone until there is an error to judge by.
    public func weights(prior: EnsembleLanes) -> EnsembleLanes {
        var w = EnsembleLanes.zero
        guard buckets > 1 else {
            var total = 0.0
            for lane in 0..<Self.modelCount { total += prior[lane] }
            for lane in 0..<Self.modelCount { w[lane] = prior[lane] / total }
            return w
        }
        // The floor keeps a model that was perfect on a run of zeros from taking all weight.
        let floor = max(losses.max() * 1e-3, 1e-9)
        var total = 0.0
        for lane in 0..<Self.modelCount {
            let inverse = 1 / max(losses[lane], floor)
            w[lane] = inverse * inverse * prior[lane]
            total += w[lane]
        }
        return w / total
    }

    /// The ensemble's forecast of the next bucket as made at the last close (its models'
    /// one-step forecasts, weighted as now).
    func nextBucketMean(prior: EnsembleLanes) -> Double {
        max(0, (weights(prior: prior) * nextBucket).sum())
    }

    /// The ensemble's mean forecasts for steps 1…n, with the weights worked out once:
    /// each equals ``mean(step:nextSeason:cycle:closedSeasons:prior:)`` bit for bit (each
    /// step sums its lanes in the same order).
    public func means(
        steps n: Int,
        nextSeason: Int,
        cycle: Int,
        closedSeasons: UInt8 = 0,
        prior: EnsembleLanes = EnsembleLanes(repeating: 1)
    ) -> [Double] {
        guard n > 0 else { return [] }
        let w = weights(prior: prior)
        var out = [Double](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { out in
            models.forecasts(steps: n, context(nextSeason: nextSeason, cycle: cycle, closedSeasons: closedSeasons)) {
                lane,
                values in
                let weight = w[lane]
                for i in 0..<n { out[i] += weight * values[i] }
            }
            for i in 0..<n {
                let position = (nextSeason + i) % cycle
                out[i] =
                    Self.isClosed(position, closedSeasons)
                    ? 0 : max(0, out[i] + w[Self.globalLane] * Double(globalForecasts[position]))
            }
        }
        return out
    }

    /// The ensemble's mean forecast `h` buckets ahead.
    public func mean(
        step h: Int,
        nextSeason: Int,
        cycle: Int,
        closedSeasons: UInt8 = 0,
        prior: EnsembleLanes = EnsembleLanes(repeating: 1)
    ) -> Double {
        let w = weights(prior: prior)
        var f = 0.0
        for lane in 0..<Self.modelCount {
            f +=
                w[lane]
                * forecast(lane: lane, step: h, nextSeason: nextSeason, cycle: cycle, closedSeasons: closedSeasons)
        }
        return max(0, f)
    }
}

/// A closed bucket's demand, with what the global model reads of it.
public struct BucketDemand: Sendable, Hashable {
    /// Units sold.
    public var quantity: Double
    /// Units × unit price: the bucket's mean price is revenue over quantity.
    public var revenue: Double
    /// Units sold on promotion.
    public var promotedQuantity: Double

    public init(quantity: Double = 0, revenue: Double = 0, promotedQuantity: Double = 0) {
        self.quantity = quantity
        self.revenue = revenue
        self.promotedQuantity = promotedQuantity
    }
}

/// What the global model's features read of a SKU's history.
struct HistoryFeatures {
    /// The mean demand over the last 28 buckets, at least one unit in 28.
    let scale: Double
    /// The mean of the last 7 buckets.
    let recentMean: Double
    /// The share of buckets with a sale.
    let soldShare: Double

    @inline(__always)
    init(_ history: DemandHistory) {
        let (a, b) = history.values
        // Slots not yet written hold zeros, so whole-vector sums cover exactly the history.
        let total = Double((a + b).sum())
        let n = max(history.count, 1)
        scale = max(total / Double(n), 1 / Double(DemandHistory.capacity))
        let ones = SIMD16<Float>(repeating: 1)
        let sold = Double(
            (SIMD16<Float>.zero.replacing(with: ones, where: a .> 0)
                + SIMD16<Float>.zero.replacing(with: ones, where: b .> 0)).sum()
        )
        recentMean = history.mean(last: 7)
        soldShare = sold / Double(n)
    }
}

/// A SKU's global-model features without the target bucket's position: lanes 8–15 of
/// ``DemandFeatures``.
struct SeasonlessFeatures {
    let levels: SIMD8<Double>
}
