import Foundation
import Logging
import SkucastKafka
import Synchronization

/// Follows the whole state topic on a thread of its own and keeps each partition's newest
/// complete snapshot: the warm copies behind ``KafkaSnapshotStore/followAll()``.
final class StandbyFollower: Sendable {
    struct Warm: Sendable {
        var stored: StoredSnapshot
        var slot: Int
        var lastOffset: Int64
        var bytes: [UInt8]
    }

    private struct Copies {
        /// Per partition, the newest complete snapshot of each slot.
        var warm: [Int32: [Int: Warm]] = [:]
        /// Partitions read to their end, with nothing newer fetched since.
        var caughtUp: Set<Int32> = []
    }

    private let copies = Mutex(Copies())
    private let stopped = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    /// Starts following every partition of `topic` from its beginning.
    init(topic: String, client: KafkaClientConfiguration, logger: Logger) throws {
        var configuration = KafkaConsumerConfiguration(client: client, groupID: "skucast-standby")
        configuration.reportEndOfPartition = true
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        let partitions = try consumer.metadata(topics: [topic], timeout: .seconds(10)).topic(topic)?.partitions ?? []
        guard !partitions.isEmpty else {
            throw SnapshotStoreError(kafka: "follow \(topic)", "the topic does not exist (skucast topics apply)")
        }
        try consumer.assign(
            Dictionary(
                uniqueKeysWithValues: partitions.map {
                    (KafkaTopicPartition(topic: topic, partition: $0.id), .beginning)
                }
            )
        )
        let thread = Thread { [self] in
            defer {
                try? consumer.close()
                finished.store(true, ordering: .releasing)
            }
            var gatherers: [Int32: SnapshotGatherer] = [:]
            while !stopped.load(ordering: .relaxed) {
                let batch: KafkaMessageBatch
                do {
                    batch = try consumer.poll(maxMessages: 1024, timeout: .milliseconds(100))
                } catch {
                    // Not caught up while the topic cannot be read: take-overs read it.
                    logger.warning("standby: cannot follow the state topic", metadata: ["error": "\(error)"])
                    copies.withLock { $0.caughtUp.removeAll() }
                    Thread.sleep(forTimeInterval: 1)
                    continue
                }
                for error in batch.errors { logger.warning("standby: \(error)") }
                var fetched: Set<Int32> = []
                for m in batch {
                    fetched.insert(m.partition)
                    guard let chunk = SnapshotChunk(m), let done = gatherers[m.partition, default: .init()].add(chunk)
                    else { continue }
                    gatherers[m.partition]?.release(slot: done.slot)
                    // A slot's complete snapshot replaces the one before in that slot.
                    let warm = Warm(
                        stored: done.stored(topic: topic, partition: m.partition),
                        slot: done.slot,
                        lastOffset: done.lastOffset,
                        bytes: done.bytes
                    )
                    copies.withLock { $0.warm[m.partition, default: [:]][done.slot] = warm }
                }
                let ended = Set(batch.reachedEnd.map(\.partition))
                if !fetched.isEmpty || !ended.isEmpty {
                    copies.withLock { c in
                        c.caughtUp.subtract(fetched)
                        c.caughtUp.formUnion(ended)
                    }
                }
            }
        }
        thread.name = "skucast-standby"
        thread.start()
    }

    /// The partition's complete snapshots, newest first (at most one per slot), once the
    /// follower has read the partition to its end (waiting at most `patience` for that);
    /// nil when it has not caught up in time.
    func newest(of partition: Int32, waiting patience: Duration) -> [Warm]? {
        let deadline = ContinuousClock.now + patience
        while true {
            let (caughtUp, warm) = copies.withLock { ($0.caughtUp.contains(partition), $0.warm[partition]) }
            if caughtUp {
                return (warm ?? [:]).values.sorted { a, b in
                    a.stored.position == b.stored.position
                        ? a.lastOffset > b.lastOffset : b.stored.position.lexicographicallyPrecedes(a.stored.position)
                }
            }
            if ContinuousClock.now >= deadline || finished.load(ordering: .acquiring) { return nil }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
    }
}
