import CRDKafka

/// A librdkafka error code (`rd_kafka_resp_err_t`): negative values are local to the
/// client, positive ones come from the broker.
public struct KafkaErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    init(_ err: rd_kafka_resp_err_t) { self.rawValue = err.rawValue }

    /// librdkafka's symbolic name, e.g. `_TIMED_OUT` or `TOPIC_ALREADY_EXISTS`.
    public var name: String { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: rawValue))) }

    public var description: String { name }

    public static let noError = KafkaErrorCode(RD_KAFKA_RESP_ERR_NO_ERROR)
    public static let timedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR__TIMED_OUT)
    public static let transport = KafkaErrorCode(RD_KAFKA_RESP_ERR__TRANSPORT)
    public static let allBrokersDown = KafkaErrorCode(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
    public static let resolve = KafkaErrorCode(RD_KAFKA_RESP_ERR__RESOLVE)
    public static let invalidArgument = KafkaErrorCode(RD_KAFKA_RESP_ERR__INVALID_ARG)
    public static let invalidConfiguration = KafkaErrorCode(RD_KAFKA_RESP_ERR__INVALID_TYPE)
    public static let partitionEOF = KafkaErrorCode(RD_KAFKA_RESP_ERR__PARTITION_EOF)
    public static let queueFull = KafkaErrorCode(RD_KAFKA_RESP_ERR__QUEUE_FULL)
    public static let fatal = KafkaErrorCode(RD_KAFKA_RESP_ERR__FATAL)
    public static let state = KafkaErrorCode(RD_KAFKA_RESP_ERR__STATE)
    public static let conflict = KafkaErrorCode(RD_KAFKA_RESP_ERR__CONFLICT)
    public static let unknownTopicOrPartition = KafkaErrorCode(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
    public static let localUnknownTopic = KafkaErrorCode(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
    public static let topicAlreadyExists = KafkaErrorCode(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
    public static let messageTimedOut = KafkaErrorCode(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
    public static let unknownMemberID = KafkaErrorCode(RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID)
    public static let illegalGeneration = KafkaErrorCode(RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION)
    public static let rebalanceInProgress = KafkaErrorCode(RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS)
    public static let destroyed = KafkaErrorCode(RD_KAFKA_RESP_ERR__DESTROY)

    /// The group moved on (a rebalance, or this member was dropped): a commit is refused,
    /// and the partitions' next owner continues from the last accepted one.
    public var isGroupMembershipChange: Bool {
        self == .unknownMemberID || self == .illegalGeneration || self == .rebalanceInProgress
    }
}

/// An error from librdkafka or from this binding, carrying librdkafka's code and text.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// librdkafka's error code.
    public let code: KafkaErrorCode
    /// What went wrong, in librdkafka's words where it had any.
    public let message: String
    /// The operation that failed, e.g. `commit` or `create topic orders`.
    public let operation: String
    /// A fatal error leaves the client unusable: it must be closed and created anew.
    public let isFatal: Bool
    /// The operation may succeed if tried again.
    public let isRetriable: Bool

    public init(
        code: KafkaErrorCode,
        message: String,
        operation: String,
        isFatal: Bool = false,
        isRetriable: Bool = false
    ) {
        self.code = code
        self.message = message
        self.operation = operation
        self.isFatal = isFatal
        self.isRetriable = isRetriable
    }

    init(_ err: rd_kafka_resp_err_t, operation: String, detail: String? = nil) {
        let text = String(cString: rd_kafka_err2str(err))
        self.init(
            code: KafkaErrorCode(err),
            message: detail.map { "\(text): \($0)" } ?? text,
            operation: operation
        )
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer, operation: String) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code: KafkaErrorCode(rd_kafka_error_code(error)),
            message: String(cString: rd_kafka_error_string(error)),
            operation: operation,
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            isRetriable: rd_kafka_error_is_retriable(error) != 0
        )
    }

    public var description: String { "\(operation) failed: \(message) [\(code.name)]" }

    static func check(_ err: rd_kafka_resp_err_t, _ operation: @autoclosure () -> String) throws(KafkaError) {
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, operation: operation()) }
    }

    static func check(consuming error: OpaquePointer?, _ operation: @autoclosure () -> String) throws(KafkaError) {
        if let error { throw KafkaError(consuming: error, operation: operation()) }
    }
}
