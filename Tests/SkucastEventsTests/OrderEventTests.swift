import Foundation
import SkucastEvents
import SkucastTestSupport
import Testing

/// The real Online Retail order log, beside the repository as in CI (`SKUCAST_DATA` overrides).
let onlineRetailCSV: URL = {
    if let path = ProcessInfo.processInfo.environment["SKUCAST_DATA"] { return URL(fileURLWithPath: path) }
    return URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/data/online-retail/online_retail_2010_2011.csv")
}()

@Suite("Event time")
struct EventTimeTests {
    @Test("Calendar fields convert to epoch milliseconds and back")
    func knownInstants() throws {
        #expect(EventTime(year: 1970, month: 1, day: 1)?.milliseconds == 0)
        #expect(EventTime(year: 2010, month: 12, day: 1, hour: 8, minute: 26)?.milliseconds == 1_291_191_960_000)
        #expect(EventTime(year: 2000, month: 3, day: 1)?.milliseconds == 951_868_800_000)
        #expect(EventTime(year: 2012, month: 2, day: 29) != nil)
        #expect(EventTime(year: 2011, month: 2, day: 29) == nil)
        #expect(EventTime(year: 2011, month: 13, day: 1) == nil)
        #expect(EventTime(milliseconds: -1).description == "1969-12-31T23:59:59.999Z")
        #expect(EventTime(milliseconds: 1_291_191_960_000).description == "2010-12-01T08:26:00Z")
        #expect(EventTime(milliseconds: 1_300_115_531_250).description == "2011-03-14T15:12:11.250Z")
    }

    @Test("Every instant survives fields → milliseconds → fields (1900–2100, 200,000 draws)")
    func roundTripProperty() throws {
        var rng = SplitMix64(seed: 42)
        let low: Int64 = -2_208_988_800_000
        let high: Int64 = 4_102_444_800_000
        for _ in 0..<200_000 {
            let ms = low + Int64(rng.next() % UInt64(high - low))
            let t = EventTime(milliseconds: ms).utc
            let back = try #require(
                EventTime(
                    year: t.year,
                    month: t.month,
                    day: t.day,
                    hour: t.hour,
                    minute: t.minute,
                    second: t.second,
                    millisecond: t.millisecond
                )
            )
            #expect(back.milliseconds == ms)
        }
    }
}

