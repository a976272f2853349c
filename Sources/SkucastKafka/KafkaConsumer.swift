import CRDKafka
import Logging
import Synchronization

/// A change of the partitions this consumer owns, surfaced before it takes effect.
///
/// On ``Kind/assigned`` the application loads each partition's state and may say where
/// to start reading it (``startOffsets``, e.g. the offsets a snapshot covers); on
/// ``Kind/revoked`` it saves state while the partitions are still its own. ``Kind/lost``
/// means the group moved on without us (session timed out): the partitions already
/// belong to someone else, so nothing may be committed for them.
public struct KafkaRebalance: Sendable {
    public enum Kind: Sendable, Hashable {
        case assigned
        case revoked
        case lost
    }

    public let kind: Kind
    /// The partitions that move (with cooperative assignment only those; with eager
    /// assignment all of them).
    public let partitions: [KafkaTopicPartition]
    /// For ``Kind/assigned``: where to start each partition. Partitions left out start at
    /// the group's committed offset, or by ``KafkaConsumerConfiguration/offsetReset``.
    public var startOffsets: [KafkaTopicPartition: KafkaOffset] = [:]
}

final class ConsumerCallbacks: ClientCallbacks, @unchecked Sendable {
    // Touched only by the thread inside `poll` or `close` (librdkafka calls the rebalance
    // callback from there), which the consumer's lock makes one at a time.
    var handler: ((inout KafkaRebalance) throws -> Void)?
    var pendingError: (any Error)?

    override func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_rebalance_cb(conf) { rk, err, list, opaque in
            guard let rk, let list, let opaque else { return }
            Unmanaged<ClientCallbacks>.fromOpaque(opaque).takeUnretainedValue()
                .as(ConsumerCallbacks.self)?.rebalance(rk, err, list)
        }
    }

    private func rebalance(
        _ rk: OpaquePointer,
        _ err: rd_kafka_resp_err_t,
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        let partitions = PartitionList.partitions(of: list)
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            var event = KafkaRebalance(kind: .assigned, partitions: partitions)
            do {
                try handler?(&event)
            } catch {
                // Without its state the partition must not be consumed: leave it unassigned
                // and let `poll` report why.
                record(error)
                if !cooperative { _ = rd_kafka_assign(rk, nil) }
                return
            }
            let elements = UnsafeMutableBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
            for i in elements.indices {
                let tp = KafkaTopicPartition(
                    topic: String(cString: elements[i].topic),
                    partition: elements[i].partition
                )
                if let start = event.startOffsets[tp] { elements[i].offset = start.rawValue }
            }
            logger.info(
                "partitions assigned",
                metadata: ["partitions": "\(partitions.map(\.description).joined(separator: ","))"]
            )
            if cooperative {
                if let e = rd_kafka_incremental_assign(rk, list) {
                    record(KafkaError(consuming: e, operation: "incremental assign"))
                }
            } else {
                let e = rd_kafka_assign(rk, list)
                if e != RD_KAFKA_RESP_ERR_NO_ERROR { record(KafkaError(e, operation: "assign")) }
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            var event = KafkaRebalance(kind: lost ? .lost : .revoked, partitions: partitions)
            do { try handler?(&event) } catch { record(error) }
            logger.info(
                lost ? "partitions lost" : "partitions revoked",
                metadata: ["partitions": "\(partitions.map(\.description).joined(separator: ","))"]
            )
            if cooperative {
                if let e = rd_kafka_incremental_unassign(rk, list) {
                    record(KafkaError(consuming: e, operation: "incremental unassign"))
                }
            } else {
                _ = rd_kafka_assign(rk, nil)
            }
        default:
            record(KafkaError(err, operation: "rebalance"))
            _ = rd_kafka_assign(rk, nil)
        }
    }

    private func record(_ error: any Error) {
        logger.error("rebalance failed: \(error)")
        if pendingError == nil { pendingError = error }
    }
}

extension ClientCallbacks {
    func `as`<T: ClientCallbacks>(_: T.Type) -> T? { self as? T }
}

/// A Kafka consumer in a consumer group, with manual offset control.
///
/// Nothing is committed behind the application's back: it says which offsets are done
/// with ``commit(_:)``. Rebalances reach the application through the handler passed to
/// ``poll(maxMessages:timeout:onRebalance:)`` *before* they take effect, on the polling
/// thread, so per-partition state can be saved or loaded in step with ownership.
///
/// `poll` and `close` are serialized; the other methods may be called from any thread.
public final class KafkaConsumer: @unchecked Sendable {
    let handle: KafkaHandle
    private let callbacks: ConsumerCallbacks
    private let queue: OpaquePointer
    private let state = Mutex(State())
    private let logger: Logger

    private struct State {
        var closed = false
    }

