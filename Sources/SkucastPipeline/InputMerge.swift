/// An input message a pipeline source hands over: a Kafka message live or in a topic replay,
/// a ``RecordedMessage`` from a file. Its bytes are lent for the duration of a call.
public protocol SourceMessage {
    /// The topic's full name (prefix included): alerts name it as their cause.
    var topic: String { get }
    var partition: Int32 { get }
    var offset: Int64 { get }
    /// The message timestamp in milliseconds (event time, as the producers set it).
    var timestampMilliseconds: Int64? { get }
    func withUnsafeKey<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R
    func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R
}

/// A partition's fetched input of both topics, oldest first per topic, handed to its
/// processor in one deterministic order whatever order the fetches came in.
///
/// The order: by message timestamp (event time), inventory before orders on a tie. A side
/// with nothing waiting holds the other back until that side is known to be read to its
/// end (live: the high watermark of its last fetch; a replay: the end of the topic or
/// file), so a replay of the same input interleaves the two topics exactly as a live run
/// that found them written did.
public struct InputMerge<Message: SourceMessage> {
    private var queues: [[Message]] = [[], []]
    private var heads = [0, 0]

    public init() {}

    /// Queues a message of one input topic; messages of a topic arrive in offset order.
    public mutating func append(_ message: Message, _ topic: InputTopic) { queues[topic.rawValue].append(message) }

    /// Messages waiting, over both topics.
    public var count: Int { queues[0].count - heads[0] + queues[1].count - heads[1] }

    func head(_ topic: InputTopic) -> Message? {
        let t = topic.rawValue
        return heads[t] < queues[t].count ? queues[t][heads[t]] : nil
    }

    /// The topic whose head goes next, or nil when the merge must wait (or is empty).
    /// - Parameters:
    ///   - caughtUp: Whether everything of a topic up to its known end has been queued or
    ///     processed.
    ///   - holdExpired: Whether a head that waits for the other topic has waited long
    ///     enough to go anyway (asked only when that topic is not caught up).
    public func next(caughtUp: (InputTopic) -> Bool, holdExpired: (Message) -> Bool = { _ in false }) -> InputTopic? {
        switch (head(.orders), head(.inventory)) {
        case (nil, nil):
            return nil
        case (let o?, let i?):
            return (i.timestampMilliseconds ?? 0) <= (o.timestampMilliseconds ?? 0) ? .inventory : .orders
        case (let o?, nil):
            return caughtUp(.inventory) || holdExpired(o) ? .orders : nil
        case (nil, let i?):
            return caughtUp(.orders) || holdExpired(i) ? .inventory : nil
        }
    }

    /// Takes the head of a topic's queue.
    public mutating func pop(_ topic: InputTopic) -> Message {
        let t = topic.rawValue
        defer {
            heads[t] += 1
            // Drop the consumed prefix once it is half the queue: amortised O(1) a pop,
            // whether the queue holds one poll's batch (live) or a whole topic (a replay).
            if heads[t] == queues[t].count {
                queues[t].removeAll(keepingCapacity: true)
                heads[t] = 0
            } else if heads[t] >= 4096, heads[t] * 2 >= queues[t].count {
                queues[t].removeFirst(heads[t])
                heads[t] = 0
            }
        }
        return queues[t][heads[t]]
    }
}

extension PartitionProcessor {
    /// Processes what the merge can release, in the merge's order.
    /// - Parameters:
    ///   - merge: The partition's waiting input.
    ///   - caughtUp: Whether a topic is read to its known end, given the next offset this
    ///     processor reads of it (see ``InputMerge/next(caughtUp:)``).
    ///   - sink: Receives the outputs.
    ///   - holdExpired: Whether a message waiting for the other topic may go anyway (see
    ///     ``InputMerge/next(caughtUp:holdExpired:)``); never by default.
    ///   - willProcess: Called with each message just before it is processed (the service
    ///     times an alert from when its message was fetched).
    /// - Throws: What the sink throws.
    public mutating func drain<Message: SourceMessage, Sink: OutputSink>(
        _ merge: inout InputMerge<Message>,
        caughtUp: (InputTopic, _ nextOffset: Int64) -> Bool,
        into sink: inout Sink,
        holdExpired: (Message) -> Bool = { _ in false },
        willProcess: (Message, inout Sink) -> Void = { _, _ in }
    ) throws {
        while let topic = merge.next(caughtUp: { caughtUp($0, next[$0.rawValue]) }, holdExpired: holdExpired) {
            let m = merge.pop(topic)
            willProcess(m, &sink)
            try m.withUnsafeKey { key in
                try m.withUnsafeValue { value in
                    let input = InputMessage(
                        topic: topic,
                        topicName: m.topic,
                        partition: m.partition,
                        offset: m.offset,
                        key: key,
                        value: value,
                        timestamp: m.timestampMilliseconds
                    )
                    try process(input, into: &sink)
                }
            }
        }
    }
}

/// A message with bytes of its own: what file sources read, and what tests make.
public struct RecordedMessage: SourceMessage, Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestampMilliseconds: Int64?
    public var key: [UInt8]?
    public var value: [UInt8]?

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64?, key: [UInt8]?, value: [UInt8]?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestampMilliseconds = timestamp
        self.key = key
        self.value = value
    }

    public func withUnsafeKey<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        guard let key else { return try body(nil) }
        return try key.withUnsafeBytes { try body($0) }
    }

    public func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        guard let value else { return try body(nil) }
        return try value.withUnsafeBytes { try body($0) }
    }
}