@Suite("Order events")
struct OrderEventTests {
    @Test("An Online Retail sale encodes to the exact JSON of the orders contract")
    func encodesSale() throws {
        let csv = try OnlineRetailCSV(header: [
            "InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country",
        ])
        let row = try csv.row(
            [
                "536365", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "6", "2010-12-01 08:26:00", "2.55", "17850",
                "United Kingdom",
            ],
            line: 2
        )
        var mapper = OnlineRetailOrderMapper()
        let event = try mapper.event(for: row, line: 2)
        var buffer: [UInt8] = []
        event.encodeJSON(into: &buffer)
        #expect(
            String(decoding: buffer, as: UTF8.self)
                == #"{"order_id":"536365","line":1,"sku":"85123A","quantity":6,"kind":"sale","unit_price":2.55,"currency":"GBP","event_time":"2010-12-01T08:26:00Z","customer_id":"17850","region":"United Kingdom"}"#
        )
    }

    @Test("Strings with quotes, backslashes, control characters and non-ASCII survive encoding")
    func escaping() throws {
        let nasty = "RECORD FRAME 7\" \\ SINGLE\n\t\u{01}é€😀"
        let event = OrderEvent(
            orderID: nasty,
            line: 3,
            sku: "S\"1",
            quantity: -0.5,
            kind: .return,
            unitPrice: 1e-7,
            currency: "EUR",
            eventTime: EventTime(milliseconds: 1_300_115_531_250),
            customerID: nil,
            channel: "app",
            promotion: true
        )
        var buffer: [UInt8] = []
        event.encodeJSON(into: &buffer)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer)) as? [String: Any])
        #expect(object["order_id"] as? String == nasty)
        #expect(object["sku"] as? String == "S\"1")
        #expect(object["quantity"] as? Double == -0.5)
        #expect(object["unit_price"] as? Double == 1e-7)
        #expect(object["kind"] as? String == "return")
        #expect(object["event_time"] as? String == "2011-03-14T15:12:11.250Z")
        #expect(object["promotion"] as? Bool == true)
        #expect(object["customer_id"] == nil)
    }

    @Test("Lines are numbered per invoice; cancellations and adjustments are told from sales")
    func mapping() throws {
        let csv = try OnlineRetailCSV(header: [
            "Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country",
        ])
        var mapper = OnlineRetailOrderMapper()
        let rows = [
            [
                "489434", "85048", "15CM CHRISTMAS GLASS BALL 20 LIGHTS", "12", "2009-12-01 07:45:00", "6.95",
                "13085.0", "United Kingdom",
            ],
            [
                "489434", "79323P", "PINK CHERRY LIGHTS", "12", "2009-12-01 07:45:00", "6.75", "13085.0",
                "United Kingdom",
            ],
            ["C489449", "22087", "PAPER BUNTING WHITE LACE", "-12", "12/1/2009 10:33", "2.95", "16321", "Australia"],
            ["489464", "21733", "85123a mixed", "-96", "2009-12-01 10:52:00", "0", "", "United Kingdom"],
        ]
        let events = try rows.enumerated().map { i, fields throws in
            try mapper.event(for: csv.row(fields, line: i + 2), line: i + 2)
        }
        #expect(events.map(\.line) == [1, 2, 1, 1])
        #expect(events.map(\.kind) == [.sale, .sale, .cancellation, .adjustment])
        #expect(events[0].customerID == "13085")
        #expect(events[3].customerID == nil)
        #expect(events[2].eventTime.description == "2009-12-01T10:33:00Z")
        #expect(throws: OnlineRetailCSVError.self) {
            try mapper.event(
                for: csv.row(["1", "2", "x", "0", "2009-12-01 10:52:00", "1", "", "UK"], line: 9),
                line: 9
            )
        }
    }

    @Test("Quoted fields, doubled quotes and CRLF line ends are read as RFC 4180 says")
    func csvQuoting() {
        let text = "a,b,c\r\n\"AIRLINE LOUNGE,METAL SIGN\",\"RECORD FRAME 7\"\" SINGLE\",x\r\n\"two\nlines\",,last\n"
        var records = CSVRecords(Array(text.utf8))
        #expect(records.next() == ["a", "b", "c"])
        #expect(records.next() == ["AIRLINE LOUNGE,METAL SIGN", "RECORD FRAME 7\" SINGLE", "x"])
        #expect(records.line == 3)
        #expect(records.next() == ["two\nlines", "", "last"])
        #expect(records.line == 5)
        #expect(records.next() == nil)
    }

    @Test("A header without a needed column is refused, naming it")
    func missingColumn() {
        let error = #expect(throws: OnlineRetailCSVError.self) {
            try OnlineRetailCSV(header: [
                "InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country",
            ])
        }
        #expect(error?.reason.contains("description") == true)
    }

    @Test("The whole real Online Retail file reads without error, with the counts Python's csv module finds")
    func realFile() throws {
        var counts: [OrderKind: Int] = [:]
        var rows = 0
        var longestInvoice = 0
        var first: OrderEvent?
        var last: OrderEvent?
        for row in try OnlineRetailOrderReader(Array(Data(contentsOf: onlineRetailCSV))) {
            let event = try row.get()
            counts[event.kind, default: 0] += 1
            longestInvoice = max(longestInvoice, event.line)
            rows += 1
            if first == nil { first = event }
            last = event
        }
        // Figures from Python's csv module over the same file.
        #expect(rows == 541_909)
        #expect(counts == [.sale: 531_285, .cancellation: 9288, .adjustment: 1336])
        #expect(longestInvoice == 1114)
        #expect(first?.eventTime.description == "2010-12-01T08:26:00Z")
        #expect(last?.sku == "22138")
        #expect(last?.eventTime.description == "2011-12-09T12:50:00Z")
    }
}

/// A small, fast, seedable generator, so property tests are reproducible.

@Suite("JSON quantities")
struct QuantityTests {
    func written(_ v: Double) -> String {
        var w = JSONWriter(buffer: [])
        w.quantity(v)
        return String(decoding: w.buffer, as: UTF8.self)
    }

    @Test("Quantities are written to four decimals, exactly as rounding and Double's own parser agree")
    func fourDecimals() {
        #expect(written(0) == "0")
        #expect(written(468.34999999999997) == "468.35")
        #expect(written(-2.5) == "-2.5")
        #expect(written(0.00004) == "0")
        #expect(written(0.00005) == "0.0001")
        #expect(written(12.0001) == "12.0001")
        #expect(written(-0.25) == "-0.25")
        #expect(written(1e20) == "1e+20")
        #expect(written(.nan) == "null")
        var rng = SplitMix64(seed: 5)
        for _ in 0..<20_000 {
            let v = Double.random(in: -1e6...1e6, using: &rng) / Double([1, 10, 1000].randomElement(using: &rng)!)
            let text = written(v)
            #expect(Double(text) == (v * 10_000).rounded() / 10_000, "\(v) → \(text)")
        }
    }
}
