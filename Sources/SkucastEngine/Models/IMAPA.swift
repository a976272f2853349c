/// IMAPA, the intermittent multiple aggregation prediction algorithm (Petropoulos and
/// Kourentzes, 2015), online: the series is summed into blocks of 1 to 7 buckets, each
/// block length's totals are smoothed exponentially, and the forecast per bucket is the
/// mean of the smoothed totals over their block lengths, for block lengths up to the
/// SKU's mean interval between demands. Long blocks see the level of a SKU that sells
/// once a week, where one-bucket models see mostly zeros.
///
/// statsforecast fits each level's smoothing constant per series; online, one constant
/// serves every level: 0.05, chosen on the validation period (the 92 days before
/// retail-daily-v1's test period) from 0.05, 0.1 and 0.2 by the ensemble's wRMSSE.
public struct IMAPA: DemandModel {
    public static let name = "imapa"
    public static let stateVersion = 1
    public static let forecastIsFlat = true
    /// The longest block, in buckets.
    static let maxBlock = 7
    static let alpha = 0.05

    /// Per block length k (lane k − 1): the total of the block under way, and the smoothed
    /// total of finished blocks (negative before the first). Blocks start at the SKU's
    /// first bucket, so `buckets` says which have just finished.
    var partial = SIMD8<Double>.zero
    var smoothed = SIMD8<Double>(repeating: -1)
    /// Buckets seen, and buckets with demand: their ratio is the mean interval.
    var buckets = 0.0
    var demands = 0.0

    public init() {}

    static let blockLengths: SIMD8<Double> = SIMD8(1, 2, 3, 4, 5, 6, 7, 8)
    /// Lanes of the block lengths in use.
    static let used: SIMD8<Double> = SIMD8(1, 1, 1, 1, 1, 1, 1, 0)

    public mutating func learn(_ bucket: ObservedBucket) {
        let y = bucket.demand
        partial += y * Self.used
        buckets += 1
        if y > 0 { demands += 1 }
        let seen = Int(buckets)
        for k in 0..<Self.maxBlock where seen % (k + 1) == 0 {
            smoothed[k] = smoothed[k] < 0 ? partial[k] : smoothed[k] + Self.alpha * (partial[k] - smoothed[k])
            partial[k] = 0
        }
    }

    /// Block lengths up to the mean interval between demands (1 to 7).
    var longestBlock: Int {
        guard demands > 0 else { return 1 }
        return min(Self.maxBlock, max(1, Int((buckets / demands).rounded())))
    }

    public func forecast(step h: Int, _ context: ForecastContext) -> Double {
        var total = 0.0, n = 0.0
        for k in 0..<longestBlock where smoothed[k] >= 0 {
            total += smoothed[k] / Self.blockLengths[k]
            n += 1
        }
        return n > 0 ? total / n * context.openDayFactor : 0
    }


    public func write(to w: inout ByteWriter) {
        w.doubles(partial)
        w.doubles(smoothed)
        w.double(buckets)
        w.double(demands)
    }

    public init(from r: inout ByteReader) throws(SnapshotError) {
        partial = try r.doubles()
        smoothed = try r.doubles()
        buckets = try r.double()
        demands = try r.double()
    }
}
