import Logging
import SkucastKafka
import Synchronization

/// Snapshots in a Kafka topic (`Topics/state`), as Kafka Streams keeps its stores in
/// changelog topics: any instance that can reach the cluster restores any partition, so a
/// partition moves between machines without a rebuild and without shared storage.
///
/// Input partition *p*'s snapshots go to partition *p* of the state topic, which must have
/// at least as many partitions as the inputs. A snapshot is cut into chunks (records of at
/// most ``chunkSize`` bytes, under the brokers' default message size). Each chunk is keyed
/// `p/slot/index` and carries the snapshot's id, position and chunk count in headers.
///
/// The topic is compacted, and snapshots alternate between two slots: a new one is written
/// into the slot that does not hold the newest complete snapshot. Compaction therefore
/// only ever removes chunks of a snapshot that a newer complete one has replaced, and a
/// crash in the middle of a write leaves the previous snapshot whole. The topic keeps
/// about two snapshots per partition.
///
/// ``write(_:partition:position:)`` returns once every chunk is acknowledged by the
/// cluster (the producer is idempotent, `acks=all`): the same durability as the directory
/// store's fsync, and the checkpoint's order (outputs, snapshot, offsets) stays as it is.
public final class KafkaSnapshotStore: SnapshotStore {
    /// Bytes per record.
    public static let chunkSize = 512 * 1024

    let topic: String
    let client: KafkaClientConfiguration
    let producer: KafkaProducer
    let logger: Logger
    let ledger = DeliveryLedger()
    /// The slot each partition's newest complete snapshot is in, as last read or written.
    let newestSlot = Mutex<[Int32: Int]>([:])
    /// Bytes of snapshots a listing read in passing, until they are read: a restore lists,
    /// then reads the newest, and should not fetch it twice.
    let listed = Mutex<[String: [UInt8]]>([:])

    /// - Parameters:
    ///   - topic: The state topic.
    ///   - client: How to reach the cluster.
    ///   - logger: Receives the producer's and readers' logs.
    /// - Throws: ``KafkaError`` when the cluster cannot be reached.
    public init(topic: String, client: KafkaClientConfiguration, logger: Logger) throws {
        self.topic = topic
        self.client = client
        self.logger = logger
        var configuration = KafkaProducerConfiguration(client: client)
        configuration.linger = .milliseconds(5)
        configuration.compression = "zstd"
        let ledger = self.ledger
        producer = try KafkaProducer(configuration: configuration, logger: logger) { ledger.record($0) }
    }

    /// A snapshot's headers.
    enum Header {
        static let id = "skucast.snapshot.id"
        static let position = "skucast.snapshot.position"
        static let chunk = "skucast.snapshot.chunk"
    }

    public func write(_ bytes: [UInt8], partition: Int32, position: [Int64]) throws {
        let slot = 1 - (newestSlot.withLock { $0[partition] } ?? 1)
        let count = max(1, (bytes.count + Self.chunkSize - 1) / Self.chunkSize)
        let id = "\(position.map(String.init).joined(separator: ","))@\(ContinuousClock.now)"
        let failedBefore = ledger.failureCount
        try bytes.withUnsafeBytes { all in
            for i in 0..<count {
                let range = (i * Self.chunkSize)..<min(bytes.count, (i + 1) * Self.chunkSize)
                let key = Array("\(partition)/\(slot)/\(i)".utf8)
                try key.withUnsafeBytes { k in
                    _ = try producer.send(
                        topic: topic,
                        partition: partition,
                        key: k,
                        value: UnsafeRawBufferPointer(rebasing: all[range]),
                        headers: [
                            KafkaHeader(name: Header.id, string: id),
                            KafkaHeader(
                                name: Header.position,
                                string: position.map(String.init).joined(separator: ",")
                            ),
                            KafkaHeader(name: Header.chunk, string: "\(i)/\(count)"),
                        ]
                    )
                }
            }
        }
        try producer.flush(timeout: .seconds(120))
        guard ledger.failureCount == failedBefore else {
            throw SnapshotStoreError(
                kafka: "write to \(topic)[\(partition)]",
                ledger.firstError.map { "\($0)" } ?? "a chunk was not delivered"
            )
        }
        newestSlot.withLock { $0[partition] = slot }
    }

