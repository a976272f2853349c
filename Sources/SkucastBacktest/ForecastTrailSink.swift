import SkucastEngine
import SkucastEvents
import SkucastPipeline

/// A SKU's one-step-ahead forecasts beside the demand that came, bucket by bucket.
public struct ForecastTrail: Sendable {
    public let sku: String
    /// The bucket the first values are of; one value per bucket from it.
    public let firstBucket: Int64
    /// Demand of each bucket, as the engine counted it (net, every unit).
    public let actual: [Double]
    /// The forecast of each bucket published at the close before it (NaN: none published).
    public let mean: [Double]
    public let p50: [Double]
    public let p90: [Double]
}

/// The ensemble's mean weight of each model per bucket, over the SKUs forecast at its close.
public struct WeightTrail: Sendable {
    public let models: [String]
    /// Closed buckets, ascending, and per bucket one weight per model.
    public let buckets: [Int64]
    public let weights: [[Double]]
}

/// Keeps what a report draws of the published forecasts from `from` on: each SKU's
/// one-step-ahead forecasts against its demand, and the ensemble's weights over time.
public struct ForecastTrailSink: OutputSink {
    struct Trail {
        var first: Int64
        var actual: [Float] = []
        var mean: [Float] = []
        var p50: [Float] = []
        var p90: [Float] = []
    }

    let from: Int64
    let p50Name = ForecastMessage.quantileName(0.5)
    let p90Name = ForecastMessage.quantileName(0.9)
    var trails: [Trail] = []
    var index: [String: Int] = [:]
    var names: [String] = []
    var weightSums: [Int64: (count: Int, sums: [Double])] = [:]
    var models: [String] = []

    /// - Parameter from: The first closed bucket whose forecasts are kept.
    public init(from: Int64) { self.from = from }

    public mutating func forecast(_ forecast: EmittedForecast) throws {
        guard forecast.isPublished, forecast.bucket >= from else { return }
        let b = forecast.bucket
        let m = forecast.message
        if models.isEmpty { models = m.weights.map(\.name) }
        var entry = weightSums[b] ?? (0, [Double](repeating: 0, count: models.count))
        entry.count += 1
        for (k, w) in m.weights.enumerated() where k < entry.sums.count { entry.sums[k] += w.value }
        weightSums[b] = entry
        let i: Int
        if let known = index[forecast.sku] {
            i = known
        } else {
            i = trails.count
            index[forecast.sku] = i
            names.append(forecast.sku)
            trails.append(Trail(first: b + 1))
        }
        // Bucket b's demand is known at its close, and the forecast made there is of b + 1.
        // Buckets skipped had no demand and no forecast.
        let k = Int(b - trails[i].first)
        if k >= 0 {
            while trails[i].actual.count < k { trails[i].actual.append(0) }
            trails[i].actual.append(Float(forecast.demand))
        }
        while trails[i].mean.count < k + 1 {
            trails[i].mean.append(.nan)
            trails[i].p50.append(.nan)
            trails[i].p90.append(.nan)
        }
        let step = m.horizon[0]
        trails[i].mean.append(Float(step.mean))
        trails[i].p50.append(Float(step.quantiles.first { $0.name == p50Name }?.value ?? .nan))
        trails[i].p90.append(Float(step.quantiles.first { $0.name == p90Name }?.value ?? .nan))
    }

    /// Published forecasts of the period, structured: their bytes are not read.
    public var forecastInterest: ForecastInterest {
        ForecastInterest(values: false, publishedFrom: from == .min ? nil : from)
    }

    public mutating func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws {}

    public mutating func deadLetter(_ message: InputMessage, rejection: Rejection) throws {}

    /// The trails of these SKUs (those forecast at all), then of the top sellers by demand
    /// over the kept buckets, up to `top` of them.
    public func trails(of skus: [String], top: Int) -> [ForecastTrail] {
        func trail(_ i: Int) -> ForecastTrail {
            let t = trails[i]
            // Forecasts run one bucket ahead of the demand known.
            let n = t.actual.count
            return ForecastTrail(
                sku: names[i],
                firstBucket: t.first,
                actual: t.actual.map(Double.init),
                mean: t.mean.prefix(n).map(Double.init),
                p50: t.p50.prefix(n).map(Double.init),
                p90: t.p90.prefix(n).map(Double.init)
            )
        }
        let asked = skus.compactMap { index[$0] }
        let total = trails.map { $0.actual.reduce(0, +) }
        let ranked = trails.indices.sorted { (total[$0], names[$1]) > (total[$1], names[$0]) }
        return (asked + ranked.filter { !asked.contains($0) }.prefix(top)).map(trail)
    }

    /// The mean weights per closed bucket.
    public var weights: WeightTrail {
        let buckets = weightSums.keys.sorted()
        return WeightTrail(
            models: models,
            buckets: buckets,
            weights: buckets.map { b in
                let e = weightSums[b]!
                return e.sums.map { $0 / Double(e.count) }
            }
        )
    }
}
