import Foundation
import SkucastEvents
import SkucastTestSupport
import Testing

@testable import SkucastEngine

/// The input behind `Fixtures/format-4.snapshot`, a snapshot written by the last build of
/// format 4: 40 SKUs of intermittent and smooth demand over 60 days, half of them with
/// stock counts (so levels, alerts and checks are in it too).
enum FormatFourInput {
    static let start = EventTime(year: 2011, month: 3, day: 1, hour: 0)!.milliseconds

    static func feed(days: Range<Int>, into engine: inout PartitionEngine) {
        var rng = SplitMix64(seed: 4)
        for day in 0..<days.upperBound {
            for k in 0..<40 {
                let sells = Double.random(in: 0..<1, using: &rng) < (k % 2 == 0 ? 0.9 : 0.2)
                let quantity = Double(Int.random(in: 1...(k % 5 + 2), using: &rng)) * (day % 7 == 5 ? 2 : 1)
                let minute = Int64(Int.random(in: 9 * 60..<17 * 60, using: &rng))
                guard days.contains(day) else { continue }
                let t = EventTime(milliseconds: start + Int64(day) * 86_400_000 + minute * 60_000)
                if day % 10 == 0, k % 2 == 0 {
                    engine.apply(
                        InventoryEvent(
                            sku: "S\(k)",
                            onHand: Double(20 + k),
                            onOrder: 0,
                            leadTimeDays: 7,
                            eventTime: EventTime(milliseconds: t.milliseconds - 1)
                        )
                    ) { _ in }
                }
                if sells {
                    _ = engine.apply(
                        OrderEvent(
                            orderID: "o\(day)-\(k)",
                            line: 1,
                            sku: "S\(k)",
                            quantity: quantity,
                            kind: .sale,
                            unitPrice: 1 + Double(k % 3),
                            currency: "GBP",
                            eventTime: t
                        )
                    ) { _ in }
                }
            }
            engine.advance({ _ in }, alerts: { _ in })
        }
    }

    static var fixture: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/format-4.snapshot")
    }
}

