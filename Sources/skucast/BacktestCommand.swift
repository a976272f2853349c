import ArgumentParser
import Foundation
import SkucastEngine
import SkucastEvents

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay an Online Retail CSV through the engine and write the retail-daily-v1 forecast file."
    )

    @Option(help: "The Online Retail CSV (either UCI header).")
    var csv: String

    @Option(help: "Where to write the forecast file (sku,origin,h,mean,p50,p90).")
    var forecastsOut: String

    @Option(help: "Split SKUs over this many partitions with Kafka's partitioner, as the live topics do.")
    var partitions: Int = 6

    @Option(help: "The point forecast to write: ensemble, or one model (\(SKUForecaster.Model.allCases.map(\.name).joined(separator: ", "))).")
    var model: String = "ensemble"

    func run() throws {
        let chosen: SKUForecaster.Model?
        if model == "ensemble" {
            chosen = nil
        } else if let m = SKUForecaster.Model.allCases.first(where: { $0.name == model }) {
            chosen = m
        } else {
            throw ValidationError("unknown model \(model)")
        }
        let clock = ContinuousClock()
        let start = clock.now
        var events: [OrderEvent] = []
        var unreadable = 0
        for row in try OnlineRetailOrderReader(Array(Data(contentsOf: URL(fileURLWithPath: csv)))) {
            switch row {
            case .success(let e): events.append(e)
            case .failure(let error):
                unreadable += 1
                note("skipped \(csv):\(error)")
            }
        }
        guard let firstTime = events.map(\.eventTime).min(), let lastTime = events.map(\.eventTime).max() else {
            throw ValidationError("\(csv) has no events")
        }
        let config = EngineConfiguration()
        let calendar = config.calendar
        let protocolSpec = RetailDailyV1(firstDay: calendar.bucket(of: firstTime), lastDay: calendar.bucket(of: lastTime))
        guard let origins = protocolSpec.origins else { throw ValidationError("the file is too short for 92 origins × 14 days") }

        var engines = (0..<partitions).map { _ in PartitionEngine(configuration: config) }
        var sink = ProtocolForecastSink(origins: origins, horizon: RetailDailyV1.horizon, calendar: calendar, model: chosen)
        var late = 0
        for event in events {
            var sku = event.sku
            let p = sku.withUTF8 { Murmur2Partitioner.partition(of: $0, partitions: partitions) }
            if case .tooLate = engines[p].apply(event) { late += 1 }
            engines[p].advance { sink.receive($0) }
        }
        for p in engines.indices { engines[p].close(through: protocolSpec.lastDay) { sink.receive($0) } }
        let rows = try sink.write(to: URL(fileURLWithPath: forecastsOut))
        let seconds = (clock.now - start).seconds
        print("backtest: \(events.count) events (\(unreadable) unreadable, \(late) too late), \(sink.seriesCount) series × \(origins.count) origins × \(RetailDailyV1.horizon) steps = \(rows) rows → \(forecastsOut) in \(String(format: "%.2f", seconds)) s")
    }
}

/// The forecast protocol `retail-daily-v1` (../shared/benchmarks/forecast-protocol.md):
/// test origins and series.
struct RetailDailyV1 {
    static let horizon = 14
    static let originCount = 92
    let firstDay: Int64
    let lastDay: Int64

    /// The last 92 days whose whole horizon lies inside the file.
    var origins: ClosedRange<Int64>? {
        let last = lastDay - Int64(Self.horizon)
        let first = last - Int64(Self.originCount) + 1
        return first > firstDay ? first...last : nil
    }

    /// Product codes: five digits and up to two letters.
    static func isProduct(_ sku: String) -> Bool {
        let u = Array(sku.utf8)
        guard u.count >= 5, u.count <= 7, u.prefix(5).allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
        return u.dropFirst(5).allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }
}

/// Collects the forecasts the protocol asks for and writes its CSV, sorted by SKU, origin, step.
struct ProtocolForecastSink {
    let origins: ClosedRange<Int64>
    let horizon: Int
    let calendar: BucketCalendar
    let model: SKUForecaster.Model?
    /// Protocol series: products with a sale on or before the first origin.
    private var series: Set<String> = []
    private var rows: [String: [UInt8]] = [:]

    init(origins: ClosedRange<Int64>, horizon: Int, calendar: BucketCalendar, model: SKUForecaster.Model?) {
        self.origins = origins
        self.horizon = horizon
        self.calendar = calendar
        self.model = model
    }

    var seriesCount: Int { series.count }

    mutating func receive(_ closed: ClosedBucket) {
        guard origins.contains(closed.bucket) else { return }
        if closed.bucket == origins.lowerBound, RetailDailyV1.isProduct(closed.sku) { series.insert(closed.sku) }
        guard series.contains(closed.sku) else { return }
        let f = closed.forecaster
        let cycle = calendar.size.seasonLength
        let next = calendar.season(of: closed.bucket + 1)
        let q = f.history.quantiles(last: 28, levels: [0.5, 0.9])
        let origin = Array(calendar.start(of: closed.bucket).description.prefix(10).utf8)
        var out = rows[closed.sku, default: []]
        for h in 1...horizon {
            let mean = model.map { f.forecast($0, step: h, nextSeason: next, cycle: cycle) } ?? f.mean(step: h, nextSeason: next, cycle: cycle)
            out.append(contentsOf: closed.sku.utf8)
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: origin)
            out.append(UInt8(ascii: ","))
            appendDecimal(Double(h), to: &out)
            for v in [mean, q[0], max(q[0], q[1])] {
                out.append(UInt8(ascii: ","))
                appendDecimal(v, to: &out)
            }
            out.append(0x0A)
        }
        rows[closed.sku] = out
    }

    /// Writes the file; returns the number of rows.
    func write(to url: URL) throws -> Int {
        var data = Array("sku,origin,h,mean,p50,p90\n".utf8)
        for sku in series.sorted() { data += rows[sku] ?? [] }
        try Data(data).write(to: url)
        return series.count * origins.count * horizon
    }
}

/// Appends a non-negative finite number rounded to 4 decimals, without trailing zeros.
func appendDecimal(_ value: Double, to out: inout [UInt8]) {
    let scaled = (max(0, value) * 10_000).rounded()
    var whole = UInt64(scaled / 10_000)
    var fraction = UInt64(scaled) - whole * 10_000
    var digits: [UInt8] = []
    repeat {
        digits.append(UInt8(ascii: "0") + UInt8(whole % 10))
        whole /= 10
    } while whole > 0
    out.append(contentsOf: digits.reversed())
    guard fraction > 0 else { return }
    out.append(UInt8(ascii: "."))
    var places = 4
    while fraction % 10 == 0 {
        fraction /= 10
        places -= 1
    }
    var frac: [UInt8] = []
    for _ in 0..<places {
        frac.append(UInt8(ascii: "0") + UInt8(fraction % 10))
        fraction /= 10
    }
    out.append(contentsOf: frac.reversed())
}
