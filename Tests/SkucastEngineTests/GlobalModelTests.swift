import SkucastEvents
import SkucastTestSupport
import Testing

@testable import SkucastEngine

@Suite("Global model across SKUs")
struct GlobalModelTests {
    @Test("The ridge solve is exact and fits noiseless examples of any scale")
    func recoversCoefficients() {
        var rng = SplitMix64(seed: 11)
        var truth = DemandFeatures.zero
        for i in 0..<16 where i != 7 && i != 15 { truth[i] = Double.random(in: -1...1, using: &rng) }
        var model = GlobalDemandModel()
        for _ in 0..<5 {
            for _ in 0..<1_000 {
                var levels = SIMD8<Double>.zero
                for i in 0..<7 { levels[i] = Double.random(in: 0...2, using: &rng) }
                let example = GlobalExample(
                    season: Int.random(in: 0..<7, using: &rng),
                    levels: levels,
                    target: 0,
                    scale: Double.random(in: 0.1...5, using: &rng)
                )
                // Targets stay under the cap, so the fit is exact but for the ridge.
                model.learn(
                    GlobalExample(
                        season: example.season,
                        levels: levels,
                        target: (truth * example.features).sum() + 2,
                        scale: example.scale
                    )
                )
            }
            model.finishBucket()
        }
        // The solve is exact: (G + ρI) w = m to rounding.
        for i in 0..<16 {
            let lhs = (model.gram[i] * model.coefficients).sum() + GlobalDemandModel.ridge * model.coefficients[i]
            #expect(abs(lhs - model.moment[i]) < 1e-9 * max(1, abs(model.moment[i])), "row \(i)")
        }
        // And the fit reproduces the truth on fresh examples, but for the ridge's slight
        // shrinkage (1 example's worth against about 10,000 weighted): within 0.02 on targets of -5 to 20.
        for _ in 0..<100 {
            var x = DemandFeatures.zero
            x[Int.random(in: 0..<7, using: &rng)] = 1
            for i in 8..<15 { x[i] = Double.random(in: 0...2, using: &rng) }
            let y = (truth * x).sum() + 2
            #expect(abs(model.predict(x) - y) < 0.02, "\(model.predict(x)) vs \(y)")
        }
        // Unused lanes (no eighth weekday, no promotions) stay at zero.
        #expect(model.coefficients[7] == 0 && model.coefficients[15] == 0)
    }

    @Test("A weekday pattern learned from many SKUs reaches a SKU too young to show it")
    func sharesAcrossSKUs() {
        let calendar = BucketCalendar()
        var engine = PartitionEngine(configuration: EngineConfiguration())
        let start = EventTime(year: 2011, month: 1, day: 3, hour: 12)!  // a Monday
        let day: Int64 = 86_400_000
        func sale(_ sku: String, _ qty: Double, _ d: Int64) -> OrderEvent {
            OrderEvent(
                orderID: "\(sku)-\(d)",
                line: 1,
                sku: sku,
                quantity: qty,
                kind: .sale,
                unitPrice: 1,
                currency: "GBP",
                eventTime: EventTime(milliseconds: start.milliseconds + d * day)
            )
        }
        var last: [String: ClosedBucket] = [:]
        for d in Int64(0)..<70 {
            // 100 established SKUs sell 10 on Mondays and 2 on other days; a new one starts
            // on day 64 (a Monday) with one sale a day, the same every day.
            for k in 0..<100 { _ = engine.apply(sale("sku\(k)", d % 7 == 0 ? 10 : 2, d)) }
            if d >= 64 { _ = engine.apply(sale("young", 3, d)) }
            engine.advance { last[$0.sku] = $0 }
        }
        let young = try! #require(last["young"])
        let next = calendar.season(of: young.bucket + 1)
        let byDay = (1...7).map {
            young.forecast.forecaster.forecast(
                lane: SKUForecaster.globalLane,
                step: $0,
                nextSeason: next,
                cycle: 7,
                closedSeasons: young.forecast.outlook.closedSeasons
            )
        }
        let monday = byDay[Int((start.milliseconds / day - (young.bucket + 1)) % 7 + 7) % 7]
        let others = byDay.filter { $0 != monday }
        #expect(monday > 2 * others.max()!, "\(byDay)")
        // Its own models saw no weekday pattern at all.
        let own = (1...7).map {
            young.forecast.forecaster.forecast(
                lane: SKUForecaster.lane(of: HoltWintersSlow.self),
                step: $0,
                nextSeason: next,
                cycle: 7
            )
        }
        #expect(own.max()! - own.min()! < 0.5, "\(own)")
    }
}
