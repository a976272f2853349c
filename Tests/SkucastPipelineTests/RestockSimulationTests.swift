import SkucastEvents
import Testing

@testable import SkucastBacktest
@testable import SkucastEngine
@testable import SkucastPipeline

@Suite("Restock policy simulation")
struct RestockSimulationTests {
    /// A published forecast of SKU `S` at the close of `bucket` (day buckets), with the
    /// given demand, restock levels and lead time.
    func forecast(
        _ bucket: Int64,
        demand: Double,
        reorderPoint: Double = 10,
        orderUpTo: Double = 20,
        leadTimeDays: Double = 2
    ) -> EmittedForecast {
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
                leadTimeDays: leadTimeDays,
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
            value: nil,
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

    @Test("An order placed with a shorter lead time lands first; orders landing together end one cycle")
    func arrivalOrder() throws {
        var sink = RestockSimulationSink(
            policies: [.alerts],
            shortage: .lost,
            from: 100,
            bucketsPerDay: 1,
            traced: ["S"]
        )
        try sink.forecast(forecast(100, demand: 1, reorderPoint: 10, orderUpTo: 30, leadTimeDays: 5))
        // 101: 6 left → 24 ordered, due at 107. 102: 3 left; the levels rise and the lead
        // time shortens: 3 + 24 < 40 → 23 ordered, due at 104, before the first.
        try sink.forecast(forecast(101, demand: 4, reorderPoint: 10, orderUpTo: 30, leadTimeDays: 5))
        try sink.forecast(forecast(102, demand: 3, reorderPoint: 40, orderUpTo: 50, leadTimeDays: 1))
        try sink.forecast(forecast(104, demand: 5, reorderPoint: 40, orderUpTo: 50, leadTimeDays: 1))
        try sink.forecast(forecast(108, demand: 0, reorderPoint: 40, orderUpTo: 50, leadTimeDays: 1))
        let result = sink.result()
        let t = try #require(result.trajectories.first)
        #expect(t.arrivals == [0, 0, 0, 23, 0, 0, 24, 0])
        #expect(t.onHand == [6, 3, 3, 21, 21, 21, 45, 45])
        let o = result.overall[0]
        #expect(o.orders == 2 && o.cycles == 2 && o.cyclesWithoutStockout == 2)
    }

    @Test("A cycle still open at the end counts once it has run out")
    func openCycle() throws {
        var sink = RestockSimulationSink(policies: [.alerts], shortage: .lost, from: 100, bucketsPerDay: 1)
        try sink.forecast(forecast(100, demand: 1))
        // 10 on the shelf, 15 asked: 5 lost; the order placed lands after the end.
        try sink.forecast(forecast(101, demand: 15))
        let o = sink.result().overall[0]
        #expect(o.stockoutBuckets == 1 && o.orders == 1)
        #expect(o.cycles == 1 && o.cyclesWithoutStockout == 0)
        #expect(o.cycleServiceLevel == 0)
    }

    @Test("The naive policy also decides on days without sales: one order need not lift the position above its point")
    func naiveInGaps() throws {
        var sink = RestockSimulationSink(
            policies: [.naive(multiple: 4)],
            shortage: .lost,
            from: 100,
            bucketsPerDay: 1
        )
        // 2 a day, lead time 10 days × 4: the point is 80, and it starts there.
        for b in Int64(73)...100 { try sink.forecast(forecast(b, demand: 2, leadTimeDays: 10)) }
        // 101: 70 sold, 10 left; mean 124/28, point 177 → 124 ordered, position 134.
        try sink.forecast(forecast(101, demand: 70, leadTimeDays: 10))
        // 102, no sale: mean 122/28, point 174 > 134 → 122 more. Then the point falls below 256.
        try sink.forecast(forecast(110, demand: 0, leadTimeDays: 10))
        let o = sink.result().overall[0]
        #expect(o.startingStock == 80)
        #expect(o.orders == 2 && o.unitsOrdered == 124 + 122)
    }
}
