import CRDKafka

extension KafkaHandle {
    /// Runs one admin request on a private queue and reads its result event.
    func adminRequest<R>(
        _ op: rd_kafka_admin_op_t,
        operation: String,
        timeout: Duration,
        send: (OpaquePointer?, OpaquePointer?) -> Void,
        results: (OpaquePointer) -> R
    ) throws(KafkaError) -> R {
        let queue = rd_kafka_queue_new(pointer)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(pointer, op)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errstr = [CChar](repeating: 0, count: 512)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.timeoutMilliseconds, &errstr, errstr.count)
        if op != RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS {
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout.timeoutMilliseconds, &errstr, errstr.count)
        }
        send(options, queue)
        // The request itself times out after `timeout`; the extra second lets its
        // timeout event arrive rather than racing it.
        guard let event = rd_kafka_queue_poll(queue, (timeout + .seconds(1)).timeoutMilliseconds) else {
            throw KafkaError(code: .timedOut, message: "no answer within \(timeout)", operation: operation)
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(
                err,
                operation: operation,
                detail: rd_kafka_event_error_string(event).map { String(cString: $0) }
            )
        }
        return results(event)
    }
}
