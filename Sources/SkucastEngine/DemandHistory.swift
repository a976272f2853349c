/// The demand of a SKU's last 28 closed buckets, newest last: what the seasonal-naive
/// model, the rolling aggregates and the empirical quantiles read. Fixed size, no allocation.
public struct DemandHistory: Sendable, Hashable {
    /// Part of the snapshot format, which writes exactly 28 (16 + 12 lanes of `values`).
    public static let capacity = 28
    var values: (SIMD16<Float>, SIMD16<Float>) = (.zero, .zero)
    var head = 0
    /// Buckets recorded, up to ``capacity``.
    public internal(set) var count = 0

    public init() {}

    /// Records the demand of the next closed bucket.
    public mutating func append(_ y: Double) {
        // Sums over the history skip nothing for an empty bucket: they rely on this.
        assert(y >= 0, "negative demand in a history")
        set(head, Float(y))
        head = (head + 1) % Self.capacity
        count = min(count + 1, Self.capacity)
    }

    /// The demand `lag` buckets ago (1 = the newest); 0 before the series started.
    public func value(lag: Int) -> Double {
        guard lag >= 1, lag <= count else { return 0 }
        return Double(get((head - lag + Self.capacity) % Self.capacity))
    }

    /// Sum of the newest `n` buckets (fewer if the series is younger).
    public func sum(last n: Int) -> Double {
        // The slots beyond `count` would only add zeros.
        var s = 0.0
        forEach(last: n) { s += $0 }
        return s
    }

    /// The newest `n` buckets' demand (fewer if the series is younger), newest first as
    /// `value(lag:)` reads them, straight from the ring: sums taken in this order round
    /// alike wherever they are taken.
    @inline(__always)
    func forEach(last n: Int, _ body: (Double) -> Void) {
        // The two vectors lie one after the other: the ring is read as 32 floats in a row,
        // without picking a lane of a vector by a variable index on every step.
        withUnsafeBytes(of: values) { ring in
            var i = head
            for _ in 0..<max(0, min(n, count)) {
                i = i == 0 ? Self.capacity - 1 : i - 1
                body(Double(ring.load(fromByteOffset: i &* 4, as: Float.self)))
            }
        }
    }

    /// The total and the number of the buckets with demand.
    public var selling: (sum: Double, count: Int) {
        // Slots not yet written hold zeros, which neither add nor count.
        let (a, b) = values
        let count =
            SIMD16<Int32>.zero.replacing(with: 1, where: a .> 0)
            &+ SIMD16<Int32>.zero.replacing(with: 1, where: b .> 0)
        return (Double((a + b).sum()), Int(count.wrappedSum()))
    }

    /// Mean of the newest `n` buckets, over the buckets that exist.
    public func mean(last n: Int) -> Double {
        let k = min(n, count)
        return k == 0 ? 0 : sum(last: k) / Double(k)
    }

    /// The empirical quantiles of the newest `n` buckets (type 7, as numpy's default),
    /// for increasing levels; non-decreasing by construction.
    public func quantiles(last n: Int, levels: [Double]) -> [Double] {
        Self.quantiles(levels: levels) { forEach(last: n, $0) }
    }

    /// Type-7 quantiles of the demands `values` yields, at levels in 0…1; zeros when it
    /// yields none. It yields at most ``capacity`` demands, none negative (a history holds
    /// no other): a negative or NaN one would count as zero.
    ///
    /// Most buckets of intermittent demand are empty: only the selling ones are sorted, and
    /// the empty ones stand before them. Every published forecast reads these.
    static func quantiles(levels: [Double], of values: ((Double) -> Void) -> Void) -> [Double] {
        // The reads below are unchecked in a release build: a level outside 0…1 would read
        // beyond the values.
        precondition(levels.allSatisfy { (0...1).contains($0) }, "quantile levels lie in 0…1")
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: capacity) { selling in
            var (k, m) = (0, 0)
            values { v in
                precondition(k < capacity, "more demands than a history holds")
                k += 1
                guard v > 0 else { return }
                selling[m] = v
                m += 1
            }
            guard k > 0 else { return levels.map { _ in 0 } }
            var sorted = UnsafeMutableBufferPointer(rebasing: selling[..<m])
            sorted.sort()
            let zeros = k - m
            return levels.map { q in
                let pos = q * Double(k - 1)
                let lo = Int(pos.rounded(.down))
                let hi = min(lo + 1, k - 1)
                let (a, b) = (lo < zeros ? 0 : sorted[lo - zeros], hi < zeros ? 0 : sorted[hi - zeros])
                return a + (b - a) * (pos - Double(lo))
            }
        }
    }

    private func get(_ i: Int) -> Float { i < 16 ? values.0[i] : values.1[i - 16] }

    private mutating func set(_ i: Int, _ v: Float) {
        if i < 16 { values.0[i] = v } else { values.1[i - 16] = v }
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.count == b.count && (1...max(a.count, 1)).allSatisfy { a.value(lag: $0) == b.value(lag: $0) }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for lag in 1...max(count, 1) { hasher.combine(value(lag: lag)) }
    }
}
