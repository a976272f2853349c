import Foundation
import SkucastEvents
import SkucastTestSupport
import Testing

@testable import SkucastEngine

let onlineRetailCSV =
    ProcessInfo.processInfo.environment["SKUCAST_DATA"].map(URL.init(fileURLWithPath:))
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/data/online-retail/online_retail_2010_2011.csv")

/// What a closed bucket emitted, exactly: the forecasts' bit patterns.
struct Emission: Hashable {
    let sku: String
    let bucket: Int64
    let bits: [UInt64]

    init(_ c: ClosedBucket) {
        sku = c.sku
        bucket = c.bucket
        // Two steps of the ensemble; the rest of the state is compared through the final snapshot's bytes.
        bits = [1, 9].map { c.forecast.forecaster.mean(step: $0, nextSeason: 0, cycle: 7).bitPattern }
    }
}

@Suite("Snapshots")
struct SnapshotTests {
    @Test("Restoring a snapshot and continuing gives bit-identical output to never stopping (real data, 8 cuts)")
    func restoreContinues() throws {
        var events: [OrderEvent] = []
        for row in try OnlineRetailOrderReader(Array(Data(contentsOf: onlineRetailCSV))) {
            events.append(try row.get())
            if events.count == 80_000 { break }
        }
        let cuts = [1, 777, 9_000, 23_456, 41_000, 50_001, 66_666, 79_999]
        var engine = PartitionEngine(configuration: EngineConfiguration())
        var emitted: [Emission] = []
        var snapshots: [(cut: Int, emittedBefore: Int, bytes: [UInt8])] = []
        for (i, e) in events.enumerated() {
            if cuts.contains(i) {
                let offsets = [SourceOffset(topic: "orders", partition: 0, nextOffset: Int64(i))]
                snapshots.append(
                    (i, emitted.count, SnapshotCodec.encode(PartitionSnapshot(engine: engine, offsets: offsets)))
                )
            }
            _ = engine.apply(e)
            engine.advance { emitted.append(Emission($0)) }
        }
        let finalBytes = SnapshotCodec.encode(PartitionSnapshot(engine: engine, offsets: []))
        #expect(emitted.count > 50_000)

        for (cut, before, bytes) in snapshots {
            let snapshot = try SnapshotCodec.decode(bytes)
            #expect(snapshot.offsets == [SourceOffset(topic: "orders", partition: 0, nextOffset: Int64(cut))])
            var restored = snapshot.engine
            var after: [Emission] = []
            for e in events[Int(snapshot.offsets[0].nextOffset)...] {
                _ = restored.apply(e)
                restored.advance { after.append(Emission($0)) }
            }
            #expect(after == Array(emitted[before...]), "cut at \(cut)")
            #expect(
                SnapshotCodec.encode(PartitionSnapshot(engine: restored, offsets: [])) == finalBytes,
                "cut at \(cut)"
            )
        }
    }

    @Test("Corrupted, truncated, foreign and newer snapshots fail with a clear error")
    func damaged() throws {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        for d in 1...20 {
            _ = engine.apply(
                OrderEvent(
                    orderID: "o\(d)",
                    line: 1,
                    sku: "S\(d % 3)",
                    quantity: Double(d),
                    kind: .sale,
                    unitPrice: 1,
                    currency: "GBP",
                    eventTime: EventTime(year: 2011, month: 1, day: d)!
                )
            )
            engine.advance { _ in }
        }
        let good = SnapshotCodec.encode(
            PartitionSnapshot(engine: engine, offsets: [SourceOffset(topic: "orders", partition: 3, nextOffset: 20)])
        )
        #expect(try SnapshotCodec.decode(good).offsets.count == 1)

        func error(_ bytes: [UInt8]) -> String {
            do {
                _ = try SnapshotCodec.decode(bytes)
                return "decoded"
            } catch {
                return error.description
            }
        }
        var flipped = good
        flipped[good.count / 2] ^= 0x10
        #expect(error(flipped).contains("checksum mismatch"))
        #expect(error(Array(good.dropLast(5))).contains("truncated"))
        #expect(error(Array("PK\u{3}\u{4} a zip file, not a snapshot at all".utf8)).contains("bad magic"))
        var newer = good
        newer[8] = UInt8(SnapshotCodec.version + 1)
        #expect(error(newer).contains("format \(SnapshotCodec.version + 1) is not supported"))
        #expect(error([]).contains("bad magic"))
        // Every forecast takes quantiles at the service level: one outside 0…1 is refused on
        // reading, not left to stop the service at its first close.
        var odd = EngineConfiguration()
        odd.restock.serviceLevel = 1.5
        let oddEngine = PartitionEngine(configuration: odd)
        #expect(
            error(SnapshotCodec.encode(PartitionSnapshot(engine: oddEngine, offsets: []))).contains("service level")
        )
    }

    @Test(
        "A snapshot large enough to be read on two cores (30,000 SKUs, with stock, alerts and open buckets) restores equal; a flipped bit and a repeated SKU are refused"
    )
    func largeSnapshot() throws {
        // Over 16 MB of slots: the checksum and the engine's pages run on a second core.
        var configuration = EngineConfiguration()
        configuration.restock.warmUpBuckets = 2
        var engine = PartitionEngine(configuration: configuration)
        let start = EventTime(year: 2011, month: 3, day: 1)!.milliseconds
        var alerts = 0
        for day in 0..<10 {
            for k in stride(from: day % 2, to: 30_000, by: 2) {
                let time = EventTime(milliseconds: start + Int64(day) * 86_400_000 + Int64(k))
                if day == 4 && k % 10 == 0 {
                    _ = engine.apply(InventoryEvent(sku: "SKU-\(k)", onHand: 5, leadTimeDays: 7, eventTime: time)) {
                        _ in alerts += 1
                    }
                }
                _ = engine.apply(
                    OrderEvent(
                        orderID: "o\(day)",
                        line: k,
                        sku: "SKU-\(k)",
                        quantity: Double(1 + k % 3),
                        kind: .sale,
                        unitPrice: 2,
                        currency: "GBP",
                        eventTime: time
                    )
                ) { _ in alerts += 1 }
            }
            // The last day's buckets stay open.
            if day < 9 { engine.advance { _ in } }
        }
        #expect(engine.skuCount == 30_000)
        #expect(alerts > 0)
        let bytes = SnapshotCodec.encode(
            PartitionSnapshot(engine: engine, offsets: [SourceOffset(topic: "orders", partition: 1, nextOffset: 9)])
        )
        #expect(bytes.count > 16 << 20)
        let restored = try SnapshotCodec.decode(bytes)
        #expect(restored.engine == engine)
        #expect(SnapshotCodec.encode(restored) == bytes)

        var flipped = bytes
        flipped[bytes.count - 1000] ^= 0x01
        #expect(throws: SnapshotError.self) { try SnapshotCodec.decode(flipped) }
        do {
            _ = try SnapshotCodec.decode(flipped)
        } catch {
            #expect(error.description.contains("checksum mismatch"))
        }

        // The same SKU twice: rename SKU-2 to SKU-0 (same length) and seal the checksum again.
        var payload = Array(bytes[SnapshotCodec.headerSize...])
        let second = Array("\u{5}SKU-2".utf8)
        let first = Array("\u{5}SKU-0".utf8)
        let at = try #require(
            (0...(payload.count - second.count)).first { payload[$0..<($0 + second.count)].elementsEqual(second) }
        )
        payload.replaceSubrange(at..<(at + second.count), with: first)
        var header = Array(bytes[0..<SnapshotCodec.headerSize])
        let crc = payload.withUnsafeBytes { CRC32.checksum($0) }
        for k in 0..<4 { header[20 + k] = UInt8(truncatingIfNeeded: crc >> (8 * k)) }
        do {
            _ = try SnapshotCodec.decode(header + payload)
            Issue.record("a snapshot with a repeated SKU decoded")
        } catch {
            #expect(error.description.contains("SKU SKU-0 appears twice"))
        }
    }

    @Test("Any damaged byte or length is refused with an error, never a crash (2,000 random damages)")
    func randomDamage() throws {
        // The parse runs beside the checksum, so it meets the damaged bytes themselves.
        var configuration = EngineConfiguration()
        configuration.restock.warmUpBuckets = 2
        var engine = PartitionEngine(configuration: configuration)
        for d in 1...12 {
            for k in 0..<40 {
                let time = EventTime(year: 2011, month: 1, day: d)!
                if d == 4 { _ = engine.apply(InventoryEvent(sku: "S\(k)", onHand: 3, eventTime: time)) { _ in } }
                _ = engine.apply(
                    OrderEvent(
                        orderID: "o\(d)",
                        line: k,
                        sku: "S\(k)",
                        quantity: Double(1 + (k + d) % 4),
                        kind: .sale,
                        unitPrice: 1,
                        currency: "GBP",
                        eventTime: time
                    )
                ) { _ in }
            }
            if d < 12 { engine.advance { _ in } }
        }
        let good = SnapshotCodec.encode(
            PartitionSnapshot(engine: engine, offsets: [SourceOffset(topic: "orders", partition: 0, nextOffset: 480)])
        )
        var rng = SplitMix64(seed: 5)
        var mismatches = 0
        for trial in 0..<2_000 {
            var bad = good
            let at = SnapshotCodec.headerSize + Int(rng.next() % UInt64(good.count - SnapshotCodec.headerSize))
            bad[at] ^= UInt8(truncatingIfNeeded: 1 + rng.next() % 255)
            if trial % 4 == 0 { bad.removeLast(Int(rng.next() % 64)) }
            do {
                _ = try SnapshotCodec.decode(bad)
                Issue.record("damage at byte \(at) decoded")
            } catch {
                if error.description.contains("checksum mismatch") { mismatches += 1 }
            }
        }
        // Truncations are caught by the length first; every other damage by the checksum.
        #expect(mismatches >= 1_400)
    }

    @Test(
        "A format-3 snapshot still reads: the published lead-time quantiles restart uncalibrated, and a check under way teaches only the reorder point"
    )
    func formatThree() throws {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        let start = EventTime(year: 2011, month: 1, day: 3, hour: 10)!.milliseconds
        func day(_ d: Int, _ engine: inout PartitionEngine) {
            _ = engine.apply(
                OrderEvent(
                    orderID: "o\(d)",
                    line: 1,
                    sku: "A",
                    quantity: Double(1 + d % 5 + (d % 9 == 0 ? 12 : 0)),
                    kind: .sale,
                    unitPrice: 1,
                    currency: "GBP",
                    eventTime: EventTime(milliseconds: start + Int64(d) * 86_400_000)
                )
            )
            engine.advance { _ in }
        }
        for d in 0..<40 { day(d, &engine) }
        // Checks of 14 days started at days 7, 21 and 35: two finished, one under way.
        let check = try #require(engine.store.slots[0].check)
        let published = engine.leadTimeCalibration.publishedLogScale
        #expect(published != .zero && check.median >= 0)
        // Written by the last builds of formats 3 and 4 from this same input (format 3 had
        // neither the published quantiles' scales nor their values in a check).
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        var fromThree = try SnapshotCodec.decode(
            Array(Data(contentsOf: fixtures.appendingPathComponent("format-3-check.snapshot")))
        ).engine
        var fromFour = try SnapshotCodec.decode(
            Array(Data(contentsOf: fixtures.appendingPathComponent("format-4-check.snapshot")))
        ).engine
        // The old builds' ensemble need not be this one's: their reorder points are their own.
        let oldCheck = try #require(fromFour.store.slots[0].check)
        #expect(oldCheck.median >= 0 && oldCheck.bucketsLeft == check.bucketsLeft)
        #expect(fromFour.store.slots[0].forecaster.history == engine.store.slots[0].forecaster.history)
        #expect(
            fromThree.leadTimeCalibration.publishedLogScale == .zero
                && fromFour.leadTimeCalibration.publishedLogScale != .zero
        )
        #expect(fromThree.leadTimeCalibration.logScale == fromFour.leadTimeCalibration.logScale)
        #expect(
            fromThree.store.slots[0].check?.median == -1
                && fromThree.store.slots[0].check?.reorderPoint == oldCheck.reorderPoint
        )
        // The check under way finishes on day 48: it moves the reorder point's scale alike in
        // both, and the published ones only where they were recorded.
        let oldPublished = fromFour.leadTimeCalibration.publishedLogScale
        for d in 40..<55 {
            day(d, &fromThree)
            day(d, &fromFour)
        }
        #expect(fromThree.leadTimeCalibration.checks == 3)
        #expect(fromThree.leadTimeCalibration.logScale == fromFour.leadTimeCalibration.logScale)
        #expect(fromThree.leadTimeCalibration.publishedLogScale == .zero)
        #expect(fromFour.leadTimeCalibration.publishedLogScale != oldPublished)
    }

    @Test("The checksum is CRC-32 as gzip computes it, so snapshots of earlier builds still verify")
    func checksumIsCRC32() {
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
        #expect([UInt8]().withUnsafeBytes { CRC32.checksum($0) } == 0)
        // Against the definition, bit by bit, at every length and alignment up to 100 bytes.
        func bitwise(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            }
            return ~c
        }
        var rng = SplitMix64(seed: 11)
        let data = (0..<200).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for start in 0..<8 {
            for end in start...(start + 100) {
                #expect(data[start..<end].withUnsafeBytes { CRC32.checksum($0) } == bitwise(data[start..<end]))
            }
        }
    }

    @Test("Any forecaster state survives encode → decode → encode byte for byte (500 random series)")
    func roundTripProperty() throws {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<500 {
            var engine = PartitionEngine(configuration: EngineConfiguration())
            let days = 1 + Int(rng.next() % 60)
            for d in 0..<days where rng.next() % 3 != 0 {
                let qty = Double(rng.next() % 50) + (rng.next() % 2 == 0 ? 0.25 : 1)
                _ = engine.apply(
                    OrderEvent(
                        orderID: "o\(d)",
                        line: 1,
                        sku: "S\(rng.next() % 5)",
                        quantity: qty,
                        kind: .sale,
                        unitPrice: 1,
                        currency: "GBP",
                        eventTime: EventTime(
                            milliseconds: 1_293_840_000_000 + Int64(d) * 86_400_000 + Int64(rng.next() % 86_400_000)
                        )
                    )
                )
                engine.advance { _ in }
            }
            let bytes = SnapshotCodec.encode(PartitionSnapshot(engine: engine, offsets: []))
            let decoded = try SnapshotCodec.decode(bytes)
            #expect(SnapshotCodec.encode(decoded) == bytes)
            #expect(decoded.engine.skuCount == engine.skuCount)
            #expect(decoded.engine.closedThrough == engine.closedThrough)
        }
    }
}

