/// What every Kafka client of skucast needs: where the cluster is, who we are, and any
/// librdkafka property (TLS, SASL, tuning) passed through as is.
///
/// Typed fields become librdkafka properties; entries of ``properties`` are applied last
/// and so win, which lets a deployment set anything librdkafka knows
/// (see librdkafka's CONFIGURATION.md).
public struct KafkaClientConfiguration: Sendable, CustomStringConvertible {
    /// `host:port` of one or more brokers, as in `bootstrap.servers`.
    public var bootstrapServers: [String]
    /// `client.id`, shown in broker logs and quotas.
    public var clientID: String = "skucast"
    /// How long creating a client may wait for the cluster to answer a metadata request.
    /// An unreachable cluster then fails with a clear error instead of a silent hang.
    public var bootstrapTimeout: Duration = .seconds(10)
    /// Any librdkafka property, applied after the typed fields.
    public var properties: [String: String] = [:]

    /// - Parameter bootstrapServers: `host:port` of one or more brokers.
    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    func librdkafkaProperties() -> [String: String] {
        var p: [String: String] = [
            "bootstrap.servers": bootstrapServers.joined(separator: ","),
            "client.id": clientID,
        ]
        p.merge(properties) { _, user in user }
        return p
    }

    /// The configuration with secrets masked: safe to log.
    public var description: String {
        Self.redacted(librdkafkaProperties())
    }

    /// Renders properties sorted by name, with the values of secret ones masked.
    public static func redacted(_ properties: [String: String]) -> String {
        properties.keys.sorted().map { key in
            "\(key)=\(isSecret(key) ? "[redacted]" : properties[key]!)"
        }.joined(separator: " ")
    }

    /// Whether a librdkafka property holds a secret (passwords, keys, tokens).
    public static func isSecret(_ key: String) -> Bool {
        let k = key.lowercased()
        return ["password", "secret", "token", "ssl.key.pem", "ssl_key", "sasl.oauthbearer.config", "ssl.keystore"]
            .contains { k.contains($0) }
    }
}

/// What `auto.offset.reset` does for a partition the group has no committed offset for.
public enum KafkaOffsetReset: String, Sendable {
    case earliest
    case latest
    /// Fail instead of guessing.
    case error
}

/// The group's partition assignment protocol.
public enum KafkaAssignmentStrategy: String, Sendable {
    /// Eager: every rebalance revokes all partitions of every member first.
    case range = "range"
    case roundRobin = "roundrobin"
    /// Incremental: only partitions that move are revoked, so per-partition state that
    /// stays is neither saved nor reloaded.
    case cooperativeSticky = "cooperative-sticky"
}

/// A consumer in a consumer group, with manual offset control.
///
/// Offsets are never committed behind the application's back: `enable.auto.commit` and
/// `enable.auto.offset.store` are off, and setting them on through ``KafkaClientConfiguration/properties``
/// is rejected.
public struct KafkaConsumerConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    /// `group.id`.
    public var groupID: String
    /// `session.timeout.ms`: how long the group waits for a silent member. Joins take
    /// about half of it on the dev broker.
    public var sessionTimeout: Duration = .seconds(45)
    /// `heartbeat.interval.ms`; librdkafka's default when `nil`.
    public var heartbeatInterval: Duration?
    /// `max.poll.interval.ms`: the longest time between two polls before the member is
    /// considered stuck and leaves the group.
    public var maxPollInterval: Duration = .seconds(300)
    /// Where to start a partition the group has no committed offset for.
    public var offsetReset: KafkaOffsetReset = .earliest
    /// `partition.assignment.strategy`.
    public var assignmentStrategy: KafkaAssignmentStrategy = .cooperativeSticky
    /// Report reaching the end of a partition in ``KafkaMessageBatch/reachedEnd``.
    public var reportEndOfPartition: Bool = false
    /// `fetch.wait.max.ms`: how long the broker may hold a fetch with no new data; librdkafka's
    /// default (500 ms) when `nil`. A broker that answers a waiting fetch only at this
    /// deadline instead of when data arrives adds up to this much latency.
    public var fetchWait: Duration?

    /// - Parameters:
    ///   - client: Brokers, client id and pass-through properties.
    ///   - groupID: The consumer group to join.
    public init(client: KafkaClientConfiguration, groupID: String) {
        self.client = client
        self.groupID = groupID
    }

    func librdkafkaProperties() throws(KafkaError) -> [String: String] {
        for key in ["enable.auto.commit", "enable.auto.offset.store"] {
            if let value = client.properties[key], value != "false" {
                throw KafkaError(
                    code: .invalidArgument,
                    message: "\(key)=\(value) is not allowed: the application decides which offsets are done",
                    operation: "configure consumer"
                )
            }
        }
        var p: [String: String] = [
            "group.id": groupID,
            "session.timeout.ms": String(sessionTimeout.milliseconds),
            "max.poll.interval.ms": String(maxPollInterval.milliseconds),
            "auto.offset.reset": offsetReset.rawValue,
            "partition.assignment.strategy": assignmentStrategy.rawValue,
            "enable.partition.eof": reportEndOfPartition ? "true" : "false",
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
        ]
        if let heartbeatInterval { p["heartbeat.interval.ms"] = String(heartbeatInterval.milliseconds) }
        if let fetchWait { p["fetch.wait.max.ms"] = String(fetchWait.milliseconds) }
        return p.merging(client.librdkafkaProperties()) { _, user in user }
    }
}

/// How the producer picks a partition for a message without an explicit one.
public enum KafkaPartitioner: String, Sendable {
    /// Java client compatible: murmur2 of the key, random partition for messages without a key.
    /// Keys land on the same partitions as with Kafka's Java producer and Kafka Streams.
    case murmur2Random = "murmur2_random"
    case murmur2 = "murmur2"
    /// librdkafka's own default (CRC32), not compatible with Java clients.
    case consistentRandom = "consistent_random"
}

/// A producer: idempotent by default, Java-compatible key partitioning.
public struct KafkaProducerConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    /// `enable.idempotence`: no duplicates and no reordering from internal retries.
    public var idempotent: Bool = true
    /// `partitioner`.
    public var partitioner: KafkaPartitioner = .murmur2Random
    /// `linger.ms`: how long a batch may wait to fill.
    public var linger: Duration = .milliseconds(5)
    /// `message.timeout.ms`: after this a message not acknowledged is reported failed.
    public var deliveryTimeout: Duration = .seconds(30)
    /// `compression.codec`: none, gzip, snappy, lz4 or zstd.
    public var compression: String = "none"
    /// `compression.level`: the codec's own default when nil.
    public var compressionLevel: Int?

    /// - Parameter client: Brokers, client id and pass-through properties.
    public init(client: KafkaClientConfiguration) {
        self.client = client
    }

    func librdkafkaProperties() -> [String: String] {
        var p: [String: String] = [
            "enable.idempotence": idempotent ? "true" : "false",
            "partitioner": partitioner.rawValue,
            "linger.ms": String(linger.milliseconds),
            "message.timeout.ms": String(deliveryTimeout.milliseconds),
            "compression.codec": compression,
        ]
        if let compressionLevel { p["compression.level"] = String(compressionLevel) }
        return p.merging(client.librdkafkaProperties()) { _, user in user }
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, as librdkafka takes them.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Milliseconds clamped into librdkafka's `int timeout_ms` (-1 is "forever").
    var timeoutMilliseconds: Int32 {
        Int32(clamping: max(0, milliseconds))
    }
}
