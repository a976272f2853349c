import Foundation
import Logging
import SkucastKafka
import SkucastKafkaTesting
import SkucastService
import Testing

@Suite("Snapshots in the state topic")
struct KafkaSnapshotStoreTests {
    let broker: DevBroker

    init() throws { broker = try DevBroker.shared() }

    func store(_ topic: String) throws -> KafkaSnapshotStore {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try KafkaSnapshotStore(topic: topic, client: broker.clientConfiguration(), logger: logger)
    }

    @Test(
        "Multi-chunk snapshots round-trip; a write cut short (a crash mid-write) leaves the one before it whole; after a fallback the older one is kept; of two at one position the later wins; a new store instance, as on another machine, finds the newest"
    )
    func slots() throws {
        let prefix = "ks\(UUID().uuidString.prefix(6).lowercased())."
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let admin = try KafkaAdmin(configuration: broker.clientConfiguration(), logger: logger)
        _ = try admin.createTopics([KafkaTopicSpec(name: prefix + "state", partitions: 2)], timeout: .seconds(10))
        var generator = SystemRandomNumberGenerator()
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let first = bytes(KafkaSnapshotStore.chunkSize * 2 + 1000)
        let writer = try store(prefix + "state")
        try writer.write(first, partition: 1, position: [120, 7])
        #expect(try writer.snapshots(of: 0).isEmpty)
        let listed = try writer.snapshots(of: 1)
        #expect(listed.map(\.position) == [[120, 7]])
        #expect(try writer.read(listed[0]) == first)

        // A second write that died after its first chunk: into the other slot, incomplete.
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: broker.clientConfiguration()),
            logger: logger
        )
        _ = try producer.send(
            KafkaProducerMessage(
                topic: prefix + "state",
                partition: 1,
                key: Array("1/1/0".utf8),
                value: bytes(1000),
                headers: [
                    KafkaHeader(name: "skucast.snapshot.id", string: "crashed"),
                    KafkaHeader(name: "skucast.snapshot.position", string: "200,9"),
                    KafkaHeader(name: "skucast.snapshot.chunk", string: "0/3"),
                ]
            )
        )
        try producer.flush(timeout: .seconds(10))
        let elsewhere = try store(prefix + "state")
        let afterCrash = try elsewhere.snapshots(of: 1)
        #expect(afterCrash.map(\.position) == [[120, 7]], "the cut-short write is not a snapshot")
        #expect(try elsewhere.read(afterCrash[0]) == first)

        // The next write goes over the cut-short one's slot; both complete ones are listed,
        // newest first.
        let second = bytes(KafkaSnapshotStore.chunkSize + 10)
        try elsewhere.write(second, partition: 1, position: [300, 9])
        let both = try store(prefix + "state").snapshots(of: 1)
        #expect(both.map(\.position) == [[300, 9], [120, 7]])
        #expect(both.first?.location.contains("slot1") == true, "written into the slot the crashed write had")
        let third = bytes(100)
        try elsewhere.write(third, partition: 1, position: [400, 9])
        let reader = try store(prefix + "state")
        let latest = try reader.snapshots(of: 1)
        #expect(latest.map(\.position) == [[400, 9], [300, 9]], "the oldest slot was reused")
        #expect(try reader.read(latest[0]) == third)
        #expect(try reader.read(latest[1]) == second)

        // The newest did not decode and the older one was restored (read last): the next
        // write must keep the older one, so it goes over the newest's slot.
        let newestSlot = latest[0].location.contains("slot1") ? "slot1" : "slot0"
        let fourth = bytes(50)
        try reader.write(fourth, partition: 1, position: [500, 9])
        let afterFallback = try store(prefix + "state").snapshots(of: 1)
        #expect(afterFallback.map(\.position) == [[500, 9], [300, 9]])
        #expect(afterFallback.first?.location.contains(newestSlot) == true)

        // Two snapshots at one position (a wall-clock close between them): the later wins.
        let fifth = bytes(60)
        try reader.write(fifth, partition: 1, position: [500, 9])
        let tie = try store(prefix + "state")
        let tied = try tie.snapshots(of: 1)
        #expect(tied.map(\.position) == [[500, 9], [500, 9]])
        #expect(try tie.read(tied[0]) == fifth)
    }
}
