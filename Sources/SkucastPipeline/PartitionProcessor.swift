import SkucastEngine
import SkucastEvents

/// What a processor did, for metrics.
public struct ProcessorCounts: Sendable, Hashable {
    public var events: [Int] = [0, 0]
    public var rejected: [Rejection.Reason: Int] = [:]
    public var bucketsClosed = 0
    public var forecasts = 0
    public var alerts = 0
    /// Outputs not produced again because an earlier run had them acknowledged.
    public var suppressed = 0

    public init() {}
}

/// One engine partition: decodes the messages of its input partitions, drives the
/// engine, and hands the outputs to a sink. The same code runs live, in a topic replay
/// and in tests; it knows nothing of Kafka clients.
public struct PartitionProcessor {
    public let partition: Int32
    public internal(set) var engine: PartitionEngine
    /// The next offset to read per input topic (``InputTopic`` order); -1 before the first.
    public internal(set) var next: [Int64]
    /// Outputs derived from inputs below these offsets were acknowledged by an earlier run
    /// (the group's committed offsets): a replay from an older snapshot recomputes them
    /// but does not produce them again.
    public var acknowledgedBelow: [Int64]
    /// Forecasts are published for SKUs that sold within this many buckets (at most 28):
    /// a SKU dormant for a month keeps its last forecast on the compacted topic instead of
    /// a fresh near-zero one every day.
    public let forecastActiveBuckets: Int
    public internal(set) var counts = ProcessorCounts()
    public internal(set) var eventsSinceSnapshot = 0

    let orderDecoder = OrderEventDecoder()
    let inventoryDecoder = InventoryEventDecoder()
    var buffer: [UInt8] = []

    /// - Parameters:
    ///   - partition: The input partition number.
    ///   - snapshot: State to continue from; a fresh engine when nil.
    ///   - configuration: The engine's configuration for a fresh start.
    ///   - forecastActiveBuckets: See ``forecastActiveBuckets``.
    public init(
        partition: Int32,
        snapshot: PartitionSnapshot?,
        configuration: EngineConfiguration,
        forecastActiveBuckets: Int = 28
    ) {
        self.partition = partition
        self.engine = snapshot?.engine ?? PartitionEngine(configuration: configuration)
        // A snapshot lists its offsets in ``InputTopic`` order (see ``snapshot(topicNames:)``).
        var next: [Int64] = [-1, -1]
        for (i, o) in (snapshot?.offsets ?? []).prefix(next.count).enumerated() { next[i] = o.nextOffset }
        self.next = next
        self.acknowledgedBelow = next
        self.forecastActiveBuckets = min(max(1, forecastActiveBuckets), DemandHistory.capacity)
        buffer.reserveCapacity(4096)
    }

    /// The state as a snapshot covering everything processed so far.
    /// - Parameter topicNames: The input topics' names, in ``InputTopic`` order.
    public func snapshot(topicNames: [String]) -> PartitionSnapshot {
        PartitionSnapshot(
            engine: engine,
            offsets: InputTopic.allCases.map {
                SourceOffset(topic: topicNames[$0.rawValue], partition: partition, nextOffset: next[$0.rawValue])
            }
        )
    }

    /// Processes one message: decode, validate, apply, close buckets, emit.
    /// - Throws: What the sink throws (the output could not be queued).
    public mutating func process(_ message: InputMessage, into sink: inout some OutputSink) throws {
        let t = message.topic.rawValue
        defer {
            next[t] = message.offset + 1
            counts.events[t] += 1
            eventsSinceSnapshot += 1
        }
        let replay = message.offset < acknowledgedBelow[t]
        let bytes = message.value ?? UnsafeRawBufferPointer(start: nil, count: 0)
        switch message.topic {
        case .orders:
            // Read in place: the message's bytes outlive this call, and the event path makes no `String`.
            switch orderDecoder.decodeInPlace(bytes) {
            case .failure(let rejection):
                try reject(message, rejection, replay: replay, into: &sink)
            case .success(let order):
                if let mismatch = order.sku.withUTF8({ Self.keyMismatch(message.key, $0) }) {
                    try reject(message, mismatch, replay: replay, into: &sink)
                    return
                }
                var alerts: [RestockAlert] = []
                let outcome = engine.apply(order) { alerts.append($0) }
                // Made only when an alert needs it.
                let cause = {
                    AlertCause(
                        topic: message.topicName,
                        partition: message.partition,
                        offset: message.offset,
                        orderID: order.orderID.string
                    )
                }
                if case .tooLate(let bucket, let closed) = outcome {
                    try reject(
                        message,
                        Rejection(
                            .tooLate,
                            "bucket \(bucket) closed already (closed through \(closed)): later than the allowed lateness"
                        ),
                        replay: replay,
                        into: &sink
                    )
                }
                try emit(alerts, cause: cause, replay: replay, into: &sink)
                try advance(cause: cause, replay: replay, into: &sink)
            }
        case .inventory:
            switch inventoryDecoder.decode(bytes) {
            case .failure(let rejection):
                try reject(message, rejection, replay: replay, into: &sink)
            case .success(let stock):
                var sku = stock.sku
                if let mismatch = sku.withUTF8({ Self.keyMismatch(message.key, UnsafeRawBufferPointer($0)) }) {
                    try reject(message, mismatch, replay: replay, into: &sink)
                    return
                }
                let cause = {
                    AlertCause(topic: message.topicName, partition: message.partition, offset: message.offset)
                }
                var alerts: [RestockAlert] = []
                engine.apply(stock) { alerts.append($0) }
                try emit(alerts, cause: cause, replay: replay, into: &sink)
                try advance(cause: cause, replay: replay, into: &sink)
            }
        }
    }

