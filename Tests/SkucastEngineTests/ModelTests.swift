import SkucastEvents
import SkucastTestSupport
import Testing

@testable import SkucastEngine

@Suite("Models, against values computed by hand")
struct ModelTests {
    @Test("Damped Holt-Winters follows its recursions")
    func holtWinters() {
        var m = DampedHoltWinters(alpha: 0.5, beta: 0.5, gamma: 0.5, phi: 0.5)
        m.update(10, season: 0)  // starts the level
        #expect(m.level == 10 && m.trend == 0)
        m.update(14, season: 1)
        // level = 0.5·(14 − 0) + 0.5·(10 + 0.5·0) = 12; trend = 0.5·(12 − 10) + 0.5·0.5·0 = 1
        // season[1] = 0.5·(14 − 12) + 0.5·0 = 1
        #expect(m.level == 12)
        #expect(m.trend == 1)
        #expect(m.season[1] == 1)
        // One step ahead into season 1: 12 + 0.5·1 + 1 = 13.5; two steps into season 2: 12 + (0.5 + 0.25)·1 + 0 = 12.75
        #expect(m.forecast(step: 1, season: 1, cycle: 7) == 13.5)
        #expect(m.forecast(step: 2, season: 1, cycle: 7) == 12.75)
    }

    @Test("Croston SBA smooths sizes and intervals of non-zero demand")
    func croston() {
        var m = CrostonSBA(alpha: 0.5)
        for y in [0.0, 4, 0, 0, 8] { m.update(y) }
        // first demand 4 after 2 buckets: size 4, interval 2; next 8 after 3: size 6, interval 2.5
        #expect(m.size == 6)
        #expect(m.interval == 2.5)
        #expect(m.forecast == 0.75 * 6 / 2.5)
    }

    @Test("TSB decays the demand probability while nothing sells")
    func tsb() {
        var m = TSB(alpha: 0.5, beta: 0.5)
        m.update(4)  // starts: p = 1, z = 4
        m.update(0)  // p = 0.5
        m.update(0)  // p = 0.25
        #expect(m.probability == 0.25)
        #expect(m.size == 4)
        m.update(8)  // p = 0.625, z = 6
        #expect(m.probability == 0.625)
        #expect(m.size == 6)
        #expect(m.forecast == 3.75)
    }

