import Foundation
import SkucastBacktest
import SkucastEngine
import SkucastEvents
import SkucastReport

extension BacktestCommand {
    /// Writes the HTML report of a replay to `path` and says where, how big and how long.
    /// - Parameters:
    ///   - configuration: The engine's configuration of the replay.
    func writeReport(_ outcome: ReplayOutcome, configuration: EngineConfiguration, to path: String) {
        let clock = ContinuousClock()
        let start = clock.now
        let calendar = configuration.calendar
        func day(_ bucket: Int64) -> String { String(calendar.start(of: bucket).description.prefix(10)) }
        func days(_ first: Int64, _ n: Int) -> [String] { (0..<n).map { day(first + Int64($0)) } }
        var settings = [
            "Source: \(csv ?? topic.map { "topic \($0)" } ?? [ordersJsonl, inventoryJsonl].compactMap { $0 }.joined(separator: ", "))",
            "Engine: \(calendar.size.rawValue) buckets in \(calendar.zone.identifier), horizon \(configuration.horizon), \(engine.demand) demand, service level \(configuration.restock.serviceLevel), default lead time \(configuration.restock.defaultLeadTimeDays) days",
            "Replayed \(outcome.counts.events[0]) orders and \(outcome.counts.events[1]) inventory events: \(outcome.counts.forecasts) forecasts, \(outcome.counts.alerts) alert changes, \(outcome.counts.rejected.values.reduce(0, +)) dead letters",
        ]
        if let panel = outcome.result?.panel {
            settings.append(
                "Scored under retail-daily-v1\(validation ? " (validation period)" : ""): \(panel.series.count) series, origins \(day(panel.origins.lowerBound)) to \(day(panel.origins.upperBound))"
            )
        } else {
            settings.append("Not scored: \(outcome.notScored ?? "no forecasts")")
        }
        if let study = outcome.policy {
            settings.append(
                "Restock simulation: \(study.shortage.rawValue) sales; cost \(study.costs.holdingPerUnitDay) per unit-day held, \(study.costs.perOrder) per order, \(study.costs.perUnitShort) per unit short"
            )
        }
        let trails = outcome.trail?.trails(of: reportSKUs, top: 4) ?? []
        let weights = outcome.trail?.weights
        let study = outcome.policy
        func point(
            _ policy: String,
            _ setting: String,
            _ o: PolicyOutcome,
            _ s: PolicyStudy
        ) -> BacktestReport.PolicyPoint {
            BacktestReport.PolicyPoint(
                policy: policy,
                setting: setting,
                fillRate: o.fillRate,
                cycleServiceLevel: o.cycleServiceLevel,
                averageStock: o.averageStock,
                daysOfDemand: o.bucketsOfDemand / s.bucketsPerDay,
                stockoutDays: o.stockoutBuckets,
                orders: o.orders,
                cost: o.cost(s.costs, bucketsPerDay: s.bucketsPerDay)
            )
        }
        let byClass =
            study.map { s in
                s.classRows.map {
                    BacktestReport.ClassRow(
                        policy: $0.policy.description,
                        demandClass: $0.demandClass,
                        point: point($0.policy.description, "", $0.outcome, s)
                    )
                }
            } ?? []
        let document = BacktestReport(
            title: "skucast backtest\(validation ? " (validation period)" : "")",
            settings: settings,
            metricColumns: Self.metricColumns,
            scores: outcome.result?.scores.map {
                BacktestReport.ScoreRow(
                    name: $0.forecaster.description,
                    metrics: $0.metrics,
                    isReference: $0.forecaster.readsTheFuture
                )
            }
                ?? [],
            trails: trails.map {
                BacktestReport.SKUTrail(
                    sku: $0.sku,
                    days: days($0.firstBucket, $0.actual.count),
                    actual: $0.actual,
                    mean: $0.mean,
                    p50: $0.p50,
                    p90: $0.p90
                )
            },
            stepCoverage: outcome.result?.stepCoverage.map {
                BacktestReport.StepCoverage(
                    step: $0.step,
                    p50: $0.p50,
                    p90: $0.p90,
                    p50Below: $0.p50Below,
                    p90Below: $0.p90Below
                )
            } ?? [],
            weights: weights.map { w in
                BacktestReport.WeightHistory(days: w.buckets.map(day), models: w.models, weights: w.weights)
            },
            policyCurve: study.map { s in s.points.map { point($0.policy.description, $0.setting, $0.outcome, s) } }
                ?? [],
            policyByClass: byClass,
            trajectories: study?.run.trajectories.map {
                BacktestReport.InventoryTrajectory(
                    sku: $0.sku,
                    policy: "skucast",
                    days: days($0.firstBucket, $0.onHand.count),
                    onHand: $0.onHand,
                    demand: $0.demand,
                    reorderPoint: $0.reorderPoint,
                    arrivals: $0.arrivals
                )
            } ?? []
        )
        let bytes = Array(document.html().utf8)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            print(
                String(
                    format: "report: %@ (%.1f KB, written in %.2f s)",
                    URL(fileURLWithPath: path).standardizedFileURL.path,
                    Double(bytes.count) / 1024,
                    (clock.now - start).seconds
                )
            )
        } catch {
            note("could not write the report: \(error)")
        }
    }
}
