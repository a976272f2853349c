#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything skucast knows about one SKU's demand: its recent history, its models and
/// how well each has done lately. A value: copying it snapshots it. Fixed size.
public struct SKUForecaster: Sendable, Hashable {
    /// The models, in the order of ``weights`` and ``losses``.
    public enum Model: Int, CaseIterable, Sendable {
        case seasonalNaive, movingAverage, holtWintersSlow, holtWintersFast, croston, tsb
        /// The partition's ``GlobalDemandModel`` applied to this SKU.
        case global

        public var name: String {
            switch self {
            case .seasonalNaive: "seasonal_naive"
            case .movingAverage: "moving_average_28"
            case .holtWintersSlow: "holt_winters_slow"
            case .holtWintersFast: "holt_winters_fast"
            case .croston: "croston_sba"
            case .tsb: "tsb"
            case .global: "global_regression"
            }
        }
    }

    /// 1 in the lanes of the models, 0 beyond.
    static let modelLanes: SIMD8<Double> = {
        var m = SIMD8<Double>.zero
        for model in Model.allCases { m[model.rawValue] = 1 }
        return m
    }()

    /// How fast the ensemble forgets old errors: a weight of 0.97 per bucket is a
    /// half-life of about 23 buckets. Chosen on the validation period (the 92 days before
    /// retail-daily-v1's test period) from 0.97, 0.99 and 0.995 with weight powers 1–3;
    /// the differences were below 0.2 %.
    static let lossDecay = 0.97

    public internal(set) var history = DemandHistory()
    public internal(set) var holtWintersSlow = DampedHoltWinters(alpha: 0.05, beta: 0.01, gamma: 0.05, phi: 0.9)
    public internal(set) var holtWintersFast = DampedHoltWinters(alpha: 0.2, beta: 0.02, gamma: 0.1, phi: 0.8)
    public internal(set) var croston = CrostonSBA(alpha: 0.1)
    public internal(set) var tsb = TSB(alpha: 0.1, beta: 0.05)
    /// The global model's forecast for each position of the cycle, made at the last close
    /// with the partition's coefficients of that time.
    var globalForecasts = SIMD8<Float>.zero
    /// Mean unit price of the last bucket with sales, and its smoothed history: the
    /// global model's price-change feature.
    public internal(set) var lastPrice: Float = 0
    public internal(set) var referencePrice: Float = 0
    /// Smoothed share of units sold on promotion.
    public internal(set) var promotedShare: Float = 0
    /// Discounted squared one-step error per model.
    public internal(set) var losses = SIMD8<Double>.zero
    /// Each model's forecast for the next bucket, made at the last close.
    var nextBucket = SIMD8<Double>.zero
    /// Buckets folded in since the first sale.
    public internal(set) var buckets = 0

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
    public mutating func close(_ demand: BucketDemand, season: Int, cycle: Int, closedSeasons: UInt8, global: DemandFeatures) -> GlobalExample? {
        let y = demand.quantity
        var example: GlobalExample?
        if buckets > 0 {
            let error = nextBucket - SIMD8(repeating: y)
            // Lanes beyond the models stay zero: they carry nothing, and snapshots omit them.
            losses = (Self.lossDecay * losses + (1 - Self.lossDecay) * error * error) * Self.modelLanes
            if !Self.isClosed(season, closedSeasons) {
                let (x, scale) = features(cycle: cycle)
                example = GlobalExample(season: season, levels: x.levels, target: y / scale, scale: scale)
            }
        }
        history.append(y)
        holtWintersSlow.update(y, season: season)
        holtWintersFast.update(y, season: season)
        croston.update(y)
        tsb.update(y)
        if y > 0, demand.revenue > 0 {
            let price = Float(demand.revenue / y)
            lastPrice = price
            referencePrice = referencePrice == 0 ? price : referencePrice + 0.1 * (price - referencePrice)
            promotedShare += 0.1 * (Float(min(1, max(0, demand.promotedQuantity / y))) - promotedShare)
        }
        buckets += 1
        // Linear in the one-hot weekday lanes: one dot product, then a lane per position.
        let (x, scale) = features(cycle: cycle)
        let base = (global.highHalf * x.levels).sum()
        for s in 0..<cycle { globalForecasts[s] = Float(max(0, scale * (base + global[s]))) }
        let next = (season + 1) % cycle
        for m in Model.allCases { nextBucket[m.rawValue] = forecast(m, step: 1, nextSeason: next, cycle: cycle, closedSeasons: closedSeasons) }
        return example
    }