    @Test("Seasonal naive repeats last week; the history keeps the last 28 buckets")
    func seasonalNaive() {
        var f = SKUForecaster()
        for d in 0..<30 { f.close(demand: Double(d), season: d % 7, cycle: 7) }
        // Last closed bucket is 29; step h reads y[29 + h − 7·ceil(h/7)].
        #expect(f.forecast(lane: SKUForecaster.lane(of: SeasonalNaive.self), step: 1, nextSeason: 2, cycle: 7) == 23)
        #expect(f.forecast(lane: SKUForecaster.lane(of: SeasonalNaive.self), step: 7, nextSeason: 2, cycle: 7) == 29)
        #expect(f.forecast(lane: SKUForecaster.lane(of: SeasonalNaive.self), step: 8, nextSeason: 2, cycle: 7) == 23)
        #expect(f.history.count == 28)
        #expect(f.history.value(lag: 1) == 29 && f.history.value(lag: 28) == 2)
        #expect(
            f.forecast(lane: SKUForecaster.lane(of: MovingAverage.self), step: 3, nextSeason: 2, cycle: 7) == (2...29)
                .reduce(0.0) { $0 + Double($1) } / 28
        )
    }

    @Test("Empirical quantiles match numpy's default (linear) definition")
    func quantiles() {
        var h = DemandHistory()
        for y in [0.0, 0, 3, 1, 0, 10, 2] { h.append(y) }
        // sorted: 0 0 0 1 2 3 10; p50 = 1; p90 at position 5.4 = 3 + 0.4·7 = 5.8
        let q = h.quantiles(last: 28, levels: [0.5, 0.9])
        #expect(q[0] == 1)
        #expect(abs(q[1] - 5.8) < 1e-6)
    }

    @Test("Quantiles that sort only the selling buckets equal a full sort's, from empty to full histories")
    func quantilesOfMostlyEmpty() {
        var rng = SplitMix64(seed: 5)
        let levels = [0, 0.05, 0.5, 0.9, 0.95, 0.975, 1]
        for _ in 0..<2_000 {
            var h = DemandHistory()
            let zeroShare = Double.random(in: 0...1, using: &rng)
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                let selling = Double.random(in: 0..<1, using: &rng) >= zeroShare
                h.append(selling ? Double(Int.random(in: 1...50, using: &rng)) / 4 : 0)
            }
            let n = Int.random(in: 1...28, using: &rng)
            let xs = (1...max(1, min(n, h.count))).map { h.value(lag: $0) }.sorted()
            let expected = levels.map { q -> Double in
                guard h.count > 0 else { return 0 }
                let pos = q * Double(xs.count - 1)
                let lo = Int(pos.rounded(.down))
                let hi = min(lo + 1, xs.count - 1)
                return xs[lo] + (xs[hi] - xs[lo]) * (pos - Double(lo))
            }
            #expect(h.quantiles(last: n, levels: levels) == expected, "\(h.count) buckets, last \(n)")
        }
    }

    @Test("Quantiles of the open days equal a full sort of the buckets on open days, whatever days are closed")
    func openDayQuantilesOfMostlyEmpty() {
        var rng = SplitMix64(seed: 6)
        let levels = [0, 0.5, 0.9, 0.95, 1]
        for _ in 0..<1_000 {
            var f = SKUForecaster()
            let closed = UInt8.random(in: 1...0x7E, using: &rng)  // never every day of the week
            let zeroShare = Double.random(in: 0...1, using: &rng)
            let days = Int.random(in: 0...40, using: &rng)
            for d in 0..<days {
                let selling = Double.random(in: 0..<1, using: &rng) >= zeroShare
                f.close(demand: selling ? Double(Int.random(in: 1...50, using: &rng)) : 0, season: d % 7, cycle: 7)
            }
            let next = days % 7
            // As the quantiles were taken before: each lag's season by its own remainder.
            var xs: [Double] = []
            for lag in stride(from: 1, through: f.history.count, by: 1)
            where closed & (1 << (((next - lag) % 7 + 7) % 7)) == 0 {
                xs.append(f.history.value(lag: lag))
            }
            xs.sort()
            let expected = levels.map { q -> Double in
                guard !xs.isEmpty else { return 0 }
                let pos = q * Double(xs.count - 1)
                let lo = Int(pos.rounded(.down))
                let hi = min(lo + 1, xs.count - 1)
                return xs[lo] + (xs[hi] - xs[lo]) * (pos - Double(lo))
            }
            // The first open step reads exactly the open days' quantiles.
            let step = (1...7).first { closed & (1 << ((next + $0 - 1) % 7)) == 0 }!
            let q = f.quantiles(step: step, nextSeason: next, cycle: 7, levels: levels, closedSeasons: closed)
            #expect(q == expected, "\(days) days, closed \(closed)")
        }
    }

    @Test("Ensemble weights are a distribution, and favour the model with the smaller recent error")
    func ensembleWeights() {
        var f = SKUForecaster()
        // A steady 5 per bucket: seasonal naive and the moving average are exact after a week.
        for d in 0..<60 { f.close(demand: 5, season: d % 7, cycle: 7) }
        let w = f.weights
        let total = (0..<SKUForecaster.modelCount).reduce(0.0) { $0 + w[$1] }
        #expect(abs(total - 1) < 1e-12)
        #expect(w[SKUForecaster.lane(of: SeasonalNaive.self)] > w[SKUForecaster.lane(of: CrostonSBA.self)])
        #expect(abs(f.mean(step: 3, nextSeason: 4, cycle: 7) - 5) < 0.05)
    }

    @Test("Kafka's murmur2 partitioner matches the Java client's test vectors")
    func murmur2() {
        #expect(Murmur2Partitioner.murmur2(Array("21".utf8)) == -973_932_308)
        #expect(Murmur2Partitioner.murmur2(Array("foobar".utf8)) == -790_332_482)
        #expect(Murmur2Partitioner.murmur2(Array("a-little-bit-long-string".utf8)) == -985_981_536)
        #expect(Murmur2Partitioner.murmur2(Array("a-little-bit-longer-string".utf8)) == -1_486_304_829)
        #expect(
            Murmur2Partitioner.murmur2(Array("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8".utf8)) == -58_897_971
        )
        #expect(Murmur2Partitioner.murmur2(Array("abc".utf8)) == 479_470_107)
        #expect(
            Murmur2Partitioner.partition(of: Array("21".utf8), partitions: 6) == Int((-973_932_308 & 0x7fff_ffff) % 6)
        )
    }
}

