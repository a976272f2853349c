import Foundation
import Synchronization
import Testing

let scorer = repository.deletingLastPathComponent().appendingPathComponent("shared/benchmarks/score.py").path

/// Scores a forecast file with the protocol's reference scorer; returns its metrics.
func score(_ forecasts: URL) throws -> [String: Double] {
    let json = forecasts.appendingPathExtension("json")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", scorer, "score", "--data", onlineRetailCSV, "--forecasts", forecasts.path, "--json", json.path]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown, userInfo: ["score.py exit": process.terminationStatus]) }
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any] ?? [:]
    return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
}

@Suite("Backtest on the real Online Retail data")
struct BacktestTests {
    @Test("The ensemble beats seasonal naive under the reference scorer, and seasonal naive reproduces its published figure")
    func ensembleBeatsSeasonalNaive() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-backtest-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let models = ["ensemble", "seasonal_naive"]
        let results = Mutex<[String: (status: Int32, stdout: String, stderr: String)]>([:])
        // Both replays at once: one per core.
        DispatchQueue.concurrentPerform(iterations: models.count) { i in
            let out = dir.appendingPathComponent("\(models[i]).csv").path
            let r = try? skucast(["backtest", "--csv", onlineRetailCSV, "--forecasts-out", out, "--model", models[i]])
            results.withLock { $0[models[i]] = r ?? (-1, "", "could not run") }
        }
        for model in models {
            let r = try #require(results.withLock { $0[model] })
            #expect(r.status == 0, "\(model): \(r.stderr)")
            #expect(r.stdout.contains("3603 series × 92 origins × 14 steps = 4640664 rows"), "\(r.stdout)")
        }
        let ensemble = try score(dir.appendingPathComponent("ensemble.csv"))
        let naive = try score(dir.appendingPathComponent("seasonal_naive.csv"))
        // The issue quotes seasonal naive at wRMSSE 1.311 on this protocol: same data, same engine path.
        #expect(abs(try #require(naive["wRMSSE"]) - 1.311) < 0.001)
        #expect(try #require(ensemble["wRMSSE"]) < naive["wRMSSE"]!)
        #expect(ensemble["RMSSE"]! < naive["RMSSE"]!)
        // Regression guards: better than always forecasting zero (1.108) and than the
        // best established tool quoted in the issue (0.987).
        #expect(ensemble["wRMSSE"]! < 0.987, "wRMSSE \(ensemble["wRMSSE"]!)")
        #expect(ensemble["negative_means"] == 0)
        #expect(ensemble["p90_below_p50"] == 0)
    }
}
