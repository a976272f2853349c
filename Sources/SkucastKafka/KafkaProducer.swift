import CRDKafka
import Logging
import Synchronization

/// A message to produce.
public struct KafkaProducerMessage: Sendable {
    public var topic: String
    /// An explicit partition; `nil` lets the partitioner choose from the key.
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Milliseconds since the Unix epoch (for skucast's inputs, the event time); `nil` for now.
    public var timestamp: Int64?

    public init(
        topic: String,
        partition: Int32? = nil,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [KafkaHeader] = [],
        timestamp: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// A message with a UTF-8 string key.
    public init(topic: String, key: String, value: [UInt8], headers: [KafkaHeader] = [], timestamp: Int64? = nil) {
        self.init(topic: topic, key: Array(key.utf8), value: value, headers: headers, timestamp: timestamp)
    }
}

/// What the broker said about one produced message.
public struct KafkaDeliveryReport: Sendable {
    /// The id ``KafkaProducer/send(_:)`` returned for the message.
    public var id: UInt64
    public var topicPartition: KafkaTopicPartition
    /// The message's offset; `nil` when delivery failed.
    public var offset: Int64?
    /// Set when the message was not delivered.
    public var error: KafkaError?
}

final class ProducerCallbacks: ClientCallbacks, @unchecked Sendable {
    let onDelivery: (@Sendable (KafkaDeliveryReport) -> Void)?
    let waiting = Mutex<[UInt64: CheckedContinuation<KafkaDeliveryReport, any Error>]>([:])

    init(logger: Logger, onDelivery: (@Sendable (KafkaDeliveryReport) -> Void)?) {
        self.onDelivery = onDelivery
        super.init(logger: logger)
    }

    override func install(on conf: OpaquePointer) {
        // Delivery reports are served by librdkafka's background thread: nobody has to
        // call rd_kafka_poll, and a producer blocked on a full queue is still drained.
        rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR)
        rd_kafka_conf_set_background_event_cb(conf) { rk, event, opaque in
            guard let event, let opaque else { return }
            defer { rd_kafka_event_destroy(event) }
            Unmanaged<ClientCallbacks>.fromOpaque(opaque).takeUnretainedValue()
                .as(ProducerCallbacks.self)?.handle(event)
        }
    }

    private func handle(_ event: OpaquePointer) {
        switch rd_kafka_event_type(event) {
        case RD_KAFKA_EVENT_DR:
            while let m = rd_kafka_event_message_next(event) {
                let ok = m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR
                let report = KafkaDeliveryReport(
                    id: UInt64(UInt(bitPattern: m.pointee._private)),
                    topicPartition: KafkaTopicPartition(
                        topic: String(cString: rd_kafka_topic_name(m.pointee.rkt)),
                        partition: m.pointee.partition
                    ),
                    offset: ok ? m.pointee.offset : nil,
                    error: ok ? nil : KafkaError(m.pointee.err, operation: "deliver message")
                )
                deliver(report)
            }
        case RD_KAFKA_EVENT_ERROR:
            let text = String(cString: rd_kafka_event_error_string(event))
            let code = KafkaErrorCode(rd_kafka_event_error(event))
            recordError(code, text)
            let fatal = rd_kafka_event_error_is_fatal(event) != 0
            logger.log(level: fatal ? .error : .warning, "\(text)", metadata: ["rdkafka.error": "\(code.name)"])
        default:
            break
        }
    }

    func deliver(_ report: KafkaDeliveryReport) {
        if let continuation = waiting.withLock({ $0.removeValue(forKey: report.id) }) {
            if let error = report.error {
                continuation.resume(throwing: error)
            } else {
                continuation.resume(returning: report)
            }
        } else {
            onDelivery?(report)
        }
    }
}

/// A Kafka producer: idempotent, Java-compatible key partitioning, delivery reports
/// awaitable per message or delivered to a callback. Safe to use from any thread.
public final class KafkaProducer: Sendable {
    private let handle: KafkaHandle
    private let callbacks: ProducerCallbacks
    private let nextID = Atomic<UInt64>(1)

