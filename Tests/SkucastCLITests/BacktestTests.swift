import Foundation
import SkucastEngine
import SkucastKafkaTesting
import Testing

let scorer = repository.deletingLastPathComponent().appendingPathComponent("shared/benchmarks/score.py").path

/// Scores a forecast file with the protocol's reference scorer; returns its metrics.
func score(_ forecasts: URL) throws -> [String: Double] {
    let json = forecasts.appendingPathExtension("json")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "python3", scorer, "score", "--data", onlineRetailCSV, "--forecasts", forecasts.path, "--json", json.path,
    ]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CocoaError(.fileReadUnknown, userInfo: ["score.py exit": process.terminationStatus])
    }
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any] ?? [:]
    return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
}

/// One scored backtest of the whole file, shared by the tests that read it: a replay of the
/// year takes minutes in a debug build.
struct CSVBacktest: Sendable {
    let status: Int32, stdout: String, stderr: String
    let forecasts: URL, summary: URL, report: URL

    static let shared: Result<CSVBacktest, any Error> = Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-backtest-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("ensemble.csv")
        let summary = dir.appendingPathComponent("summary.json")
        let report = dir.appendingPathComponent("report.html")
        // With the restock simulation at two more service levels (two more replays), beside
        // the naive policy at twice and three times its rule of thumb, and the HTML report.
        let r = try skucast([
            "backtest", "--csv", onlineRetailCSV, "--forecasts-out", file.path, "--summary-json", summary.path,
            "--policy-levels", "0.8,0.9", "--naive-multiples", "2,3", "--report", report.path, "--report-sku", "85123A",
        ])
        return CSVBacktest(
            status: r.status,
            stdout: r.stdout,
            stderr: r.stderr,
            forecasts: file,
            summary: summary,
            report: report
        )
    }
}

