import SkucastEvents
import SkucastTestSupport
import Testing

@testable import SkucastEngine

@Suite("Restock policy and alerts")
struct RestockTests {
    /// 150 SKUs over 540 days: a sale of 1–3 on a tenth of days, and runs (a customer
    /// buying day after day: each day a run goes on with probability 0.7) of 3–8 a day,
    /// which the independent-days model of lead-time demand does not expect.
    /// - Parameter day: Called after each day's close with the day, each SKU's demand and
    ///   the engine's calibration.
    static func demandInRuns(
        _ engine: inout PartitionEngine,
        emit: (ClosedBucket) -> Void = { _ in },
        day: (Int, [Double], LeadTimeCalibration) -> Void
    ) {
        var rng = SplitMix64(seed: 17)
        var inRun = [Bool](repeating: false, count: 150)
        let start = EventTime(year: 2011, month: 1, day: 1, hour: 12)!.milliseconds
        for d in 0..<540 {
            let time = EventTime(milliseconds: start + Int64(d) * 86_400_000)
            var demand = [Double](repeating: 0, count: inRun.count)
            for k in inRun.indices {
                inRun[k] =
                    inRun[k]
                    ? Double.random(in: 0..<1, using: &rng) < 0.7 : Double.random(in: 0..<1, using: &rng) < 0.02
                demand[k] =
                    inRun[k]
                    ? Double(Int.random(in: 3...8, using: &rng))
                    : Double.random(in: 0..<1, using: &rng) < 0.1 ? Double(Int.random(in: 1...3, using: &rng)) : 0
                guard demand[k] > 0 else { continue }
                _ = engine.apply(
                    OrderEvent(
                        orderID: "o\(d)-\(k)",
                        line: 1,
                        sku: "S\(k)",
                        quantity: demand[k],
                        kind: .sale,
                        unitPrice: 1,
                        currency: "GBP",
                        eventTime: time
                    )
                )
            }
            engine.advance(emit)
            day(d, demand, engine.leadTimeCalibration)
        }
    }

