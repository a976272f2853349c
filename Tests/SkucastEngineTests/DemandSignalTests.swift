import SkucastEvents
import Testing

@testable import SkucastEngine

@Suite("The demand signal: net demand and bounded influence")
struct DemandSignalTests {
    static func line(
        _ order: String,
        _ qty: Double,
        day: Int,
        hour: Int = 12,
        minute: Int = 0,
        kind: OrderKind = .sale,
        customer: String? = "C1",
        undoes: String? = nil
    ) -> OrderEvent {
        OrderEvent(
            orderID: order,
            line: 1,
            sku: "A",
            quantity: qty,
            kind: kind,
            unitPrice: 2,
            currency: "GBP",
            eventTime: EventTime(year: 2011, month: 1, day: day, hour: hour, minute: minute)!,
            customerID: customer,
            originalOrderID: undoes
        )
    }

    /// The demand of each bucket as it closes (every unit, before any ceiling).
    static func closes(
        _ events: [OrderEvent],
        demand: DemandDefinition,
        through day: Int
    ) -> (engine: PartitionEngine, demand: [Int64: Double], outcomes: [OrderOutcome]) {
        var c = EngineConfiguration()
        c.demand = demand
        var engine = PartitionEngine(configuration: c)
        var closed: [Int64: Double] = [:]
        var outcomes: [OrderOutcome] = []
        for e in events {
            outcomes.append(engine.apply(e))
            engine.advance { closed[$0.bucket] = $0.forecast.lastBucketDemand }
        }
        let last = c.calendar.bucket(of: EventTime(year: 2011, month: 1, day: day, hour: 12)!)
        engine.close(through: last) { closed[$0.bucket] = $0.forecast.lastBucketDemand }
        return (engine, closed, outcomes)
    }

    static func bucket(_ day: Int) -> Int64 {
        BucketCalendar().bucket(of: EventTime(year: 2011, month: 1, day: day, hour: 12)!)
    }

    @Test(
        "Net demand: a cancellation matched by customer and quantity comes off its sale's bucket while that bucket is open; gross counts the sale"
    )
    func cancellationOffItsSale() {
        let events = [
            Self.line("1", 5, day: 3, hour: 9),
            Self.line("2", 74_215, day: 3, hour: 10, minute: 1),
            Self.line("C3", -74_215, day: 3, hour: 10, minute: 17, kind: .cancellation),
            Self.line("4", 3, day: 4),
        ]
        let net = Self.closes(events, demand: .net, through: 5)
        #expect(net.demand[Self.bucket(3)] == 5)
        #expect(net.outcomes[2] == .netted(offSale: 74_215, offCurrent: 0))
        let gross = Self.closes(events, demand: .gross, through: 5)
        #expect(gross.demand[Self.bucket(3)] == 74_220)
        #expect(gross.outcomes[2] == .notDemand)
    }

    @Test(
        "Net demand: a return whose sale's bucket has closed comes off the current bucket, never below zero; a different quantity or customer does not match"
    )
    func returnOffCurrentBucket() {
        let events = [
            Self.line("1", 6, day: 3),
            Self.line("2", 4, day: 6),
            Self.line("R1", -6, day: 6, hour: 14, kind: .return),
            Self.line("3", 2, day: 7),
            Self.line("R2", -5, day: 7, hour: 14, kind: .return, customer: "C2"),
        ]
        let net = Self.closes(events, demand: .net, through: 8)
        #expect(net.demand[Self.bucket(3)] == 6)
        // The matched sale's bucket closed days ago: the current bucket loses what it has.
        #expect(net.outcomes[2] == .netted(offSale: 0, offCurrent: 4))
        #expect(net.demand[Self.bucket(6)] == 0)
        // No sale of C2 for 5 units: off the current bucket too.
        #expect(net.outcomes[4] == .netted(offSale: 0, offCurrent: 2))
        #expect(net.demand[Self.bucket(7)] == 0)
    }

    @Test(
        "Net demand: a cancellation naming the order it undoes comes off that order's bucket while it is open, whatever its customer and quantity"
    )
    func cancellationByReference() {
        let events = [
            Self.line("1", 10, day: 3, hour: 23, minute: 30),
            Self.line("2", 7, day: 4, hour: 0, minute: 5),
            // Late but within the lateness: day 3 is still open.
            Self.line("C9", -4, day: 4, hour: 0, minute: 20, kind: .cancellation, customer: nil, undoes: "1"),
        ]
        let net = Self.closes(events, demand: .net, through: 5)
        #expect(net.outcomes[2] == .netted(offSale: 4, offCurrent: 0))
        #expect(net.demand[Self.bucket(3)] == 6)
        #expect(net.demand[Self.bucket(4)] == 7)
    }

