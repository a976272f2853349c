import Dispatch
import Logging
import SkucastEngine
import SkucastKafka
import SkucastPipeline
import Synchronization

/// Brings back the partitions assigned to this member: each from its newest valid
/// snapshot, or from the earliest offset when it has none, and says where the consumer
/// must start reading each input so that the snapshot and the input meet exactly.
struct PartitionRestorer {
    let store: any SnapshotStore
    let inputs: [String]
    let engine: EngineConfiguration
    let forecastActiveBuckets: Int
    let publishOnChange: PublishOnChange?
    let logger: Logger

    /// A partition ready to process, and the snapshot it came from (nil: from the start).
    struct Restored {
        var processor: PartitionProcessor
        var source: StoredSnapshot?
    }

    /// Restores `partitions`.
    /// - Parameters:
    ///   - committed: The group's committed offsets: outputs below them were produced
    ///     before and are recomputed but not produced again.
    ///   - startOffsets: Receives where each input partition is read from.
    /// - Throws: The store's errors (a damaged snapshot is not one: the next older is tried).
    func restore(
        _ partitions: [Int32],
        committed: [KafkaTopicPartition: Int64],
        startOffsets: inout [KafkaTopicPartition: KafkaOffset]
    ) throws -> [Int32: Restored] {
        let clock = ContinuousClock()
        let start = clock.now
        let found = try loadSnapshots(partitions)
        logger.info(
            "snapshots loaded",
            metadata: ["partitions": "\(partitions)", "seconds": "\((clock.now - start).secondsValue)"]
        )
        var restored: [Int32: Restored] = [:]
        for p in partitions {
            let snapshot = found[p] ?? nil
            var processor = PartitionProcessor(
                partition: p,
                snapshot: snapshot?.0,
                configuration: engine,
                forecastActiveBuckets: forecastActiveBuckets,
                publishOnChange: publishOnChange
            )
            for topic in InputTopic.allCases {
                let tp = KafkaTopicPartition(topic: inputs[topic.rawValue], partition: p)
                let from = processor.next[topic.rawValue]
                startOffsets[tp] = from >= 0 ? .offset(from) : .beginning
                if let c = committed[tp] {
                    processor.acknowledgedBelow[topic.rawValue] = max(processor.acknowledgedBelow[topic.rawValue], c)
                }
            }
            if let (_, source) = snapshot {
                // The state was cut with the snapshot's calendar and policy: it keeps them.
                // Changing them means starting without the snapshots.
                if processor.engine.configuration != engine {
                    logger.warning(
                        "the snapshot's engine configuration differs from the one asked for; the snapshot's stays in force (remove the state directory to rebuild with the new one)",
                        metadata: [
                            "partition": "\(p)",
                            "snapshot": "\(processor.engine.configuration.summary)",
                            "asked": "\(engine.summary)",
                        ]
                    )
                }
                logger.info(
                    "partition restored",
                    metadata: ["partition": "\(p)", "snapshot": "\(source)", "skus": "\(processor.engine.skuCount)"]
                )
            } else {
                logger.info("partition starts from the earliest offset (no snapshot)", metadata: ["partition": "\(p)"])
            }
            restored[p] = Restored(processor: processor, source: snapshot?.1)
        }
        return restored
    }

    /// Each partition's newest valid snapshot, decoded in parallel: decoding a large
    /// snapshot is most of a restart, and each partition's is independent.
    private func loadSnapshots(_ partitions: [Int32]) throws -> [Int32: (PartitionSnapshot, StoredSnapshot)?] {
        let found = Mutex([Int32: Result<(PartitionSnapshot, StoredSnapshot)?, any Error>]())
        let (store, logger) = (self.store, self.logger)
        DispatchQueue.concurrentPerform(iterations: partitions.count) { i in
            let p = partitions[i]
            let result = Result {
                try store.newestValid(of: p) { snapshot, error in
                    logger.error(
                        "snapshot unusable, trying an older one",
                        metadata: ["snapshot": "\(snapshot)", "error": "\(error)"]
                    )
                }
            }
            found.withLock { $0[p] = result }
        }
        let results = found.withLock { $0 }
        var loaded: [Int32: (PartitionSnapshot, StoredSnapshot)?] = [:]
        for p in partitions { loaded[p] = try results[p]!.get() }
        return loaded
    }
}
