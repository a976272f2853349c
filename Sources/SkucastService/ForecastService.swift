import CoreMetrics
import Glibc
import Logging
import SkucastEngine
import SkucastEvents
import SkucastKafka
import SkucastPipeline

/// `skucast run`: consumes `orders` and `inventory` in one consumer group, drives one
/// ``PartitionProcessor`` per partition, produces forecasts, alerts and dead letters,
/// and checkpoints.
///
/// A checkpoint (``Checkpointer``) flushes the producer (every output so far
/// acknowledged), writes each partition's snapshot durably, and only then commits the
/// input offsets the snapshots cover. On assignment a partition continues from its newest
/// valid snapshot, or rebuilds from the earliest offset (``PartitionRestorer``); outputs
/// below the committed offsets are recomputed but not produced again. Partitions are assigned with the eager `range` strategy, which gives a
/// member the same partition numbers of both co-partitioned inputs.
///
/// ``run(shouldStop:)`` owns the instance while it runs, on one thread, which lends
/// partitions' processors to up to ``ServiceConfiguration/processingThreads`` threads
/// between polls (see ``drain(_:)``); ``status`` and ``statusBoard`` may be read
/// from any thread.
public final class ForecastService: @unchecked Sendable {
    let configuration: ServiceConfiguration
    let logger: Logger
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    var sink: KafkaOutputSink
    var processors: [Int32: PartitionProcessor] = [:]
    var checkpointer: Checkpointer
    let restorer: PartitionRestorer
    /// The store whose standby copies follow the group (see ``refreshStandbys()``).
    let standbyStore: KafkaSnapshotStore?
    var standbysDue = true
    var lastStandbyRefresh = ContinuousClock.now - .seconds(60)
    /// Fetched input not processed yet, per partition (see ``drain(_:)``).
    var merges: [Int32: InputMerge<FetchedMessage>] = [:]
    /// Each partition's drift events as last seen (see ``watchAccuracy()``).
    var driftSeen: [Int32: SIMD4<Double>] = [:]
    /// Inputs released by ``ServiceConfiguration/maxHold`` so far.
    var releasedUnmerged = 0
    /// Polls whose input was processed side by side (see ``drain(_:)``).
    var sideBySidePolls = 0
    let clock = ContinuousClock()
    /// Counts of partitions given up (revoked or lost), so status stays cumulative.
    var retiredCounts = ProcessorCounts()
    var restoredFrom: [Int32: String] = [:]
    var restores = (fromSnapshot: 0, fromEarliest: 0)
    /// The latest status, readable from any thread (the HTTP endpoint's).
    public let statusBoard = StatusBoard()
    /// Queries from other threads, answered between batches.
    public let queries = QueryDesk()
    /// Partitions of each input topic.
    var inputPartitions = 0
    /// The group's members as last described, for queries about partitions owned elsewhere.
    var groupMembers: (members: [KafkaGroupMember], at: ContinuousClock.Instant)?
    let metrics: ServiceMetrics
    var caughtUpOnce = false
    /// Whether the group has ever given this instance partitions (see ``run(shouldStop:)``).
    var assignedOnce = false
    var firstInput: ContinuousClock.Instant?
    var lastInput: ContinuousClock.Instant?
    var openAlerts = 0
    var forecastError: Double?
    var lastGaugeRefresh = ContinuousClock.now - .seconds(60)
    var lastPunctuation = ContinuousClock.now - .seconds(60)