    @Test(
        "Net demand: a return of more than the order it names takes that order's units off its bucket and only the rest off the current one; undoing a sale that never counted takes nothing"
    )
    func partialAndUncounted() {
        let events = [
            Self.line("1", 10, day: 3, hour: 23, minute: 30),
            Self.line("2", 20, day: 4, hour: 0, minute: 5, customer: "C2"),
            Self.line("R1", -30, day: 4, hour: 0, minute: 20, kind: .return, customer: "C1", undoes: "1"),
            // Day 4 closes at 01:00 on day 5; this sale of day 4 comes after.
            Self.line("9", 6, day: 5, hour: 3),
            Self.line("3", 5, day: 4, hour: 18),
            Self.line("C3", -5, day: 5, hour: 4, kind: .cancellation, customer: "C1"),
        ]
        let net = Self.closes(events, demand: .net, through: 6)
        #expect(net.outcomes[2] == .netted(offSale: 10, offCurrent: 20))
        #expect(net.demand[Self.bucket(3)] == 0)
        #expect(net.demand[Self.bucket(4)] == 0)
        #expect(net.outcomes[4] == .tooLate(bucket: Self.bucket(4), closedThrough: Self.bucket(4)))
        // The late sale never counted: its cancellation leaves day 5's 6 units alone.
        #expect(net.outcomes[5] == .netted(offSale: 0, offCurrent: 0))
        #expect(net.demand[Self.bucket(5)] == 6)
    }

    @Test("The sale ledger survives a snapshot: a restored engine matches the same cancellation")
    func ledgerInSnapshot() throws {
        let before = Self.closes([Self.line("1", 8, day: 3, hour: 9)], demand: .net, through: 2).engine
        #expect(before.ledger.sales.count == 1)
        var restored = try SnapshotCodec.decode(
            SnapshotCodec.encode(PartitionSnapshot(engine: before, offsets: []))
        ).engine
        #expect(restored == before)
        let cancel = Self.line("C1", -8, day: 3, hour: 11, kind: .cancellation)
        #expect(restored.apply(cancel) == .netted(offSale: 8, offCurrent: 0))
    }

    @Test(
        "Bounded influence: a bucket far above a SKU's scale teaches its models exactly what a bucket at the ceiling teaches; its stock still counts every unit"
    )
    func giantOrderIsBounded() throws {
        /// 40 days of 5–8 units a day for A (and two other SKUs), then `last` units, then a quiet day.
        func run(last: Double) -> PartitionEngine {
            var engine = PartitionEngine(configuration: EngineConfiguration())
            let start = EventTime(year: 2011, month: 1, day: 3, hour: 12)!.milliseconds
            let stock = InventoryEvent(
                sku: "A",
                onHand: 2_000_000,
                onOrder: 0,
                leadTimeDays: 7,
                eventTime: EventTime(milliseconds: start - 1)
            )
            engine.apply(stock) { _ in }
            for day in 0...40 {
                for (sku, qty) in [("A", day == 40 ? last : Double(5 + day % 4)), ("B", 3.0), ("C", 8.0)] {
                    var e = Self.line("o\(day)", qty, day: 1)
                    e.sku = sku
                    e.eventTime = EventTime(milliseconds: start + Int64(day) * 86_400_000)
                    _ = engine.apply(e)
                }
                engine.advance { _ in }
            }
            engine.close(through: engine.configuration.calendar.bucket(of: EventTime(milliseconds: start)) + 41) { _ in
            }
            return engine
        }
        let giant = run(last: 1_000_000)
        let atCeiling = run(last: 1_000)
        let a = try #require(giant.store.slots.firstIndex { $0.sku == "A" })
        // Both exceed the ceiling: the models learned the same bucket.
        #expect(giant.store.slots[a].forecaster == atCeiling.store.slots[a].forecaster)
        // At most the multiple times the SKU's scale (5–8 units a day, the partition's 3–8).
        let learned = giant.store.slots[a].forecaster.history.value(lag: 2)
        #expect(learned > 8 && learned <= DemandCeiling.multiple * 8)
        #expect(giant.store.slots[a].forecaster.means(steps: 1, nextSeason: 0, cycle: 7)[0] < 4 * 8)
        // Stock counted every unit.
        let r = try #require(giant.store.restockRecord(a))
        #expect(giant.restock.records[r].stock.position <= 2_000_000 - 1_000_000)
    }

    @Test(
        "A duplicate order line (same order id and line) neither counts nor moves stock, in either form of the event; the SKU's last lines survive a snapshot"
    )
    func duplicates() throws {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        let t = EventTime(year: 2011, month: 1, day: 3, hour: 8)!
        engine.apply(InventoryEvent(sku: "A", onHand: 100, leadTimeDays: 7, eventTime: t)) { _ in }
        let sale = Self.line("1", 5, day: 3)
        #expect(engine.apply(sale) == .applied)
        #expect(engine.apply(sale) == .duplicate)
        var bytes: [UInt8] = []
        sale.encodeJSON(into: &bytes)
        let viewOutcome = bytes.withUnsafeBytes { b in
            engine.apply(try! OrderEventDecoder().decodeInPlace(b).get()) { _ in }
        }
        #expect(viewOutcome == .duplicate)
        var second = sale
        second.line = 2
        #expect(engine.apply(second) == .applied)
        let r = try #require(engine.store.restockRecord(0))
        #expect(engine.restock.records[r].stock.position == 90)
        var restored = try SnapshotCodec.decode(SnapshotCodec.encode(PartitionSnapshot(engine: engine, offsets: [])))
            .engine
        #expect(restored == engine)
        #expect(restored.apply(second) == .duplicate)
    }
}
