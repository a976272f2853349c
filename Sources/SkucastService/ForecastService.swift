import CoreMetrics
import Dispatch
import Logging
import SkucastEngine
import SkucastEvents
import SkucastKafka
import SkucastPipeline
import Synchronization

/// How the service runs.
public struct ServiceConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    public var groupID = "skucast"
    public var topics = ServiceTopics()
    public var engine = EngineConfiguration()
    /// Snapshot every partition after this many events processed…
    public var checkpointEvents = 200_000
    /// …or this long after the last snapshot, whichever comes first.
    public var checkpointInterval: Duration = .seconds(30)
    /// See ``PartitionProcessor/forecastActiveBuckets``.
    public var forecastActiveBuckets = 28
    /// `session.timeout.ms` of the group.
    public var sessionTimeout: Duration = .seconds(10)
    /// Stop (with a final checkpoint) once every assigned partition has been read to the
    /// high watermark its last fetch reported and nothing arrived for this long: for
    /// replays, tests and the demo. Nil runs until told to stop.
    public var stopWhenIdle: Duration?
    /// How long a final flush of outputs may take before the service gives up on it.
    public var flushTimeout: Duration = .seconds(60)
    public var version = "0.1.0"

    public init(client: KafkaClientConfiguration) {
        self.client = client
    }
}

/// Why the service stopped with an error.
public struct ServiceError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What the service has done so far: events, rejections, outputs, checkpoints.
public struct ServiceStatus: Sendable {
    public var counts = ProcessorCounts()
    public var partitions: [Int32] = []
    public var checkpoints = 0
    public var lastCheckpointSeconds = 0.0
    public var lastSnapshotBytes = 0
    public var restoredFrom: [Int32: String] = [:]
    /// Input messages behind the high watermark, over all assigned partitions.
    public var lag: Int64 = 0
    /// Partitions assigned, restored and read up to their high watermark once.
    public var ready = false
    /// When the poll loop last came round: a loop stuck for long is unhealthy.
    public var lastLoop = ContinuousClock.now
    /// Open restock alerts and the rolling forecast error (WAPE), at most a second old.
    public var openAlerts = 0
    public var forecastError: Double?
    /// Wall time from the first input message fetched to the last one processed.
    public var busySeconds = 0.0
}

/// `skucast run`: consumes `orders` and `inventory` in one consumer group, drives one
/// ``PartitionProcessor`` per partition, produces forecasts, alerts and dead letters,
/// and checkpoints.
///
/// A checkpoint flushes the producer (every output so far acknowledged), writes each
/// partition's snapshot durably, and only then commits the input offsets the snapshots
/// cover. On assignment a partition continues from its newest valid snapshot, or rebuilds
/// from the earliest offset; outputs below the committed offsets are recomputed but not
/// produced again. Partitions are assigned with the eager `range` strategy, which gives a
/// member the same partition numbers of both co-partitioned inputs.
///
/// ``run(shouldStop:)`` owns the instance while it runs, on one thread; ``status`` and
/// ``statusBoard`` may be read from any thread.
public final class ForecastService: @unchecked Sendable {
    let configuration: ServiceConfiguration
    let store: any SnapshotStore
    let logger: Logger
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let ledger = DeliveryLedger()
    var sink: KafkaOutputSink
    var processors: [Int32: PartitionProcessor] = [:]
    /// Each partition's input positions as last committed by this member: a revocation
    /// with nothing new since has nothing to save or commit.
    var committedNext: [Int32: [Int64]] = [:]
    /// Set while leaving the group, when a commit may find the handle already going.
    var leaving = false
    /// Fetched input not processed yet, per partition (see ``drain(_:)``).
    var merges: [Int32: InputMerge<KafkaMessage>] = [:]
    var lastCheckpoint: ContinuousClock.Instant
    let clock = ContinuousClock()
    /// Counts of partitions given up (revoked or lost), so status stays cumulative.
    var retiredCounts = ProcessorCounts()
    var checkpoints = 0
    var lastCheckpointSeconds = 0.0
    var lastSnapshotBytes = 0
    var restoredFrom: [Int32: String] = [:]
    /// The latest status, readable from any thread (the HTTP endpoint's).
    public let statusBoard = StatusBoard()
    let metrics: ServiceMetrics
    var caughtUpOnce = false
    var firstInput: ContinuousClock.Instant?
    var lastInput: ContinuousClock.Instant?
    var openAlerts = 0
    var forecastError: Double?
    var lastGaugeRefresh = ContinuousClock.now - .seconds(60)

