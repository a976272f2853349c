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
    /// Stock counts not taken because a newer count of their SKU was held (valid input,
    /// superseded: not a dead letter, but counted).
    public var staleStockCounts = 0
    /// Cancellations and returns that took units off demand (net demand): off the bucket
    /// of the sale they undo, or (none matched, or its bucket closed) off the current one.
    public var nettedOffSale = 0
    public var nettedOffCurrent = 0
    /// Forecasts of active SKUs not published because they had not moved beyond the
    /// tolerance (``PublishOnChange``).
    public var unchanged = 0

    public init() {}
}

/// Publishing on change: a SKU's forecast goes out at a close only when its lead-time
/// demand (mean, or the quantile at the service level) moved by more than `tolerance`
/// (relative, at least a unit) since its last published forecast, or `maxAge` buckets
/// after it. The compacted `forecasts` topic still holds a current forecast of every
/// SKU, with a fraction of the messages. What was last published is part of the
/// partition's snapshot, so a restore and a replay decide exactly as the live run did.
public struct PublishOnChange: Sendable, Hashable {
    public var tolerance: Double
    public var maxAge: Int

    public init(tolerance: Double, maxAge: Int = 7) {
        self.tolerance = tolerance
        self.maxAge = max(1, maxAge)
    }
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
    /// Nil: every close publishes the forecasts of active SKUs.
    public let publishOnChange: PublishOnChange?
    public internal(set) var counts = ProcessorCounts()
    public internal(set) var eventsSinceSnapshot = 0
    /// The wall clock, set by a live driver before each batch: events dated further ahead
    /// of it than the maximum clock skew go to dead letters. Nil in replays, which stay on
    /// stream time only and deterministic.
    public var wallClock: EventTime?
    /// Messages dated too far ahead, held until they confirm a jump or are rejected.
    var ahead = AheadRun()

    let orderDecoder = OrderEventDecoder()
    let inventoryDecoder = InventoryEventDecoder()
    var buffer: [UInt8] = []

    /// - Parameters:
    ///   - partition: The input partition number.
    ///   - snapshot: State to continue from; a fresh engine when nil.
    ///   - configuration: The engine's configuration for a fresh start.
    ///   - forecastActiveBuckets: See ``forecastActiveBuckets``.
    ///   - publishOnChange: See ``PublishOnChange``; nil publishes at every close.
    public init(
        partition: Int32,
        snapshot: PartitionSnapshot?,
        configuration: EngineConfiguration,
        forecastActiveBuckets: Int = 28,
        publishOnChange: PublishOnChange? = nil
    ) {
        self.partition = partition
        self.engine = snapshot?.engine ?? PartitionEngine(configuration: configuration)
        // A snapshot lists its offsets in ``InputTopic`` order (see ``snapshot(topicNames:)``).
        var next: [Int64] = [-1, -1]
        for (i, o) in (snapshot?.offsets ?? []).prefix(next.count).enumerated() { next[i] = o.nextOffset }
        self.next = next
        self.acknowledgedBelow = next
        self.forecastActiveBuckets = min(max(1, forecastActiveBuckets), DemandHistory.capacity)
        self.publishOnChange = publishOnChange
        buffer.reserveCapacity(4096)
    }

    /// Where reading resumes after a restart from a snapshot taken now, per input topic:
    /// ``next``, or the first message held ahead of the stream time (see ``AheadRun``).
    /// What a checkpoint stores and commits.
    public var resumeAt: [Int64] { ahead.resumePositions(next) }

