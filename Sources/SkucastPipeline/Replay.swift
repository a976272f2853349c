import SkucastEngine

/// Drives the processors of a finite input, a topic replay or a file, exactly as the live
/// service drives them: one ``PartitionProcessor`` per partition, fed through an
/// ``InputMerge`` that releases a topic's messages once the other topic has caught up.
/// In a replay a topic is caught up when its partition was read to its end.
public struct Replay<Message: SourceMessage, Sink: OutputSink> {
    public private(set) var processors: [Int32: PartitionProcessor] = [:]
    public var sink: Sink
    private var merges: [Int32: InputMerge<Message>] = [:]
    /// Per partition, the topics read to their end.
    private var ended: [Int32: Set<InputTopic>] = [:]
    let configuration: EngineConfiguration
    let forecastActiveBuckets: Int

    /// - Parameters:
    ///   - partitions: The input partitions, each with a fresh engine.
    ///   - configuration: The engines' configuration.
    ///   - forecastActiveBuckets: See ``PartitionProcessor/forecastActiveBuckets``.
    ///   - publishOnChange: See ``PublishOnChange``; nil publishes at every close.
    ///   - sink: Receives every output.
    public init(
        partitions: some Sequence<Int32>,
        configuration: EngineConfiguration,
        forecastActiveBuckets: Int = 28,
        publishOnChange: PublishOnChange? = nil,
        sink: Sink
    ) {
        self.configuration = configuration
        self.forecastActiveBuckets = forecastActiveBuckets
        self.sink = sink
        for p in partitions {
            processors[p] = PartitionProcessor(
                partition: p,
                snapshot: nil,
                configuration: configuration,
                forecastActiveBuckets: forecastActiveBuckets,
                publishOnChange: publishOnChange
            )
            merges[p] = InputMerge()
        }
    }

    /// Continues from processors restored from snapshots: feed it the input from each
    /// processor's ``PartitionProcessor/resumeAt`` on.
    /// - Parameters:
    ///   - processors: By partition.
    ///   - sink: Receives every output.
    public init(processors: [Int32: PartitionProcessor], sink: Sink) {
        let any = processors.values.first
        self.configuration = any?.engine.configuration ?? EngineConfiguration()
        self.forecastActiveBuckets = any?.forecastActiveBuckets ?? 28
        self.sink = sink
        self.processors = processors
        for p in processors.keys { merges[p] = InputMerge() }
    }

    /// Queues a message and processes what the merge releases.
    /// - Throws: ``ReplayError`` for a partition the replay was not made with; what the sink throws.
    public mutating func append(_ message: Message, _ topic: InputTopic) throws {
        let p = message.partition
        guard merges[p] != nil else {
            throw ReplayError(description: "partition \(p) of \(message.topic) is not among the replay's partitions")
        }
        merges[p]!.append(message, topic)
        try drain(p)
    }

    /// Marks a topic's partition as read to its end and processes what that releases.
    public mutating func end(_ topic: InputTopic, partition p: Int32) throws {
        ended[p, default: []].insert(topic)
        try drain(p)
    }

    /// Marks every topic of every partition as read to its end.
    public mutating func endAll() throws {
        for p in processors.keys.sorted() {
            for topic in InputTopic.allCases { try end(topic, partition: p) }
        }
    }

    /// Messages queued but not processed: waiting for a topic that has not ended.
    public var waiting: Int { merges.values.reduce(0) { $0 + $1.count } }

    /// The processors' counts, added up.
    public var counts: ProcessorCounts {
        var total = ProcessorCounts()
        for p in processors.values { total.add(p.counts) }
        return total
    }

    private mutating func drain(_ p: Int32) throws {
        // Both moved out of their dictionaries, so popping does not copy the queue.
        guard var merge = merges.removeValue(forKey: p), var processor = processors.removeValue(forKey: p) else {
            return
        }
        defer {
            merges[p] = merge
            processors[p] = processor
        }
        let done = ended[p] ?? []
        try processor.drain(&merge, caughtUp: { topic, _ in done.contains(topic) }, into: &sink)
        if done.count == InputTopic.allCases.count, merge.count == 0 { try processor.endOfInput(into: &sink) }
    }
}

/// A replay's input did not fit it.
public struct ReplayError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension ProcessorCounts {
    /// Adds another processor's counts.
    public mutating func add(_ o: ProcessorCounts) {
        for i in events.indices { events[i] += o.events[i] }
        for (k, v) in o.rejected { rejected[k, default: 0] += v }
        bucketsClosed += o.bucketsClosed
        staleStockCounts += o.staleStockCounts
        nettedOffSale += o.nettedOffSale
        nettedOffCurrent += o.nettedOffCurrent
        forecasts += o.forecasts
        alerts += o.alerts
        suppressed += o.suppressed
        unchanged += o.unchanged
    }
}