    /// Connects to the cluster and checks the topics.
    /// - Parameters:
    ///   - configuration: Cluster, group, topics, engine and checkpoint policy.
    ///   - store: Where partition snapshots live.
    ///   - logger: Receives the service's and librdkafka's logs.
    ///   - metrics: The metrics backend (swift-metrics); the process-wide one by default.
    /// - Throws: ``KafkaError`` when the cluster is unreachable; ``ServiceError`` when a
    ///   topic is missing or the inputs are not co-partitioned.
    public init(configuration: ServiceConfiguration, store: any SnapshotStore, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory) throws {
        self.configuration = configuration
        self.metrics = ServiceMetrics(factory: metrics, topics: configuration.topics)
        self.store = store
        self.logger = logger
        var consumerConfiguration = KafkaConsumerConfiguration(client: configuration.client, groupID: configuration.groupID)
        consumerConfiguration.assignmentStrategy = .range
        consumerConfiguration.sessionTimeout = configuration.sessionTimeout
        // Three heartbeats per session, as Kafka's own clients default to.
        consumerConfiguration.heartbeatInterval = .milliseconds(max(100, configuration.sessionTimeout.milliseconds / 3))
        consumerConfiguration.offsetReset = .earliest
        consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        let ledger = self.ledger
        var producerConfiguration = KafkaProducerConfiguration(client: configuration.client)
        producerConfiguration.linger = .milliseconds(2)
        producerConfiguration.compression = "lz4"
        producer = try KafkaProducer(configuration: producerConfiguration, logger: logger) { ledger.record($0) }
        sink = KafkaOutputSink(producer: producer, topics: configuration.topics, version: configuration.version)
        lastCheckpoint = clock.now
        try checkTopics()
    }

    /// The inputs must have the same partition count (and, by their producers, the same
    /// key hashing): partition p of both holds the same SKUs.
    func checkTopics() throws {
        let t = configuration.topics
        let metadata = try consumer.metadata(topics: [t.orders, t.inventory, t.forecasts, t.alerts, t.deadLetter], timeout: .seconds(10))
        var counts: [String: Int] = [:]
        for name in [t.orders, t.inventory, t.forecasts, t.alerts, t.deadLetter] {
            guard let topic = metadata.topic(name), !topic.partitions.isEmpty else {
                throw ServiceError("topic \(name) does not exist: create the topics first (skucast topics apply)")
            }
            counts[name] = topic.partitions.count
        }
        guard counts[t.orders] == counts[t.inventory] else {
            throw ServiceError("\(t.orders) has \(counts[t.orders]!) partitions and \(t.inventory) \(counts[t.inventory]!): the inputs must be co-partitioned (same partition count, keyed by SKU with the same partitioner)")
        }
    }

    /// A snapshot of the service's progress, safe to read from any thread.
    public var status: ServiceStatus { statusBoard.current }