    /// The season-independent features as of now, and the SKU's scale (its mean demand
    /// over the last 28 buckets, at least one unit in 28).
    func features(cycle: Int) -> (SeasonlessFeatures, scale: Double) {
        let (a, b) = history.values
        // Slots not yet written hold zeros, so whole-vector sums cover exactly the history.
        let total = Double((a + b).sum())
        let n = max(history.count, 1)
        let scale = max(total / Double(n), 1 / Double(DemandHistory.capacity))
        let ones = SIMD16<Float>(repeating: 1)
        let sold = Double((SIMD16<Float>.zero.replacing(with: ones, where: a .> 0) + SIMD16<Float>.zero.replacing(with: ones, where: b .> 0)).sum())
        var x = SIMD8<Double>.zero
        x[0] = croston.forecast / scale
        x[1] = history.mean(last: 7) / scale
        x[2] = tsb.forecast / scale
        x[3] = max(0, holtWintersFast.level) / scale
        x[4] = 1 / max(croston.sinceLast, 1)
        x[5] = sold / Double(n)
        if lastPrice > 0, referencePrice > 0 { x[6] = min(2, max(-2, log(Double(lastPrice) / Double(referencePrice)))) }
        x[7] = Double(promotedShare)
        return (SeasonlessFeatures(levels: x), scale)
    }

    static func isClosed(_ season: Int, _ closedSeasons: UInt8) -> Bool { closedSeasons & (1 << UInt8(season)) != 0 }

    /// How much more an open day sells than the average day, for models that know no
    /// calendar: the days per cycle over the open days.
    static func openDayFactor(cycle: Int, closedSeasons: UInt8) -> Double {
        let open = cycle - closedSeasons.nonzeroBitCount
        return open > 0 ? Double(cycle) / Double(open) : 1
    }

    /// One model's forecast `h` buckets ahead: nothing on a day the shop is closed.
    public func forecast(_ model: Model, step h: Int, nextSeason: Int, cycle: Int, closedSeasons: UInt8 = 0) -> Double {
        guard !Self.isClosed((nextSeason + h - 1) % cycle, closedSeasons) else { return 0 }
        let open = Self.openDayFactor(cycle: cycle, closedSeasons: closedSeasons)
        switch model {
        case .seasonalNaive:
            // y[t + h − k·cycle] for the smallest k that reaches into the past.
            let lag = cycle * ((h + cycle - 1) / cycle) - h + 1
            return lag <= history.count ? history.value(lag: lag) : history.mean(last: DemandHistory.capacity)
        case .movingAverage: return history.mean(last: DemandHistory.capacity) * open
        case .holtWintersSlow: return holtWintersSlow.forecast(step: h, season: nextSeason, cycle: cycle)
        case .holtWintersFast: return holtWintersFast.forecast(step: h, season: nextSeason, cycle: cycle)
        case .croston: return croston.forecast * open
        case .tsb: return tsb.forecast * open
        case .global: return Double(globalForecasts[(nextSeason + h - 1) % cycle])
        }
    }

    /// Empirical quantiles of the demand of recent open days, for the bucket `h` ahead;
    /// all zero on a closed day. Non-negative and non-crossing for increasing levels.
    public func quantiles(step h: Int, nextSeason: Int, cycle: Int, levels: [Double], closedSeasons: UInt8 = 0) -> [Double] {
        guard !Self.isClosed((nextSeason + h - 1) % cycle, closedSeasons) else { return levels.map { _ in 0 } }
        return openDayQuantiles(nextSeason: nextSeason, cycle: cycle, levels: levels, closedSeasons: closedSeasons)
    }

    /// ``quantiles(step:nextSeason:cycle:levels:closedSeasons:)`` for steps 1…horizon, with
    /// the history sorted once: every open step shares the same quantiles.
    public func quantiles(horizon: Int, nextSeason: Int, cycle: Int, levels: [Double], closedSeasons: UInt8 = 0) -> [[Double]] {
        let open = openDayQuantiles(nextSeason: nextSeason, cycle: cycle, levels: levels, closedSeasons: closedSeasons)
        let closed = levels.map { _ in 0.0 }
        return (1...horizon).map { h in Self.isClosed((nextSeason + h - 1) % cycle, closedSeasons) ? closed : open }
    }

    /// Empirical quantiles of the recent buckets that fell on open days.
    private func openDayQuantiles(nextSeason: Int, cycle: Int, levels: [Double], closedSeasons: UInt8) -> [Double] {
        guard closedSeasons != 0 else { return history.quantiles(last: DemandHistory.capacity, levels: levels) }
        var xs: [Double] = []
        xs.reserveCapacity(history.count)
        for lag in stride(from: 1, through: history.count, by: 1) {
            // The bucket `lag` back sits at position nextSeason − lag of the cycle.
            let season = ((nextSeason - lag) % cycle + cycle) % cycle
            if !Self.isClosed(season, closedSeasons) { xs.append(history.value(lag: lag)) }
        }
        return DemandHistory.quantiles(of: &xs, levels: levels)
    }

