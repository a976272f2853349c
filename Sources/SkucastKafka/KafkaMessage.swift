import CRDKafka

/// A batch of consumed messages. Owns librdkafka's message buffers, which are freed when
/// the batch and every ``KafkaMessage`` taken from it are gone: reading a message's key
/// or value through `withUnsafe…` copies nothing.
public final class KafkaMessageBatch: @unchecked Sendable, RandomAccessCollection {
    // Immutable after init; librdkafka's messages may be read from any thread.
    private let messages: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>
    public let count: Int
    /// Partitions whose end (the high watermark at fetch time) was reached while polling,
    /// when ``KafkaConsumerConfiguration/reportEndOfPartition`` is on.
    public let reachedEnd: [KafkaTopicPartition]
    /// Non-fatal consumer errors met while polling (librdkafka retries on its own).
    public let errors: [KafkaError]
    private var topicNames: [OpaquePointer: String] = [:]
    // librdkafka's messages must be destroyed before their client: a batch that outlives
    // its consumer keeps the client alive.
    private let client: KafkaHandle

    init(
        client: KafkaHandle,
        messages: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>,
        count: Int,
        reachedEnd: [KafkaTopicPartition],
        errors: [KafkaError]
    ) {
        self.client = client
        self.messages = messages
        self.count = count
        self.reachedEnd = reachedEnd
        self.errors = errors
        var names: [OpaquePointer: String] = [:]
        for i in 0..<count {
            let rkt = messages[i]!.pointee.rkt!
            if names[rkt] == nil { names[rkt] = String(cString: rd_kafka_topic_name(rkt)) }
        }
        self.topicNames = names
    }

    deinit {
        for i in 0..<count { rd_kafka_message_destroy(messages[i]) }
        messages.deallocate()
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> KafkaMessage {
        precondition(position >= 0 && position < count, "message index out of range")
        let m = messages[position]!
        return KafkaMessage(batch: self, message: m, topic: topicNames[m.pointee.rkt]!)
    }

    /// The offset to commit per partition after processing every message of this batch:
    /// one past the last message of each partition.
    public var nextOffsets: [KafkaTopicPartition: Int64] {
        var next: [KafkaTopicPartition: Int64] = [:]
        for message in self {
            next[message.topicPartition] = Swift.max(next[message.topicPartition] ?? 0, message.offset + 1)
        }
        return next
    }
}

/// How a message's timestamp was set.
public enum KafkaTimestampKind: Sendable, Hashable {
    /// Set by the producer: for skucast's inputs, the event time.
    case createTime
    /// Set by the broker when it appended the message.
    case logAppendTime
}

/// A message header: a name and raw bytes (`nil` value is allowed by Kafka).
public struct KafkaHeader: Sendable, Hashable {
    public var name: String
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    /// A header whose value is a UTF-8 string.
    public init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8))
    }
}

/// One consumed message. Its key and value stay in librdkafka's buffer: the
/// `withUnsafe…` accessors lend them without copying, ``key`` and ``value`` copy once.
public struct KafkaMessage: @unchecked Sendable {
    // Keeps the buffers alive.
    private let batch: KafkaMessageBatch
    private let message: UnsafeMutablePointer<rd_kafka_message_t>
    public let topic: String

    init(batch: KafkaMessageBatch, message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) {
        self.batch = batch
        self.message = message
        self.topic = topic
    }

    public var partition: Int32 { message.pointee.partition }
    public var offset: Int64 { message.pointee.offset }
    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }

    /// Milliseconds since the Unix epoch, and how they were set; `nil` if the message has none.
    public var timestamp: (milliseconds: Int64, kind: KafkaTimestampKind)? {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ms = rd_kafka_message_timestamp(message, &type)
        switch type {
        case RD_KAFKA_TIMESTAMP_CREATE_TIME: return (ms, .createTime)
        case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME: return (ms, .logAppendTime)
        default: return nil
        }
    }

    /// Lends the key's bytes for the duration of `body`; `nil` when the message has no key.
    public func withUnsafeKey<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        try withExtendedLifetime(batch) {
            guard let key = message.pointee.key else { return try body(nil) }
            return try body(UnsafeRawBufferPointer(start: key, count: message.pointee.key_len))
        }
    }

    /// Lends the value's bytes for the duration of `body`; `nil` for a tombstone.
    public func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        try withExtendedLifetime(batch) {
            guard let payload = message.pointee.payload else { return try body(nil) }
            return try body(UnsafeRawBufferPointer(start: payload, count: message.pointee.len))
        }
    }

    /// A copy of the key.
    public var key: [UInt8]? { withUnsafeKey { $0.map { Array($0) } } }

    /// The key decoded as UTF-8 (invalid bytes replaced).
    public var keyString: String? { withUnsafeKey { $0.map { String(decoding: $0, as: UTF8.self) } } }

    /// A copy of the value; `nil` for a tombstone.
    public var value: [UInt8]? { withUnsafeValue { $0.map { Array($0) } } }

    /// All headers, in order, copied.
    public var headers: [KafkaHeader] {
        withExtendedLifetime(batch) {
            var hdrs: OpaquePointer?
            guard rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs else { return [] }
            var result: [KafkaHeader] = []
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            var index = 0
            while rd_kafka_header_get_all(hdrs, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                result.append(
                    KafkaHeader(
                        name: String(cString: name!),
                        value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                    )
                )
                index += 1
            }
            return result
        }
    }

    /// The value of the last header with this name, copied.
    public func header(_ name: String) -> [UInt8]? {
        withExtendedLifetime(batch) {
            var hdrs: OpaquePointer?
            guard rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs else { return nil }
            var value: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_last(hdrs, name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR, let value else {
                return nil
            }
            return Array(UnsafeRawBufferPointer(start: value, count: size))
        }
    }
}