    /// Creates the producer and checks that the cluster answers.
    /// - Parameters:
    ///   - configuration: Brokers, idempotence, partitioner and any librdkafka property.
    ///   - logger: Receives librdkafka's logs and errors.
    ///   - onDelivery: Receives the report of every message sent with ``send(_:)``
    ///     (not those awaited with ``sendAndWait(_:)``), on librdkafka's background thread.
    /// - Throws: ``KafkaError`` for an invalid configuration or an unreachable cluster.
    public init(
        configuration: KafkaProducerConfiguration,
        logger: Logger,
        onDelivery: (@Sendable (KafkaDeliveryReport) -> Void)? = nil
    ) throws(KafkaError) {
        let callbacks = ProducerCallbacks(logger: logger, onDelivery: onDelivery)
        self.handle = try KafkaHandle(
            kind: RD_KAFKA_PRODUCER,
            properties: configuration.librdkafkaProperties(),
            callbacks: callbacks,
            bootstrapTimeout: configuration.client.bootstrapTimeout
        )
        self.callbacks = callbacks
        // Errors and other main-queue events go to the background thread as well.
        let main = rd_kafka_queue_get_main(handle.pointer)
        let background = rd_kafka_queue_get_background(handle.pointer)
        rd_kafka_queue_forward(main, background)
        rd_kafka_queue_destroy(main)
        rd_kafka_queue_destroy(background)
    }

