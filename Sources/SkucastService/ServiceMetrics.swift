import CoreMetrics
import SkucastEngine
import SkucastEvents
import SkucastPipeline

/// The service's metrics, through swift-metrics: the executable picks the backend
/// (Prometheus for `/metrics`), tests and embedders pass their own factory.
///
/// Counters move by the difference between successive ``ProcessorCounts`` once per poll
/// loop, not per event: the event path stays free of atomics.
final class ServiceMetrics {
    let factory: any MetricsFactory
    let eventsIn: [Counter]
    var rejected: [Rejection.Reason: Counter] = [:]
    let late: Counter
    let bucketsClosed: Counter
    let forecasts: Counter
    let alerts: Counter
    let suppressed: Counter
    let unchanged: Counter
    let staleStock: Counter
    let netted: (offSale: Counter, offCurrent: Counter)
    let lag: Gauge
    let openAlerts: Gauge
    let partitions: Gauge
    let snapshotSeconds: Timer
    let snapshotBytes: Gauge
    let snapshotAge: Gauge
    let forecastError: Gauge
    /// From the poll that fetched an input to an alert it changed handed to the producer:
    /// the service's own share of an alert's latency.
    let alertLatency: Timer
    /// Partitions this member took over, by where their state came from: a snapshot, or
    /// nothing (rebuilt from the earliest offset).
    let restored: (snapshot: Counter, earliest: Counter)
    /// Online accuracy by demand class: each model's and the ensemble's recent WAPE, the
    /// ensemble's bias, the p90's coverage, and drift (see ``AccuracyMonitor``).
    let accuracy: AccuracyGauges
    /// Inputs the merge let go before the other topic was fetched to its known end (see
    /// ``ServiceConfiguration/maxHold``).
    let releasedUnmerged: Counter
    var last = ProcessorCounts()
    var lastReleasedUnmerged = 0

    init(factory: any MetricsFactory, topics: ServiceTopics) {
        self.factory = factory
        eventsIn = topics.inputs.map {
            Counter(label: "skucast_events_in_total", dimensions: [("topic", $0)], factory: factory)
        }
        for reason in Rejection.Reason.allCases {
            rejected[reason] = Counter(
                label: "skucast_events_rejected_total",
                dimensions: [("reason", reason.rawValue)],
                factory: factory
            )
        }
        late = Counter(label: "skucast_events_late_total", factory: factory)
        bucketsClosed = Counter(label: "skucast_buckets_closed_total", factory: factory)
        forecasts = Counter(label: "skucast_forecasts_out_total", factory: factory)
        alerts = Counter(label: "skucast_alerts_out_total", factory: factory)
        suppressed = Counter(label: "skucast_outputs_not_repeated_total", factory: factory)
        unchanged = Counter(label: "skucast_forecasts_unchanged_total", factory: factory)
        staleStock = Counter(
            label: "skucast_inputs_ignored_total",
            dimensions: [("reason", "stale_stock_count")],
            factory: factory
        )
        netted = (
            Counter(label: "skucast_demand_netted_total", dimensions: [("off", "sale")], factory: factory),
            Counter(label: "skucast_demand_netted_total", dimensions: [("off", "current")], factory: factory)
        )
        lag = Gauge(label: "skucast_consumer_lag_messages", factory: factory)
        openAlerts = Gauge(label: "skucast_open_alerts", factory: factory)
        partitions = Gauge(label: "skucast_partitions_assigned", factory: factory)
        snapshotSeconds = Timer(label: "skucast_snapshot_duration_seconds", factory: factory)
        snapshotBytes = Gauge(label: "skucast_snapshot_bytes", factory: factory)
        snapshotAge = Gauge(label: "skucast_snapshot_age_seconds", factory: factory)
        forecastError = Gauge(label: "skucast_forecast_error_wape", factory: factory)
        alertLatency = Timer(label: Self.alertLatencyLabel, factory: factory)
        accuracy = AccuracyGauges(factory: factory)
        releasedUnmerged = Counter(label: "skucast_inputs_released_unmerged_total", factory: factory)
        restored = (
            Counter(label: "skucast_partitions_restored_total", dimensions: [("from", "snapshot")], factory: factory),
            Counter(label: "skucast_partitions_restored_total", dimensions: [("from", "earliest")], factory: factory)
        )
    }