    /// Connects to the cluster and checks the topics.
    /// - Parameters:
    ///   - configuration: Cluster, group, topics, engine and checkpoint policy.
    ///   - store: Where partition snapshots live.
    ///   - logger: Receives the service's and librdkafka's logs.
    ///   - metrics: The metrics backend (swift-metrics); the process-wide one by default.
    /// - Throws: ``KafkaError`` when the cluster is unreachable; ``ServiceError`` when a
    ///   topic is missing or the inputs are not co-partitioned.
    public init(
        configuration: ServiceConfiguration,
        store: any SnapshotStore,
        logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) throws {
        self.configuration = configuration
        self.metrics = ServiceMetrics(factory: metrics, topics: configuration.topics)
        self.logger = logger
        var consumerConfiguration = KafkaConsumerConfiguration(
            client: configuration.client,
            groupID: configuration.groupID
        )
        consumerConfiguration.assignmentStrategy = .range
        consumerConfiguration.sessionTimeout = configuration.sessionTimeout
        // Three heartbeats per session, as Kafka's own clients default to.
        consumerConfiguration.heartbeatInterval = .milliseconds(max(100, configuration.sessionTimeout.milliseconds / 3))
        consumerConfiguration.offsetReset = .earliest
        consumerConfiguration.fetchWait = configuration.fetchWait
        consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        let ledger = DeliveryLedger()
        var producerConfiguration = KafkaProducerConfiguration(client: configuration.client)
        producerConfiguration.linger = .milliseconds(2)
        producerConfiguration.compression = configuration.compression
        producerConfiguration.compressionLevel = configuration.producerCompressionLevel
        producer = try KafkaProducer(configuration: producerConfiguration, logger: logger) { ledger.record($0) }
        sink = KafkaOutputSink(
            producer: producer,
            topics: configuration.topics,
            version: configuration.version,
            encoding: configuration.outputEncoding
        )
        sink.alertLatency = self.metrics.alertLatency
        let inputs = configuration.topics.inputs
        checkpointer = Checkpointer(
            store: store,
            consumer: consumer,
            producer: producer,
            ledger: ledger,
            inputs: inputs,
            policy: .init(
                events: configuration.checkpointEvents,
                interval: configuration.checkpointInterval,
                flushTimeout: configuration.flushTimeout
            ),
            logger: logger,
            metrics: self.metrics
        )
        standbyStore = configuration.standbyReplicas == nil ? nil : store as? KafkaSnapshotStore
        if configuration.standbyReplicas != nil, standbyStore == nil {
            throw ServiceError("standby replicas need the Kafka snapshot store")
        }
        restorer = PartitionRestorer(
            store: store,
            inputs: inputs,
            engine: configuration.engine,
            forecastActiveBuckets: configuration.forecastActiveBuckets,
            publishOnChange: configuration.publishOnChange,
            logger: logger
        )
        try checkTopics()
    }

    /// The inputs must have the same partition count (and, by their producers, the same
    /// key hashing): partition p of both holds the same SKUs.
    func checkTopics() throws {
        let t = configuration.topics
        let metadata = try consumer.metadata(
            topics: [t.orders, t.inventory, t.forecasts, t.alerts, t.deadLetter],
            timeout: .seconds(10)
        )
        var counts: [String: Int] = [:]
        for name in [t.orders, t.inventory, t.forecasts, t.alerts, t.deadLetter] {
            guard let topic = metadata.topic(name), !topic.partitions.isEmpty else {
                throw ServiceError("topic \(name) does not exist: create the topics first (skucast topics apply)")
            }
            counts[name] = topic.partitions.count
        }
        inputPartitions = counts[t.orders] ?? 0
        guard counts[t.orders] == counts[t.inventory] else {
            throw ServiceError(
                "\(t.orders) has \(counts[t.orders]!) partitions and \(t.inventory) \(counts[t.inventory]!): the inputs must be co-partitioned (same partition count, keyed by SKU with the same partitioner)"
            )
        }
    }

    /// Histogram buckets for the service's latency timers, by metric name, for a backend
    /// that takes them (`PrometheusMetricsFactory.durationHistogramBuckets`): the default
    /// buckets start at 5 ms, too coarse for the service's share of an alert's latency.
    public static let durationHistogramBuckets = [ServiceMetrics.alertLatencyLabel: ServiceMetrics.alertLatencyBuckets]

    /// A snapshot of the service's progress, safe to read from any thread.
    public var status: ServiceStatus { statusBoard.current }