@Suite("Snapshot formats and the model registry")
struct FormatUpgradeTests {
    @Test(
        "A format-4 snapshot (written by the last build of that format) still loads: every model it had continues exactly, a model it lacks starts from each SKU's history"
    )
    func formatFourLoads() throws {
        let old = try SnapshotCodec.decode(Array(Data(contentsOf: FormatFourInput.fixture)))
        #expect(old.offsets == [SourceOffset(topic: "orders", partition: 0, nextOffset: 2400)])
        var fresh = PartitionEngine(configuration: EngineConfiguration())
        FormatFourInput.feed(days: 0..<60, into: &fresh)
        let restored = old.engine
        // What does not depend on the ensemble equals a run of this build; what does (levels,
        // alerts, checks, calibration) is the old build's, as it wrote them: 14 open alerts,
        // a check under way for every SKU.
        #expect(
            restored.skuCount == 40 && restored.closedThrough == fresh.closedThrough
                && restored.globalModel == fresh.globalModel
        )
        #expect(
            zip(restored.store.tallies, fresh.store.tallies).allSatisfy {
                $0.key == $1.key && $0.pending == $1.pending && ($0.restock >= 0) == ($1.restock >= 0)
            } && restored.closedSeasons == fresh.closedSeasons
        )
        #expect(restored.openAlerts == 14 && restored.store.slots.allSatisfy { $0.check != nil })
        #expect(restored.leadTimeCalibration.checks > 0)
        let missing = ModelDirectory(names: ModelDirectory.formatFourNames, versions: [1, 1, 1, 1, 1, 1]).missing
        let next = restored.configuration.calendar.season(of: restored.closedThrough! + 1)
        for (a, b) in zip(restored.store.slots, fresh.store.slots) {
            #expect(a.sku == b.sku && a.firstBucket == b.firstBucket)
            let (x, y) = (a.forecaster, b.forecaster)
            #expect(x.history == y.history && x.buckets == y.buckets && x.bucketsSinceSale == y.bucketsSinceSale)
            for lane in 0..<SKUForecaster.modelCount where missing & (1 << UInt64(lane)) == 0 {
                #expect(
                    x.losses[lane] == y.losses[lane] && x.nextBucket[lane] == y.nextBucket[lane],
                    "\(a.sku) lane \(lane)"
                )
                #expect(
                    x.forecast(lane: lane, step: 3, nextSeason: next, cycle: 7)
                        == y.forecast(lane: lane, step: 3, nextSeason: next, cycle: 7)
                )
            }
            #expect(x.models.model(HoltWintersSlow.self) == y.models.model(HoltWintersSlow.self))
            #expect(
                x.models.model(CrostonSBA.self) == y.models.model(CrostonSBA.self)
                    && x.models.model(TSB.self) == y.models.model(TSB.self)
            )
        }
        // It continues: written again in today's format, it reads back equal.
        var continued = restored
        FormatFourInput.feed(days: 60..<70, into: &continued)
        let bytes = SnapshotCodec.encode(PartitionSnapshot(engine: continued, offsets: []))
        #expect(try SnapshotCodec.decode(bytes).engine == continued)
    }

    @Test(
        "A snapshot with a model this build does not have, or a state of another version, loads: the unknown section is skipped, the model starts from history"
    )
    func unknownAndOutdatedModels() throws {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        FormatFourInput.feed(days: 0..<40, into: &engine)
        let bytes = SnapshotCodec.encode(PartitionSnapshot(engine: engine, offsets: []))
        // Rename the first model with a state (Holt-Winters slow) in the directory: to this
        // build it is a model it does not know, and its own Holt-Winters slow is missing.
        let name = HoltWintersSlow.name
        let renamed = try SnapshotCodec.decode(try Self.renaming(name, in: bytes)).engine
        let lane = SKUForecaster.lane(of: HoltWintersSlow.self)
        let next = engine.configuration.calendar.season(of: engine.closedThrough! + 1)
        for (a, b) in zip(renamed.store.slots, engine.store.slots) {
            let warm = HoltWintersSlow(warmStartFrom: b.forecaster.history, nextSeason: next, cycle: 7)
            #expect(a.forecaster.models.model(HoltWintersSlow.self) == warm)
            #expect(a.forecaster.models.model(TSB.self) == b.forecaster.models.model(TSB.self))
            #expect(
                a.forecaster.nextBucket[lane]
                    == a.forecaster.forecast(
                        lane: lane,
                        step: 1,
                        nextSeason: next,
                        cycle: 7,
                        closedSeasons: engine.closedSeasons
                    )
            )
        }
        #expect(renamed.modelPrior[lane] > 0)
        // The accuracy monitor's errors follow their models by name: the unknown model's are
        // dropped, the model it lacks starts at none, the others (and the global lane) stay.
        for (a, b) in zip(renamed.learners.accuracy.recent.modelError, engine.learners.accuracy.recent.modelError) {
            #expect(a[lane] == 0 && b[lane] > 0)
            for other in 0..<SKUForecaster.modelCount where other != lane { #expect(a[other] == b[other]) }
        }
    }

    @Test(
        "A format-5 snapshot (learners in fixed fields, written by the last build of that format) loads into exactly the engine this build reaches on the same input"
    )
    func formatFiveLoads() throws {
        try Self.loadsAsToday("format-5.snapshot")
    }

    @Test(
        "A format-6 snapshot (no maximum clock skew, written by the last build of that format) loads into exactly the engine this build reaches on the same input"
    )
    func formatSixLoads() throws {
        try Self.loadsAsToday("format-6.snapshot")
    }

    @Test(
        "A format-7 snapshot (gross demand, no sale ledger, written by the last build of that format) loads into exactly the engine this build reaches on the same input"
    )
    func formatSevenLoads() throws {
        try Self.loadsAsToday("format-7.snapshot")
    }

    @Test(
        "A format-8 snapshot whose learners wrote eight ensemble lanes whole (written by the last build that did) loads into exactly the engine this build reaches on the same input"
    )
    func eightLanesLoad() throws {
        let fixture = FormatFourInput.fixture.deletingLastPathComponent()
            .appendingPathComponent("format-8-eight-lanes.snapshot")
        let old = try SnapshotCodec.decode(Array(Data(contentsOf: fixture)))
        var fresh = PartitionEngine(configuration: EngineConfiguration())
        FormatFourInput.feed(days: 0..<60, into: &fresh)
        // Every learner whose layout moved to counted lanes is read by its upgrade step.
        #expect(old.engine.learners.lastClose.readings != nil)
        #expect(old.engine.learners.accuracy.recent.modelError[0].sum() > 0)
        #expect(old.engine.learners.modelPrior == fresh.learners.modelPrior)
        #expect(old.engine == fresh)
        // Written again, the lanes in use go after their count, and read back equal.
        let bytes = SnapshotCodec.encode(PartitionSnapshot(engine: old.engine, offsets: old.offsets))
        #expect(try SnapshotCodec.decode(bytes).engine == fresh)
    }

    /// A fixture written from `FormatFourInput`'s 60 days by a build whose models are
    /// today's loads equal to a run of this build with gross demand (all older formats
    /// counted gross), less what it did not have: its demand never met a ceiling, and it
    /// kept no order lines for duplicates.
    static func loadsAsToday(_ name: String) throws {
        let fixture = FormatFourInput.fixture.deletingLastPathComponent().appendingPathComponent(name)
        let old = try SnapshotCodec.decode(Array(Data(contentsOf: fixture)))
        var configuration = EngineConfiguration()
        configuration.demand = .gross
        var fresh = PartitionEngine(configuration: configuration)
        FormatFourInput.feed(days: 0..<60, into: &fresh)
        #expect(fresh.learners.demandCeiling.typicalSale > 0)
        fresh.learners.demandCeiling = DemandCeiling()
        // Nor did they remember order lines.
        #expect(!fresh.recentLines.rings.isEmpty)
        fresh.recentLines = RecentLines()
        // Nor did they watch their accuracy: a learner without a section starts afresh.
        #expect(fresh.learners.accuracy.recent.demand.sum() > 0)
        fresh.learners.accuracy = AccuracyMonitor()
        // Nor did they keep what their last close read: queries read the learners as they are.
        #expect(fresh.learners.lastClose.readings != nil)
        fresh.learners.lastClose = LastClose()
        #expect(old.offsets == [SourceOffset(topic: "orders", partition: 0, nextOffset: 2400)])
        #expect(old.engine.learners == fresh.learners && old.engine.leadTimeCalibration.checks > 0)
        #expect(old.engine.configuration == fresh.configuration)
        #expect(old.engine == fresh)
    }

    @Test(
        "A partition learner's section this build does not know is skipped, and a learner without a section starts afresh; the others load as written"
    )
    func unknownLearnerSection() throws {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        FormatFourInput.feed(days: 0..<40, into: &engine)
        #expect(engine.learners.ensembleError != EnsembleError())
        let bytes = SnapshotCodec.encode(PartitionSnapshot(engine: engine, offsets: []))
        // Rename the ensemble error's section: to this build it is a learner it does not know.
        let name = EnsembleError.name
        let renamed = try SnapshotCodec.decode(try Self.renaming(name, in: bytes)).engine
        #expect(renamed.learners.ensembleError == EnsembleError())
        var expected = engine
        expected.learners.ensembleError = EnsembleError()
        #expect(renamed == expected)
    }

    /// The snapshot `bytes` with the first occurrence of `name` in its payload starting
    /// with an x instead, under a checksum that matches again.
    static func renaming(_ name: String, in bytes: [UInt8]) throws -> [UInt8] {
        let name = Array(name.utf8)
        var payload = Array(bytes[SnapshotCodec.headerSize...])
        let at = try #require(
            (0...(payload.count - name.count)).first { payload[$0..<($0 + name.count)].elementsEqual(name) }
        )
        payload[at] = UInt8(ascii: "x")
        var header = Array(bytes[0..<SnapshotCodec.headerSize])
        let crc = payload.withUnsafeBytes { CRC32.checksum($0) }
        for k in 0..<4 { header[20 + k] = UInt8(truncatingIfNeeded: crc >> (8 * k)) }
        return header + payload
    }

    @Test("Models learn in place exactly as one by one: the bank's pass over its tuple finds every model where it lies")
    func bankLearnsInPlace() {
        var bank = SKUModels()
        var slow = HoltWintersSlow()
        var fast = HoltWintersFast()
        var croston = CrostonSBA()
        var tsb = TSB()
        var imapa = IMAPA()
        var history = DemandHistory()
        for d in 0..<50 {
            let y = Double((d * 7) % 5 == 0 ? 0 : d % 9)
            history.append(y)
            let bucket = ObservedBucket(demand: y, season: d % 7, cycle: 7)
            var context = ForecastContext(history: history, nextSeason: (d + 1) % 7, cycle: 7)
            let closed = withUnsafePointer(to: &context) { bank.close(bucket, next: $0) }
            slow.learn(bucket)
            fast.learn(bucket)
            croston.learn(bucket)
            tsb.learn(bucket)
            imapa.learn(bucket)
            #expect(closed.nextBucket[SKUForecaster.lane(of: HoltWintersFast.self)] == fast.forecast(step: 1, context))
            #expect(closed.after.intermittentRate == croston.forecast && closed.after.decayingRate == tsb.forecast)
        }
        #expect(bank.model(HoltWintersSlow.self) == slow && bank.model(HoltWintersFast.self) == fast)
        #expect(bank.model(CrostonSBA.self) == croston && bank.model(TSB.self) == tsb)
        if let registered = bank.model(IMAPA.self) { #expect(registered == imapa) }
    }
}