@Suite("Queries after a restore")
struct RestoredQueryTests {
    @Test("A restored partition answers a query with the forecast its last close published (real data)")
    func answersWithPublished() throws {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        var published: [String: ForecastMessage] = [:]
        var count = 0
        for row in try OnlineRetailOrderReader(Array(Data(contentsOf: onlineRetailCSV))) {
            _ = engine.apply(try row.get())
            engine.advance { published[$0.sku] = $0.forecast.message() }
            count += 1
            if count == 30_000 { break }
        }
        let restored = try SnapshotCodec.decode(
            SnapshotCodec.encode(PartitionSnapshot(engine: engine, offsets: []))
        ).engine
        var checked = 0
        for (sku, message) in published {
            let live = try #require(engine.standing(of: sku)?.forecast)
            #expect(live.message() == message, "\(sku)")
            #expect(restored.standing(of: sku)?.forecast?.message() == message, "\(sku) after a restore")
            checked += 1
        }
        #expect(checked > 500)
    }

    @Test("The last close's readings are dropped, not misread, when a learner they come from has another state version")
    func readingsOfAnotherVersion() throws {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        FormatFourInput.feed(days: 0..<20, into: &engine)
        #expect(engine.learners.lastClose.readings != nil)
        var w = ByteWriter()
        engine.learners.lastClose.write(to: &w)
        var bytes = w.withBytes { Array($0) }
        func read(_ bytes: [UInt8]) throws -> (LastClose, Bool) {
            try bytes.withUnsafeBytes { buffer in
                var r = ByteReader(buffer)
                let record = try LastClose(from: &r)
                return (record, r.isAtEnd)
            }
        }
        #expect(try read(bytes) == (engine.learners.lastClose, true))
        // The lead-time calibration's version (one byte, fourth), one on.
        #expect(LastClose.learnerVersions[3] == LeadTimeCalibration.stateVersion && bytes[3] == 1)
        bytes[3] = 2
        #expect(try read(bytes) == (LastClose(), true))
    }
}