    /// A snapshot being gathered from its chunks while the partition is read.
    struct Gathered {
        var id: String
        var position: [Int64]
        var chunks: [[UInt8]?]
        var missing: Int
        var slot: Int
    }

    public func snapshots(of partition: Int32) throws -> [StoredSnapshot] {
        var latest: [Int: Gathered] = [:]
        try readPartition(partition) { slot, id, position, index, count, value in
            // A new id in a slot is a later write to it: the one before is superseded.
            if latest[slot]?.id != id {
                latest[slot] = Gathered(
                    id: id,
                    position: position,
                    chunks: Array(repeating: nil, count: count),
                    missing: count,
                    slot: slot
                )
            }
            guard var g = latest[slot], index < g.chunks.count, g.chunks[index] == nil else { return }
            g.chunks[index] = value
            g.missing -= 1
            latest[slot] = g
        }
        let complete = latest.values.filter { $0.missing == 0 }.sorted {
            $0.position.lexicographicallyPrecedes($1.position)
        }
        .reversed()
        if let newest = complete.first { newestSlot.withLock { $0[partition] = newest.slot } }
        return complete.map { g in
            let location = "kafka:\(topic)[\(partition)]/slot\(g.slot)/\(g.id)"
            listed.withLock { $0[location] = g.chunks.flatMap { $0! } }
            return StoredSnapshot(partition: partition, position: g.position, location: location)
        }
    }

    public func read(_ snapshot: StoredSnapshot) throws -> [UInt8] {
        if let bytes = listed.withLock({ $0.removeValue(forKey: snapshot.location) }) { return bytes }
        // Not listed by this store (or read once already): list again.
        _ = try snapshots(of: snapshot.partition)
        guard let bytes = listed.withLock({ $0.removeValue(forKey: snapshot.location) }) else {
            throw SnapshotStoreError(kafka: "read \(snapshot.location)", "no longer in the topic")
        }
        return bytes
    }

    /// Reads partition `partition` of the state topic from its start to its end, handing
    /// each chunk's slot, snapshot id, position, index, count and bytes to `chunk`.
    func readPartition(
        _ partition: Int32,
        chunk: (Int, String, [Int64], Int, Int, [UInt8]) -> Void
    ) throws {
        var configuration = KafkaConsumerConfiguration(client: client, groupID: "skucast-state-reader")
        configuration.reportEndOfPartition = true
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        defer { try? consumer.close() }
        let tp = KafkaTopicPartition(topic: topic, partition: partition)
        try consumer.assign([tp: .beginning])
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            let batch = try consumer.poll(maxMessages: 1024, timeout: .milliseconds(200))
            if let error = batch.errors.first { throw error }
            for m in batch {
                var headers: [String: String] = [:]
                for h in m.headers { headers[h.name] = String(decoding: h.value ?? [], as: UTF8.self) }
                let key = String(decoding: m.key ?? [], as: UTF8.self).split(separator: "/")
                let parts = headers[Header.chunk]?.split(separator: "/").compactMap { Int($0) } ?? []
                guard key.count == 3, let slot = Int(key[1]), slot == 0 || slot == 1,
                    let id = headers[Header.id], parts.count == 2,
                    let position = headers[Header.position]?.split(separator: ",").map({ Int64($0) }),
                    !position.contains(nil), let value = m.value
                else {
                    logger.warning(
                        "state topic: a record that is no snapshot chunk, skipped",
                        metadata: ["offset": "\(m.offset)"]
                    )
                    continue
                }
                chunk(slot, id, position.map { $0! }, parts[0], parts[1], value)
            }
            if batch.reachedEnd.contains(tp) { return }
        }
        throw SnapshotStoreError(kafka: "read \(topic)[\(partition)]", "not read to its end in 600 s")
    }
}

extension SnapshotStoreError {
    init(kafka operation: String, _ reason: String) {
        self.init(description: "\(operation): \(reason)")
    }
}
