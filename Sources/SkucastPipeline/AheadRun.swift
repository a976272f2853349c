import SkucastEngine
import SkucastEvents

/// Input messages dated beyond the partition's ``PartitionEngine/latestAccepted``, held
/// while they might be the start of a real jump of the feed (it resumed after a pause
/// longer than the maximum clock skew) rather than a bad clock.
///
/// A run is confirmed by ``confirmations`` such messages in a row that lie within the
/// skew of each other: the stream time jumps to the run's earliest, and the held messages
/// are processed as if they had just arrived. Any other message ends the run first: its
/// messages go to the dead-letter topic (`ahead_of_stream_time`). So a single bad clock
/// never moves the watermark, and a feed that really jumped loses nothing.
///
/// Held messages are not in the engine's state: a snapshot's input positions stop before
/// the first of them (``PartitionProcessor/resumeAt``), and a restart reads them again.
struct AheadRun {
    /// Messages in a row that confirm a jump.
    static let confirmations = 3

    /// A held message, copied out of its fetch.
    struct Held {
        var topic: InputTopic
        var topicName: String
        var partition: Int32
        var offset: Int64
        var key: [UInt8]?
        var value: [UInt8]?
        var timestamp: Int64?
        var eventTime: EventTime

        init(_ message: InputMessage, eventTime: EventTime) {
            topic = message.topic
            topicName = message.topicName
            partition = message.partition
            offset = message.offset
            key = message.key.map { [UInt8]($0) }
            value = message.value.map { [UInt8]($0) }
            timestamp = message.timestamp
            self.eventTime = eventTime
        }

        /// The message again, for as long as `body` runs.
        func withMessage<R>(_ body: (InputMessage) throws -> R) rethrows -> R {
            try Self.withOptionalBytes(key) { key in
                try Self.withOptionalBytes(value) { value in
                    try body(
                        InputMessage(
                            topic: topic,
                            topicName: topicName,
                            partition: partition,
                            offset: offset,
                            key: key,
                            value: value,
                            timestamp: timestamp
                        )
                    )
                }
            }
        }

        private static func withOptionalBytes<R>(
            _ bytes: [UInt8]?,
            _ body: (UnsafeRawBufferPointer?) throws -> R
        ) rethrows -> R {
            guard let bytes else { return try body(nil) }
            return try bytes.withUnsafeBytes { try body($0) }
        }
    }

    private(set) var held: [Held] = []

    var isEmpty: Bool { held.isEmpty }

    /// The earliest event time held.
    var earliest: EventTime? { held.map(\.eventTime).min() }

    /// Whether a message dated `time` continues the run: all of it within `skew`.
    func continues(_ time: EventTime, skew: Int64) -> Bool {
        guard let lowest = earliest, let highest = held.map(\.eventTime).max() else { return true }
        return max(highest.milliseconds, time.milliseconds) - min(lowest.milliseconds, time.milliseconds) <= skew
    }

    mutating func hold(_ message: InputMessage, eventTime: EventTime) {
        held.append(Held(message, eventTime: eventTime))
    }

    var isConfirmed: Bool { held.count >= Self.confirmations }

    /// Ends the run: its messages, in arrival order.
    mutating func take() -> [Held] {
        defer { held = [] }
        return held
    }

    /// Where each input topic's reading would resume to see the held messages again.
    func resumePositions(_ next: [Int64]) -> [Int64] {
        var positions = next
        for h in held { positions[h.topic.rawValue] = min(positions[h.topic.rawValue], h.offset) }
        return positions
    }
}
