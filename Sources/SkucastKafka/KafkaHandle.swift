import CRDKafka
import Logging
import Synchronization

/// State the C callbacks of one client reach through librdkafka's opaque pointer.
///
/// Subclassed per client kind; it outlives the `rd_kafka_t` because ``KafkaHandle``
/// destroys the handle before releasing it.
class ClientCallbacks: @unchecked Sendable {
    let logger: Logger
    /// The last error librdkafka reported through `error_cb`, for messages that would
    /// otherwise only say "timed out".
    let lastError = Mutex<String?>(nil)

    init(logger: Logger) {
        self.logger = logger
    }

    /// Keeps librdkafka's last error for connect messages; "N/N brokers are down" follows
    /// the error that says why (refused, unresolvable, handshake), so it does not replace it.
    func recordError(_ code: KafkaErrorCode, _ text: String) {
        lastError.withLock { if code != .allBrokersDown || $0 == nil { $0 = text } }
    }

    static func from(_ rk: OpaquePointer?) -> ClientCallbacks? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<ClientCallbacks>.fromOpaque(opaque).takeUnretainedValue()
    }

    /// Lets subclasses install more callbacks before the handle is created.
    func install(on conf: OpaquePointer) {}
}

/// An owned `rd_kafka_t` with logging and error callbacks wired to swift-log.
final class KafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    let callbacks: ClientCallbacks
    let description: String

    /// Creates the client and, unless `bootstrapTimeout` is nil, waits until a broker
    /// answers a metadata request.
    /// - Throws: ``KafkaError`` for an invalid property, or when no broker answered in time.
    init(
        kind: rd_kafka_type_t,
        properties: [String: String],
        callbacks: ClientCallbacks,
        bootstrapTimeout: Duration?
    ) throws(KafkaError) {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for key in properties.keys.sorted() {
            let result = rd_kafka_conf_set(conf, key, properties[key]!, &errstr, errstr.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(
                    code: .invalidConfiguration,
                    message: String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                    operation: "configure \(key)"
                )
            }
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(callbacks).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            guard let callbacks = ClientCallbacks.from(rk) else { return }
            let text = message.map { String(cString: $0) } ?? ""
            let fac = facility.map { String(cString: $0) } ?? ""
            callbacks.logger.log(
                level: Logger.Level(syslog: level),
                "\(text)",
                metadata: ["rdkafka.facility": "\(fac)"]
            )
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
            guard let opaque else { return }
            let callbacks = Unmanaged<ClientCallbacks>.fromOpaque(opaque).takeUnretainedValue()
            let code = KafkaErrorCode(rawValue: err)
            let text = reason.map { String(cString: $0) } ?? code.name
            callbacks.recordError(code, text)
            // librdkafka recovers from everything but fatal errors by itself.
            let level: Logger.Level = code == .fatal ? .error : .warning
            callbacks.logger.log(level: level, "\(text)", metadata: ["rdkafka.error": "\(code.name)"])
        }
        callbacks.install(on: conf)

        guard let rk = rd_kafka_new(kind, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(
                code: .invalidConfiguration,
                message: String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                operation: "create client"
            )
        }
        self.pointer = rk
        self.callbacks = callbacks
        self.description = properties["bootstrap.servers"] ?? "?"
        if let bootstrapTimeout {
            do {
                _ = try metadata(topics: [], timeout: bootstrapTimeout)
            } catch {
                // Serve the error callbacks queued meanwhile: they say why (refused,
                // unresolvable, handshake failed), where the metadata call only timed out.
                _ = rd_kafka_poll(rk, 0)
                let last = callbacks.lastError.withLock { $0 }
                throw KafkaError(
                    code: error.code,
                    message: "no broker of \(description) answered within \(bootstrapTimeout)"
                        + (last.map { " (last error: \($0))" } ?? " (\(error.message))"),
                    operation: "connect",
                    isRetriable: true
                )
            }
        }
    }

    deinit {
        rd_kafka_destroy(pointer)
    }

    /// Throws librdkafka's fatal error, if the client has raised one.
    func checkFatal(operation: @autoclosure () -> String) throws(KafkaError) {
        var buf = [CChar](repeating: 0, count: 512)
        let err = rd_kafka_fatal_error(pointer, &buf, buf.count)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(
                code: KafkaErrorCode(err),
                message: String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                operation: operation(),
                isFatal: true
            )
        }
    }

    /// Asks the cluster for brokers and topics.
    /// - Parameters:
    ///   - topics: The topics to describe; `nil` for all, empty for none (brokers only).
    ///   - timeout: How long to wait for the answer.
    /// - Throws: ``KafkaError`` when the request fails or times out.
    func metadata(topics: [String]?, timeout: Duration) throws(KafkaError) -> KafkaClusterMetadata {
        var md: UnsafePointer<rd_kafka_metadata>?
        let err: rd_kafka_resp_err_t
        if let topics, topics.count == 1 {
            let rkt = rd_kafka_topic_new(pointer, topics[0], nil)
            defer { rd_kafka_topic_destroy(rkt) }
            err = rd_kafka_metadata(pointer, 0, rkt, &md, timeout.timeoutMilliseconds)
        } else {
            err = rd_kafka_metadata(pointer, topics == nil ? 1 : 0, nil, &md, timeout.timeoutMilliseconds)
        }
        try KafkaError.check(err, "metadata request")
        defer { rd_kafka_metadata_destroy(md) }
        let m = md!.pointee
        let brokers = UnsafeBufferPointer(start: m.brokers, count: Int(m.broker_cnt)).map {
            KafkaBrokerMetadata(id: $0.id, host: String(cString: $0.host), port: Int($0.port))
        }
        let wanted = topics.map(Set.init)
        let described = UnsafeBufferPointer(start: m.topics, count: Int(m.topic_cnt)).compactMap {
            t -> KafkaTopicMetadata? in
            let name = String(cString: t.topic)
            if let wanted, !wanted.contains(name) { return nil }
            let partitions = UnsafeBufferPointer(start: t.partitions, count: Int(t.partition_cnt)).map { p in
                KafkaPartitionMetadata(
                    id: p.id,
                    leader: p.leader,
                    replicas: Array(UnsafeBufferPointer(start: p.replicas, count: Int(p.replica_cnt))),
                    inSyncReplicas: Array(UnsafeBufferPointer(start: p.isrs, count: Int(p.isr_cnt)))
                )
            }.sorted { $0.id < $1.id }
            let error = t.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaErrorCode(t.err)
            return KafkaTopicMetadata(name: name, partitions: partitions, error: error)
        }
        return KafkaClusterMetadata(brokers: brokers, topics: described.sorted { $0.name < $1.name })
    }
}