    /// The state as a snapshot covering everything processed so far.
    /// - Parameter topicNames: The input topics' names, in ``InputTopic`` order.
    public func snapshot(topicNames: [String]) -> PartitionSnapshot {
        let positions = resumeAt
        return PartitionSnapshot(
            engine: engine,
            offsets: InputTopic.allCases.map {
                SourceOffset(topic: topicNames[$0.rawValue], partition: partition, nextOffset: positions[$0.rawValue])
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
        try handle(message, into: &sink)
    }

    /// The end of a finite input: messages still held ahead of the stream time go to
    /// dead letters (a live run keeps them: more input may confirm them).
    public mutating func endOfInput(into sink: inout some OutputSink) throws {
        try releaseAhead(into: &sink)
    }

    private mutating func handle(_ message: InputMessage, into sink: inout some OutputSink) throws {
        let t = message.topic.rawValue
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
                guard try admit(message, at: order.eventTime, replay: replay, into: &sink) else { return }
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
                if case .aheadOfStreamTime(let latest) = outcome {
                    try reject(message, Self.ahead(order.eventTime, latest: latest), replay: replay, into: &sink)
                }
                if outcome == .duplicate {
                    try reject(
                        message,
                        Rejection(
                            .duplicate,
                            "order \(order.orderID.string) line \(order.line) was seen already: it must not count twice"
                        ),
                        replay: replay,
                        into: &sink
                    )
                }
                if case .netted(let offSale, let offCurrent) = outcome {
                    if offSale > 0 { counts.nettedOffSale += 1 }
                    if offCurrent > 0 { counts.nettedOffCurrent += 1 }
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
                guard try admit(message, at: stock.eventTime, replay: replay, into: &sink) else { return }
                var alerts: [RestockAlert] = []
                switch engine.apply(stock, alerts: { alerts.append($0) }) {
                case .taken: break
                case .stale: counts.staleStockCounts += 1
                case .aheadOfStreamTime(let latest):
                    try reject(message, Self.ahead(stock.eventTime, latest: latest), replay: replay, into: &sink)
                }
                try emit(alerts, cause: cause, replay: replay, into: &sink)
                try advance(cause: cause, replay: replay, into: &sink)
            }
        }
    }

    /// Whether an event's time lets it in now. Beyond the wall clock plus the maximum skew
    /// (live runs) it is rejected; beyond the stream time plus the skew it is held (see
    /// ``AheadRun``), and a held run that this event does not continue is rejected first.
    private mutating func admit(
        _ message: InputMessage,
        at time: EventTime,
        replay: Bool,
        into sink: inout some OutputSink
    ) throws -> Bool {
        let skew = engine.configuration.maxClockSkewMilliseconds
        if let wall = wallClock, time.milliseconds > wall.milliseconds &+ skew {
            let detail = "event time \(time) is more than \(skew / 1000) s ahead of the wall clock \(wall)"
            try reject(message, Rejection(.aheadOfWallClock, detail), replay: replay, into: &sink)
            return false
        }
        if let latest = engine.latestAccepted, time > latest {
            if !ahead.continues(time, skew: skew) { try releaseAhead(into: &sink) }
            ahead.hold(message, eventTime: time)
            if ahead.isConfirmed, let earliest = ahead.earliest {
                // The feed jumped: its held messages go through as if they arrived now.
                engine.jumpStreamTime(to: earliest)
                for held in ahead.take() { try held.withMessage { try handle($0, into: &sink) } }
            }
            return false
        }
        if !ahead.isEmpty { try releaseAhead(into: &sink) }
        return true
    }

    /// Rejects the messages held ahead of the stream time.
    private mutating func releaseAhead(into sink: inout some OutputSink) throws {
        guard let latest = engine.latestAccepted else { return }
        for held in ahead.take() {
            try held.withMessage { message in
                let replay = message.offset < acknowledgedBelow[message.topic.rawValue]
                try reject(message, Self.ahead(held.eventTime, latest: latest), replay: replay, into: &sink)
            }
        }
    }

    static func ahead(_ time: EventTime, latest: EventTime) -> Rejection {
        Rejection(
            .aheadOfStreamTime,
            "event time \(time) is beyond \(latest), the partition's stream time plus the maximum clock skew, "
                + "and no \(AheadRun.confirmations) events in a row confirmed a jump of the feed"
        )
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
            alert.encode(sink.valueEncoding, cause: cause, into: &buffer)
            try buffer.withUnsafeBytes {
                try sink.alert(sku: alert.sku, value: $0, timestamp: alert.eventTime.milliseconds)
            }
        }
    }

