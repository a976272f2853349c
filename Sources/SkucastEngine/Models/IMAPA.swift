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
    static let alpha: Float = 0.05

    /// Per block length k (lane k − 1): the total of the block under way, and the smoothed
    /// total of finished blocks (negative before the first). Blocks start at the SKU's
    /// first bucket, so `buckets` says which have just finished. Floats, as the history's
    /// buckets are: a million SKUs hold these.
    var partial = SIMD8<Float>.zero
    var smoothed = SIMD8<Float>(repeating: -1)
    /// Buckets seen, and buckets with demand: their ratio is the mean interval.
    var buckets = 0.0
    var demands = 0.0

    public init() {}

    static let blockLengths: SIMD8<Float> = SIMD8(1, 2, 3, 4, 5, 6, 7, 8)
    /// Lanes of the block lengths in use.
    static let used: SIMD8<Float> = SIMD8(1, 1, 1, 1, 1, 1, 1, 0)

    public mutating func learn(_ bucket: ObservedBucket) {
        let y = bucket.demand
        partial += Float(y) * Self.used
        buckets += 1
        if y > 0 { demands += 1 }
        // Which blocks end here, from a table over the cycle of all block lengths (420
        // buckets): seven divisions per SKU and bucket were a tenth of a bucket's close.
        let done = Self.finishing[Int(buckets) % Self.finishing.count]
        let updated = partial.replacing(with: smoothed + Self.alpha * (partial - smoothed), where: smoothed .>= 0)
        smoothed.replace(with: updated, where: done)
        partial.replace(with: 0, where: done)
    }

    /// For each position in the cycle of 420 buckets (the least common multiple of 1…7),
    /// the block lengths that end there.
    static let finishing: [SIMDMask<SIMD8<Float>.MaskStorage>] = (0..<420).map { seen in
        SIMD8<Float>.zero .== SIMD8(blockLengths.indices.map { k in k < maxBlock && seen % (k + 1) == 0 ? 0 : 1 })
    }

    /// Block lengths up to the mean interval between demands (1 to 7).
    var longestBlock: Int {
        guard demands > 0 else { return 1 }
        return min(Self.maxBlock, max(1, Int((buckets / demands).rounded())))
    }

    public func forecast(step h: Int, _ context: ForecastContext) -> Double {
        var total = 0.0
        var n = 0.0
        for k in 0..<longestBlock where smoothed[k] >= 0 {
            total += Double(smoothed[k] / Self.blockLengths[k])
            n += 1
        }
        return n > 0 ? total / n * context.openDayFactor : 0
    }

    public func write(to w: inout ByteWriter) {
        w.vector(partial)
        w.vector(smoothed)
        w.double(buckets)
        w.double(demands)
    }

    public init(from r: inout ByteReader) throws(SnapshotError) {
        partial = try r.vector()
        smoothed = try r.vector()
        buckets = try r.double()
        demands = try r.double()
    }
}
