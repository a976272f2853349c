import Foundation
import SkucastEngine
import SkucastEvents
import Testing

let onlineRetailCSV: URL = {
    if let path = ProcessInfo.processInfo.environment["SKUCAST_DATA"] { return URL(fileURLWithPath: path) }
    return topicsDirectory.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/data/online-retail/online_retail_2010_2011.csv")
}()

@Suite("What skucast writes keeps the contract")
struct EncoderContractTests {
    @Test("Order events made from the real Online Retail file are valid under the orders schema")
    func ordersFromRealData() throws {
        var out: [UInt8] = []
        var buffer: [UInt8] = []
        var written = 0
        var kinds: Set<OrderKind> = []
        // The first 20,000 rows and every non-sale row: every kind, every odd description.
        for (index, row) in try OnlineRetailOrderReader(Array(Data(contentsOf: onlineRetailCSV))).enumerated() {
            let event = try row.get()
            guard index < 20_000 || event.kind != .sale else { continue }
            event.encodeJSON(into: &buffer)
            out += buffer
            out.append(0x0A)
            written += 1
            kinds.insert(event.kind)
        }
        #expect(kinds == [.sale, .cancellation, .adjustment])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-orders-\(UUID()).ndjson")
        try Data(out).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try runValidator(["orders", file.path])
        #expect(result.status == 0, "\(result.output.prefix(2000))")
        #expect(result.output.contains("\(written) messages checked, 0 errors"), "\(result.output.prefix(2000))")
    }

    @Test("Inventory events are valid under the inventory schema")
    func inventory() throws {
        var out: [UInt8] = []
        var buffer: [UInt8] = []
        let events = [
            InventoryEvent(
                sku: "85123A",
                onHand: 240,
                onOrder: 600,
                leadTimeDays: 14,
                location: "UK-1",
                eventTime: EventTime(milliseconds: 1_291_186_800_000)
            ),
            InventoryEvent(
                sku: "22423",
                onHand: -3,
                eventTime: EventTime(milliseconds: 1_309_478_399_500),
                synthetic: true
            ),
        ]
        for e in events {
            e.encodeJSON(into: &buffer)
            out += buffer + [0x0A]
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-inventory-\(UUID()).ndjson")
        try Data(out).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try runValidator(["inventory", file.path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("2 messages checked, 0 errors"))
    }
}

@Suite("What the engine publishes keeps the contract")
struct EngineOutputContractTests {
    /// Writes one JSON value per line and runs the reference validator on it.
    func validate(_ topic: String, _ values: [[UInt8]]) throws -> (status: Int32, output: String) {
        var out: [UInt8] = []
        for v in values { out += v + [0x0A] }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-\(topic)-\(UUID()).ndjson")
        try Data(out).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try runValidator([topic, file.path])
    }

    @Test("Forecasts made from real data, and the alerts of stocked SKUs, are valid under their schemas")
    func forecastsAndAlerts() throws {
        var config = EngineConfiguration()
        config.restock.serviceLevel = 0.95
        var engine = PartitionEngine(configuration: config)
        var lastClosed: [String: ClosedBucket] = [:]
        var alerts: [[UInt8]] = []
        var buffer: [UInt8] = []
        var counted: Set<String> = []
        for (offset, row) in try OnlineRetailOrderReader(Array(Data(contentsOf: onlineRetailCSV))).enumerated() {
            let order = try row.get()
            if offset == 60_000 { break }
            // Give the first SKUs seen a month in a small stock, so that alerts happen.
            if offset > 20_000, counted.count < 200, !counted.contains(order.sku), order.kind == .sale {
                counted.insert(order.sku)
                engine.apply(
                    InventoryEvent(
                        sku: order.sku,
                        onHand: 40,
                        onOrder: 10,
                        leadTimeDays: 10,
                        eventTime: order.eventTime
                    )
                ) { a in
                    a.encodeJSON(
                        cause: AlertCause(topic: "inventory", partition: 0, offset: Int64(offset)),
                        into: &buffer
                    )
                    alerts.append(buffer)
                }
            }
            _ = engine.apply(order) { a in
                a.encodeJSON(
                    cause: AlertCause(topic: "orders", partition: 0, offset: Int64(offset), orderID: order.orderID),
                    into: &buffer
                )
                alerts.append(buffer)
            }
            engine.advance(
                { lastClosed[$0.sku] = $0 },
                alerts: { a in
                    a.encodeJSON(cause: nil, into: &buffer)
                    alerts.append(buffer)
                }
            )
        }
        let forecasts = lastClosed.mapValues { $0.forecast.message() }
        let encoded: [[UInt8]] = forecasts.keys.sorted().prefix(1500).map { sku in
            forecasts[sku]!.encodeJSON(into: &buffer)
            return buffer
        }
        #expect(encoded.count == 1500)
        #expect(alerts.count > 50, "\(alerts.count) alerts")
        let f = try validate("forecasts", encoded)
        #expect(f.status == 0, "\(f.output.prefix(1500))")
        #expect(f.output.contains("1500 messages checked, 0 errors"))
        let a = try validate("restock-alerts", alerts)
        #expect(a.status == 0, "\(a.output.prefix(1500))")
        #expect(a.output.contains("\(alerts.count) messages checked, 0 errors"))

        // Weights are a distribution; quantiles never cross and are never negative.
        for message in forecasts.values {
            #expect(abs(message.weights.reduce(0) { $0 + $1.value } - 1) < 1e-9)
            for step in message.horizon {
                let q = step.quantiles.map(\.value)
                #expect(q == q.sorted() && q.allSatisfy { $0 >= 0 } && step.mean >= 0)
            }
            let lead = message.leadTimeQuantiles.map(\.value)
            #expect(lead == lead.sorted() && lead.allSatisfy { $0 >= 0 })
        }
    }
}
