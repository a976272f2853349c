import ArgumentParser
import Foundation
import SkucastBacktest
import SkucastEngine
import SkucastEvents

struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay an Online Retail CSV through the engine; score every model under retail-daily-v1 and write one forecast file."
    )

    @Option(help: "The Online Retail CSV (either UCI header).")
    var csv: String

    @Option(help: "Where to write the forecast file (sku,origin,h,mean,p50,p90).")
    var forecastsOut: String?

    @Option(help: "Where to write the metrics of every model as JSON.")
    var summaryJson: String?

    @Option(help: "Split SKUs over this many partitions with Kafka's partitioner, as the live topics do.")
    var partitions: Int = 6

    @Flag(help: "Score the 92 days before the test period instead (choose settings there, report the test period).")
    var validation = false

    @Option(help: "The forecaster whose point forecasts go into the file: \(BacktestForecaster.all.map(\.description).joined(separator: ", ")).")
    var model: String = "ensemble"

    func run() throws {
        guard let chosen = BacktestForecaster(name: model) else { throw ValidationError("unknown model \(model)") }
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
        let result = try Backtest.run(events: events, partitions: partitions, configuration: EngineConfiguration(), file: chosen, validationShift: validation ? RetailDailyV1.originCount : 0)
        if let forecastsOut { try Data(result.forecastFile).write(to: URL(fileURLWithPath: forecastsOut)) }
        let seconds = (clock.now - start).seconds
        let panel = result.panel
        print("backtest retail-daily-v1\(validation ? " (validation period)" : ""): \(result.events) events (\(unreadable) unreadable, \(result.lateEvents) too late), \(panel.series.count) series × \(RetailDailyV1.originCount) origins × \(RetailDailyV1.horizon) steps = \(panel.series.count * RetailDailyV1.originCount * RetailDailyV1.horizon) rows in \(String(format: "%.2f", seconds)) s")
        let columns = ["wRMSSE", "RMSSE", "Bias", "LT-WAPE", "MASE", "wMASE", "WAPE", "SPL90", "cov90"]
        print("model".padding(toLength: 20, withPad: " ", startingAt: 0) + columns.map { $0.padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
        for (forecaster, metrics) in result.scores {
            let marker = forecaster == chosen && forecastsOut != nil ? "*" : " "
            print((forecaster.description + marker).padding(toLength: 20, withPad: " ", startingAt: 0)
                + columns.map { String(format: "%-9.4f", metrics[$0] ?? .nan) }.joined())
        }
        print("mean: each forecaster's own; p50/p90: empirical quantiles of the last 28 days for all\(forecastsOut.map { "; * = written to \($0)" } ?? "")")
        if let summaryJson {
            let object = Dictionary(uniqueKeysWithValues: result.scores.map { ($0.forecaster.description, $0.metrics) })
            try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: summaryJson))
        }
    }
}
