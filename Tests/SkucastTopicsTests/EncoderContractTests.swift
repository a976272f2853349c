import Foundation
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
            InventoryEvent(sku: "85123A", onHand: 240, onOrder: 600, leadTimeDays: 14, location: "UK-1", eventTime: EventTime(milliseconds: 1_291_186_800_000)),
            InventoryEvent(sku: "22423", onHand: -3, eventTime: EventTime(milliseconds: 1_309_478_399_500), synthetic: true),
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
