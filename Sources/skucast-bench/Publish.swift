import ArgumentParser
import Foundation
import SkucastEngine
import SkucastEvents
import SkucastPipeline

/// The service's own work on a replay, without Kafka: the Online Retail file (with
/// synthetic stock, as `skucast load --inventory synthetic` loads it) through the same
/// pipeline as `skucast run`, six partitions, into a sink that only counts what it would
/// hand the producer. The ceiling a live replay's throughput could reach with a free
/// broker, and the bytes per forecast of each output setting.
struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "The pipeline of skucast run on the Online Retail file, outputs counted instead of produced: inputs/s and bytes per forecast, per output setting."
    )
    @Option(help: "The Online Retail CSV.")
    var csv: String
    @Option(help: "Input partitions, as the topics have them.")
    var partitions: Int = 6
    @Option(
        help:
            "Output settings to run, separated by ';': json, protobuf, or none (forecasts made but not encoded), each optionally with a publish tolerance after a comma (json,0.1)."
    )
    var outputs: String = "none;json;protobuf"
    @Option(help: "Runs of each setting (the figures of each are printed).")
    var runs: Int = 1

    func run() throws {
        var files = FileSource(partitions: partitions, topicNames: ["orders", "inventory"])
        try files.addOnlineRetail(Array(Data(contentsOf: URL(fileURLWithPath: csv))), syntheticInventory: true)
        let messages = files.messages
        for setting in outputs.split(separator: ";") {
            let parts = setting.split(separator: ",")
            let encoding = String(parts[0])
            let tolerance = parts.count > 1 ? Double(parts[1]) : nil
            guard ["none", "json", "protobuf"].contains(encoding), parts.count == 1 || tolerance != nil else {
                throw ValidationError("unknown output setting \(setting)")
            }
            for _ in 0..<runs {
                let sink = CountingSink(
                    valueEncoding: encoding == "protobuf" ? .protobuf : .json,
                    values: encoding != "none"
                )
                var replay = Replay<RecordedMessage, CountingSink>(
                    partitions: 0..<Int32(partitions),
                    configuration: EngineConfiguration(),
                    publishOnChange: tolerance.map { PublishOnChange(tolerance: $0) },
                    sink: sink
                )
                let clock = ContinuousClock()
                let t0 = clock.now
                for (m, topic) in messages { try replay.append(m, topic) }
                try replay.endAll()
                let seconds = (clock.now - t0).seconds
                let s = replay.sink
                print(
                    String(
                        format:
                            "%@: %d inputs in %.2f s, %.1f k inputs/s; %d forecasts (%.0f bytes each), %d alert changes (%.0f bytes each)",
                        String(setting),
                        messages.count,
                        seconds,
                        Double(messages.count) / seconds / 1000,
                        s.forecasts,
                        s.forecasts > 0 ? Double(s.forecastBytes) / Double(s.forecasts) : 0,
                        s.alerts,
                        s.alerts > 0 ? Double(s.alertBytes) / Double(s.alerts) : 0
                    )
                )
            }
        }
    }
}

/// Counts outputs and their bytes, as a producer would take them.
struct CountingSink: OutputSink {
    let valueEncoding: OutputEncoding
    let forecastInterest: ForecastInterest
    var forecasts = 0
    var forecastBytes = 0
    var alerts = 0
    var alertBytes = 0
    var deadLetters = 0

    init(valueEncoding: OutputEncoding, values: Bool) {
        self.valueEncoding = valueEncoding
        forecastInterest = ForecastInterest(values: values)
    }

    mutating func forecast(_ forecast: EmittedForecast) throws {
        guard forecast.isPublished else { return }
        forecasts += 1
        forecastBytes += forecast.value?.count ?? 0
    }

    mutating func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws {
        alerts += 1
        alertBytes += value.count
    }

    mutating func deadLetter(_ message: InputMessage, rejection: Rejection) throws {
        deadLetters += 1
    }
}