    deinit {
        rd_kafka_purge(handle.pointer, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        _ = rd_kafka_flush(handle.pointer, 5000)
        let orphans = callbacks.waiting.withLock { w in
            defer { w.removeAll() }
            return Array(w.values)
        }
        for continuation in orphans {
            continuation.resume(
                throwing: KafkaError(code: .state, message: "producer was destroyed", operation: "deliver message")
            )
        }
    }

    /// Queues a message; its report goes to the `onDelivery` callback. Blocks while
    /// librdkafka's queue is full (`queue.buffering.max.messages`), so a fast producer is
    /// paced by the broker instead of failing.
    /// - Parameter message: The message.
    /// - Returns: The id its delivery report will carry.
    /// - Throws: ``KafkaError`` when the message cannot be queued (unknown partition,
    ///   message too large, fatal producer error).
    @discardableResult
    public func send(_ message: KafkaProducerMessage) throws(KafkaError) -> UInt64 {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        try enqueue(message, id: id)
        return id
    }

    /// Queues a message with key and value given as raw bytes, copied before returning.
    /// - Returns: The id its delivery report will carry.
    /// - Throws: ``KafkaError`` when the message cannot be queued.
    @discardableResult
    public func send(
        topic: String,
        partition: Int32? = nil,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        headers: [KafkaHeader] = [],
        timestamp: Int64? = nil
    ) throws(KafkaError) -> UInt64 {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        try produce(
            topic: topic,
            partition: partition,
            key: key,
            value: value,
            headers: headers,
            timestamp: timestamp,
            id: id
        )
        return id
    }

    /// Queues a message keyed by a string (its UTF-8 bytes, as every skucast topic is
    /// keyed by SKU), the value given as raw bytes, both copied before returning.
    /// - Returns: The id its delivery report will carry.
    /// - Throws: ``KafkaError`` when the message cannot be queued.
    @discardableResult
    public func send(
        topic: String,
        partition: Int32? = nil,
        key: String,
        value: UnsafeRawBufferPointer?,
        headers: [KafkaHeader] = [],
        timestamp: Int64? = nil
    ) throws(KafkaError) -> UInt64 {
        var key = key
        let queued = key.withUTF8 { utf8 in
            Result { () throws(KafkaError) in
                try send(
                    topic: topic,
                    partition: partition,
                    key: UnsafeRawBufferPointer(utf8),
                    value: value,
                    headers: headers,
                    timestamp: timestamp
                )
            }
        }
        return try queued.get()
    }

    /// Sends a message and waits until the broker acknowledged it.
    /// - Parameter message: The message.
    /// - Returns: Where it was written.
    /// - Throws: ``KafkaError`` when it could not be queued or was not delivered.
    public func sendAndWait(_ message: KafkaProducerMessage) async throws -> KafkaDeliveryReport {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await withCheckedThrowingContinuation { continuation in
            callbacks.waiting.withLock { $0[id] = continuation }
            do {
                try enqueue(message, id: id)
            } catch {
                if let c = callbacks.waiting.withLock({ $0.removeValue(forKey: id) }) { c.resume(throwing: error) }
            }
        }
    }

    /// Waits until every queued message is delivered or failed.
    /// - Parameter timeout: The deadline.
    /// - Throws: ``KafkaError`` with code `_TIMED_OUT` naming how many messages are still
    ///   outstanding when the deadline passes.
    public func flush(timeout: Duration) throws(KafkaError) {
        let err = rd_kafka_flush(handle.pointer, timeout.timeoutMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(err, operation: "flush", detail: "\(outstanding) messages outstanding after \(timeout)")
        }
    }

    /// Messages queued or in flight, not yet reported.
    public var outstanding: Int { Int(rd_kafka_outq_len(handle.pointer)) }

    /// Brokers and topics of the cluster.
    /// - Throws: ``KafkaError`` when the request fails.
    public func metadata(topics: [String]?, timeout: Duration) throws(KafkaError) -> KafkaClusterMetadata {
        try handle.metadata(topics: topics, timeout: timeout)
    }

    private func enqueue(_ message: KafkaProducerMessage, id: UInt64) throws(KafkaError) {
        try Self.withOptionalBytes(message.key) { key throws(KafkaError) in
            try Self.withOptionalBytes(message.value) { value throws(KafkaError) in
                try produce(
                    topic: message.topic,
                    partition: message.partition,
                    key: key,
                    value: value,
                    headers: message.headers,
                    timestamp: message.timestamp,
                    id: id
                )
            }
        }
    }

    private static func withOptionalBytes<R>(
        _ bytes: [UInt8]?,
        _ body: (UnsafeRawBufferPointer?) throws(KafkaError) -> R
    ) throws(KafkaError) -> R {
        guard let bytes else { return try body(nil) }
        // withUnsafeBytes rethrows untyped; keep the typed error.
        var result: Result<R, KafkaError>!
        bytes.withUnsafeBytes { buffer in result = Result { () throws(KafkaError) in try body(buffer) } }
        return try result.get()
    }

    private func produce(
        topic: String,
        partition: Int32?,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        headers: [KafkaHeader],
        timestamp: Int64?,
        id: UInt64
    ) throws(KafkaError) {
        var hdrs: OpaquePointer?
        if !headers.isEmpty {
            hdrs = rd_kafka_headers_new(headers.count)
            for h in headers {
                if let v = h.value {
                    v.withUnsafeBytes { _ = rd_kafka_header_add(hdrs, h.name, -1, $0.baseAddress, $0.count) }
                } else {
                    _ = rd_kafka_header_add(hdrs, h.name, -1, nil, 0)
                }
            }
        }
        let err: rd_kafka_resp_err_t = topic.withCString { name in
            // On the stack: this runs once per message.
            withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 8) { vus in
                var n = 0
                func add(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_t) -> Void) {
                    var vu = rd_kafka_vu_t()
                    vu.vtype = type
                    set(&vu)
                    vus.initializeElement(at: n, to: vu)
                    n += 1
                }
                add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = name }
                add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY | RD_KAFKA_MSG_F_BLOCK }
                add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(id)) }
                if let partition { add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition } }
                if let key {
                    add(RD_KAFKA_VTYPE_KEY) {
                        $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                        $0.u.mem.size = key.count
                    }
                }
                if let value {
                    add(RD_KAFKA_VTYPE_VALUE) {
                        $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        $0.u.mem.size = value.count
                    }
                }
                if let timestamp { add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp } }
                if let hdrs { add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = hdrs } }
                defer { vus.baseAddress!.deinitialize(count: n) }
                guard let error = rd_kafka_produceva(handle.pointer, vus.baseAddress, n) else {
                    return RD_KAFKA_RESP_ERR_NO_ERROR
                }
                let code = rd_kafka_error_code(error)
                rd_kafka_error_destroy(error)
                return code
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            // On failure the headers were not taken over.
            if let hdrs { rd_kafka_headers_destroy(hdrs) }
            try handle.checkFatal(operation: "produce to \(topic)")
            throw KafkaError(err, operation: "produce to \(topic)")
        }
    }
}