    /// Runs until `shouldStop` says so (checked between polls) or, with
    /// ``ServiceConfiguration/stopWhenIdle``, until the input is consumed; then takes a
    /// final checkpoint and leaves the group.
    /// - Parameter shouldStop: Polled between batches (e.g. set by SIGTERM).
    /// - Throws: Kafka, snapshot store and delivery failures. State is then not committed
    ///   past the last checkpoint, so a restart loses nothing.
    public func run(shouldStop: () -> Bool) throws {
        try consumer.subscribe(topics: configuration.topics.inputs)
        var idleSince: ContinuousClock.Instant?
        while !shouldStop() {
            let batch = try consumer.poll(maxMessages: 8192, timeout: .milliseconds(100), onRebalance: rebalance)
            for error in batch.errors { logger.warning("consume: \(error)") }
            for m in batch {
                guard let topic = m.topic == configuration.topics.orders ? InputTopic.orders : m.topic == configuration.topics.inventory ? .inventory : nil,
                      processors[m.partition] != nil else { continue }
                merges[m.partition, default: InputMerge()].append(m, topic)
            }
            for p in merges.keys.sorted() { try drain(p) }
            if !batch.isEmpty {
                firstInput = firstInput ?? clock.now
                lastInput = clock.now
            }
            let due = processors.values.contains { $0.eventsSinceSnapshot >= configuration.checkpointEvents }
                || (clock.now - lastCheckpoint >= configuration.checkpointInterval && processors.values.contains { $0.eventsSinceSnapshot > 0 })
            if due { try checkpoint(Array(processors.keys)) }
            let lag = currentLag()
            publishStatus(lag: lag)
            if let idle = configuration.stopWhenIdle {
                if batch.isEmpty, !processors.isEmpty, lag == 0 {
                    idleSince = idleSince ?? clock.now
                    if clock.now - idleSince! >= idle {
                        logger.info("input consumed and idle: stopping")
                        break
                    }
                } else {
                    idleSince = nil
                }
            }
        }
        try shutdown()
    }

    /// Processes a partition's fetched input in the merge's deterministic order (see
    /// ``InputMerge``): a topic with nothing fetched holds the other back until it is read
    /// to the high watermark of its last fetch.
    func drain(_ p: Int32) throws {
        // Both moved out of their dictionaries, so popping does not copy the queue.
        guard processors[p] != nil, var merge = merges.removeValue(forKey: p), var processor = processors.removeValue(forKey: p) else { return }
        defer {
            merges[p] = merge
            processors[p] = processor
        }
        try processor.drain(&merge, caughtUp: { caughtUp(p, $0, next: $1) }, into: &sink)
    }

    /// Whether everything of this input partition up to its last known high watermark
    /// has been processed or is waiting in the merge.
    func caughtUp(_ p: Int32, _ topic: InputTopic, next: Int64) -> Bool {
        let tp = KafkaTopicPartition(topic: configuration.topics.inputs[topic.rawValue], partition: p)
        guard let (low, high) = consumer.cachedWatermarks(tp) else { return false }
        return max(next, low) >= high
    }

    /// Final checkpoint, then leave the group (its revocation finds nothing left to save).
    func shutdown() throws {
        try checkpoint(Array(processors.keys))
        leaving = true
        try consumer.close(onRebalance: rebalance)
        try producer.flush(timeout: configuration.flushTimeout)
        publishStatus(lag: 0)
        logger.info("stopped", metadata: ["checkpoints": "\(checkpoints)"])
    }

    /// Messages behind the high watermark of the last fetch, over assigned inputs; the
    /// dev broker's ListOffsets is wrong, fetch responses are not.
    func currentLag() -> Int64 {
        var lag: Int64 = 0
        for (p, processor) in processors {
            for topic in InputTopic.allCases {
                let tp = KafkaTopicPartition(topic: configuration.topics.inputs[topic.rawValue], partition: p)
                guard let high = consumer.cachedWatermarks(tp)?.high else {
                    // Not fetched yet: unknown, count as behind so nothing stops early.
                    lag += 1
                    continue
                }
                lag += max(0, high - max(processor.next[topic.rawValue], 0))
            }
        }
        return lag
    }

