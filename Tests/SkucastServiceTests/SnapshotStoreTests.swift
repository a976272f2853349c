import Foundation
import SkucastEngine
import SkucastEvents
import SkucastService
import Testing

@Suite("Snapshot store on a local directory")
struct SnapshotStoreTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-store-\(UUID())").path

    func engine(sales: Int) -> PartitionEngine {
        var e = PartitionEngine(configuration: EngineConfiguration())
        for d in 0..<sales {
            _ = e.apply(
                OrderEvent(
                    orderID: "o\(d)",
                    line: 1,
                    sku: "A\(d % 3)",
                    quantity: Double(d % 5 + 1),
                    kind: .sale,
                    unitPrice: 1,
                    currency: "GBP",
                    eventTime: EventTime(milliseconds: 1_300_000_000_000 + Int64(d) * 43_200_000)
                )
            )
            e.advance { _ in }
        }
        return e
    }

    func snapshot(_ sales: Int) -> PartitionSnapshot {
        PartitionSnapshot(
            engine: engine(sales: sales),
            offsets: [
                SourceOffset(topic: "orders", partition: 2, nextOffset: Int64(sales)),
                SourceOffset(topic: "inventory", partition: 2, nextOffset: -1),
            ]
        )
    }

    @Test("Snapshots list newest first by input position, keep the newest three, and leave no temporary files")
    func retention() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try DirectorySnapshotStore(root: root, retain: 3)
        #expect(try store.snapshots(of: 2).isEmpty)
        // A killed writer's leftover goes with the next write.
        try FileManager.default.createDirectory(atPath: root + "/p2", withIntermediateDirectories: true)
        FileManager.default.createFile(
            atPath: root + "/p2/.0000000000000000005-0000000000000000000.snapshot.999.tmp",
            contents: Data([1, 2, 3])
        )
        // Written out of order: position, not write time, decides which is newest.
        for n in [10, 9, 200, 30, 40] {
            try store.write(SnapshotCodec.encode(snapshot(n)), partition: 2, position: [Int64(n), -1])
        }
        let kept = try store.snapshots(of: 2)
        #expect(kept.map(\.position) == [[200, 0], [40, 0], [30, 0]])
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/p2")
        #expect(files.count == 3, "\(files)")
        let (restored, source) = try #require(
            try store.newestValid(of: 2) { _, _ in Issue.record("nothing is corrupt") }
        )
        #expect(source.position == [200, 0])
        #expect(restored == snapshot(200))
        #expect(try store.snapshots(of: 5).isEmpty)
    }

    @Test("A corrupt newest snapshot is reported and skipped for the next older one")
    func fallback() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try DirectorySnapshotStore(root: root, retain: 3)
        for n in [20, 40] {
            try store.write(SnapshotCodec.encode(snapshot(n)), partition: 2, position: [Int64(n), -1])
        }
        let newest = try #require(try store.snapshots(of: 2).first)
        // One flipped byte in the middle, as a bad disk block would leave it.
        var bytes = try store.read(newest)
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: newest.location))
        var reasons: [String] = []
        let (restored, source) = try #require(
            try store.newestValid(of: 2) { s, error in reasons.append("\(s): \(error)") }
        )
        #expect(source.position == [20, 0])
        #expect(restored == snapshot(20))
        #expect(reasons.count == 1 && reasons[0].contains("checksum mismatch"), "\(reasons)")
        // Nothing decodes: nil, and both reasons given.
        for s in try store.snapshots(of: 2) {
            try Data("not a snapshot".utf8).write(to: URL(fileURLWithPath: s.location))
        }
        reasons = []
        #expect(try store.newestValid(of: 2) { s, error in reasons.append("\(error)") } == nil)
        #expect(reasons.count == 2 && reasons.allSatisfy { $0.contains("bad magic") })
    }
}
