import SkucastEngine
import SkucastEvents

/// The forecast protocol `retail-daily-v1` (`../shared/benchmarks/forecast-protocol.md`):
/// daily demand per product SKU, 92 test origins, 14 days ahead, scored on `mean`
/// (squared error), `p50` (absolute error) and `p90` (pinball loss).
///
/// A longer horizon keeps every other rule: the origins are then the last 92 days whose
/// whole (longer) horizon lies inside the file, and the reference scorer, which knows 14
/// steps only, does not read its file.
public struct RetailDailyV1: Sendable {
    /// The protocol's horizon.
    public static let standardHorizon = 14
    public static let originCount = 92
    /// Steps scored: 14, or more for a longer horizon.
    public let horizon: Int
    static let season = 7
    static let weightDays = 28

    /// Calendar days, as day buckets (days since 1970-01-01 UTC).
    public let firstDay: Int64
    public let lastDay: Int64
    /// The protocol's series, sorted as strings compare (byte order, like numpy).
    public let series: [String]
    /// Day index of the first test origin, and of the last.
    public let origins: ClosedRange<Int64>
    /// y[s * days + d]: demand of series s on day firstDay + d.
    let demand: [Double]
    let firstSale: [Int]
    /// Revenue in the 28 days up to the first origin: the weights of the weighted means.
    let weight: [Double]
    /// In-sample seasonal-naive MAE and mean squared one-step difference (nil: undefined).
    let scale7: [Double?]
    let scale1: [Double?]

    var days: Int { Int(lastDay - firstDay + 1) }

    /// Builds the panel from a file's events.
    /// - Parameters:
    ///   - events: The file's events.
    ///   - validationShift: Move every origin this many days earlier: with 92, a validation
    ///     period that ends before the first test origin, for choosing settings without
    ///     looking at the test period.
    ///   - horizon: Steps scored, at least the protocol's 14.
    /// - Returns: nil when the data is too short for 92 origins × the horizon.
    public init?(events: [OrderEvent], validationShift: Int = 0, horizon: Int = standardHorizon) {
        precondition(horizon >= Self.standardHorizon, "the protocol scores at least 14 steps")
        self.horizon = horizon
        let calendar = BucketCalendar(size: .day)
        guard let first = events.map({ calendar.bucket(of: $0.eventTime) }).min(),
            let last = events.map({ calendar.bucket(of: $0.eventTime) }).max()
        else { return nil }
        firstDay = first
        lastDay = last
        let lastOrigin = last - Int64(horizon) - Int64(validationShift)
        let firstOrigin = lastOrigin - Int64(Self.originCount) + 1
        guard firstOrigin - first >= 1 else { return nil }
        origins = firstOrigin...lastOrigin
        let t0 = Int(firstOrigin - first)
        // Target: sales (not cancellations) of products at a price above zero.
        let sales = events.filter { $0.kind == .sale && $0.quantity > 0 && $0.unitPrice > 0 && Self.isProduct($0.sku) }
        var firstSaleOf: [String: Int] = [:]
        for e in sales {
            let d = Int(calendar.bucket(of: e.eventTime) - first)
            firstSaleOf[e.sku] = min(firstSaleOf[e.sku] ?? d, d)
        }
        series = firstSaleOf.filter { $0.value <= t0 }.keys.sorted {
            Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8))
        }
        let index = Dictionary(uniqueKeysWithValues: series.enumerated().map { ($1, $0) })
        let days = Int(last - first + 1)
        var y = [Double](repeating: 0, count: series.count * days)
        var w = [Double](repeating: 0, count: series.count)
        for e in sales {
            guard let s = index[e.sku] else { continue }
            let d = Int(calendar.bucket(of: e.eventTime) - first)
            y[s * days + d] += e.quantity
            if d > t0 - Self.weightDays, d <= t0 { w[s] += e.quantity * e.unitPrice }
        }
        demand = y
        weight = w
        let starts = series.map { firstSaleOf[$0]! }
        firstSale = starts
        scale7 = Self.scale(y, days: days, firstSale: starts, through: t0, lag: Self.season, squared: false)
        scale1 = Self.scale(y, days: days, firstSale: starts, through: t0, lag: 1, squared: true)
    }

    /// Mean |y_d − y_{d−lag}| (or squared) over first sale + lag ≤ d ≤ t0, per series; nil where no such d.
    static func scale(_ y: [Double], days: Int, firstSale: [Int], through t0: Int, lag: Int, squared: Bool) -> [Double?]
    {
        firstSale.indices.map { s in
            var sum = 0.0
            var n = 0
            let start = firstSale[s] + lag
            guard start <= t0 else { return nil }
            for d in start...t0 {
                let diff = y[s * days + d] - y[s * days + d - lag]
                sum += squared ? diff * diff : abs(diff)
                n += 1
            }
            return sum / Double(n)
        }
    }

    /// Product codes: five digits and up to two letters.
    public static func isProduct(_ sku: String) -> Bool {
        let u = Array(sku.utf8)
        guard u.count >= 5, u.count <= 7, u.prefix(5).allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
        return u.dropFirst(5).allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }

    /// Demand of a series on a day bucket; zero outside the panel's days.
    func y(_ s: Int, day: Int64) -> Double {
        let d = Int(day - firstDay)
        return d >= 0 && d < days ? demand[s * days + d] : 0
    }
}

/// A forecast value as the protocol file carries it: non-negative, rounded to 4 decimals.
/// Scores are computed on these, so they agree with the reference scorer reading the file.
@inline(__always)
func protocolValue(_ v: Double) -> Double { (max(0, v) * 10_000).rounded() / 10_000 }