@Suite("Partition engine")
struct PartitionEngineTests {
    static func sale(_ sku: String, _ qty: Double, day: Int, hour: Int = 12) -> OrderEvent {
        OrderEvent(
            orderID: "o\(day)-\(hour)-\(qty)",
            line: 1,
            sku: sku,
            quantity: qty,
            kind: .sale,
            unitPrice: 1,
            currency: "GBP",
            eventTime: EventTime(year: 2011, month: 1, day: day, hour: hour)!
        )
    }

    @Test("Buckets close when the watermark passes their end; days without sales are real zeros")
    func closingAndZeros() {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        var closed: [(String, Int64, Double)] = []
        let record = { (c: ClosedBucket) in
            closed.append((c.sku, c.bucket, c.forecast.lastBucketDemand))
        }
        #expect(engine.apply(Self.sale("A", 3, day: 3)) == .applied)
        #expect(engine.apply(Self.sale("A", 2, day: 3, hour: 18)) == .applied)
        engine.advance(record)
        #expect(closed.isEmpty, "day 3 is still open")
        #expect(engine.apply(Self.sale("B", 1, day: 6)) == .applied)
        engine.advance(record)
        // Days 3, 4 and 5 closed for A (5, then zeros); B started on day 6, still open.
        #expect(closed.map(\.0) == ["A", "A", "A"])
        #expect(closed.map(\.2) == [5, 0, 0])
        #expect(closed.map(\.1) == [closed[0].1, closed[0].1 + 1, closed[0].1 + 2])
    }

    @Test("Events within the allowed lateness count; later ones are reported, not applied")
    func lateness() {
        var config = EngineConfiguration()
        config.allowedLatenessMilliseconds = 6 * 3_600_000
        var engine = PartitionEngine(configuration: config)
        _ = engine.apply(Self.sale("A", 1, day: 3, hour: 23))
        _ = engine.apply(Self.sale("A", 1, day: 4, hour: 3))  // watermark day 3 21:00: day 3 open
        #expect(engine.apply(Self.sale("A", 4, day: 3, hour: 10)) == .applied)
        _ = engine.apply(Self.sale("A", 1, day: 4, hour: 7))  // watermark day 4 01:00: day 3 closes
        var day3 = 0.0
        engine.advance { day3 = $0.forecast.lastBucketDemand }
        #expect(day3 == 5)
        let late = engine.apply(Self.sale("A", 9, day: 3, hour: 11))
        guard case .tooLate = late else {
            Issue.record("expected tooLate, got \(late)")
            return
        }
        #expect(engine.lateEvents == 1)
    }

    @Test("Returns, cancellations and adjustments are not demand")
    func notDemand() {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        for kind in [OrderKind.return, .cancellation, .adjustment] {
            var e = Self.sale("A", -2, day: 3)
            e.kind = kind
            #expect(engine.apply(e) == .notDemand)
        }
        #expect(engine.skuCount == 0)
    }

    @Test("Lazy zero-fill over a long gap equals closing every day as it passes")
    func lazyEqualsEager() {
        var lazy = PartitionEngine(configuration: EngineConfiguration())
        var eager = PartitionEngine(configuration: EngineConfiguration())
        var lazyOut: [Double] = []
        var eagerOut: [Double] = []
        let days = [3, 4, 9, 10, 11, 20, 28]
        for (i, d) in days.enumerated() {
            let e = Self.sale("A", Double(i + 1), day: d)
            _ = lazy.apply(e)
            _ = eager.apply(e)
            // The eager engine also sees a heartbeat every hour in between, closing days one by one.
            if i + 1 < days.count {
                for h in stride(from: 13, to: (days[i + 1] - d) * 24 + 12, by: 1) {
                    var beat = Self.sale("Z", 1, day: d)
                    beat.eventTime = EventTime(milliseconds: e.eventTime.milliseconds + Int64(h - 12) * 3_600_000)
                    beat.kind = .adjustment
                    beat.quantity = -1
                    _ = eager.apply(beat)
                    eager.advance {
                        if $0.sku == "A" {
                            eagerOut.append($0.forecast.forecaster.mean(step: 1, nextSeason: 0, cycle: 7))
                        }
                    }
                }
            }
            lazy.advance {
                if $0.sku == "A" { lazyOut.append($0.forecast.forecaster.mean(step: 1, nextSeason: 0, cycle: 7)) }
            }
        }
        #expect(lazyOut.count == 25)
        #expect(lazyOut == eagerOut)
    }
}

