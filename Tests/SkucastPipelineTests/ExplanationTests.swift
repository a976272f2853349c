import Foundation
import SkucastEngine
import SkucastEvents
import SkucastPipeline
import Testing

/// Keeps every published forecast with its detail (each model's own means) and its bytes.
struct DetailedSink: OutputSink {
    var forecasts: [(message: ForecastMessage, detail: ForecastDetail, value: [UInt8])] = []

    var forecastInterest: ForecastInterest { ForecastInterest(detail: Int64.min...Int64.max) }

    mutating func forecast(_ f: EmittedForecast) throws {
        guard f.isPublished, let detail = f.detail else { return }
        forecasts.append((f.message, detail, f.value.map { Array($0) } ?? []))
    }

    mutating func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws {}
    mutating func deadLetter(_ message: InputMessage, rejection: Rejection) throws {}
}

/// The topics' directory of the repository.
let topicsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Topics")

/// The first rows of the real log (with synthetic stock) replayed as `skucast run` reads
/// its six partitions.
func replayRealLog<Sink: OutputSink>(rows: Int, into sink: Sink) throws -> Replay<RecordedMessage, Sink> {
    let files = try realInput(rows: rows, partitions: 6)
    var replay = Replay<RecordedMessage, Sink>(
        partitions: Array(0..<6),
        configuration: EngineConfiguration(),
        sink: sink
    )
    for (m, topic) in files.messages { try replay.append(m, topic) }
    try replay.endAll()
    return replay
}

@Suite("What a forecast explains")
struct ExplanationTests {
    static func replay(rows: Int) throws -> DetailedSink { try replayRealLog(rows: rows, into: DetailedSink()).sink }

    @Test("the global model's contributions add up to its forecast of the first open step, floored at zero")
    func contributionsAddUp() throws {
        let sink = try Self.replay(rows: 40_000)
        let global = SKUForecaster.globalLane
        let average = try #require(SKUForecaster.lane(named: "moving_average_28"))
        var checked = 0
        var nonZero: Set<String> = []
        for (message, detail, _) in sink.forecasts {
            let names = message.globalContributions.map(\.name)
            #expect(names == ["level", "recency", "selling_days", "price", "promotion", "weekday"])
            // A published SKU sold within 28 days: its moving average is above zero on
            // every open day and zero on a closed one.
            guard let h = detail.modelMeans[average].firstIndex(where: { $0 > 0 }) else { continue }
            let sum = message.globalContributions.reduce(0) { $0 + $1.value }
            let published = detail.modelMeans[global][h]
            // The global forecast is kept as a 32-bit float.
            #expect(
                abs(max(0, sum) - published) <= 1e-5 * max(1, published),
                "\(message.sku) at \(message.origin): \(message.globalContributions) against \(published)"
            )
            for c in message.globalContributions where c.value != 0 { nonZero.insert(c.name) }
            checked += 1
        }
        #expect(checked > 10_000)
        // The data has no promotions; everything else moves forecasts.
        #expect(nonZero == ["level", "recency", "selling_days", "price", "weekday"])
    }

    @Test("the forecasts topic's example is a forecast the engine publishes, byte for byte")
    func topicExample() throws {
        let file = topicsDirectory.appendingPathComponent("forecasts/examples/daily.json")
        let example = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(example.utf8)) as? [String: Any])
        let (sku, origin) = (try #require(object["sku"] as? String), try #require(object["origin"] as? String))
        // Two months of the log, replayed as six partitions with synthetic stock.
        let sink = try Self.replay(rows: 40_000)
        let published = try #require(
            sink.forecasts.first { $0.message.sku == sku && $0.message.origin.description == origin },
            "no forecast of \(sku) at \(origin)"
        )
        let engine = String(decoding: published.value, as: UTF8.self)
        #expect(engine == example, "regenerate Topics/forecasts/examples/daily.json from: \(engine)")
    }
}