    @Test(
        "On demand that comes in runs, reorder points are calibrated online to miss the lead time's demand about 1 − service level of the time"
    )
    func calibratedCoverage() {
        var engine = PartitionEngine(configuration: EngineConfiguration())  // 95 %, 14-day lead time
        var halfway = (checks: 0, misses: 0)
        Self.demandInRuns(&engine) { day, _, calibration in
            if day == 270 { halfway = (calibration.checks, calibration.misses) }
        }
        let c = engine.leadTimeCalibration
        let firstHalf = Double(halfway.misses) / Double(halfway.checks)
        let secondHalf = Double(c.misses - halfway.misses) / Double(c.checks - halfway.checks)
        #expect(c.checks - halfway.checks > 1000)
        #expect(
            (0.03...0.075).contains(secondHalf),
            "misses: \(firstHalf) in the first half, \(secondHalf) in the second; \(c)"
        )
        // Runs need wider reorder points than the model's: some class's scale went up.
        #expect(DemandClass.allCases.contains { c.scale($0) > 1.2 }, "\(c)")
    }

    @Test(
        "The lead-time p50 and p90 every forecast publishes are calibrated as well: in the second half they cover about half and nine tenths of the 14 days that follow"
    )
    func publishedLeadTimeQuantiles() throws {
        let configuration = EngineConfiguration()
        var engine = PartitionEngine(configuration: configuration)
        // The lead-time quantiles published at each day's close (the second half), and
        // every day's demand.
        var published: [(day: Int, sku: Int, p50: Double, p90: Double)] = []
        var crossings = 0
        var demand: [[Double]] = []
        var today = 0
        Self.demandInRuns(
            &engine,
            emit: { closed in
                guard today >= 270, closed.forecast.forecaster.history.sum(last: DemandHistory.capacity) > 0 else {
                    return
                }
                let quantiles = closed.forecast.message().leadTimeQuantiles
                // Ascending levels (p50, p90, p95): never crossing, never negative.
                if quantiles.map(\.name) != ["p50", "p90", "p95"]
                    || zip(quantiles, quantiles.dropFirst()).contains(where: { $0.value > $1.value })
                    || quantiles[0].value < 0
                {
                    crossings += 1
                }
                published.append(
                    (
                        today, Int(closed.sku.dropFirst())!, quantiles.first { $0.name == "p50" }!.value,
                        quantiles.first { $0.name == "p90" }!.value
                    )
                )
            },
            day: { day, demands, _ in
                demand.append(demands)
                today = day + 1
            }
        )
        var (count, p50Covered, p90Covered) = (0, 0, 0)
        for q in published where q.day + 14 <= demand.count {
            // Published at the close of day q.day - 1: the lead time is days q.day…q.day + 13.
            let lead = (q.day..<(q.day + 14)).reduce(0.0) { $0 + demand[$1][q.sku] }
            count += 1
            if lead <= q.p50 { p50Covered += 1 }
            if lead <= q.p90 { p90Covered += 1 }
        }
        #expect(crossings == 0)
        #expect(count > 20_000)
        let (p50, p90) = (Double(p50Covered) / Double(count), Double(p90Covered) / Double(count))
        #expect((0.40...0.60).contains(p50), "p50 covered \(p50)")
        #expect((0.85...0.94).contains(p90), "p90 covered \(p90)")
        // Runs are wider than the model expects: the p90's scales went up.
        #expect(
            DemandClass.allCases.contains { engine.leadTimeCalibration.scale($0, level: 0.9) > 1.1 },
            "\(engine.leadTimeCalibration)"
        )
    }

    @Test("Demand classes: smooth, erratic, intermittent, lumpy")
    func demandClasses() {
        func history(_ values: [Double]) -> DemandHistory {
            var h = DemandHistory()
            for v in values { h.append(v) }
            return h
        }
        #expect(DemandClass(history: history([5, 6, 5, 4, 5, 6, 5])) == .smooth)
        #expect(DemandClass(history: history([1, 20, 2, 30, 1, 25, 2])) == .erratic)
        #expect(DemandClass(history: history([0, 0, 5, 0, 0, 5, 0, 0, 4])) == .intermittent)
        #expect(DemandClass(history: history([0, 0, 1, 0, 0, 40, 0, 0, 2])) == .lumpy)
        #expect(DemandClass(history: DemandHistory()) == .intermittent)
    }

    @Test("Normal and gamma quantiles")
    func quantiles() {
        #expect(abs(ReorderLevels.normalQuantile(0.95) - 1.6448536) < 1e-6)
        #expect(abs(ReorderLevels.normalQuantile(0.5)) < 1e-12)
        #expect(abs(ReorderLevels.normalQuantile(0.01) + 2.3263479) < 1e-6)
        // Gamma(shape 2, scale 1): the 95th percentile is 4.7439.
        #expect(abs(ReorderLevels.gammaQuantile(mean: 2, variance: 2, p: 0.95) - 4.7439) < 0.05)
        #expect(ReorderLevels.gammaQuantile(mean: 70, variance: 0, p: 0.95) == 70)
        #expect(ReorderLevels.gammaQuantile(mean: 0, variance: 5, p: 0.95) == 0)
    }

    static func at(day: Int, hour: Int = 12, minute: Int = 0) -> EventTime {
        EventTime(year: 2011, month: 3, day: day, hour: hour, minute: minute)!
    }

    static func sale(_ qty: Double, _ time: EventTime) -> OrderEvent {
        OrderEvent(
            orderID: "o\(time.milliseconds)",
            line: 1,
            sku: "85123A",
            quantity: qty,
            kind: .sale,
            unitPrice: 2.55,
            currency: "GBP",
            eventTime: time
        )
    }

    /// Three weeks of demand alternating 3 and 7 a day, then a stock count.
    static func stockedEngine() -> (PartitionEngine, [RestockAlert]) {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        var alerts: [RestockAlert] = []
        for day in 1...28 {
            _ = engine.apply(sale(day % 2 == 0 ? 3 : 7, at(day: day))) { alerts.append($0) }
            engine.advance({ _ in }, alerts: { alerts.append($0) })
        }
        engine.apply(
            InventoryEvent(sku: "85123A", onHand: 200, onOrder: 0, leadTimeDays: 14, eventTime: at(day: 29, hour: 1))
        ) { alerts.append($0) }
        return (engine, alerts)
    }

    @Test(
        "An alert is raised on the very order that crosses the reorder point, escalates, and resolves on replenishment"
    )
    func lifecycle() throws {
        var (engine, alerts) = Self.stockedEngine()
        #expect(alerts.isEmpty, "200 on hand is well above the reorder point")
        var minute = 0
        // Sell one unit at a time, all on day 29 (no bucket closes in between).
        while alerts.last?.severity != .outOfStock {
            minute += 1
            _ = engine.apply(Self.sale(1, Self.at(day: 29, hour: 2 + minute / 60, minute: minute % 60))) {
                alerts.append($0)
            }
            if minute > 300 { break }
        }
        #expect(alerts.map(\.state) == [.raised, .updated, .updated])
        #expect(alerts.map(\.severity) == [.belowReorderPoint, .stockoutWithinLeadTime, .outOfStock])
        #expect(Set(alerts.map(\.alertID)).count == 1)
        #expect(Set(alerts.map(\.eventID)).count == 3)
        let raised = alerts[0]
        // Raised exactly when the position fell below the reorder point: one unit earlier it was not.
        #expect(raised.projectedPosition < raised.reorderPoint)
        #expect(raised.projectedPosition + 1 >= raised.reorderPoint)
        // Demand of about 5 a day over 14 days: a reorder point above the 70 expected, for safety.
        #expect(raised.reorderPoint > 70 && raised.reorderPoint < 110, "\(raised.reorderPoint)")
        #expect(raised.orderUpTo > raised.reorderPoint)
        #expect(raised.suggestedOrderQuantity == raised.orderUpTo - raised.projectedPosition)
        #expect(raised.daysOfCover.map { $0 > 10 && $0 < 25 } == true, "\(String(describing: raised.daysOfCover))")
        #expect(alerts[2].onHand == 0)

        engine.apply(
            InventoryEvent(
                sku: "85123A",
                onHand: 400,
                onOrder: 0,
                leadTimeDays: 14,
                eventTime: Self.at(day: 29, hour: 20)
            )
        ) { alerts.append($0) }
        #expect(alerts.last?.state == .resolved)
        #expect(alerts.last?.alertID == raised.alertID)
        #expect(alerts.last?.severity == RestockSeverity.none)

        // An older count arriving late does not move stock back in time.
        let taken = engine.apply(InventoryEvent(sku: "85123A", onHand: 0, eventTime: Self.at(day: 29, hour: 3))) {
            alerts.append($0)
        }
        #expect(taken == .stale)
        #expect(alerts.count == 4)
    }

    @Test("Alert ids are the same in every replay, and a restored snapshot continues the alert")
    func deterministicAndRestorable() throws {
        func run(snapshotAfter cut: Int?) throws -> [RestockAlert] {
            var (engine, alerts) = Self.stockedEngine()
            for minute in 1...200 {
                if minute == cut {
                    let bytes = SnapshotCodec.encode(PartitionSnapshot(engine: engine, offsets: []))
                    engine = try SnapshotCodec.decode(bytes).engine
                }
                _ = engine.apply(Self.sale(1, Self.at(day: 29, hour: 2 + minute / 60, minute: minute % 60))) {
                    alerts.append($0)
                }
            }
            return alerts
        }
        let first = try run(snapshotAfter: nil)
        #expect(first.count == 3)
        #expect(try run(snapshotAfter: nil) == first)
        #expect(try run(snapshotAfter: 5) == first, "snapshot before the alert is raised")
        #expect(try run(snapshotAfter: 150) == first, "snapshot while the alert is open")
    }

    @Test("Returns and cancellations give stock back; write-offs take it")
    func stockMoves() {
        var (engine, alerts) = Self.stockedEngine()
        _ = engine.apply(Self.sale(150, Self.at(day: 29, hour: 2))) { alerts.append($0) }
        #expect(alerts.last?.state == .raised)
        var cancel = Self.sale(-150, Self.at(day: 29, hour: 3))
        cancel.kind = .cancellation
        _ = engine.apply(cancel) { alerts.append($0) }
        #expect(alerts.last?.state == .resolved)
        var writeOff = Self.sale(-190, Self.at(day: 29, hour: 4))
        writeOff.kind = .adjustment
        _ = engine.apply(writeOff) { alerts.append($0) }
        #expect(alerts.last?.state == .raised)
        #expect(alerts.last?.onHand == 10)
    }

    @Test(
        "Stock per location: counts of two warehouses add up, each replaces only its own, a stale one is refused, and the position survives a snapshot"
    )
    func perLocation() throws {
        var (engine, _) = Self.stockedEngine()
        let slot = try #require(engine.store.slots.firstIndex { $0.sku == "85123A" })
        let r = try #require(engine.store.restockRecord(slot))
        func position(_ e: PartitionEngine) -> Double { e.restock.records[r].stock.position }
        func count(_ onHand: Double, _ location: String?, hour: Int) -> InventoryEvent {
            InventoryEvent(
                sku: "85123A",
                onHand: onHand,
                leadTimeDays: 14,
                location: location,
                eventTime: Self.at(day: 29, hour: hour)
            )
        }
        // The unlocated count of 200 is the unnamed location; two warehouses come beside it.
        #expect(engine.apply(count(40, "north", hour: 2)) { _ in } == .taken)
        #expect(engine.apply(count(25, "south", hour: 3)) { _ in } == .taken)
        #expect(position(engine) == 265)
        _ = engine.apply(Self.sale(5, Self.at(day: 29, hour: 4))) { _ in }
        #expect(position(engine) == 260)
        // A recount replaces its own location; sales before it are in it.
        #expect(engine.apply(count(30, "north", hour: 5)) { _ in } == .taken)
        #expect(position(engine) == 255)
        // Older than south's own count: refused and counted as stale.
        #expect(engine.apply(count(99, "south", hour: 1)) { _ in } == .stale)
        _ = engine.apply(Self.sale(2, Self.at(day: 29, hour: 6))) { _ in }
        // Newer than south's own count, older than north's: the sale after north's count
        // still comes off.
        #expect(engine.apply(count(20, "south", hour: 4)) { _ in } == .taken)
        #expect(position(engine) == 200 + 30 + 20 - 2)
        let restored = try SnapshotCodec.decode(SnapshotCodec.encode(PartitionSnapshot(engine: engine, offsets: [])))
            .engine
        #expect(restored == engine)
        #expect(restored.locations.counts.first?.value.map(\.location) == ["", "north", "south"])
    }
}
