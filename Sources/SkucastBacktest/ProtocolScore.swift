/// The protocol's metrics for one forecaster, accumulated as forecasts arrive: the
/// targets are known up front in a backtest, so no forecast needs to be kept.
public struct ProtocolScore: Sendable {
    let panel: RetailDailyV1
    /// The steps scored (1-based): the whole horizon, or a band of it.
    let steps: ClosedRange<Int>
    private var squared: [Double]
    private var absolute: [Double]
    private var pinball50: [Double]
    private var pinball90: [Double]
    private var sumAbs50 = 0.0, sumAbsMean = 0.0, sumError = 0.0, sumY = 0.0
    private var leadAbs = 0.0, leadY = 0.0
    private var covered = 0, count = 0, p90BelowP50 = 0

    init(panel: RetailDailyV1, steps: ClosedRange<Int>? = nil) {
        self.panel = panel
        self.steps = steps ?? 1...panel.horizon
        squared = .init(repeating: 0, count: panel.series.count)
        absolute = squared
        pinball50 = squared
        pinball90 = squared
    }

    /// Adds one series' forecasts at one origin, steps 1…horizon (values as written to the
    /// file); only ``steps`` are scored.
    mutating func add(series s: Int, origin: Int64, mean: [Double], p50: [Double], p90: [Double]) {
        var f7 = 0.0
        var y7 = 0.0
        for h in (steps.lowerBound - 1)..<steps.upperBound {
            let y = panel.y(s, day: origin + Int64(h) + 1)
            let e = mean[h] - y
            let a = p50[h] - y
            squared[s] += e * e
            absolute[s] += abs(a)
            let d50 = y - p50[h]
            let d90 = y - p90[h]
            pinball50[s] += max(0.5 * d50, -0.5 * d50)
            pinball90[s] += max(0.9 * d90, -0.1 * d90)
            sumAbs50 += abs(a)
            sumAbsMean += abs(e)
            sumError += e
            sumY += y
            if y <= p90[h] { covered += 1 }
            if p90[h] < p50[h] { p90BelowP50 += 1 }
            count += 1
            if h < 7 {
                f7 += mean[h]
                y7 += y
            }
        }
        // A week's demand from the origin: scored with step 1 only.
        if steps.lowerBound == 1 {
            leadAbs += abs(f7 - y7)
            leadY += y7
        }
    }

    /// The metrics, named as the reference scorer names them.
    public var metrics: [String: Double] {
        let n = Double(RetailDailyV1.originCount * steps.count)
        func average(_ perSeries: (Int) -> Double, usable: (Int) -> Bool) -> (Double, Double) {
            var plain = 0.0
            var weighted = 0.0
            var weights = 0.0
            var k = 0
            for s in panel.series.indices where usable(s) {
                let v = perSeries(s)
                plain += v
                weighted += v * panel.weight[s]
                weights += panel.weight[s]
                k += 1
            }
            return (plain / Double(k), weights > 0 ? weighted / weights : .nan)
        }
        let ok7 = { (s: Int) in (panel.scale7[s] ?? 0) > 0 }
        let ok1 = { (s: Int) in (panel.scale1[s] ?? 0) > 0 }
        let mase = average({ absolute[$0] / n / panel.scale7[$0]! }, usable: ok7)
        let rmsse = average({ (squared[$0] / n / panel.scale1[$0]!).squareRoot() }, usable: ok1)
        let spl50 = average({ pinball50[$0] / n / panel.scale7[$0]! }, usable: ok7)
        let spl90 = average({ pinball90[$0] / n / panel.scale7[$0]! }, usable: ok7)
        var metrics = [
            "WAPE": sumAbs50 / sumY, "WAPE-mean": sumAbsMean / sumY, "Bias": sumError / sumY,
            "cov90": Double(covered) / Double(count),
            "MASE": mase.0, "wMASE": mase.1, "RMSSE": rmsse.0, "wRMSSE": rmsse.1,
            "SPL50": spl50.0, "wSPL50": spl50.1, "SPL90": spl90.0, "wSPL90": spl90.1,
            "rows": Double(count), "target_sum": sumY, "p90_below_p50": Double(p90BelowP50),
        ]
        // A week from the origin: only a score that starts at step 1 has one.
        if steps.lowerBound == 1 { metrics["LT-WAPE"] = leadAbs / leadY }
        return metrics
    }
}