/// A broker of the cluster, as metadata names it.
public struct KafkaBrokerMetadata: Sendable, Hashable {
    public var id: Int32
    public var host: String
    public var port: Int
}

/// A partition and where its replicas are.
public struct KafkaPartitionMetadata: Sendable, Hashable {
    public var id: Int32
    public var leader: Int32
    public var replicas: [Int32]
    public var inSyncReplicas: [Int32]
}

/// A topic as metadata describes it; ``error`` is set for a topic that does not exist.
public struct KafkaTopicMetadata: Sendable, Hashable {
    public var name: String
    public var partitions: [KafkaPartitionMetadata]
    public var error: KafkaErrorCode?
}

/// Brokers and topics of a cluster.
public struct KafkaClusterMetadata: Sendable, Hashable {
    public var brokers: [KafkaBrokerMetadata]
    public var topics: [KafkaTopicMetadata]

    public func topic(_ name: String) -> KafkaTopicMetadata? {
        topics.first { $0.name == name && $0.error == nil }
    }
}

extension Logger.Level {
    /// librdkafka logs with syslog levels.
    init(syslog level: Int32) {
        switch level {
        case ...3: self = .error
        case 4: self = .warning
        case 5: self = .notice
        case 6: self = .info
        default: self = .debug
        }
    }
}
