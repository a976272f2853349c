import ArgumentParser
import Foundation
import SkucastBacktest
import SkucastEngine

/// `skucast backtest`'s restock policy simulation: which policies, what a shortage does,
/// what things cost.
struct PolicyOptions: ParsableArguments {
    @Flag(
        help:
            "Simulate a warehouse per SKU that follows the alerts (and the naive policy beside it) over the scored period; report fill rate, stock, stock-outs, orders, cost."
    )
    var simulate = false

    @Option(
        help: ArgumentHelp(
            "Also simulate at these service levels (comma-separated, e.g. 0.8,0.9,0.95,0.99): one more replay each, for the trade-off curve. Implies --simulate.",
            valueName: "levels"
        )
    )
    var policyLevels: String?

    @Option(
        help: ArgumentHelp(
            "The naive policy's reorder points as multiples of 28-day mean × lead time (comma-separated); 1 is the rule of thumb.",
            valueName: "multiples"
        )
    )
    var naiveMultiples: String = "0.5,1,1.5,2,3"

    @Option(
        help: ArgumentHelp(
            "Stock a SKU starts with: replayed (its stock count's, when the source has inventory events; else its reorder point) or reorder-point.",
            valueName: "start"
        )
    )
    var initialStock: String = "replayed"

    @Option(help: "Demand the shelf cannot serve: lost or backorder.")
    var shortage: String = "lost"

    @Option(help: "Cost of holding one unit for a day.")
    var holdingCost: Double = 0.02

    @Option(help: "Cost of placing one order.")
    var orderCost: Double = 10

    @Option(help: "Cost of one unit demanded and not served from the shelf.")
    var shortageCost: Double = 1

    /// Whether any simulation runs.
    var enabled: Bool { simulate || policyLevels != nil }

    func validate() throws {
        guard ["replayed", "reorder-point"].contains(initialStock) else {
            throw ValidationError("--initial-stock must be replayed or reorder-point")
        }
        guard ShortageHandling(rawValue: shortage) != nil else {
            throw ValidationError("--shortage must be lost or backorder")
        }
        for level in try levels() where !(level > 0 && level < 1) {
            throw ValidationError("service levels must lie between 0 and 1, not \(level)")
        }
        for m in try multiples() where !(m > 0) { throw ValidationError("naive multiples must be above 0") }
        guard [holdingCost, orderCost, shortageCost].allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw ValidationError("costs must be finite and not negative")
        }
    }

    /// The extra service levels, ascending.
    func levels() throws -> [Double] { try Self.numbers(policyLevels ?? "", flag: "--policy-levels").sorted() }

    func multiples() throws -> [Double] { try Self.numbers(naiveMultiples, flag: "--naive-multiples") }

    var costs: PolicyCosts {
        PolicyCosts(holdingPerUnitDay: holdingCost, perOrder: orderCost, perUnitShort: shortageCost)
    }

    var handling: ShortageHandling { ShortageHandling(rawValue: shortage) ?? .lost }

    static func numbers(_ list: String, flag: String) throws -> [Double] {
        try list.split(separator: ",").map {
            guard let v = Double($0.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("\(flag): \($0) is not a number")
            }
            return v
        }
    }
}

/// One simulated operating point: a policy at a setting.
struct PolicyPoint {
    var policy: SimulatedPolicy
    var serviceLevel: Double?
    var outcome: PolicyOutcome

    var setting: String {
        switch policy {
        case .alerts: String(format: "service level %.2f", serviceLevel ?? .nan)
        case .naive(let m): String(format: "reorder × %.2g", m)
        }
    }
}

/// What the simulations found: the run's own (with per-class outcomes) and the curve.
struct PolicyStudy {
    var run: RestockSimulationResult
    var serviceLevel: Double
    var points: [PolicyPoint]
    var costs: PolicyCosts
    var shortage: ShortageHandling
    var bucketsPerDay: Double

    /// The skucast curve's average stock (buckets of demand) at a fill rate, interpolated
    /// between the neighbouring service levels; nil outside the curve.
    func alertsStock(atFillRate target: Double) -> Double? {
        let curve = points.filter { $0.policy == .alerts }.map { ($0.outcome.fillRate, $0.outcome.bucketsOfDemand) }
            .sorted { $0.0 < $1.0 }
        for (a, b) in zip(curve, curve.dropFirst()) where a.0 <= target && target <= b.0 {
            return b.0 > a.0 ? a.1 + (b.1 - a.1) * (target - a.0) / (b.0 - a.0) : a.1
        }
        return nil
    }

    func lines() -> [String] {
        var out: [String] = []
        let unit = bucketsPerDay == 1 ? "day" : "bucket"
        let span = run.firstBucket.flatMap { f in run.lastBucket.map { "\($0 - f + 1) \(unit)s" } } ?? "no buckets"
        out.append(
            "restock policy simulation (\(shortage.rawValue) sales, \(run.skusByClass.reduce(0, +)) SKUs, \(span)); cost = \(costs.holdingPerUnitDay)/unit-day held + \(costs.perOrder)/order + \(costs.perUnitShort)/unit short:"
        )
        out.append(
            "policy   setting                    fill rate  cycle SL  avg stock  \(unit)s of demand  stock-out \(unit)s  orders    cost"
        )
        for p in points {
            out.append(row(p.policy.description, p.setting, p.outcome))
        }
        for naive in points where naive.policy != .alerts {
            let o = naive.outcome
            let stock = alertsStock(atFillRate: o.fillRate)
            out.append(
                String(
                    format: "at the fill rate of naive %@ (%.4f): naive holds %.2f %@s of demand, skucast %@",
                    naive.setting,
                    o.fillRate,
                    o.bucketsOfDemand,
                    unit,
                    stock.map { String(format: "%.2f (%+.0f%%)", $0, 100 * ($0 / o.bucketsOfDemand - 1)) }
                        ?? "(outside the service levels run)"
                )
            )
        }
        out.append(String(format: "per demand class at service level %.2f:", serviceLevel))
        for r in classRows { out.append(row(r.policy.description, r.demandClass, r.outcome)) }
        return out
    }

    /// skucast's policy and the naive rule of thumb at the run's service level, per demand
    /// class with SKUs: the class named with its SKU count.
    var classRows: [(policy: SimulatedPolicy, demandClass: String, outcome: PolicyOutcome)] {
        run.policies.enumerated().filter { $0.element == .alerts || $0.element == .naive(multiple: 1) }
            .flatMap { k, policy in
                DemandClass.allCases.filter { run.skusByClass[$0.rawValue] > 0 }.map { c in
                    (policy, "\(c) (\(run.skusByClass[c.rawValue]) SKUs)", run.byClass[k][c.rawValue])
                }
            }
    }

    func row(_ policy: String, _ setting: String, _ o: PolicyOutcome) -> String {
        policy.padding(toLength: 9, withPad: " ", startingAt: 0)
            + setting.padding(toLength: 27, withPad: " ", startingAt: 0)
            + String(
                format: "%-11.4f%-10.4f%-11.2f%-18.2f%-17d%-10d%.0f",
                o.fillRate,
                o.cycleServiceLevel,
                o.averageStock,
                o.bucketsOfDemand,
                o.stockoutBuckets,
                o.orders,
                o.cost(costs, bucketsPerDay: bucketsPerDay)
            )
    }
}
