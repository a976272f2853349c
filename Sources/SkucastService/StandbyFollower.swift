import Foundation
import Logging
import SkucastKafka
import Synchronization

/// Follows partitions of the state topic on a thread of its own and keeps each one's newest
/// complete snapshot: the warm copies behind ``KafkaSnapshotStore/follow(partitions:)``.
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
        /// The partitions asked for, and whether the thread has yet to follow them.
        var wanted: Set<Int32>
        var changed = true
        /// Partitions let go since the thread last looked: their copies are gone, so if
        /// asked for again they are read from the start.
        var dropped: Set<Int32> = []
    }

    private let copies: Mutex<Copies>
    private let stopped = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    /// Starts following `partitions` of `topic` (all of them when nil) from their beginning.
    init(topic: String, client: KafkaClientConfiguration, partitions: Set<Int32>?, logger: Logger) throws {
        var configuration = KafkaConsumerConfiguration(client: client, groupID: "skucast-standby")
        configuration.reportEndOfPartition = true
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        let all = try consumer.metadata(topics: [topic], timeout: .seconds(10)).topic(topic)?.partitions ?? []
        guard !all.isEmpty else {
            throw SnapshotStoreError(kafka: "follow \(topic)", "the topic does not exist (skucast topics apply)")
        }
        copies = Mutex(Copies(wanted: partitions ?? Set(all.map(\.id))))
        let thread = Thread { [self] in
            defer {
                try? consumer.close()
                finished.store(true, ordering: .releasing)
            }
            var gatherers: [Int32: SnapshotGatherer] = [:]
            var next: [Int32: Int64] = [:]
            while !stopped.load(ordering: .relaxed) {
                let batch: KafkaMessageBatch
                do {
                    if let (wanted, dropped) = copies.withLock({ c -> (Set<Int32>, Set<Int32>)? in
                        defer { (c.changed, c.dropped) = (false, []) }
                        return c.changed ? (c.wanted, c.dropped) : nil
                    }) {
                        // Partitions kept go on from where they are; new ones (and ones let go
                        // in between) from the start.
                        for p in Array(next.keys) where !wanted.contains(p) || dropped.contains(p) {
                            (next[p], gatherers[p]) = (nil, nil)
                        }
                        try consumer.assign(
                            Dictionary(
                                uniqueKeysWithValues: wanted.map { p in
                                    (
                                        KafkaTopicPartition(topic: topic, partition: p),
                                        next[p].map { KafkaOffset.offset($0) } ?? .beginning
                                    )
                                }
                            )
                        )
                    }
                    batch = try consumer.poll(maxMessages: 1024, timeout: .milliseconds(100))
                } catch {
                    // Not caught up while the topic cannot be read: take-overs read it.
                    logger.warning("standby: cannot follow the state topic", metadata: ["error": "\(error)"])
                    copies.withLock {
                        $0.caughtUp.removeAll()
                        $0.changed = true
                    }
                    Thread.sleep(forTimeInterval: 1)
                    continue
                }
                for error in batch.errors { logger.warning("standby: \(error)") }
                var fetched: Set<Int32> = []
                for m in batch {
                    fetched.insert(m.partition)
                    next[m.partition] = m.offset + 1
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
                    copies.withLock { c in
                        // A partition let go and asked for again is read afresh first.
                        if c.wanted.contains(m.partition), !c.dropped.contains(m.partition) {
                            c.warm[m.partition, default: [:]][done.slot] = warm
                        }
                    }
                }
                let ended = Set(batch.reachedEnd.map(\.partition))
                if !fetched.isEmpty || !ended.isEmpty {
                    copies.withLock { c in
                        c.caughtUp.subtract(fetched)
                        c.caughtUp.formUnion(ended.intersection(c.wanted).subtracting(c.dropped))
                    }
                }
            }
        }
        thread.name = "skucast-standby"
        thread.start()
    }

    /// Follows `partitions` from now on: the copies of the others are let go.
    func follow(_ partitions: Set<Int32>) {
        copies.withLock { c in
            guard c.wanted != partitions else { return }
            for p in c.wanted.subtracting(partitions) {
                c.warm[p] = nil
                c.caughtUp.remove(p)
                c.dropped.insert(p)
            }
            c.wanted = partitions
            c.changed = true
        }
    }

    /// The partitions followed.
    var partitions: Set<Int32> { copies.withLock { $0.wanted } }

    /// The partition's complete snapshots, newest first (at most one per slot), once the
    /// follower has read the partition to its end (waiting at most `patience` for that);
    /// nil when it has not caught up in time or does not follow the partition.
    func newest(of partition: Int32, waiting patience: Duration) -> [Warm]? {
        let deadline = ContinuousClock.now + patience
        while true {
            let (wanted, caughtUp, warm) = copies.withLock {
                ($0.wanted.contains(partition), $0.caughtUp.contains(partition), $0.warm[partition])
            }
            guard wanted else { return nil }
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