    /// Wall-clock punctuation, as Kafka Streams offers it: closes the buckets whose end plus
    /// the allowed lateness plus `grace` the wall clock has passed, so that a partition
    /// with no input still publishes its forecasts and checks its alerts at each close.
    /// Only for a live feed, a partition whose stream time is within the maximum clock
    /// skew of the wall clock: a replay of history stays on stream time only.
    /// - Parameters:
    ///   - wallClock: The time now.
    ///   - grace: How long past a bucket's end and the lateness to wait, milliseconds.
    public mutating func punctuate(
        at wallClock: EventTime,
        grace: Int64,
        into sink: inout some OutputSink
    ) throws {
        let c = engine.configuration
        guard let stream = engine.maxEventTime,
            wallClock.milliseconds - stream.milliseconds <= c.maxClockSkewMilliseconds
        else { return }
        let passed = EventTime(milliseconds: wallClock.milliseconds - c.allowedLatenessMilliseconds - grace)
        let last = c.calendar.bucket(of: passed) - 1
        guard last > (engine.closedThrough ?? .min) else { return }
        // An alert a wall-clock close changes names the partition's last order as its cause.
        let (p, offset) = (partition, next[InputTopic.orders.rawValue] - 1)
        try advance(
            cause: { AlertCause(topic: "wall-clock", partition: p, offset: offset) },
            replay: false,
            into: &sink,
            closing: { engine, closed, alerts in engine.close(through: last, closed, alerts: alerts) }
        )
    }

    /// Closes the buckets the watermark passed: forecasts for active SKUs, alerts whose
    /// levels moved.
    private mutating func advance(
        cause: () -> AlertCause,
        replay: Bool,
        into sink: inout some OutputSink,
        closing: (inout PartitionEngine, (ClosedBucket) -> Void, (RestockAlert) -> Void) -> Void = {
            $0.advance($1, alerts: $2)
        }
    ) throws {
        var closed: [ClosedBucket] = []
        var alerts: [RestockAlert] = []
        closing(&engine, { closed.append($0) }, { alerts.append($0) })
        guard !closed.isEmpty || !alerts.isEmpty else { return }
        counts.bucketsClosed += closed.count
        let interest = sink.forecastInterest
        for bucket in closed {
            var published = bucket.forecast.soldWithin(forecastActiveBuckets)
            // On change, the forecast is worked out to compare it, in a replay too: the
            // log of what was published must move exactly as in the live run.
            var publication: (message: ForecastMessage, levels: ReorderLevels)?
            if published, let change = publishOnChange {
                let p = bucket.forecast.publication()
                publication = p
                published = engine.publicationDue(
                    sku: bucket.sku,
                    bucket: bucket.bucket,
                    leadTimeMean: p.message.leadTimeMean,
                    leadTimeQuantile: p.message.leadTimeQuantiles.last?.value ?? 0,
                    tolerance: change.tolerance,
                    maxAge: change.maxAge
                )
                if !published { counts.unchanged += 1 }
            }
            if published { counts.forecasts += 1 }
            let detailed = interest.detail?.contains(bucket.bucket) ?? false
            let wanted =
                published
                ? interest.published && interest.publishedFrom.map { bucket.bucket >= $0 } ?? true
                : interest.unpublished
            guard detailed || wanted else { continue }
            if replay {
                if published { counts.suppressed += 1 }
                continue
            }
            let (message, levels) = publication ?? bucket.forecast.publication()
            let detail = detailed ? bucket.forecast.detail(leadTimes: interest.detailLeadTimes) : nil
            if published && wanted && interest.values {
                message.encode(sink.valueEncoding, into: &buffer)
                try buffer.withUnsafeBytes {
                    try sink.forecast(
                        EmittedForecast(
                            sku: bucket.sku,
                            bucket: bucket.bucket,
                            message: message,
                            levels: levels,
                            demand: bucket.forecast.lastBucketDemand,
                            stockOnHand: bucket.forecast.stockOnHand,
                            isPublished: true,
                            value: $0,
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
                        levels: levels,
                        demand: bucket.forecast.lastBucketDemand,
                        stockOnHand: bucket.forecast.stockOnHand,
                        isPublished: published,
                        value: nil,
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