    /// Open alerts and the rolling forecast error walk every SKU: refreshed once a second,
    /// not on every poll.
    func refreshEngineGauges() {
        guard clock.now - lastGaugeRefresh >= .seconds(1) else { return }
        lastGaugeRefresh = clock.now
        openAlerts = processors.values.reduce(0) { $0 + $1.engine.openAlerts }
        var (error, demand) = (0.0, 0.0)
        for p in processors.values { error += p.engine.errorSum; demand += p.engine.demandSum }
        forecastError = demand > 0 ? error / demand : nil
        metrics.openAlerts.record(Double(openAlerts))
        if let forecastError { metrics.forecastError.record(forecastError) }
    }

    func publishStatus(lag: Int64) {
        refreshEngineGauges()
        var counts = retiredCounts
        for p in processors.values { counts.add(p.counts) }
        if !processors.isEmpty, lag == 0 { caughtUpOnce = true }
        let status = ServiceStatus(
            counts: counts, partitions: processors.keys.sorted(), checkpoints: checkpoints,
            lastCheckpointSeconds: lastCheckpointSeconds, lastSnapshotBytes: lastSnapshotBytes,
            restoredFrom: restoredFrom, lag: lag, ready: !processors.isEmpty && caughtUpOnce,
            lastLoop: clock.now, openAlerts: openAlerts, forecastError: forecastError,
            busySeconds: firstInput.flatMap { f in lastInput.map { ($0 - f).secondsValue } } ?? 0
        )
        statusBoard.publish(status)
        metrics.update(counts)
        metrics.lag.record(Double(lag))
        metrics.partitions.record(Double(processors.count))
        metrics.snapshotAge.record((clock.now - lastCheckpoint).secondsValue)
    }

    /// Flush, snapshot, commit: in that order, so a committed offset always has a durable
    /// snapshot and acknowledged outputs behind it.
    func checkpoint(_ partitions: [Int32]) throws {
        guard !partitions.isEmpty else { return }
        let start = clock.now
        try producer.flush(timeout: configuration.flushTimeout)
        if ledger.failureCount > 0 {
            throw ServiceError("\(ledger.failureCount) outputs were not delivered (first: \(ledger.firstError.map { "\($0)" } ?? "?")): stopping without committing, a restart replays from the last checkpoint")
        }
        var commit: [KafkaTopicPartition: Int64] = [:]
        var bytes = 0
        for p in partitions.sorted() {
            guard var processor = processors[p] else { continue }
            let snapshot = processor.snapshot(topicNames: configuration.topics.inputs)
            let encoded = SnapshotCodec.encode(snapshot)
            try store.write(encoded, partition: p, position: processor.next)
            bytes += encoded.count
            processor.snapshotTaken()
            processors[p] = processor
            for topic in InputTopic.allCases where processor.next[topic.rawValue] >= 0 {
                commit[KafkaTopicPartition(topic: configuration.topics.inputs[topic.rawValue], partition: p)] = processor.next[topic.rawValue]
            }
        }
        do throws(KafkaError) {
            try consumer.commit(commit)
            for p in partitions { if let processor = processors[p] { committedNext[p] = processor.next } }
        } catch {
            guard error.code.isGroupMembershipChange || (leaving && error.code == .destroyed) else { throw error }
            // The snapshots are durable; whoever owns the partitions next restores them
            // and, without this commit, replays a little more. Nothing is lost.
            logger.warning("commit refused: the group moved on or the member is leaving; the snapshots stand", metadata: ["error": "\(error)"])
        }
        checkpoints += 1
        lastCheckpoint = clock.now
        lastCheckpointSeconds = (clock.now - start).secondsValue
        lastSnapshotBytes = bytes
        metrics.snapshotSeconds.recordNanoseconds((clock.now - start).nanoseconds)
        metrics.snapshotBytes.record(Double(bytes))
        logger.debug("checkpoint", metadata: ["partitions": "\(partitions.sorted())", "bytes": "\(bytes)", "seconds": "\(lastCheckpointSeconds)"])
    }

