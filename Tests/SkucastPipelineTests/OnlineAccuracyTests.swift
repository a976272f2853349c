import SkucastEngine
import SkucastPipeline
import Testing

@Suite("Accuracy the service measures online")
struct OnlineAccuracyTests {
    @Test("on the real log, each partition's monitor sees the ensemble ahead of its models and a calibrated p90")
    func realLog() throws {
        let replay = try replayRealLog(rows: 120_000, into: MemorySink())
        var sums = AccuracyMonitor.Sums()
        for p in replay.processors.values { sums.add(p.engine.accuracy.recent) }
        let demand = sums.demand.sum()
        let ensemble = sums.ensembleError.sum() / demand
        var lanes = EnsembleLanes.zero
        for c in 0..<4 { lanes += sums.modelError[c] }
        let models = (0..<SKUForecaster.modelCount).map { lanes[$0] / demand }
        print(
            "online accuracy, last ~10 buckets: ensemble WAPE \(ensemble), models \(models), bias \(sums.signedError.sum() / demand), p90 coverage \(sums.p90Covered.sum() / sums.p90Checks.sum()) of \(sums.p90Checks.sum())"
        )
        #expect(demand > 0 && sums.p90Checks.sum() > 100)
        #expect(ensemble < models[SKUForecaster.lane(named: "seasonal_naive")!])
        #expect(ensemble <= models.min()! * 1.05)
        #expect((0.8...0.97).contains(sums.p90Covered.sum() / sums.p90Checks.sum()))
    }
}
