#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How restocking is decided.
public struct RestockConfiguration: Sendable, Hashable {
    /// Probability of not running out during a lead time (the cycle service level).
    public var serviceLevel = 0.95
    /// Lead time for SKUs whose stock events do not say.
    public var defaultLeadTimeDays = 14.0
    /// How often orders are placed: the order-up-to level covers lead time plus this.
    public var reviewPeriodDays = 7.0
    /// Buckets a SKU must have been forecast over before it can raise an alert: a reorder
    /// point from a day or two of history is noise, and planners stop reading alerts
    /// that cry wolf.
    public var warmUpBuckets = 7

    public init() {}
}

/// Reorder point, order-up-to level and expected demand of a SKU, from its forecaster.
///
/// Lead-time demand is modelled as a gamma distribution with the ensemble's mean over
/// the lead time and a variance of the lead time times the recent per-bucket variance:
/// skewed and non-negative, as intermittent demand is.
public struct ReorderLevels: Sendable, Hashable {
    /// Expected demand over the lead time.
    public var leadTimeDemand: Double
    /// Lead-time demand quantile at the service level: reorder when the position falls below.
    public var reorderPoint: Double
    /// Lead time plus review period demand quantile: order up to this.
    public var orderUpTo: Double
    /// Expected demand per day.
    public var dailyDemand: Double
    /// Variance of one bucket's demand, from recent buckets.
    public var bucketVariance: Double

    init(leadTimeDemand: Double, reorderPoint: Double, orderUpTo: Double, dailyDemand: Double, bucketVariance: Double) {
        self.leadTimeDemand = leadTimeDemand
        self.reorderPoint = reorderPoint
        self.orderUpTo = orderUpTo
        self.dailyDemand = dailyDemand
        self.bucketVariance = bucketVariance
    }

    /// - Parameters:
    ///   - forecaster: The SKU's state after its last closed bucket.
    ///   - leadTimeDays: Days to replenish.
    ///   - configuration: Service level and review period.
    ///   - nextSeason: Seasonal position of the next bucket.
    ///   - calendar: Bucket size (levels are computed for day buckets; others scale).
    ///   - closedSeasons: Positions of the cycle the shop does not trade on.
    ///   - prior: The partition's prior over the ensemble's models.
    public init(forecaster: SKUForecaster, leadTimeDays: Double, configuration: RestockConfiguration, nextSeason: Int, calendar: BucketCalendar,
                closedSeasons: UInt8 = 0, prior: SIMD8<Double> = SIMD8(repeating: 1)) {
        let means = forecaster.means(steps: Self.bucketsNeeded(leadTimeDays: leadTimeDays, configuration: configuration, calendar: calendar),
                                     nextSeason: nextSeason, cycle: calendar.modelCycle, closedSeasons: closedSeasons, prior: prior)
        self.init(means: means, history: forecaster.history, leadTimeDays: leadTimeDays, configuration: configuration, calendar: calendar)
    }

    /// Buckets of forecast the levels read: lead time plus review period.
    static func bucketsNeeded(leadTimeDays: Double, configuration: RestockConfiguration, calendar: BucketCalendar) -> Int {
        Int((leadTimeDays + configuration.reviewPeriodDays) * 86_400_000.0 / Double(calendar.size.milliseconds)) + 1
    }

    /// - Parameter means: The ensemble's mean for steps 1…n, n at least ``bucketsNeeded(leadTimeDays:configuration:calendar:)``.
    init(means: [Double], history: DemandHistory, leadTimeDays: Double, configuration: RestockConfiguration, calendar: BucketCalendar) {
        let bucketsPerDay = 86_400_000.0 / Double(calendar.size.milliseconds)
        func demand(overDays days: Double) -> Double {
            let buckets = days * bucketsPerDay
            let whole = Int(buckets)
            var sum = 0.0
            for h in 0..<(whole + 1) {
                let share = h < whole ? 1 : buckets - Double(whole)
                if share > 0 { sum += share * means[h] }
            }
            return sum
        }
        let n = Double(history.count)
        let mean = history.mean(last: DemandHistory.capacity)
        var variance = 0.0
        if n > 1 {
            for lag in 1...history.count { variance += (history.value(lag: lag) - mean) * (history.value(lag: lag) - mean) }
            variance /= n - 1
        }
        bucketVariance = variance
        leadTimeDemand = demand(overDays: leadTimeDays)
        let cover = demand(overDays: leadTimeDays + configuration.reviewPeriodDays)
        reorderPoint = Self.gammaQuantile(mean: leadTimeDemand, variance: variance * leadTimeDays * bucketsPerDay, p: configuration.serviceLevel)
        orderUpTo = max(reorderPoint, Self.gammaQuantile(mean: cover, variance: variance * (leadTimeDays + configuration.reviewPeriodDays) * bucketsPerDay, p: configuration.serviceLevel))
        dailyDemand = leadTimeDays > 0 ? leadTimeDemand / leadTimeDays : 0
    }

    /// The p-quantile of a gamma distribution with this mean and variance (Wilson–Hilferty);
    /// the mean itself when there is no spread.
    public static func gammaQuantile(mean: Double, variance: Double, p: Double) -> Double {
        guard mean > 0 else { return 0 }
        guard variance > 1e-12 else { return mean }
        let shape = mean * mean / variance
        let scale = variance / mean
        let c = 1 / (9 * shape)
        let t = 1 - c + normalQuantile(p) * c.squareRoot()
        return max(0, shape * scale * t * t * t)
    }

    /// The standard normal p-quantile (Acklam's rational approximation, relative error < 1.2e-9).
    public static func normalQuantile(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - low {
            let q = (-2 * log(1 - p)).squareRoot()
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
