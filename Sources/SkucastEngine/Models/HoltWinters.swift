import SkucastEvents

/// Damped Holt-Winters with additive seasonality (one season of ``BucketSize/seasonLength``
/// up to 7 buckets: the weekday pattern of day buckets).
public struct DampedHoltWinters: Sendable, Hashable {
    public let alpha: Double, beta: Double, gamma: Double, phi: Double
    public internal(set) var level = 0.0
    public internal(set) var trend = 0.0
    /// Seasonal offsets by position in the cycle.
    public internal(set) var season = SIMD8<Double>.zero
    var started = false

    public init(alpha: Double, beta: Double, gamma: Double, phi: Double) {
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.phi = phi
    }

    /// Folds in the demand `y` of a bucket at position `s` of the seasonal cycle.
    public mutating func update(_ y: Double, season s: Int) {
        guard started else {
            level = y
            started = true
            return
        }
        let previous = level
        level = alpha * (y - season[s]) + (1 - alpha) * (level + phi * trend)
        trend = beta * (level - previous) + (1 - beta) * phi * trend
        season[s] = gamma * (y - level) + (1 - gamma) * season[s]
    }

    /// The forecast `h` buckets ahead, where the next bucket sits at position `s` of the cycle.
    public func forecast(step h: Int, season s: Int, cycle: Int) -> Double {
        var damp = 0.0
        var p = 1.0
        for _ in 0..<h {
            p *= phi
            damp += p
        }
        return max(0, level + damp * trend + season[(s + h - 1) % cycle])
    }

    /// Steps 1…`values.count` with the damping summed as it goes: each value equals
    /// ``forecast(step:season:cycle:)``'s bit for bit (the same products in the same order).
    public func forecasts(season s: Int, cycle: Int, into values: UnsafeMutableBufferPointer<Double>) {
        var damp = 0.0
        var p = 1.0
        for i in values.indices {
            p *= phi
            damp += p
            values[i] = max(0, level + damp * trend + season[(s + i) % cycle])
        }
    }
}

/// A registered model that is a ``DampedHoltWinters`` with constants of its own: it only
/// names itself and says what it explains or signals.
public protocol HoltWintersModel: DemandModel {
    var state: DampedHoltWinters { get set }
}

extension HoltWintersModel {
    public static var stateVersion: Int { 1 }

    public mutating func learn(_ bucket: ObservedBucket) { state.update(bucket.demand, season: bucket.season) }

    public func forecast(step h: Int, _ context: ForecastContext) -> Double {
        state.forecast(step: h, season: context.nextSeason, cycle: context.cycle)
    }

    public func forecasts(_ context: ForecastContext, into values: UnsafeMutableBufferPointer<Double>) {
        state.forecasts(season: context.nextSeason, cycle: context.cycle, into: values)
    }

    public func write(to w: inout ByteWriter) { state.write(to: &w) }

    public init(from r: inout ByteReader) throws(SnapshotError) {
        self.init()
        try state.read(from: &r)
    }
}

/// Holt-Winters that adapts slowly: the SKU's long-run level, trend and weekday pattern,
/// which published forecasts explain themselves by.
public struct HoltWintersSlow: HoltWintersModel {
    public static let name = "holt_winters_slow"
    public var state = DampedHoltWinters(alpha: 0.05, beta: 0.01, gamma: 0.05, phi: 0.9)

    public init() {}

    public func explain(_ context: ForecastContext, into components: inout [NamedValue]) {
        let seasonal = state.level > 0 ? max(0, (state.level + state.season[context.nextSeason]) / state.level) : 1
        components.append(NamedValue("level", state.level))
        components.append(NamedValue("trend", state.trend))
        components.append(NamedValue("weekday_factor", seasonal))
    }
}

/// Holt-Winters that follows recent change: the quick level the global model reads.
public struct HoltWintersFast: HoltWintersModel {
    public static let name = "holt_winters_fast"
    public var state = DampedHoltWinters(alpha: 0.2, beta: 0.02, gamma: 0.1, phi: 0.8)

    public init() {}

    public func signal(into signals: inout ModelSignals) { signals.recentLevel = state.level }
}