    /// A SKU's state lives in the partition of its key: a message whose key is not its
    /// SKU would split that state.
    static func keyMismatch(_ key: UnsafeRawBufferPointer?, _ sku: UnsafeRawBufferPointer) -> Rejection? {
        if let key, key.count == sku.count, key.elementsEqual(sku) { return nil }
        let shown = key.map { String(decoding: $0.prefix(64), as: UTF8.self) } ?? "null"
        return Rejection(
            .keyMismatch,
            "key \"\(shown)\" is not the event's sku \"\(String(decoding: sku, as: UTF8.self))\""
        )
    }

    private mutating func reject(
        _ message: InputMessage,
        _ rejection: Rejection,
        replay: Bool,
        into sink: inout some OutputSink
    ) throws {
        counts.rejected[rejection.reason, default: 0] += 1
        if replay {
            counts.suppressed += 1
            return
        }
        try sink.deadLetter(message, rejection: rejection)
    }

    private mutating func emit(
        _ alerts: [RestockAlert],
        cause makeCause: () -> AlertCause,
        replay: Bool,
        into sink: inout some OutputSink
    ) throws {
        guard !alerts.isEmpty else { return }
        let cause = makeCause()
        for alert in alerts {
            counts.alerts += 1
            if replay {
                counts.suppressed += 1
                continue
            }
            alert.encodeJSON(cause: cause, into: &buffer)
            try buffer.withUnsafeBytes {
                try sink.alert(sku: alert.sku, json: $0, timestamp: alert.eventTime.milliseconds)
            }
        }
    }

    /// Closes the buckets the watermark passed: forecasts for active SKUs, alerts whose
    /// levels moved.
    private mutating func advance(cause: () -> AlertCause, replay: Bool, into sink: inout some OutputSink) throws {
        var closed: [ClosedBucket] = []
        var alerts: [RestockAlert] = []
        engine.advance({ closed.append($0) }, alerts: { alerts.append($0) })
        guard !closed.isEmpty || !alerts.isEmpty else { return }
        counts.bucketsClosed += closed.count
        let interest = sink.forecastInterest
        for bucket in closed {
            let published = bucket.forecast.soldWithin(forecastActiveBuckets)
            if published { counts.forecasts += 1 }
            let detailed = interest.detail?.contains(bucket.bucket) ?? false
            guard detailed || (published ? interest.published : interest.unpublished) else { continue }
            if replay {
                if published { counts.suppressed += 1 }
                continue
            }
            let message = bucket.forecast.message()
            let detail = detailed ? bucket.forecast.detail(leadTimes: interest.detailLeadTimes) : nil
            if published && interest.published {
                message.encodeJSON(into: &buffer)
                try buffer.withUnsafeBytes {
                    try sink.forecast(
                        EmittedForecast(
                            sku: bucket.sku,
                            bucket: bucket.bucket,
                            message: message,
                            isPublished: true,
                            json: $0,
                            detail: detail
                        )
                    )
                }
            } else {
                try sink.forecast(
                    EmittedForecast(
                        sku: bucket.sku,
                        bucket: bucket.bucket,
                        message: message,
                        isPublished: published,
                        json: nil,
                        detail: detail
                    )
                )
            }
        }
        try emit(alerts, cause: cause, replay: replay, into: &sink)
    }

    /// Marks the state as snapshotted.
    public mutating func snapshotTaken() { eventsSinceSnapshot = 0 }
}
