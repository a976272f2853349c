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

extension CrostonSBA: DemandModel {
    public static let name = "croston_sba"
    public static let stateVersion = 1
    public static let forecastIsFlat = true

    public init() { self.init(alpha: 0.1) }

    public mutating func learn(_ bucket: ObservedBucket) { update(bucket.demand) }

    public func forecast(step h: Int, _ context: ForecastContext) -> Double { forecast * context.openDayFactor }

    public func signal(into signals: inout ModelSignals) { signals.intermittentRate = forecast }

    public func write(to w: inout ByteWriter) {
        w.double(size)
        w.double(interval)
        w.double(sinceLast)
    }

    public init(from r: inout ByteReader) throws(SnapshotError) {
        self.init()
        size = try r.double()
        interval = try r.double()
        sinceLast = try r.double()
    }
}
