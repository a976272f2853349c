import Foundation
import SkucastEngine
import SkucastEvents
import SkucastPipeline
import Testing

/// Keeps the published forecasts of one SKU: its first step's mean, its lead-time mean
/// and its reorder point (the lead-time quantile at the service level, 0.95).
struct OneSKUSink: OutputSink {
    struct Forecast {
        let origin: EventTime
        let firstStep: Double
        let leadTimeMean: Double
        let reorderPoint: Double
    }

    let sku: String
    var forecasts: [Forecast] = []
    /// Those a SKU that has not sold lately does not publish too: a zero forecast is one.
    var forecastInterest: ForecastInterest { ForecastInterest(published: true, unpublished: true) }

    init(sku: String) { self.sku = sku }

    mutating func forecast(_ f: EmittedForecast) throws {
        guard f.sku == sku else { return }
        let p95 = f.message.leadTimeQuantiles.first { $0.name == "p95" }?.value ?? .nan
        forecasts.append(
            Forecast(
                origin: f.message.origin,
                firstStep: f.message.horizon[0].mean,
                leadTimeMean: f.message.leadTimeMean,
                reorderPoint: p95
            )
        )
    }

    mutating func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws {}
    mutating func deadLetter(_ message: InputMessage, rejection: Rejection) throws {}
}

@Suite("The demand signal on the real log")
struct DemandSignalRealTests {
    /// SKU 23166's first sale ever: 74,215 units on 2011-01-18 10:01 (invoice 541431),
    /// cancelled 16 minutes later (C541433); it next sells from 2011-05-12.
    static let sku = "23166"

    static func replay(
        rows: Int,
        demand: DemandDefinition
    ) throws -> (sink: OneSKUSink, counts: ProcessorCounts, sales: [OrderEvent]) {
        let input = try realInput(rows: rows, partitions: 6, stock: false)
        let sales = input.messages.compactMap { m, topic -> OrderEvent? in
            guard topic == .orders, m.key == Array(sku.utf8) else { return nil }
            let event = (m.value ?? []).withUnsafeBytes { try? OrderEventDecoder().decode($0).get() }
            return event.flatMap { $0.kind == .sale ? $0 : nil }
        }
        var configuration = EngineConfiguration()
        configuration.demand = demand
        var replay = Replay<RecordedMessage, OneSKUSink>(
            partitions: 0..<6,
            configuration: configuration,
            sink: OneSKUSink(sku: sku)
        )
        for (m, t) in input.messages { try replay.append(m, t) }
        try replay.endAll()
        return (replay.sink, replay.counts, sales)
    }

    static func day(_ month: Int, _ day: Int) -> EventTime { EventTime(year: 2011, month: month, day: day)! }

    @Test(
        "Gross demand: 14 days after SKU 23166's 74,215-unit order, its forecast is within 2× of its usual daily sales and its reorder point within 2× of the ones its real sales give it"
    )
    func giantOrderGross() throws {
        // Through 2011-07-31: the rows before 2011-08-01.
        let (sink, _, sales) = try Self.replay(rows: 285_421, demand: .gross)
        // Its usual sales: what it sold from its first real sale (2011-05-12) to the end of
        // July, per day.
        let usual = sales.filter { $0.eventTime >= Self.day(5, 12) }
        #expect(usual.count > 40)
        let usualDaily = usual.reduce(0) { $0 + $1.quantity } / 81
        let selling = sink.forecasts.filter { $0.origin >= Self.day(5, 13) }
        let usualReorderPoints = selling.map(\.reorderPoint).sorted()
        let usualReorderPoint = usualReorderPoints[usualReorderPoints.count / 2]
        #expect(usualReorderPoint > 0)
        let after = sink.forecasts.filter { $0.origin >= Self.day(2, 1) && $0.origin < Self.day(2, 16) }
        #expect(after.count >= 10)
        for f in after {
            #expect(f.firstStep <= 2 * usualDaily, "\(f.origin): \(f.firstStep) a day")
            #expect(f.leadTimeMean <= 2 * usualDaily * 14, "\(f.origin): \(f.leadTimeMean) over the lead time")
            #expect(f.reorderPoint <= 2 * usualReorderPoint, "\(f.origin): reorder point \(f.reorderPoint)")
        }
        // The day after the order, its models learned a bounded bucket, not 74,215 units.
        let first = try #require(sink.forecasts.first { $0.origin == Self.day(1, 19) })
        #expect(first.firstStep < 100)
        print(
            "23166 (gross): forecast on 2011-01-19 \(first.firstStep)/day, lead-time p95 \(first.reorderPoint); on 2011-02-01 \(after[0].firstStep)/day, p95 \(after[0].reorderPoint); usual \(usualDaily)/day, p95 \(usualReorderPoint)"
        )
    }

    @Test(
        "Net demand: the cancellation 16 minutes later takes SKU 23166's 74,215 units off the bucket it was sold in; nothing of it reaches the models"
    )
    func giantOrderNet() throws {
        // Through 2011-02-15.
        let (sink, counts, sales) = try Self.replay(rows: 91_290, demand: .net)
        #expect(sales.map(\.quantity) == [74_215])
        #expect(counts.nettedOffSale > 0)
        #expect(sink.forecasts.count >= 25)
        // Only the global model's faint guess for a SKU that never sold is left.
        #expect(sink.forecasts.allSatisfy { $0.firstStep < 0.1 && $0.reorderPoint < 1 })
        print(
            "23166 (net): largest forecast \(sink.forecasts.map(\.firstStep).max() ?? -1)/day, reorder point \(sink.forecasts.map(\.reorderPoint).max() ?? -1)"
        )
        print(
            "net demand through 2011-02-15: \(counts.nettedOffSale) netted off their sale's bucket, \(counts.nettedOffCurrent) off the current one"
        )
    }
}