@Suite("Backtest on the real Online Retail data")
struct BacktestTests {
    @Test(
        "skucast's metrics agree with the reference scorer; the ensemble beats seasonal naive (which reproduces its published figure) and every established result"
    )
    func backtest() throws {
        let r = try CSVBacktest.shared.get()
        let (file, summary) = (r.forecasts, r.summary)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("3603 series × 92 origins × 14 steps = 4640664 rows"), "\(r.stdout)")
        let everything = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: [String: Double]]
        ).filter { !$0.key.hasPrefix("policy ") }
        let all = everything.filter { !$0.key.contains(" h") && $0.key != "step_coverage" }
        let ensemble = try #require(all["ensemble"])
        let naive = try #require(all["snaive"])
        #expect(r.stdout.contains("reorder point, 14-day lead time at service level 0.95"), "\(r.stdout)")

        // Every metric of the file's forecaster, as the reference scorer computes it from the file.
        let reference = try score(file)
        for (name, value) in ensemble {
            let ref = try #require(reference[name], "\(name)")
            #expect(abs(value - ref) <= 1e-9 * max(abs(ref), 1), "\(name): skucast \(value), score.py \(ref)")
        }
        // The issue quotes seasonal naive at wRMSSE 1.311 on this protocol.
        #expect(abs(try #require(naive["wRMSSE"]) - 1.311) < 0.001)
        #expect(ensemble["wRMSSE"]! < naive["wRMSSE"]!)
        #expect(ensemble["RMSSE"]! < naive["RMSSE"]!)
        // Regression guards: better than the best established result on every row the
        // issue quotes, with p90 coverage inside 0.87–0.93.
        let established = [
            "wRMSSE": 0.987, "RMSSE": 1.196, "MASE": 1.575, "wMASE": 1.115, "WAPE": 0.914, "SPL90": 1.017,
        ]
        for (metric, best) in established {
            #expect(try #require(ensemble[metric]) < best, "\(metric) \(ensemble[metric]!) vs established \(best)")
        }
        #expect((0.87...0.93).contains(try #require(ensemble["cov90"])))
        #expect(reference["negative_means"] == 0 && reference["p90_below_p50"] == 0)
        #expect(
            Set(all.keys) == [
                "ensemble", "seasonal_naive", "moving_average_28", "holt_winters_slow", "holt_winters_fast",
                "croston_sba", "tsb", "imapa", "global_regression", "naive", "snaive", "hindsight_level",
                "reorder_point",
            ]
        )
        // The reference that knows each SKU's demand over the horizon: no bias, and below
        // the ensemble (by how much is the room a better level could win).
        let hindsight = try #require(all["hindsight_level"])
        #expect(abs(try #require(hindsight["Bias"])) < 1e-6, "\(hindsight)")
        #expect(hindsight["wRMSSE"]! < ensemble["wRMSSE"]! && hindsight["RMSSE"]! < ensemble["RMSSE"]!)
        // By band of the horizon: the bands split the rows and the absolute errors.
        let bands = try ["h1-7", "h8-14"].map { try #require(everything["ensemble \($0)"]) }
        #expect(bands.map { $0["rows"]! }.reduce(0, +) == ensemble["rows"]!)
        let absolute = bands.map { $0["WAPE"]! * $0["target_sum"]! }.reduce(0, +)
        #expect(abs(absolute - ensemble["WAPE"]! * ensemble["target_sum"]!) < 1e-6 * absolute)
        #expect(bands[0]["wRMSSE"]! < bands[1]["wRMSSE"]!, "the first week is the easier one")
        // The published p90 covers 87–93 % of targets at every step. Counts tie with
        // their quantiles (mostly at zero), so each level lies between the share strictly
        // below its quantile and the share at or below it, as for a calibrated count
        // distribution.
        let steps = try #require(everything["step_coverage"])
        for h in 1...14 {
            let p90 = try #require(steps["p90_coverage_h\(h)"])
            #expect((0.87...0.93).contains(p90), "step \(h): \(steps)")
            let (p50, below50, below90) = try (
                #require(steps["p50_coverage_h\(h)"]), #require(steps["p50_below_h\(h)"]),
                #require(steps["p90_below_h\(h)"])
            )
            #expect(below50 < 0.5 && 0.5 < p50 && below90 < 0.9 && 0.9 < p90, "step \(h): \(steps)")
        }
        // The restock policy keeps its promise: for SKUs selling at the time, reorder points
        // at the 95 % service level cover the 14-day lead time (the default, which the
        // engine calibrates on) in 93–97 % of cases; uncalibrated they covered 81 %.
        let reorder = try #require(all["reorder_point"])
        #expect(reorder["service_level"] == 0.95)
        #expect((0.93...0.97).contains(try #require(reorder["active_coverage_14d"])), "\(reorder)")
        #expect((0.93...0.98).contains(try #require(reorder["active_coverage_7d"])), "\(reorder)")
        #expect(try #require(reorder["coverage_14d"]) > 0.9, "\(reorder)")
        // So are the lead-time p90 and p50 every forecast publishes (uncalibrated they
        // covered 76 % and 49 %; now 89 % and 46 %).
        #expect((0.86...0.93).contains(try #require(reorder["lead_time_p90_active_coverage_14d"])), "\(reorder)")
        #expect((0.42...0.58).contains(try #require(reorder["lead_time_p50_active_coverage_14d"])), "\(reorder)")
    }

    @Test("--horizon 30 scores 30 steps under the protocol's other rules, and by band of the horizon")
    func longHorizon() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-h30-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (file, summary) = (dir.appendingPathComponent("f.csv"), dir.appendingPathComponent("s.json"))
        let r = try skucast([
            "backtest", "--csv", onlineRetailCSV, "--horizon", "30", "--forecasts-out", file.path,
            "--summary-json", summary.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        // The origins end 30 days before the data (2011-11-09), so fewer SKUs have sold by
        // the first one than with 14.
        #expect(r.stdout.contains("3583 series × 92 origins × 30 steps = 9889080 rows"), "\(r.stdout)")
        let rows = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(rows.count == 9_889_080)
        #expect(rows.first?.hasPrefix("10002,2011-08-10,1,") == true, "\(rows.first ?? "")")
        let steps: [String] = rows.prefix(30).map { String($0.split(separator: ",")[2]) }
        let expected: [String] = (1...30).map { String($0) }
        #expect(steps == expected)
        let all = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: [String: Double]]
        )
        let ensemble = try #require(all["ensemble"])
        let bands = try ["h1-7", "h8-14", "h15-30"].map { try #require(all["ensemble \($0)"]) }
        let bandRows: [Double] = bands.map { $0["rows"] ?? 0 }
        let expectedRows: [Double] = [7, 7, 16].map { Double(3583 * 92 * $0) }
        #expect(bandRows == expectedRows)
        let absolute: Double = bands.map { $0["WAPE"]! * $0["target_sum"]! }.reduce(0, +)
        #expect(abs(absolute - ensemble["WAPE"]! * ensemble["target_sum"]!) < 1e-6 * absolute)
        // Further is harder, and the p90 stays calibrated to the last step.
        #expect(bands[0]["MASE"]! < bands[1]["MASE"]! && bands[1]["MASE"]! < bands[2]["MASE"]!)
        let coverage = try #require(all["step_coverage"])
        for h in 1...30 {
            let p90 = try #require(coverage["p90_coverage_h\(h)"])
            #expect((0.87...0.93).contains(p90), "step \(h): \(coverage)")
        }
        #expect(r.stdout.contains("h 15–30"), "\(r.stdout)")
    }

    @Test(
        "backtest --topic replays the orders topic through the same engine: the same forecast file, byte for byte, as the CSV; --from/--to filter by message timestamp"
    )
    func topicReplay() throws {
        let broker = try DevBroker.shared()
        let prefix = "bt\(UUID().uuidString.prefix(6).lowercased())."
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-topic-backtest-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(
            try skucast(["topics", "apply", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix]).status == 0
        )
        let load = try skucast([
            "load", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--csv", onlineRetailCSV,
        ])
        #expect(load.status == 0, "\(load.stderr)")
        let fromTopic = dir.appendingPathComponent("topic.csv")
        let csv = try CSVBacktest.shared.get()
        let fromCSV = csv.forecasts
        #expect(csv.status == 0, "\(csv.stderr)")
        let topic = try skucast([
            "backtest", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--topic", "orders",
            "--forecasts-out", fromTopic.path, "--summary-json", dir.appendingPathComponent("s.json").path,
        ])
        #expect(topic.status == 0, "\(topic.stderr)")
        #expect(
            try Data(contentsOf: fromCSV) == Data(contentsOf: fromTopic),
            "the topic replay's forecasts differ from the file's"
        )
        // The same summary, but for the first line (timing) and the one naming the file.
        func summary(_ out: String) -> [Substring] {
            out.split(separator: "\n").dropFirst().prefix { !$0.hasPrefix("restock policy simulation") }
                .filter { !$0.hasPrefix("mean:") }
        }
        #expect(summary(csv.stdout) == summary(topic.stdout), "\(topic.stdout)")
        // The protocol's line, the table's header, the ensemble, each of its models, the
        // two naive baselines and the hindsight reference; the ensemble by band (a header
        // and two weeks); coverage by step, at or below and strictly below; per lead time,
        // the reorder point and the published lead-time p50 and p90.
        #expect(
            summary(csv.stdout).count == 1 + 1 + (1 + SKUForecaster.modelCount + 3) + 3 + 2 + 2 * 3,
            "\(csv.stdout)"
        )

        // Cut at June 1 by message timestamp: the two halves hold every event once.
        func read(_ bound: String) throws -> (events: Int, outside: Int) {
            // A 7-day horizon: replayed, not scored (the protocol looks 14 days ahead).
            let r = try skucast([
                "backtest", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--topic", "orders", bound,
                "2011-06-01T00:00:00Z", "--horizon", "7",
            ])
            #expect(
                r.stdout.contains(
                    "not scored: retail-daily-v1 scores UTC day forecasts 14 days ahead; these settings have a horizon of 7, under 14"
                ),
                "\(r.stdout)"
            )
            let line = try #require(r.stderr.split(separator: "\n").first { $0.hasPrefix("read ") }, "\(r.stderr)")
            // "read N order events from TOPIC (M outside --from/--to, K unreadable)"
            let words = line.split(separator: " ")
            let outside = try #require(words.first { $0.hasPrefix("(") }.flatMap { Int($0.dropFirst()) })
            return (try #require(Int(words[1])), outside)
        }
        let later = try read("--from")
        let earlier = try read("--to")
        #expect(later.events > 0 && earlier.events > 0)
        #expect(later.events + earlier.events == 541_909, "\(later) \(earlier)")
        #expect(later.outside == earlier.events && earlier.outside == later.events)
    }
}