    /// Runs until `shouldStop` says so (checked between polls) or, with
    /// ``ServiceConfiguration/stopWhenIdle``, until the input is consumed; then takes a
    /// final checkpoint and leaves the group.
    /// - Parameter shouldStop: Polled between batches (e.g. set by SIGTERM).
    /// - Throws: Kafka, snapshot store and delivery failures. State is then not committed
    ///   past the last checkpoint, so a restart loses nothing.
    public func run(shouldStop: () -> Bool) throws {
        defer { queries.close() }
        try consumer.subscribe(topics: configuration.topics.inputs)
        var idleSince: ContinuousClock.Instant?
        while !shouldStop() {
            let batch = try consumer.poll(maxMessages: 8192, timeout: .milliseconds(100), onRebalance: rebalance)
            let fetchedAt = clock.now
            for error in batch.errors { logger.warning("consume: \(error)") }
            for m in batch {
                guard
                    let topic = m.topic == configuration.topics.orders
                        ? InputTopic.orders : m.topic == configuration.topics.inventory ? .inventory : nil,
                    processors[m.partition] != nil
                else { continue }
                merges[m.partition, default: InputMerge()].append(
                    FetchedMessage(message: m, fetchedAt: fetchedAt),
                    topic
                )
            }
            try drain(merges.keys.sorted())
            if !batch.isEmpty {
                firstInput = firstInput ?? clock.now
                lastInput = clock.now
            }
            try punctuate()
            if checkpointer.isDue(processors) { try checkpointer.checkpoint(Array(processors.keys), of: &processors) }
            let lag = currentLag()
            publishStatus(lag: lag)
            answerQueries()
            refreshStandbys()
            if let idle = configuration.stopWhenIdle {
                // An instance left without partitions after having had some is idle too: a
                // group that never finishes its rebalance (the dev broker waits for ever for
                // a leader that left) must not keep it running. Before its first assignment
                // it waits, or it would stop while still joining.
                if batch.isEmpty, processors.isEmpty ? assignedOnce : lag == 0 {
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

    /// Closes, once a second, the buckets of caught-up partitions that the wall clock has
    /// passed (see ``PartitionProcessor/punctuate(at:grace:into:)``): a quiet partition
    /// of a live feed publishes at each close. A partition with input still waiting is
    /// left to its stream time, so a backlog is never cut short.
    func punctuate() throws {
        guard clock.now - lastPunctuation >= .seconds(1) else { return }
        lastPunctuation = clock.now
        let now = Self.wallClock()
        for p in processors.keys.sorted() where (merges[p]?.count ?? 0) == 0 {
            guard
                InputTopic.allCases.allSatisfy({ caughtUp(p, $0, next: processors[p]!.next[$0.rawValue]) }),
                var processor = processors.removeValue(forKey: p)
            else { continue }
            defer { processors[p] = processor }
            try processor.punctuate(at: now, grace: configuration.closeGrace.milliseconds, into: &sink)
        }
    }

    /// The time of day now, as event times are dated.
    static func wallClock() -> EventTime {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return EventTime(milliseconds: Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000)
    }

    /// Whether everything of this input partition up to its last known high watermark
    /// has been processed or is waiting in the merge: the newest the client has, so an
    /// order waits for every stock count the broker has reported.
    func caughtUp(_ p: Int32, _ topic: InputTopic, next: Int64) -> Bool {
        let tp = KafkaTopicPartition(topic: configuration.topics.inputs[topic.rawValue], partition: p)
        guard let (low, high) = consumer.cachedWatermarks(tp) else { return false }
        return max(next, low) >= high
    }

    /// Final checkpoint, then leave the group (its revocation finds nothing left to save).
    func shutdown() throws {
        try checkpointer.checkpoint(Array(processors.keys), of: &processors)
        checkpointer.leaving = true
        try consumer.close(onRebalance: rebalance)
        try producer.flush(timeout: configuration.flushTimeout)
        publishStatus(lag: 0)
        logger.info("stopped", metadata: ["checkpoints": "\(checkpointer.count)"])
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
        for p in processors.values {
            error += p.engine.errorSum
            demand += p.engine.demandSum
        }
        forecastError = demand > 0 ? error / demand : nil
        metrics.openAlerts.record(Double(openAlerts))
        if let forecastError { metrics.forecastError.record(forecastError) }
        watchAccuracy()
    }

    /// Sums the partitions' online accuracy into the gauges, and counts and logs each drift
    /// a partition's monitor reports (a partition that arrives brings its past ones, which
    /// are not counted again).
    func watchAccuracy() {
        var sums = AccuracyMonitor.Sums()
        var drifting: UInt8 = 0
        for p in processors.keys.sorted() {
            let engine = processors[p]!.engine
            let monitor = engine.accuracy
            // Drifts are read after each drain, which may close several buckets.
            let lastClosed = engine.closedThrough.map { "\(engine.configuration.calendar.start(of: $0))" } ?? "-"
            sums.add(monitor.recent)
            drifting |= monitor.drifting
            defer { driftSeen[p] = monitor.driftEvents }
            guard let seen = driftSeen[p] else { continue }
            for c in DemandClass.allCases where monitor.driftEvents[c.rawValue] > seen[c.rawValue] {
                metrics.accuracy.drift[c.rawValue].increment(
                    by: Int64(monitor.driftEvents[c.rawValue] - seen[c.rawValue])
                )
                logger.warning(
                    "forecast error drift: a demand class's recent error left the band its history sets",
                    metadata: [
                        "partition": "\(p)", "class": "\(c)",
                        "last_closed_bucket": "\(lastClosed)",
                        "wape": "\(monitor.wape(c).map(Self.rounded) ?? .nan)",
                        "band":
                            "\(monitor.band(c).map { "\(Self.rounded($0.lowerBound))…\(Self.rounded($0.upperBound))" } ?? "-")",
                    ]
                )
            }
        }
        metrics.accuracy.record(sums, drifting: drifting)
    }

    /// Points the standby copies at the partitions this instance would take over (see
    /// ``StandbyPlacement``): after each assignment, when the group has settled on its
    /// members, and once a minute in case a description came before it had. A failure is
    /// logged and retried at the description's own pace (at most every 5 s): standby copies
    /// are an optimisation, never a reason to stop.
    func refreshStandbys() {
        guard let standbyStore, let replicas = configuration.standbyReplicas,
            standbysDue || clock.now - lastStandbyRefresh >= .seconds(60)
        else { return }
        lastStandbyRefresh = clock.now
        // A description that does not give this instance the partitions it was assigned
        // predates the last rebalance: wait for a newer one.
        guard let members = describedMembers(), let me = consumer.memberID,
            let index = members.firstIndex(where: { $0.memberID == me }),
            Set(StandbyPlacement.owned(by: index, among: members.count, partitions: inputPartitions))
                == Set(processors.keys)
        else {
            standbysDue = true
            return
        }
        standbysDue = false
        let warm = StandbyPlacement.partitions(
            member: index,
            members: members.count,
            partitions: inputPartitions,
            replicas: replicas
        )
        guard warm != standbyStore.standbyPartitions else { return }
        do {
            try standbyStore.follow(partitions: warm)
        } catch {
            standbysDue = true
            logger.warning("standby: cannot follow the state topic", metadata: ["error": "\(error)"])
            return
        }
        logger.info(
            "standby: following the state topic",
            metadata: ["partitions": "\(warm.sorted())", "members": "\(members.count)", "replicas": "\(replicas)"]
        )
    }

    static func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    func publishStatus(lag: Int64) {
        refreshEngineGauges()
        var counts = retiredCounts
        for p in processors.values { counts.add(p.counts) }
        if !processors.isEmpty, lag == 0 { caughtUpOnce = true }
        let status = ServiceStatus(
            counts: counts,
            partitions: processors.keys.sorted(),
            checkpoints: checkpointer.count,
            lastCheckpointSeconds: checkpointer.lastSeconds,
            lastSnapshotBytes: checkpointer.lastBytes,
            restoredFrom: restoredFrom,
            restores: restores,
            lag: lag,
            ready: !processors.isEmpty && caughtUpOnce,
            lastLoop: clock.now,
            openAlerts: openAlerts,
            forecastError: forecastError,
            busySeconds: firstInput.flatMap { f in lastInput.map { ($0 - f).secondsValue } } ?? 0,
            sideBySidePolls: sideBySidePolls
        )
        statusBoard.publish(status)
        metrics.update(counts)
        metrics.releasedUnmerged.increment(by: releasedUnmerged - metrics.lastReleasedUnmerged)
        metrics.lastReleasedUnmerged = releasedUnmerged
        metrics.lag.record(Double(lag))
        metrics.partitions.record(Double(processors.count))
        metrics.snapshotAge.record((clock.now - checkpointer.last).secondsValue)
    }

    /// Partitions move: save what leaves, load what arrives.
    func rebalance(_ event: inout KafkaRebalance) throws {
        let numbers = Set(event.partitions.map(\.partition)).sorted()
        switch event.kind {
        case .revoked:
            let unsaved = numbers.filter { p in processors[p].map { checkpointer.hasUnsaved(p, $0) } ?? false }
            try checkpointer.checkpoint(unsaved, of: &processors)
            for p in numbers { retire(p) }
        case .lost:
            // Someone else owns them already: nothing may be committed.
            for p in numbers { retire(p) }
        case .assigned:
            // The group has new members or new owners: describe it afresh.
            (standbysDue, groupMembers) = (true, nil)
            assignedOnce = assignedOnce || !event.partitions.isEmpty
            let inputs = configuration.topics.inputs
            for p in numbers {
                let mine = Set(event.partitions.filter { $0.partition == p }.map(\.topic))
                guard mine.isSuperset(of: inputs) else {
                    throw ServiceError(
                        "partition \(p) of \(inputs.filter { !mine.contains($0) }) went to another member: the inputs must be co-partitioned and assigned with the range strategy"
                    )
                }
            }
            let committed = try consumer.committed(event.partitions, timeout: .seconds(30))
            for (p, restored) in try restorer.restore(numbers, committed: committed, startOffsets: &event.startOffsets)
            {
                processors[p] = restored.processor
                restoredFrom[p] = restored.source?.location
                if restored.source == nil {
                    restores.fromEarliest += 1
                    metrics.restored.earliest.increment()
                } else {
                    restores.fromSnapshot += 1
                    metrics.restored.snapshot.increment()
                }
            }
        }
        publishStatus(lag: currentLag())
    }

    func retire(_ p: Int32) {
        merges[p] = nil
        driftSeen[p] = nil
        checkpointer.forget(p)
        if let processor = processors.removeValue(forKey: p) { retiredCounts.add(processor.counts) }
    }
}