    static let alertLatencyLabel = "skucast_alert_latency_seconds"

    /// Buckets for ``alertLatency``: fine below a millisecond, where the service's share
    /// should be, and up to a second for stalls.
    static let alertLatencyBuckets: [Duration] =
        [20, 50, 100, 200, 300, 500, 750].map { .microseconds($0) }
        + [1, 2, 5, 10, 25, 50, 100, 250, 1000].map { .milliseconds($0) }

    /// Moves the counters to `counts` (cumulative over the run).
    func update(_ counts: ProcessorCounts) {
        for (i, counter) in eventsIn.enumerated() { counter.increment(by: max(0, counts.events[i] - last.events[i])) }
        for (reason, n) in counts.rejected {
            let delta = n - last.rejected[reason, default: 0]
            if delta > 0 {
                rejected[reason]?.increment(by: delta)
                if reason == .tooLate { late.increment(by: delta) }
            }
        }
        bucketsClosed.increment(by: max(0, counts.bucketsClosed - last.bucketsClosed))
        staleStock.increment(by: max(0, counts.staleStockCounts - last.staleStockCounts))
        netted.offSale.increment(by: max(0, counts.nettedOffSale - last.nettedOffSale))
        netted.offCurrent.increment(by: max(0, counts.nettedOffCurrent - last.nettedOffCurrent))
        forecasts.increment(by: max(0, counts.forecasts - last.forecasts))
        alerts.increment(by: max(0, counts.alerts - last.alerts))
        unchanged.increment(by: max(0, counts.unchanged - last.unchanged))
        suppressed.increment(by: max(0, counts.suppressed - last.suppressed))
        last = counts
    }
}

/// The gauges of ``AccuracyMonitor`` summed over an instance's partitions, by class.
struct AccuracyGauges {
    /// By class, then by model (``SKUForecaster/modelNames``, then the ensemble).
    let wape: [[Gauge]]
    let bias: [Gauge]
    let p90Coverage: [Gauge]
    let drifting: [Gauge]
    let drift: [Counter]

    init(factory: any MetricsFactory) {
        let classes = DemandClass.allCases.map(\.description)
        wape = classes.map { c in
            (SKUForecaster.modelNames + ["ensemble"]).map { m in
                Gauge(label: "skucast_forecast_wape", dimensions: [("class", c), ("model", m)], factory: factory)
            }
        }
        bias = classes.map { Gauge(label: "skucast_forecast_bias", dimensions: [("class", $0)], factory: factory) }
        p90Coverage = classes.map {
            Gauge(label: "skucast_forecast_p90_coverage", dimensions: [("class", $0)], factory: factory)
        }
        drifting = classes.map {
            Gauge(label: "skucast_forecast_drifting", dimensions: [("class", $0)], factory: factory)
        }
        drift = classes.map {
            Counter(label: "skucast_forecast_drift_total", dimensions: [("class", $0)], factory: factory)
        }
    }

    /// Records the recent sums of all partitions and whether any partition drifts.
    func record(_ sums: AccuracyMonitor.Sums, drifting mask: UInt8) {
        for k in 0..<4 {
            let demand = sums.demand[k]
            if demand > 0 {
                for lane in 0..<SKUForecaster.modelCount { wape[k][lane].record(sums.modelError[k][lane] / demand) }
                wape[k][SKUForecaster.modelCount].record(sums.ensembleError[k] / demand)
                bias[k].record(sums.signedError[k] / demand)
            }
            if sums.p90Checks[k] > 0 { p90Coverage[k].record(sums.p90Covered[k] / sums.p90Checks[k]) }
            drifting[k].record(mask & (1 << UInt8(k)) != 0 ? 1 : 0)
        }
    }
}
