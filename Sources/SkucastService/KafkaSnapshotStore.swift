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
    let listed = Mutex<[Int32: [String: Listed]]>([:])

    /// A listed snapshot's slot and bytes.
    struct Listed {
        var slot: Int
        var bytes: [UInt8]
    }
    /// Set by ``follow(partitions:)``.
    private let following = Mutex<StandbyFollower?>(nil)
    var follower: StandbyFollower? { following.withLock { $0 } }

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

    public func snapshots(of partition: Int32) throws -> [StoredSnapshot] {
        var found: [(stored: StoredSnapshot, listed: Listed)] = []
        // A follower that has read the partition to its end answers, snapshots or none:
        // the topic holds nothing newer for a read to find.
        if let follower, let warm = follower.newest(of: partition, waiting: .seconds(10)) {
            found = warm.map { w in
                (
                    StoredSnapshot(
                        partition: partition,
                        position: w.stored.position,
                        location: w.stored.location + " (standby copy)"
                    ),
                    Listed(slot: w.slot, bytes: w.bytes)
                )
            }
        } else {
            var gatherer = SnapshotGatherer()
            try readPartition(partition) { gatherer.add($0) }
            found = gatherer.complete.map { g in
                (g.stored(topic: topic, partition: partition), Listed(slot: g.slot, bytes: g.bytes))
            }
        }
        // What an earlier listing of the partition left is dropped: only these count now.
        listed.withLock { l in
            l[partition] = Dictionary(found.map { ($0.stored.location, $0.listed) }, uniquingKeysWith: { a, _ in a })
        }
        if let newest = found.first { newestSlot.withLock { $0[partition] = newest.listed.slot } }
        return found.map(\.stored)
    }

    /// The bytes of a listed snapshot. The partition's next write goes into the other
    /// slot: when the newest does not decode and an older one is restored instead, the
    /// older one is the one kept. The other listed snapshots of the partition are let go
    /// (a further read lists again).
    public func read(_ snapshot: StoredSnapshot) throws -> [UInt8] {
        func take() -> Listed? {
            listed.withLock { l in
                defer { l[snapshot.partition] = nil }
                return l[snapshot.partition]?[snapshot.location]
            }
        }
        guard
            let found = try take()
                ?? {
                    _ = try snapshots(of: snapshot.partition)
                    return take()
                }()
        else {
            throw SnapshotStoreError(kafka: "read \(snapshot.location)", "no longer in the topic")
        }
        newestSlot.withLock { $0[snapshot.partition] = found.slot }
        return found.bytes
    }

    /// Reads partition `partition` of the state topic from its start to its end, handing
    /// each snapshot chunk to `chunk`.
    func readPartition(_ partition: Int32, chunk: (SnapshotChunk) -> Void) throws {
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
                guard let c = SnapshotChunk(m) else {
                    logger.warning(
                        "state topic: a record that is no snapshot chunk, skipped",
                        metadata: ["offset": "\(m.offset)"]
                    )
                    continue
                }
                chunk(c)
            }
            if batch.reachedEnd.contains(tp) { return }
        }
        throw SnapshotStoreError(kafka: "read \(topic)[\(partition)]", "not read to its end in 600 s")
    }

    /// Standby replicas, as Kafka Streams' `num.standby.replicas`: from now on, follow
    /// `partitions` of the state topic (every one when nil) and keep each one's newest
    /// complete snapshot in memory, so a partition this instance takes over restores
    /// without reading the topic. Costs the memory of one snapshot per partition followed.
    /// Called again, it changes the partitions followed (see ``StandbyPlacement``).
    public func follow(partitions: Set<Int32>?) throws {
        try following.withLock { follower throws in
            if let follower, let partitions {
                follower.follow(partitions)
            } else {
                follower?.stop()
                follower = try StandbyFollower(topic: topic, client: client, partitions: partitions, logger: logger)
            }
        }
    }

    /// The partitions followed for standby copies (nil when none are kept).
    public var standbyPartitions: Set<Int32>? { follower?.partitions }

    /// Stops following the state topic.
    public func stopFollowing() {
        following.withLock {
            $0?.stop()
            $0 = nil
        }
    }

    deinit { stopFollowing() }
}