    /// Ensemble weights without a partition prior.
    public var weights: SIMD8<Double> { weights(prior: SIMD8(repeating: 1)) }

    /// Each model's error relative to the others for this SKU (scale-free: 1 is average),
    /// which a partition pools into its prior; nil before there is an error.
    var relativeLosses: SIMD8<Double>? {
        guard buckets > 1 else { return nil }
        var total = 0.0
        for m in Model.allCases { total += losses[m.rawValue] }
        guard total > 0 else { return nil }
        return losses / (total / Double(Model.allCases.count))
    }

    /// Ensemble weights, inversely proportional to the square of each model's recent
    /// mean squared error (sharper than plain inverse error, which hardly tells the
    /// models apart on intermittent demand), times the partition's prior (how each model
    /// does across all its SKUs); the prior alone until there is an error to judge by.
    public func weights(prior: SIMD8<Double>) -> SIMD8<Double> {
        var w = SIMD8<Double>.zero
        guard buckets > 1 else {
            var total = 0.0
            for m in Model.allCases { total += prior[m.rawValue] }
            for m in Model.allCases { w[m.rawValue] = prior[m.rawValue] / total }
            return w
        }
        // The floor keeps a model that was perfect on a run of zeros from taking all weight.
        let floor = max(losses.max() * 1e-3, 1e-9)
        var total = 0.0
        for m in Model.allCases {
            let inverse = 1 / max(losses[m.rawValue], floor)
            w[m.rawValue] = inverse * inverse * prior[m.rawValue]
            total += w[m.rawValue]
        }
        return w / total
    }

    /// The ensemble's forecast of the next bucket as made at the last close (its models'
    /// one-step forecasts, weighted as now).
    func nextBucketMean(prior: SIMD8<Double>) -> Double {
        max(0, (weights(prior: prior) * nextBucket).sum())
    }

    /// The ensemble's mean forecasts for steps 1…n, with the weights worked out once:
    /// each equals ``mean(step:nextSeason:cycle:closedSeasons:prior:)`` bit for bit.
    public func means(steps n: Int, nextSeason: Int, cycle: Int, closedSeasons: UInt8 = 0, prior: SIMD8<Double> = SIMD8(repeating: 1)) -> [Double] {
        guard n > 0 else { return [] }
        let w = weights(prior: prior)
        let open = Self.openDayFactor(cycle: cycle, closedSeasons: closedSeasons)
        // What ``forecast(_:step:nextSeason:cycle:closedSeasons:)`` recomputes per step,
        // once: the level-only models, and the Holt-Winters damping sums step by step
        // (the same products in the same order, so every value is bit-identical).
        let fallback = history.mean(last: DemandHistory.capacity)
        let levels = (fallback * open, croston.forecast * open, tsb.forecast * open)
        let (slow, fast) = (holtWintersSlow, holtWintersFast)
        var (dampSlow, pSlow, dampFast, pFast) = (0.0, 1.0, 0.0, 1.0)
        var out = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let h = i + 1
            pSlow *= slow.phi
            dampSlow += pSlow
            pFast *= fast.phi
            dampFast += pFast
            let position = (nextSeason + h - 1) % cycle
            guard !Self.isClosed(position, closedSeasons) else { continue }
            let lag = cycle * ((h + cycle - 1) / cycle) - h + 1
            var f = 0.0
            f += w[Model.seasonalNaive.rawValue] * (lag <= history.count ? history.value(lag: lag) : fallback)
            f += w[Model.movingAverage.rawValue] * levels.0
            f += w[Model.holtWintersSlow.rawValue] * max(0, slow.level + dampSlow * slow.trend + slow.season[position])
            f += w[Model.holtWintersFast.rawValue] * max(0, fast.level + dampFast * fast.trend + fast.season[position])
            f += w[Model.croston.rawValue] * levels.1
            f += w[Model.tsb.rawValue] * levels.2
            f += w[Model.global.rawValue] * Double(globalForecasts[position])
            out[i] = max(0, f)
        }
        return out
    }

    /// The ensemble's mean forecast `h` buckets ahead.
    public func mean(step h: Int, nextSeason: Int, cycle: Int, closedSeasons: UInt8 = 0, prior: SIMD8<Double> = SIMD8(repeating: 1)) -> Double {
        let w = weights(prior: prior)
        var f = 0.0
        for m in Model.allCases { f += w[m.rawValue] * forecast(m, step: h, nextSeason: nextSeason, cycle: cycle, closedSeasons: closedSeasons) }
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

/// A SKU's global-model features without the target bucket's position: lanes 8–15 of
/// ``DemandFeatures``.
struct SeasonlessFeatures {
    let levels: SIMD8<Double>
}
