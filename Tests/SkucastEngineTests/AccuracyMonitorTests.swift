import SkucastEvents
import Testing

@testable import SkucastEngine

@Suite("Online accuracy and drift")
struct AccuracyMonitorTests {
    /// One bucket of `skus` smooth SKUs selling 10 a bucket, each forecast off by `error`,
    /// with the p90 at 12.
    static func bucket(error: Double, skus: Int = 50) -> AccuracyMonitor.Sums {
        var sums = AccuracyMonitor.Sums()
        for _ in 0..<skus {
            sums.add(
                .smooth,
                demand: 10,
                models: EnsembleLanes(repeating: 10 + 2 * error),
                ensemble: 10 + error,
                p90: 12
            )
        }
        return sums
    }

    @Test("steady error raises nothing; a jump is one drift event until the error settles back")
    func drift() {
        var monitor = AccuracyMonitor()
        // A steady error with a little wobble, for longer than the band's warm-up.
        for t in 0..<60 { #expect(monitor.learn(Self.bucket(error: 3 + 0.2 * Double(t % 3 - 1))).isEmpty) }
        #expect(monitor.driftEvents == .zero && monitor.drifting == 0)
        let wape = try! #require(monitor.wape(.smooth))
        #expect(abs(wape - 0.3) < 0.01)
        let band = try! #require(monitor.band(.smooth))
        #expect(band.contains(0.3) && !band.contains(0.45))
        #expect(monitor.band(.lumpy) == nil, "no lumpy SKU: nothing learned")
        // The error triples: one event, and the class stays drifting while it lasts.
        var started: [DemandClass] = []
        for _ in 0..<5 { started += monitor.learn(Self.bucket(error: 9)) }
        #expect(started == [.smooth])
        #expect(monitor.driftEvents[DemandClass.smooth.rawValue] == 1)
        #expect(monitor.drifting == 1 << UInt8(DemandClass.smooth.rawValue))
        // Back to normal: it settles, and nothing more is counted.
        for _ in 0..<40 { started += monitor.learn(Self.bucket(error: 3)) }
        #expect(started == [.smooth])
        #expect(monitor.drifting == 0)
        // Per model: lanes off by twice the ensemble's error; the p90 covers every bucket.
        let recent = monitor.recent
        let k = DemandClass.smooth.rawValue
        #expect(abs(recent.modelError[k][0] / recent.demand[k] - 2 * recent.ensembleError[k] / recent.demand[k]) < 1e-9)
        #expect(recent.p90Covered[k] == recent.p90Checks[k])
        #expect(recent.signedError[k] > 0)
    }

    @Test("a band whose spread reaches below zero starts at zero: a WAPE never goes below it")
    func bandFloor() throws {
        var monitor = AccuracyMonitor()
        // One bucket in four far off, the first among them: the band's mean starts at that
        // first, high WAPE and falls, and its variance swells as it does, so three
        // deviations reach below zero while the recent WAPE keeps well above it.
        for t in 0..<60 { monitor.learn(Self.bucket(error: t % 4 == 0 ? 20 : 0)) }
        let k = DemandClass.smooth.rawValue
        #expect(monitor.bandMean[k] - AccuracyMonitor.driftSigmas * monitor.bandVariance[k].squareRoot() < 0)
        let band = try #require(monitor.band(.smooth))
        #expect(band.lowerBound == 0 && band.upperBound > monitor.bandMean[k])
    }

    @Test("a bucket without forecast SKUs changes nothing")
    func emptyBucket() {
        var monitor = AccuracyMonitor()
        monitor.learn(Self.bucket(error: 1))
        let before = monitor
        monitor.learn(AccuracyMonitor.Sums())
        #expect(monitor == before)
    }
}