/// One record of the state topic: a chunk of a snapshot.
struct SnapshotChunk {
    var partition: Int32
    /// Its offset in the state topic: of two snapshots at the same input position, the
    /// one written later is newer (a wall-clock close may lie between them).
    var offset: Int64
    var slot: Int
    var id: String
    var position: [Int64]
    var index: Int
    var count: Int
    var bytes: [UInt8]

    /// The chunk a record holds; nil for a record that is none.
    init?(_ m: KafkaMessage) {
        var headers: [String: String] = [:]
        for h in m.headers { headers[h.name] = String(decoding: h.value ?? [], as: UTF8.self) }
        let key = String(decoding: m.key ?? [], as: UTF8.self).split(separator: "/")
        let parts = headers[KafkaSnapshotStore.Header.chunk]?.split(separator: "/").compactMap { Int($0) } ?? []
        let position = headers[KafkaSnapshotStore.Header.position]?.split(separator: ",").map { Int64($0) } ?? []
        guard key.count == 3, let slot = Int(key[1]), slot == 0 || slot == 1,
            let id = headers[KafkaSnapshotStore.Header.id], parts.count == 2, parts[0] < parts[1],
            !position.isEmpty, !position.contains(nil), let value = m.value
        else { return nil }
        (self.partition, self.offset, self.slot, self.id) = (m.partition, m.offset, slot, id)
        (self.position, self.index, self.count, self.bytes) = (position.map { $0! }, parts[0], parts[1], value)
    }
}

/// Gathers one partition's snapshots from its chunks, read in offset order. A new id in a
/// slot is a later write to that slot: the snapshot it held before is superseded.
struct SnapshotGatherer {
    struct Gathered {
        var id: String
        var position: [Int64]
        var chunks: [[UInt8]?]
        var missing: Int
        var slot: Int
        /// The offset of its last chunk read.
        var lastOffset: Int64

        /// Whether it is further into the input than `other`, or as far and written later.
        func isNewer(than other: Gathered) -> Bool {
            position == other.position
                ? lastOffset > other.lastOffset : other.position.lexicographicallyPrecedes(position)
        }

        var bytes: [UInt8] { chunks.flatMap { $0 ?? [] } }

        func stored(topic: String, partition: Int32) -> StoredSnapshot {
            StoredSnapshot(
                partition: partition,
                position: position,
                location: "kafka:\(topic)[\(partition)]/slot\(slot)/\(id)"
            )
        }
    }

    var latest: [Int: Gathered] = [:]

    /// Adds a chunk.
    /// - Returns: The snapshot it completes, if it does.
    @discardableResult
    mutating func add(_ c: SnapshotChunk) -> Gathered? {
        if latest[c.slot]?.id != c.id {
            latest[c.slot] = Gathered(
                id: c.id,
                position: c.position,
                chunks: Array(repeating: nil, count: c.count),
                missing: c.count,
                slot: c.slot,
                lastOffset: c.offset
            )
        }
        guard var g = latest[c.slot], c.index < g.chunks.count, g.chunks[c.index] == nil else { return nil }
        g.chunks[c.index] = c.bytes
        g.missing -= 1
        g.lastOffset = max(g.lastOffset, c.offset)
        latest[c.slot] = g
        return g.missing == 0 ? g : nil
    }

    /// The complete snapshots, newest first (see ``Gathered/isNewer(than:)``).
    var complete: [Gathered] {
        latest.values.filter { $0.missing == 0 }.sorted { $0.isNewer(than: $1) }
    }

    /// Lets go of a complete snapshot's chunks once its bytes are kept elsewhere.
    mutating func release(slot: Int) {
        latest[slot]?.chunks = []
    }
}

extension SnapshotStoreError {
    init(kafka operation: String, _ reason: String) {
        self.init(description: "\(operation): \(reason)")
    }
}