    /// Creates the consumer and checks that the cluster answers.
    /// - Parameters:
    ///   - configuration: Group, brokers and any librdkafka property.
    ///   - logger: Receives librdkafka's logs and errors.
    /// - Throws: ``KafkaError`` for an invalid configuration or an unreachable cluster
    ///   (after ``KafkaClientConfiguration/bootstrapTimeout``).
    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws(KafkaError) {
        let callbacks = ConsumerCallbacks(logger: logger)
        self.handle = try KafkaHandle(
            kind: RD_KAFKA_CONSUMER,
            properties: try configuration.librdkafkaProperties(),
            callbacks: callbacks,
            bootstrapTimeout: configuration.client.bootstrapTimeout
        )
        self.callbacks = callbacks
        self.logger = logger
        rd_kafka_poll_set_consumer(handle.pointer)
        self.queue = rd_kafka_queue_get_consumer(handle.pointer)
    }

    deinit {
        let closed = state.withLock { $0.closed }
        if !closed { _ = rd_kafka_consumer_close(handle.pointer) }
        rd_kafka_queue_destroy(queue)
    }

    /// Joins the group for these topics; partitions arrive through `poll`'s rebalance handler.
    /// - Parameter topics: Topic names.
    /// - Throws: ``KafkaError`` if librdkafka refuses the subscription.
    public func subscribe(topics: [String]) throws(KafkaError) {
        let list = PartitionList(topics.map { KafkaTopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) })
        try KafkaError.check(
            rd_kafka_subscribe(handle.pointer, list.pointer),
            "subscribe to \(topics.joined(separator: ","))"
        )
    }

    /// Reads partitions directly, outside any group balancing and without committing:
    /// for replays that must not disturb a live group.
    /// - Parameter offsets: Where to start each partition.
    /// - Throws: ``KafkaError`` if librdkafka refuses the assignment.
    public func assign(_ offsets: [KafkaTopicPartition: KafkaOffset]) throws(KafkaError) {
        let list = PartitionList(offsets.keys.sorted(), offsets: offsets.mapValues(\.rawValue))
        try KafkaError.check(rd_kafka_assign(handle.pointer, list.pointer), "assign")
    }

    /// Waits up to `timeout` for the first message, then takes every message already
    /// fetched, up to `maxMessages`: low latency when idle, large batches under load.
    /// - Parameters:
    ///   - maxMessages: The most messages to return.
    ///   - timeout: How long to wait when nothing is there.
    ///   - onRebalance: Called on this thread before a rebalance takes effect.
    /// - Returns: The messages, possibly none.
    /// - Throws: ``KafkaError`` on a fatal client error; an error thrown by `onRebalance`
    ///   (the partitions it was about are then left unassigned).
    public func poll(
        maxMessages: Int = 4096,
        timeout: Duration,
        onRebalance: (inout KafkaRebalance) throws -> Void = { _ in }
    ) throws -> KafkaMessageBatch {
        precondition(maxMessages > 0, "maxMessages must be positive")
        return try state.withLock { state throws -> KafkaMessageBatch in
            guard !state.closed else {
                throw KafkaError(code: .state, message: "consumer is closed", operation: "poll")
            }
            return try withoutActuallyEscaping(onRebalance) { handler in
                callbacks.handler = handler
                defer { callbacks.handler = nil }
                return try fetch(maxMessages: maxMessages, timeout: timeout)
            }
        }
    }

    private func fetch(maxMessages: Int, timeout: Duration) throws -> KafkaMessageBatch {
        let buffer = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: maxMessages)
        var count = 0
        if let first = rd_kafka_consumer_poll(handle.pointer, timeout.timeoutMilliseconds) {
            buffer[0] = first
            count = 1
            if maxMessages > 1 {
                let more = rd_kafka_consume_batch_queue(queue, 0, buffer + 1, maxMessages - 1)
                if more > 0 { count += more }
            }
        }
        // Move error events out of the batch so it holds messages only.
        var reachedEnd: [KafkaTopicPartition] = []
        var errors: [KafkaError] = []
        var kept = 0
        for i in 0..<count {
            let m = buffer[i]!
            if m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                buffer[kept] = m
                kept += 1
                continue
            }
            let tp = m.pointee.rkt.map {
                KafkaTopicPartition(topic: String(cString: rd_kafka_topic_name($0)), partition: m.pointee.partition)
            }
            if m.pointee.err == RD_KAFKA_RESP_ERR__PARTITION_EOF, let tp {
                reachedEnd.append(tp)
            } else {
                let error = KafkaError(
                    m.pointee.err,
                    operation: "consume",
                    detail: tp.map { "\($0): " }.map { $0 + String(cString: rd_kafka_message_errstr(m)) }
                )
                logger.warning("\(error)")
                errors.append(error)
            }
            rd_kafka_message_destroy(m)
        }
        let batch = KafkaMessageBatch(
            client: handle,
            messages: buffer,
            count: kept,
            reachedEnd: reachedEnd,
            errors: errors
        )
        if let error = callbacks.pendingError {
            callbacks.pendingError = nil
            throw error
        }
        try handle.checkFatal(operation: "poll")
        return batch
    }

    /// Commits offsets synchronously: for each partition, the offset of the next message
    /// to read (one past the last one processed).
    /// - Parameter offsets: Next offset per partition.
    /// - Throws: ``KafkaError`` if the commit, or the commit of any partition, failed.
    public func commit(_ offsets: [KafkaTopicPartition: Int64]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = PartitionList(offsets: offsets)
        try KafkaError.check(rd_kafka_commit(handle.pointer, list.pointer, 0), "commit")
        if let error = list.firstError(operation: "commit") { throw error }
    }

    /// The group's committed offsets.
    /// - Parameters:
    ///   - partitions: The partitions to ask for.
    ///   - timeout: How long to wait for the coordinator.
    /// - Returns: The next offset to read per partition; partitions without a committed offset are absent.
    /// - Throws: ``KafkaError`` when the request fails.
    public func committed(
        _ partitions: [KafkaTopicPartition],
        timeout: Duration
    ) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let list = PartitionList(partitions)
        try KafkaError.check(
            rd_kafka_committed(handle.pointer, list.pointer, timeout.timeoutMilliseconds),
            "fetch committed offsets"
        )
        if let error = list.firstError(operation: "fetch committed offsets") { throw error }
        return Self.offsets(in: list)
    }

    /// The next offset this consumer will read per partition (its position).
    /// - Throws: ``KafkaError`` when librdkafka cannot tell.
    public func position(_ partitions: [KafkaTopicPartition]) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let list = PartitionList(partitions)
        try KafkaError.check(rd_kafka_position(handle.pointer, list.pointer), "position")
        return Self.offsets(in: list)
    }

    /// Moves the read position of assigned partitions.
    /// - Parameters:
    ///   - offsets: Where to continue each partition.
    ///   - timeout: How long to wait for the seek to be applied.
    /// - Throws: ``KafkaError`` if a partition is not assigned or the seek failed.
    public func seek(_ offsets: [KafkaTopicPartition: KafkaOffset], timeout: Duration) throws(KafkaError) {
        let list = PartitionList(offsets.keys.sorted(), offsets: offsets.mapValues(\.rawValue))
        try KafkaError.check(
            consuming: rd_kafka_seek_partitions(handle.pointer, list.pointer, timeout.timeoutMilliseconds),
            "seek"
        )
        if let error = list.firstError(operation: "seek") { throw error }
    }

    /// Stops fetching these partitions; they stay assigned.
    /// - Throws: ``KafkaError`` if a partition could not be paused.
    public func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        let list = PartitionList(partitions)
        try KafkaError.check(rd_kafka_pause_partitions(handle.pointer, list.pointer), "pause")
        if let error = list.firstError(operation: "pause") { throw error }
    }

    /// Resumes fetching paused partitions.
    /// - Throws: ``KafkaError`` if a partition could not be resumed.
    public func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        let list = PartitionList(partitions)
        try KafkaError.check(rd_kafka_resume_partitions(handle.pointer, list.pointer), "resume")
        if let error = list.firstError(operation: "resume") { throw error }
    }

    /// The partitions currently assigned to this consumer.
    /// - Throws: ``KafkaError`` when librdkafka cannot tell.
    public func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try KafkaError.check(rd_kafka_assignment(handle.pointer, &list), "assignment")
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return PartitionList.partitions(of: list).sorted()
    }

    /// The low and high watermarks last seen in fetch responses, without asking the
    /// broker; `nil` before the first fetch of the partition. The high watermark is the
    /// offset after the last message: lag = high − position.
    public func cachedWatermarks(_ partition: KafkaTopicPartition) -> (low: Int64, high: Int64)? {
        var low: Int64 = -1
        var high: Int64 = -1
        let err = rd_kafka_get_watermark_offsets(handle.pointer, partition.topic, partition.partition, &low, &high)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return (low, high)
    }

    /// Brokers and topics of the cluster.
    /// - Parameters:
    ///   - topics: Topics to describe; `nil` for all.
    ///   - timeout: How long to wait for the answer.
    /// - Throws: ``KafkaError`` when the request fails.
    public func metadata(topics: [String]?, timeout: Duration) throws(KafkaError) -> KafkaClusterMetadata {
        try handle.metadata(topics: topics, timeout: timeout)
    }

    /// Leaves the group: the final revocation reaches `onRebalance` first, so state can be
    /// saved. Further polls fail.
    /// - Parameter onRebalance: Receives the final revocation.
    /// - Throws: ``KafkaError`` if closing failed; an error thrown by `onRebalance`.
    public func close(onRebalance: (inout KafkaRebalance) throws -> Void = { _ in }) throws {
        try state.withLock { state throws in
            guard !state.closed else { return }
            state.closed = true
            try withoutActuallyEscaping(onRebalance) { handler in
                callbacks.handler = handler
                defer { callbacks.handler = nil }
                try KafkaError.check(rd_kafka_consumer_close(handle.pointer), "close consumer")
                if let error = callbacks.pendingError {
                    callbacks.pendingError = nil
                    throw error
                }
            }
        }
    }

    private static func offsets(in list: borrowing PartitionList) -> [KafkaTopicPartition: Int64] {
        var result: [KafkaTopicPartition: Int64] = [:]
        for element in PartitionList.elements(of: list.pointer) where element.offset >= 0 {
            result[KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)] =
                element.offset
        }
        return result
    }
}
