import ArgumentParser
import SkucastEngine
import SkucastPipeline
import SkucastZoneInfo

/// The engine's settings: the same flags for `skucast run` and `skucast backtest`, so a
/// replay forecasts as the live service does.
struct EngineOptions: ParsableArguments {
    @Option(help: "Bucket size: hour, day or week.")
    var bucket: String = "day"

    @Option(help: "Time zone whose wall clock cuts the buckets: an IANA name (Europe/London), UTC, or UTC±hh:mm.")
    var timeZone: String = "UTC"

    @Option(help: "Allowed lateness of events, in minutes.")
    var latenessMinutes: Double = 60

    @Option(
        help:
            "How far ahead of a partition's stream time (and, live, of the wall clock) an event may be dated, in days; later ones go to dead letters unless 3 in a row confirm a jump of the feed."
    )
    var maxClockSkewDays: Double = 14

    @Option(
        help:
            "What counts as demand: net (sales less the cancellations and returns that undo them, taken off the sale's bucket) or gross (every sale line)."
    )
    var demand: String = "net"

    @Option(
        help:
            "Net demand: how far back, in days, a cancellation or return looks for the sale it undoes (by the order it references, else by customer and quantity)."
    )
    var saleMatchWindowDays: Double = 28

    @Option(help: "Buckets forecast ahead.")
    var horizon: Int = 14

    @Option(help: "Service level of the restock policy (probability of no stock-out in a lead time).")
    var serviceLevel: Double = 0.95

    @Option(help: "Lead time in days for SKUs whose stock events do not give one.")
    var leadTimeDays: Double = 14

    @Option(help: "Buckets of history a SKU needs before it can raise a restock alert.")
    var alertWarmUpBuckets: Int = 7

    @Option(help: "Publish forecasts for SKUs that sold within this many buckets (1…28).")
    var forecastActiveBuckets: Int = 28

    @Option(
        help:
            "Publish a SKU's forecast only when its lead-time demand (mean or service-level quantile) moved by more than this share since the last one it published, or --publish-max-age buckets after it; 0 publishes at every close."
    )
    var publishTolerance: Double = 0

    @Option(help: "With --publish-tolerance: publish a SKU's forecast at least every this many buckets.")
    var publishMaxAge: Int = 7

    /// Publishing on change, when asked for.
    var publishOnChange: PublishOnChange? {
        publishTolerance > 0 ? PublishOnChange(tolerance: publishTolerance, maxAge: publishMaxAge) : nil
    }

    func validate() throws {
        guard BucketSize(rawValue: bucket) != nil else { throw ValidationError("--bucket must be hour, day or week") }
        do { _ = try ZoneRules.named(timeZone) } catch { throw ValidationError("--time-zone: \(error)") }
        guard serviceLevel > 0.5, serviceLevel < 1 else { throw ValidationError("--service-level must be in (0.5, 1)") }
        guard horizon >= 1, horizon <= 366 else { throw ValidationError("--horizon must be in 1…366") }
        guard leadTimeDays > 0 else { throw ValidationError("--lead-time-days must be positive") }
        guard maxClockSkewDays > 0, maxClockSkewDays <= 3650 else {
            throw ValidationError("--max-clock-skew-days must be in (0, 3650]")
        }
        guard DemandDefinition(rawValue: demand) != nil else { throw ValidationError("--demand must be net or gross") }
        guard saleMatchWindowDays >= 0, saleMatchWindowDays <= 366 else {
            throw ValidationError("--sale-match-window-days must be in [0, 366]")
        }
        guard (1...28).contains(forecastActiveBuckets) else {
            throw ValidationError("--forecast-active-buckets must be in 1…28")
        }
        guard publishTolerance >= 0, publishMaxAge >= 1 else {
            throw ValidationError("--publish-tolerance must be 0 or more and --publish-max-age at least 1")
        }
    }

    func configuration() throws -> EngineConfiguration {
        var c = EngineConfiguration()
        c.calendar = BucketCalendar(size: BucketSize(rawValue: bucket)!, zone: try ZoneRules.named(timeZone))
        c.allowedLatenessMilliseconds = Int64(latenessMinutes * 60_000)
        c.maxClockSkewMilliseconds = Int64(maxClockSkewDays * 86_400_000)
        c.demand = DemandDefinition(rawValue: demand)!
        c.saleMatchWindowMilliseconds = Int64(saleMatchWindowDays * 86_400_000)
        c.horizon = horizon
        c.restock.serviceLevel = serviceLevel
        c.restock.defaultLeadTimeDays = leadTimeDays
        c.restock.warmUpBuckets = max(0, alertWarmUpBuckets)
        return c
    }
}