    /// Partitions move: save what leaves, load what arrives.
    func rebalance(_ event: inout KafkaRebalance) throws {
        let numbers = Set(event.partitions.map(\.partition)).sorted()
        switch event.kind {
        case .revoked:
            try checkpoint(numbers.filter { p in processors[p].map { $0.eventsSinceSnapshot > 0 || committedNext[p] != $0.next } ?? false })
            for p in numbers { retire(p) }
        case .lost:
            // Someone else owns them already: nothing may be committed.
            for p in numbers { retire(p) }
        case .assigned:
            let inputs = configuration.topics.inputs
            for p in numbers {
                let mine = Set(event.partitions.filter { $0.partition == p }.map(\.topic))
                guard mine.isSuperset(of: inputs) else {
                    throw ServiceError("partition \(p) of \(inputs.filter { !mine.contains($0) }) went to another member: the inputs must be co-partitioned and assigned with the range strategy")
                }
            }
            let committed = try consumer.committed(event.partitions, timeout: .seconds(30))
            // Partitions restore in parallel: decoding a large snapshot is most of a
            // restart, and each partition's is independent.
            let restoreStart = clock.now
            let found = Mutex([Int32: Result<(PartitionSnapshot, StoredSnapshot)?, any Error>]())
            let (store, logger) = (self.store, self.logger)
            DispatchQueue.concurrentPerform(iterations: numbers.count) { i in
                let p = numbers[i]
                let result = Result {
                    try store.newestValid(of: p) { snapshot, error in
                        logger.error("snapshot unusable, trying an older one", metadata: ["snapshot": "\(snapshot)", "error": "\(error)"])
                    }
                }
                found.withLock { $0[p] = result }
            }
            let restoredByPartition = found.withLock { $0 }
            logger.info("snapshots loaded", metadata: ["partitions": "\(numbers)", "seconds": "\((clock.now - restoreStart).secondsValue)"])
            for p in numbers {
                let restored = try restoredByPartition[p]!.get()
                var processor = PartitionProcessor(partition: p, snapshot: restored?.0, configuration: configuration.engine, forecastActiveBuckets: configuration.forecastActiveBuckets)
                for topic in InputTopic.allCases {
                    let tp = KafkaTopicPartition(topic: inputs[topic.rawValue], partition: p)
                    let from = processor.next[topic.rawValue]
                    event.startOffsets[tp] = from >= 0 ? .offset(from) : .beginning
                    if let c = committed[tp] { processor.acknowledgedBelow[topic.rawValue] = max(processor.acknowledgedBelow[topic.rawValue], c) }
                }
                if let (_, source) = restored {
                    restoredFrom[p] = source.location
                    // The state was cut with the snapshot's calendar and policy: it keeps
                    // them. Changing them means starting without the snapshots.
                    if processor.engine.configuration != configuration.engine {
                        logger.warning("the snapshot's engine configuration differs from the one asked for; the snapshot's stays in force (remove the state directory to rebuild with the new one)", metadata: [
                            "partition": "\(p)",
                            "snapshot": "\(processor.engine.configuration.summary)",
                            "asked": "\(configuration.engine.summary)",
                        ])
                    }
                    logger.info("partition restored", metadata: ["partition": "\(p)", "snapshot": "\(source)", "skus": "\(processor.engine.skuCount)"])
                } else {
                    restoredFrom[p] = nil
                    logger.info("partition starts from the earliest offset (no snapshot)", metadata: ["partition": "\(p)"])
                }
                processors[p] = processor
            }
        }
        publishStatus(lag: currentLag())
    }

    func retire(_ p: Int32) {
        merges[p] = nil
        committedNext[p] = nil
        if let processor = processors.removeValue(forKey: p) { retiredCounts.add(processor.counts) }
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }

    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }

    var secondsValue: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

/// The service's latest ``ServiceStatus``, shared with other threads.
public final class StatusBoard: Sendable {
    private let box = Mutex(ServiceStatus())

    public init() {}

    public var current: ServiceStatus { box.withLock { $0 } }

    func publish(_ status: ServiceStatus) { box.withLock { $0 = status } }
}
