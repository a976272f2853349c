import SkucastEvents

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

extension TSB: DemandModel {
    public static let name = "tsb"
    public static let stateVersion = 1
    public static let forecastIsFlat = true

    public init() { self.init(alpha: 0.1, beta: 0.05) }

    public mutating func learn(_ bucket: ObservedBucket) { update(bucket.demand) }

    public func forecast(step h: Int, _ context: ForecastContext) -> Double { forecast * context.openDayFactor }

    public func explain(_ context: ForecastContext, into components: inout [NamedValue]) {
        components.append(NamedValue("demand_probability", min(1, max(0, probability))))
    }

    public func signal(into signals: inout ModelSignals) { signals.decayingRate = forecast }

    public func write(to w: inout ByteWriter) {
        w.double(probability)
        w.double(size)
        w.bool(started)
    }

    public init(from r: inout ByteReader) throws(SnapshotError) {
        self.init()
        probability = try r.double()
        size = try r.double()
        started = try r.bool()
    }
}
