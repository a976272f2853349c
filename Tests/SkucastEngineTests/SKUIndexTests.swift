import SkucastEvents
import SkucastTestSupport
import Testing

@testable import SkucastEngine

@Suite("SKU lookup by bytes")
struct SKUIndexTests {
    /// SKUs that stress the index: short ones, ones of exactly 16 bytes, and long ones
    /// that share their first 16 bytes and their length (their prefixes are equal, only
    /// the rest tells them apart).
    static func skus() -> [String] {
        var skus: [String] = []
        for k in 0..<3000 { skus.append("S\(k)") }
        for k in 0..<1000 { skus.append("SIXTEEN-BYTES\(String(k + 1000).suffix(3))") }
        for k in 0..<2000 { skus.append("ACME-WIDGET-2024-RED-\(String(k + 10000).suffix(4))") }
        skus.append("85123\u{00C9}")  // not ASCII
        return skus
    }

    static func sale(_ sku: String, _ k: Int) -> OrderEvent {
        OrderEvent(
            orderID: "o\(k)",
            line: 1,
            sku: sku,
            quantity: Double(1 + k % 4),
            kind: .sale,
            unitPrice: 1.25,
            currency: "GBP",
            eventTime: EventTime(
                milliseconds: EventTime(year: 2011, month: 1, day: 3)!.milliseconds + Int64(k) * 10_000
            ),
            promotion: k % 7 == 0
        )
    }

    @Test(
        "Every SKU finds its own slot, among long SKUs with equal prefixes and lengths; events and in-place views land in the same slots"
    )
    func lookups() throws {
        let skus = Self.skus()
        var rng = SplitMix64(seed: 11)
        var events: [OrderEvent] = []
        for k in 0..<30_000 { events.append(Self.sale(skus[Int(rng.next() % UInt64(skus.count))], k)) }
        var byEvent = PartitionEngine(configuration: EngineConfiguration())
        var byView = PartitionEngine(configuration: EngineConfiguration())
        let decoder = OrderEventDecoder()
        var buffer: [UInt8] = []
        for e in events {
            #expect(byEvent.apply(e) == .applied)
            e.encodeJSON(into: &buffer)
            let outcome = buffer.withUnsafeBytes { bytes in
                switch decoder.decodeInPlace(bytes) {
                case .success(let view): byView.apply(view) { _ in }
                case .failure(let r): OrderOutcome.tooLate(bucket: -1, closedThrough: Int64(r.detail.count))
                }
            }
            #expect(outcome == .applied)
        }
        #expect(byEvent == byView)
        #expect(byEvent.skuCount == Set(events.map(\.sku)).count)
        // Each SKU's slot holds that SKU; one never seen, with the prefix and length of a
        // seen one, is not found.
        for i in 0..<byEvent.skuCount {
            var sku = byEvent.store.slots[i].sku
            let found = sku.withUTF8 { u in
                let bytes = UnsafeRawBufferPointer(u)
                return byEvent.store.slot(
                    of: bytes,
                    prefix: TextPrefix(bytes),
                    hash: SKUIndex.hash(TextPrefix(bytes), bytes)
                )
            }
            #expect(found == i, "\(sku)")
        }
        var stranger = "ACME-WIDGET-2024-RED-X999"
        let missing = stranger.withUTF8 { u in
            let bytes = UnsafeRawBufferPointer(u)
            return byEvent.store.slot(
                of: bytes,
                prefix: TextPrefix(bytes),
                hash: SKUIndex.hash(TextPrefix(bytes), bytes)
            )
        }
        #expect(missing == nil)
        // A snapshot rebuilds the index: the restored engine finds the same slots.
        var restored = try SnapshotCodec.decode(SnapshotCodec.encode(PartitionSnapshot(engine: byEvent, offsets: [])))
            .engine
        #expect(restored == byEvent)
        var again = byEvent
        for k in 0..<2000 {
            let e = Self.sale(skus[k * 3 % skus.count], 30_000 + k)
            #expect(again.apply(e) == restored.apply(e))
        }
        #expect(again == restored)
        #expect(again.skuCount == restored.skuCount)
    }

    @Test("A SKU written with escapes is the same SKU")
    func escapedSKU() throws {
        var engine = PartitionEngine(configuration: EngineConfiguration())
        let decoder = OrderEventDecoder()
        let plain = Array("85123A".utf8).withUnsafeBytes { TextPrefix($0) }
        // One line of one order each: the same line again would be a duplicate.
        for (line, sku) in [#"85123A"#, #"85123\u0041"#, #"\u0038\u0035123A"#].enumerated() {
            var bytes = Array(
                #"{"order_id":"1","line":\#(line + 1),"sku":"\#(sku)","quantity":2,"kind":"sale","unit_price":1.5,"currency":"GBP","event_time":"2011-01-03T10:00:00Z"}"#
                    .utf8
            )
            let outcome = try bytes.withUnsafeMutableBytes { b in
                let view = try decoder.decodeInPlace(UnsafeRawBufferPointer(b)).get()
                #expect(view.sku.string == "85123A")
                #expect(view.skuPrefix == plain)
                return engine.apply(view) { _ in }
            }
            #expect(outcome == .applied)
        }
        #expect(engine.skuCount == 1)
    }

    @Test(
        "Pending demand: a second open bucket beside the first, taken out in any order; a snapshot's order rebuilds the same value"
    )
    func pendingDemand() {
        // As a snapshot writes and reads it: bucket by bucket in `forEachBucket` order.
        func rebuilt(_ pending: PendingDemand) -> PendingDemand {
            var copy = PendingDemand()
            var count = 0
            pending.forEachBucket { b in
                copy.add(b.demand, to: b.bucket)
                count += 1
            }
            #expect(count == pending.count)
            return copy
        }
        func buckets(_ pending: PendingDemand) -> [Int64] {
            var out: [Int64] = []
            pending.forEachBucket { out.append($0.bucket) }
            return out
        }
        var pending = PendingDemand()
        pending.add(BucketDemand(quantity: 1, revenue: 2, promotedQuantity: 0), to: 10)
        pending.add(BucketDemand(quantity: 3, revenue: 4, promotedQuantity: 1), to: 11)
        pending.add(BucketDemand(quantity: 5, revenue: 6, promotedQuantity: 0), to: 10)
        pending.add(BucketDemand(quantity: 7, revenue: 8, promotedQuantity: 0), to: 12)
        #expect(buckets(pending) == [10, 11, 12])
        #expect(
            pending.quantity(of: 10) == 6 && pending.quantity(of: 11) == 3 && pending.quantity(of: 12) == 7
                && pending.quantity(of: 9) == 0
        )
        #expect(rebuilt(pending) == pending)
        #expect(pending.remove(11) == BucketDemand(quantity: 3, revenue: 4, promotedQuantity: 1))
        #expect(pending.remove(10) == BucketDemand(quantity: 6, revenue: 8, promotedQuantity: 0))
        #expect(buckets(pending) == [12])
        #expect(rebuilt(pending) == pending)
        #expect(pending.remove(12).quantity == 7)
        #expect(pending.remove(12) == BucketDemand())
        #expect(pending == PendingDemand())
    }
}