@Suite("Shop calendar")
struct ShopCalendarTests {
    @Test("A weekday without sales across the partition is learned as closed: zero forecasts, quantiles from open days")
    func saturdaysClosed() throws {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        var last: ClosedBucket?
        // January 2011: the 1st is a Saturday. Two SKUs sell every day but Saturdays.
        for day in 1...31 {
            let t = EventTime(year: 2011, month: 1, day: day, hour: 12)!
            let weekday = (day + 4) % 7  // 0 = Monday … 5 = Saturday
            guard weekday != 5 else { continue }
            for sku in ["A", "B"] {
                _ = engine.apply(
                    OrderEvent(
                        orderID: "o\(day)",
                        line: 1,
                        sku: sku,
                        quantity: sku == "A" ? 4 : Double(day % 3 + 1),
                        kind: .sale,
                        unitPrice: 1,
                        currency: "GBP",
                        eventTime: t
                    )
                )
            }
            engine.advance { if $0.sku == "A" { last = $0 } }
        }
        let closed = try #require(last)
        let calendar = BucketCalendar()
        let saturday = calendar.season(of: calendar.bucket(of: EventTime(year: 2011, month: 1, day: 29)!))
        #expect(closed.forecast.outlook.closedSeasons == 1 << UInt8(saturday))
        let next = calendar.season(of: closed.bucket + 1)
        for h in 1...7 {
            let isSaturday = (next + h - 1) % 7 == saturday
            let mean = closed.forecast.forecaster.mean(
                step: h,
                nextSeason: next,
                cycle: 7,
                closedSeasons: closed.forecast.outlook.closedSeasons
            )
            let q = closed.forecast.forecaster.quantiles(
                step: h,
                nextSeason: next,
                cycle: 7,
                levels: [0.5, 0.9],
                closedSeasons: closed.forecast.outlook.closedSeasons
            )
            if isSaturday {
                #expect(mean == 0 && q == [0, 0])
            } else {
                // A sells 4 on every open day: its open-day quantiles are exactly 4.
                #expect(q == [4, 4], "step \(h)")
                #expect(mean > 3, "step \(h): \(mean)")
            }
        }
    }

    @Test(
        "The ensemble's whole path equals its step-by-step means bit for bit (300 random SKUs, with and without closed days)"
    )
    func meansPath() {
        var rng = SplitMix64(seed: 21)
        var global = GlobalDemandModel()
        for k in 0..<300 {
            var f = SKUForecaster()
            let closed: UInt8 = k % 2 == 0 ? 0 : 1 << 5
            for day in 0..<Int.random(in: 1...90, using: &rng) {
                let y = Double.random(in: 0...1, using: &rng) < 0.3 ? Double(Int.random(in: 1...40, using: &rng)) : 0
                if let example = f.close(
                    BucketDemand(quantity: y, revenue: y * 2.5),
                    season: day % 7,
                    cycle: 7,
                    closedSeasons: closed,
                    global: global.coefficients
                ) {
                    global.learn(example)
                }
                global.finishBucket()
            }
            var prior = EnsembleLanes(repeating: 1)
            for (lane, p) in [1, 2, 0.5, 1.5, 1, 3, 2, 1].prefix(SKUForecaster.modelCount).enumerated() {
                prior[lane] = p
            }
            let next = Int.random(in: 0..<7, using: &rng)
            let path = f.means(steps: 30, nextSeason: next, cycle: 7, closedSeasons: closed, prior: prior)
            let single = (1...30).map {
                f.mean(step: $0, nextSeason: next, cycle: 7, closedSeasons: closed, prior: prior)
            }
            #expect(path.map(\.bitPattern) == single.map(\.bitPattern), "SKU \(k)")
        }
    }
}
