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
/// skewed and non-negative, as intermittent demand is. The quantiles at the service level
/// (reorder point, order-up-to level) are scaled by a factor the engine calibrates online
/// (see ``LeadTimeCalibration``).
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

    /// Buckets of forecast the levels read: lead time plus review period.
    static func bucketsNeeded(
        leadTimeDays: Double,
        configuration: RestockConfiguration,
        calendar: BucketCalendar
    ) -> Int {
        Int((leadTimeDays + configuration.reviewPeriodDays) * calendar.bucketsPerDay) + 1
    }

    /// - Parameter means: The ensemble's mean for steps 1…n, n at least ``bucketsNeeded(leadTimeDays:configuration:calendar:)``.
    init(
        means: [Double],
        history: DemandHistory,
        leadTimeDays: Double,
        configuration: RestockConfiguration,
        calendar: BucketCalendar,
        calibration: LeadTimeCalibration = LeadTimeCalibration()
    ) {
        let bucketsPerDay = calendar.bucketsPerDay
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
            for lag in 1...history.count {
                variance += (history.value(lag: lag) - mean) * (history.value(lag: lag) - mean)
            }
            variance /= n - 1
        }
        bucketVariance = variance
        let (level, scale) = (configuration.serviceLevel, calibration.scale(DemandClass(history: history)))
        leadTimeDemand = demand(overDays: leadTimeDays)
        let cover = demand(overDays: leadTimeDays + configuration.reviewPeriodDays)
        reorderPoint =
            Self.gammaQuantile(mean: leadTimeDemand, variance: variance * leadTimeDays * bucketsPerDay, p: level)
            * scale
        orderUpTo = max(
            reorderPoint,
            Self.gammaQuantile(
                mean: cover,
                variance: variance * (leadTimeDays + configuration.reviewPeriodDays) * bucketsPerDay,
                p: level
            ) * scale
        )
        dailyDemand = leadTimeDays > 0 ? leadTimeDemand / leadTimeDays : 0
    }

    /// Whether a stock position calls for an order: it is below a reorder point above zero.
    public func calls(forOrderAt position: Double) -> Bool { position < reorderPoint && reorderPoint > 0 }

    /// The order a stock position calls for: up to the order-up-to level, or nothing.
    public func suggestedOrder(at position: Double) -> Double {
        calls(forOrderAt: position) ? max(0, orderUpTo - position) : 0
    }

    /// Days stock on hand lasts at the expected demand; nil when none is expected.
    public func daysOfCover(onHand: Double) -> Double? {
        dailyDemand > 0 ? max(0, onHand) / dailyDemand : nil
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
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p > 1 - low {
            let q = (-2 * log(1 - p)).squareRoot()
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let q = p - 0.5
        let r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}

extension ReorderLevels {
    /// The levels a forecast publishes quantiles at, ascending: the median, the 90th
    /// percentile and the service level.
    public static func publishedLevels(serviceLevel: Double) -> [Double] {
        (LeadTimeCalibration.calibratedLevels + [serviceLevel]).sorted()
    }

    /// Lead-time demand at the levels a forecast publishes: the service level's is the
    /// reorder point, the median and 90th percentile the gamma's, each scaled by its own
    /// calibration (see ``LeadTimeCalibration``).
    ///
    /// Separately calibrated quantiles could cross; they are made monotone around the
    /// reorder point, which the restock policy acts on and so is never moved.
    /// - Parameters:
    ///   - levels: Probabilities in ascending order, the service level among them.
    ///   - serviceLevel: The level whose quantile is the reorder point.
    ///   - leadTimeDays: The lead time the levels were computed for.
    ///   - bucketsPerDay: Buckets in a day of the engine's calendar.
    ///   - demandClass: The SKU's class now.
    ///   - calibration: The partition's calibration.
    /// - Returns: One non-negative quantity per level, never decreasing.
    public func leadTimeQuantiles(
        levels: [Double],
        serviceLevel: Double,
        leadTimeDays: Double,
        bucketsPerDay: Double,
        demandClass: DemandClass,
        calibration: LeadTimeCalibration
    ) -> [Double] {
        let variance = bucketVariance * leadTimeDays * bucketsPerDay
        var q = levels.map { p in
            p == serviceLevel
                ? reorderPoint
                : Self.gammaQuantile(mean: leadTimeDemand, variance: variance, p: p)
                    * calibration.scale(demandClass, level: p)
        }
        guard let anchor = levels.firstIndex(of: serviceLevel) else { return q }
        for i in stride(from: anchor - 1, through: 0, by: -1) { q[i] = min(q[i], q[i + 1]) }
        for i in (anchor + 1)..<max(anchor + 1, q.count) { q[i] = max(q[i], q[i - 1]) }
        return q
    }
}

/// Keeps the reorder point's coverage at the service level, online.
///
/// The gamma model sums bucket variances as if buckets were independent; real demand
/// comes in runs (a customer's repeat orders, a campaign), and its lead-time quantiles
/// miss: on the Online Retail replay, reorder points at a 95 % service level covered
/// 87 % of 7-day and 81 % of 14-day lead times of SKUs selling at the time. So each SKU
/// in turn checks the reorder point it would order at against the demand of the lead
/// time that follows, and the partition's misses and hits move a scale of the
/// service-level quantiles as adaptive conformal inference moves its level (Gibbs &
/// Candès, 2021): the log scale goes up by `rate·s` on a miss and down by `rate·(1 − s)`
/// on a hit, so it settles where misses are `1 − s` of checks, in each demand class.
/// A scale rather than a higher level or a wider variance: coverage grows with it for
/// every SKU, while for very intermittent ones a wider gamma puts more mass at zero and
/// even its 99.99 % quantile can fall short.
///
/// The lead-time median and 90th percentile every forecast publishes beside the reorder
/// point are kept the same way, each by scales of its own: uncalibrated, the lead-time p90
/// covered 76 % of the 14-day lead times of SKUs selling at the time on the same replay.
public struct LeadTimeCalibration: Sendable, Hashable {
    /// Log of the scale of the service-level quantiles, per ``DemandClass``: one scale for
    /// all would stock steady sellers for the lumpy ones' misses.
    public internal(set) var logScale = SIMD4<Double>.zero
    /// Log of the scales of the published quantiles: lanes 0–3 the median's, 4–7 the
    /// 90th percentile's, per ``DemandClass``.
    public internal(set) var publishedLogScale = SIMD8<Double>.zero
    /// Checks finished so far, and those the demand exceeded the reorder point in.
    public internal(set) var checks = 0
    public internal(set) var misses = 0

    /// Step of the log scale per check.
    static let rate = 0.01
    static let bounds = -2.0...3.0
    /// The published levels calibrated besides the service level's.
    public static let calibratedLevels = [0.5, 0.9]
    /// The level of each lane of ``publishedLogScale``.
    static let laneLevels = SIMD8<Double>(0.5, 0.5, 0.5, 0.5, 0.9, 0.9, 0.9, 0.9)

    public init() {}

    /// The factor the service-level quantiles of a SKU of this class are multiplied by.
    public func scale(_ demandClass: DemandClass) -> Double { exp(logScale[demandClass.rawValue]) }

    /// The factor a lead-time quantile of a SKU of this class is multiplied by.
    /// - Parameters:
    ///   - demandClass: The SKU's class.
    ///   - level: 0.5 or 0.9 (another level is not calibrated: 1).
    public func scale(_ demandClass: DemandClass, level: Double) -> Double {
        switch level {
        case 0.5: exp(publishedLogScale[demandClass.rawValue])
        case 0.9: exp(publishedLogScale[4 + demandClass.rawValue])
        default: 1
        }
    }

    /// Folds in finished checks of one bucket.
    /// - Parameters:
    ///   - checks: Checks finished, per ``DemandClass``.
    ///   - misses: Of those, the ones whose lead-time demand exceeded the reorder point.
    ///   - publishedChecks: Checks that recorded the published quantiles (all but those
    ///     started before format 4 snapshots), per class, for each of the two levels.
    ///   - publishedMisses: Of those, the ones whose demand exceeded the median (lanes
    ///     0–3) or the 90th percentile (lanes 4–7).
    ///   - serviceLevel: The coverage aimed at.
    mutating func learn(
        checks: SIMD4<Double>,
        misses: SIMD4<Double>,
        publishedChecks: SIMD8<Double>,
        publishedMisses: SIMD8<Double>,
        serviceLevel: Double
    ) {
        let total = Int(checks.sum())
        guard total > 0 else { return }
        self.checks += total
        self.misses += Int(misses.sum())
        let step = Self.rate * (misses * serviceLevel - (checks - misses) * (1 - serviceLevel))
        logScale = (logScale + step).clamped(
            lowerBound: SIMD4(repeating: Self.bounds.lowerBound),
            upperBound: SIMD4(repeating: Self.bounds.upperBound)
        )
        let levels = Self.laneLevels
        let published = Self.rate * (publishedMisses * levels - (publishedChecks - publishedMisses) * (1 - levels))
        publishedLogScale = (publishedLogScale + published)
            .clamped(
                lowerBound: SIMD8(repeating: Self.bounds.lowerBound),
                upperBound: SIMD8(repeating: Self.bounds.upperBound)
            )
    }
}

/// Syntetos and Boylan's demand classes, from the recent buckets: how often a SKU sells
/// (average interval between sales, ADI, cut at 1.32) and how much its sizes vary (squared
/// coefficient of variation of non-zero demand, CV², cut at 0.49).
public enum DemandClass: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case smooth, erratic, intermittent, lumpy

    public var description: String {
        switch self {
        case .smooth: "smooth"
        case .erratic: "erratic"
        case .intermittent: "intermittent"
        case .lumpy: "lumpy"
        }
    }

    /// - Parameter history: The recent buckets.
    public init(history: DemandHistory) {
        // Newest first, as the sums were always taken (the order fixes the rounding).
        // Without a branch: demand is never negative, and a bucket without any adds zero,
        // which leaves the sums exactly as skipping it would. Intermittent demand made the
        // branch a coin toss.
        var (n, sum, squares) = (0, 0.0, 0.0)
        history.forEach(last: history.count) { y in
            n &+= y > 0 ? 1 : 0
            sum += y
            squares += y * y
        }
        self.init(buckets: history.count, selling: n, sum: sum, sumOfSquares: squares)
    }

    /// - Parameters:
    ///   - buckets: Buckets looked at.
    ///   - selling: Of those, the buckets with demand.
    ///   - sum: Their demand; `sumOfSquares`: the sum of its squares.
    public init(buckets: Int, selling: Int, sum: Double, sumOfSquares squares: Double) {
        let n = Double(selling)
        // No sale in the window: as intermittent as it gets.
        let adi = n > 0 ? Double(buckets) / n : .infinity
        let mean = n > 0 ? sum / n : 0
        let cv2 = n > 1 && mean > 0 ? max(0, squares / n - mean * mean) / (mean * mean) : 0
        switch (adi >= 1.32, cv2 >= 0.49) {
        case (false, false): self = .smooth
        case (false, true): self = .erratic
        case (true, false): self = .intermittent
        case (true, true): self = .lumpy
        }
    }
}

/// A SKU's check in progress: the reorder point and published lead-time quantiles it
/// started with, and the demand since.
struct LeadTimeCheck: Sendable, Hashable {
    var reorderPoint: Float
    /// The lead-time median and 90th percentile; negative in checks restored from a
    /// format 3 snapshot, which did not record them (they teach only the reorder point).
    var median: Float
    var p90: Float
    var demand: Float
    var bucketsLeft: Int32
    var demandClass: DemandClass
}
