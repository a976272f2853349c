import Logging
import SkucastEngine
import SkucastKafka
import SkucastPipeline

/// Takes the service's checkpoints: flush the producer, write each partition's snapshot,
/// commit the input offsets the snapshots cover — in that order, so a committed offset
/// always has a durable snapshot and acknowledged outputs behind it.
struct Checkpointer {
    let store: any SnapshotStore
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let ledger: DeliveryLedger
    let inputs: [String]
    let policy: Policy
    let logger: Logger
    let metrics: ServiceMetrics
    let clock = ContinuousClock()

    /// When a checkpoint is due and how long its flush may take.
    struct Policy {
        var events: Int
        var interval: Duration
        var flushTimeout: Duration
    }

    /// Each partition's input positions as last committed by this member: a revocation
    /// with nothing new since has nothing to save or commit.
    private var committedNext: [Int32: [Int64]] = [:]
    /// Set while leaving the group, when a commit may find the handle already going.
    var leaving = false
    private(set) var count = 0
    private(set) var last: ContinuousClock.Instant
    private(set) var lastSeconds = 0.0
    private(set) var lastBytes = 0

    init(
        store: any SnapshotStore,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        ledger: DeliveryLedger,
        inputs: [String],
        policy: Policy,
        logger: Logger,
        metrics: ServiceMetrics
    ) {
        (self.store, self.consumer, self.producer, self.ledger) = (store, consumer, producer, ledger)
        (self.inputs, self.policy, self.logger, self.metrics) = (inputs, policy, logger, metrics)
        last = clock.now
    }

    /// Whether a partition has read enough since its snapshot, or any has read something
    /// and the interval has passed.
    func isDue(_ processors: [Int32: PartitionProcessor]) -> Bool {
        processors.values.contains { $0.eventsSinceSnapshot >= policy.events }
            || (clock.now - last >= policy.interval && processors.values.contains { $0.eventsSinceSnapshot > 0 })
    }

    /// Whether the partition holds anything its last checkpoint did not save or commit.
    func hasUnsaved(_ p: Int32, _ processor: PartitionProcessor) -> Bool {
        processor.eventsSinceSnapshot > 0 || committedNext[p] != processor.resumeAt
    }

    /// A partition that left this member.
    mutating func forget(_ p: Int32) { committedNext[p] = nil }

    /// Checkpoints `partitions` of `processors` (their snapshot counters restart).
    /// - Throws: ``ServiceError`` when an output was not delivered, and the store's or
    ///   Kafka's errors: nothing is committed then, so a restart replays from the last
    ///   checkpoint. A commit refused because the group moved on is not an error.
    mutating func checkpoint(_ partitions: [Int32], of processors: inout [Int32: PartitionProcessor]) throws {
        guard !partitions.isEmpty else { return }
        let start = clock.now
        try producer.flush(timeout: policy.flushTimeout)
        if ledger.failureCount > 0 {
            throw ServiceError(
                "\(ledger.failureCount) outputs were not delivered (first: \(ledger.firstError.map { "\($0)" } ?? "?")): stopping without committing, a restart replays from the last checkpoint"
            )
        }
        var commit: [KafkaTopicPartition: Int64] = [:]
        var bytes = 0
        for p in partitions.sorted() {
            guard var processor = processors[p] else { continue }
            let encoded = SnapshotCodec.encode(processor.snapshot(topicNames: inputs))
            let positions = processor.resumeAt
            try store.write(encoded, partition: p, position: positions)
            bytes += encoded.count
            processor.snapshotTaken()
            processors[p] = processor
            for topic in InputTopic.allCases where positions[topic.rawValue] >= 0 {
                commit[KafkaTopicPartition(topic: inputs[topic.rawValue], partition: p)] =
                    positions[topic.rawValue]
            }
        }
        do throws(KafkaError) {
            try consumer.commit(commit)
            for p in partitions { if let processor = processors[p] { committedNext[p] = processor.resumeAt } }
        } catch {
            guard error.code.isGroupMembershipChange || (leaving && error.code == .destroyed) else { throw error }
            // The snapshots are durable; whoever owns the partitions next restores them
            // and, without this commit, replays a little more. Nothing is lost.
            logger.warning(
                "commit refused: the group moved on or the member is leaving; the snapshots stand",
                metadata: ["error": "\(error)"]
            )
        }
        count += 1
        last = clock.now
        lastSeconds = (last - start).secondsValue
        lastBytes = bytes
        metrics.snapshotSeconds.recordNanoseconds((last - start).nanoseconds)
        metrics.snapshotBytes.record(Double(bytes))
        logger.debug(
            "checkpoint",
            metadata: ["partitions": "\(partitions.sorted())", "bytes": "\(bytes)", "seconds": "\(lastSeconds)"]
        )
    }
}
