/// The online models of a SKU. Each updates in O(1) with the demand of one closed bucket
/// and forecasts any horizon step from its state alone: no refits, no stored history
/// beyond ``DemandHistory``.

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
        var damp = 0.0, p = 1.0
        for _ in 0..<h {
            p *= phi
            damp += p
        }
        return max(0, level + damp * trend + season[(s + h - 1) % cycle])
    }
}

/// Croston's method with the Syntetos–Boylan correction (SBA): smooths the size of
/// non-zero demands and the interval between them.
public struct CrostonSBA: Sendable, Hashable {
    public let alpha: Double
    public internal(set) var size = 0.0
    public internal(set) var interval = 0.0
    var sinceLast = 1.0

    public init(alpha: Double) { self.alpha = alpha }

    public mutating func update(_ y: Double) {
        if y > 0 {
            if interval == 0 {
                size = y
                interval = sinceLast
            } else {
                size += alpha * (y - size)
                interval += alpha * (sinceLast - interval)
            }
            sinceLast = 1
        } else {
            sinceLast += 1
        }
    }

    /// Demand per bucket, the same for every step.
    public var forecast: Double {
        interval > 0 ? (1 - alpha / 2) * size / interval : 0
    }
}

/// Teunter–Syntetos–Babai: smooths the probability of demand every bucket (so it decays
/// while nothing sells, unlike Croston) and the size of non-zero demands.
public struct TSB: Sendable, Hashable {
    public let alpha: Double, beta: Double
    /// Probability that a bucket has demand.
    public internal(set) var probability = 0.0
    public internal(set) var size = 0.0
    var started = false

    public init(alpha: Double, beta: Double) {
        self.alpha = alpha
        self.beta = beta
    }

    public mutating func update(_ y: Double) {
        if !started {
            started = true
            probability = y > 0 ? 1 : 0
            size = y
            return
        }
        probability += beta * ((y > 0 ? 1 : 0) - probability)
        if y > 0 { size += alpha * (y - size) }
    }

    public var forecast: Double { probability * size }
}
