import SkucastEvents
import Testing

@testable import SkucastBacktest
@testable import SkucastEngine
@testable import SkucastPipeline

@Suite("Restock policy simulation")
struct RestockSimulationTests {
    /// A published forecast of SKU `S` at the close of `bucket` (day buckets), with the
    /// given demand and restock levels; lead time 2 days.
    func forecast(
        _ bucket: Int64,
        demand: Double,
        reorderPoint: Double = 10,
        orderUpTo: Double = 20
    )
        -> EmittedForecast
    {
        let origin = EventTime(milliseconds: (bucket + 1) * 86_400_000)
        return EmittedForecast(
            sku: "S",
            bucket: bucket,
            message: ForecastMessage(
                forecastID: "f\(bucket)",
                sku: "S",
                origin: origin,
                bucket: "day",
                timeZone: "UTC",
                horizon: [ForecastMessage.Step(step: 1, start: origin, mean: 1, quantiles: [])],
                leadTimeDays: 2,
                leadTimeMean: 2,
                leadTimeQuantiles: [],
                weights: [],
                components: [],
                daysSinceLastSale: 0
            ),
            levels: ReorderLevels(
                leadTimeDemand: 2,
                reorderPoint: reorderPoint,
                orderUpTo: orderUpTo,
                dailyDemand: 1,
                bucketVariance: 0
            ),
            demand: demand,
            stockOnHand: nil,
            isPublished: true,
            json: nil,
            detail: nil
        )
    }

    func run(_ shortage: ShortageHandling) throws -> (PolicyOutcome, StockTrajectory) {
        var sink = RestockSimulationSink(
            policies: [.alerts],
            shortage: shortage,
            from: 100,
            bucketsPerDay: 1,
            traced: ["S"]
        )
        // Before the simulated period: only the naive policy's memory of demand.
        try sink.forecast(forecast(99, demand: 7))
        // Joins at the close of 100 with its reorder point, 10, on the shelf; day 104
        // publishes nothing (no sale).
        for (bucket, demand) in [(100, 1.0), (101, 4), (102, 3), (103, 5), (105, 6)] {
            try sink.forecast(forecast(Int64(bucket), demand: demand))
        }
        let result = sink.result()
        return (result.overall[0], try #require(result.trajectories.first))
    }

    @Test("Lost sales: orders follow the alert rule, arrive a lead time later, and every unit is accounted for")
    func lostSales() throws {
        let (o, t) = try run(.lost)
        // 101: 6 left, position 6 < 10 → order 20 − 6 = 14, landing at the start of 104.
        // 103: 5 asked, 3 on the shelf: 2 lost. 104: 14 arrive. 105: 8 left → order 12.
        #expect(t.firstBucket == 101)
        #expect(t.onHand == [6, 3, 0, 14, 8])
        #expect(t.demand == [4, 3, 5, 0, 6])
        #expect(t.arrivals == [0, 0, 0, 14, 0])
        #expect(o.demanded == 18 && o.served == 16)
        #expect(o.fillRate == 16.0 / 18)
        #expect(o.stockoutBuckets == 1)
        #expect(o.orders == 2 && o.unitsOrdered == 26)
        // One replenishment cycle finished, and it ran out before its delivery.
        #expect(o.cycles == 1 && o.cyclesWithoutStockout == 0)
        #expect(o.skuBuckets == 5 && o.stockUnitBuckets == 31)
        #expect(o.startingStock + o.unitsReceived - o.served == o.endingStock)
        #expect(
            o.cost(PolicyCosts(holdingPerUnitDay: 1, perOrder: 10, perUnitShort: 100), bucketsPerDay: 1) == 31 + 20
                + 200
        )
    }

    @Test("Backorders: the shelf goes negative and the next delivery serves what was owed")
    func backorders() throws {
        let (o, t) = try run(.backorder)
        // 103: 2 owed (−2), position −2 + 14 = 12 ≥ 10: no order. 104: 12. 105: 6 → order 14.
        #expect(t.onHand == [6, 3, -2, 12, 6])
        #expect(o.demanded == 18 && o.served == 16)
        #expect(o.orders == 2 && o.unitsOrdered == 28)
        #expect(o.stockUnitBuckets == 27)
        #expect(o.startingStock + o.unitsReceived - o.demanded == o.endingStock)
    }

    @Test("The naive policy reorders below its 28-day mean × lead time and orders 28 days' demand")
    func naive() throws {
        var sink = RestockSimulationSink(policies: [.naive(multiple: 1)], shortage: .lost, from: 100, bucketsPerDay: 1)
        // 28 days of 2 a day before the period: mean 2, lead time 2 → reorder below 4,
        // order 56. It joins at 100 with its reorder point: 4.
        for b in Int64(73)...100 { try sink.forecast(forecast(b, demand: 2)) }
        try sink.forecast(forecast(101, demand: 1))  // 3 left, mean still 2 - 2/28 + 1/28
        let o = sink.result().overall[0]
        #expect(o.startingStock == 4)
        #expect(o.orders == 1)
        #expect(o.unitsOrdered == 55)
    }
}
