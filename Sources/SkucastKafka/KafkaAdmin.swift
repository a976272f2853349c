import CRDKafka
import Logging

/// A topic as it should be.
public struct KafkaTopicSpec: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    /// Replicas per partition; -1 takes the broker's `default.replication.factor`.
    public var replicationFactor: Int
    /// Topic configs such as `cleanup.policy` or `retention.ms`.
    public var configs: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int = -1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// A topic as the cluster has it.
public struct KafkaTopicDescription: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Configs the cluster reports for the topic (defaults included where it reports them).
    public var configs: [String: String]

    /// How this topic differs from `spec`, one sentence per difference; empty when it matches.
    ///
    /// Configs the cluster does not report are not counted as differences: brokers that
    /// do not answer DescribeConfigs cannot be checked for them.
    public func differences(from spec: KafkaTopicSpec) -> [String] {
        var found: [String] = []
        if partitions != spec.partitions {
            found.append("\(name): \(partitions) partitions, expected \(spec.partitions)")
        }
        if spec.replicationFactor > 0, replicationFactor != spec.replicationFactor {
            found.append("\(name): replication factor \(replicationFactor), expected \(spec.replicationFactor)")
        }
        for key in spec.configs.keys.sorted() {
            if let actual = configs[key], actual != spec.configs[key] {
                found.append("\(name): \(key)=\(actual), expected \(spec.configs[key]!)")
            }
        }
        return found
    }
}

/// What ``KafkaAdmin/createTopics(_:timeout:)`` did for a topic.
public enum KafkaTopicCreation: Sendable, Hashable {
    case created
    /// The topic was there already, with the requested settings.
    case alreadyExisted
}

/// Cluster administration: topics.
public final class KafkaAdmin: Sendable {
    private let handle: KafkaHandle

    /// Creates the admin client and checks that the cluster answers.
    /// - Parameters:
    ///   - configuration: Brokers and any librdkafka property.
    ///   - logger: Receives librdkafka's logs and errors.
    /// - Throws: ``KafkaError`` for an invalid configuration or an unreachable cluster.
    public init(configuration: KafkaClientConfiguration, logger: Logger) throws(KafkaError) {
        handle = try KafkaHandle(
            kind: RD_KAFKA_PRODUCER,
            properties: configuration.librdkafkaProperties(),
            callbacks: ClientCallbacks(logger: logger),
            bootstrapTimeout: configuration.bootstrapTimeout
        )
    }

    /// Brokers and topics of the cluster.
    /// - Throws: ``KafkaError`` when the request fails.
    public func metadata(topics: [String]?, timeout: Duration) throws(KafkaError) -> KafkaClusterMetadata {
        try handle.metadata(topics: topics, timeout: timeout)
    }

    /// Creates topics; a topic that exists with the same settings counts as success.
    /// - Parameters:
    ///   - specs: The topics.
    ///   - timeout: How long to wait for the cluster.
    /// - Returns: What happened per topic name.
    /// - Throws: ``KafkaError`` with code `_CONFLICT` when a topic exists with other
    ///   settings (the message lists the differences), or when creation failed.
    public func createTopics(
        _ specs: [KafkaTopicSpec],
        timeout: Duration
    ) throws(KafkaError) -> [String: KafkaTopicCreation] {
        guard !specs.isEmpty else { return [:] }
        var errstr = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
        for spec in specs {
            guard
                let t = rd_kafka_NewTopic_new(
                    spec.name,
                    Int32(spec.partitions),
                    Int32(spec.replicationFactor),
                    &errstr,
                    errstr.count
                )
            else {
                throw KafkaError(
                    code: .invalidArgument,
                    message: Self.string(errstr),
                    operation: "create topic \(spec.name)"
                )
            }
            newTopics.append(t)
            for key in spec.configs.keys.sorted() {
                try KafkaError.check(
                    rd_kafka_NewTopic_set_config(t, key, spec.configs[key]!),
                    "create topic \(spec.name): config \(key)"
                )
            }
        }
        let results = try handle.adminRequest(
            RD_KAFKA_ADMIN_OP_CREATETOPICS,
            operation: "create topics",
            timeout: timeout
        ) {
            options,
            queue in
            rd_kafka_CreateTopics(handle.pointer, &newTopics, newTopics.count, options, queue)
        } results: { event in
            var count = 0
            let topics = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
            return UnsafeBufferPointer(start: topics, count: count).map { r in
                (
                    String(cString: rd_kafka_topic_result_name(r)), rd_kafka_topic_result_error(r),
                    rd_kafka_topic_result_error_string(r).map { String(cString: $0) }
                )
            }
        }
        var outcome: [String: KafkaTopicCreation] = [:]
        var existing: [String] = []
        for (name, err, text) in results {
            switch err {
            case RD_KAFKA_RESP_ERR_NO_ERROR: outcome[name] = .created
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: existing.append(name)
            default: throw KafkaError(err, operation: "create topic \(name)", detail: text)
            }
        }
        if !existing.isEmpty {
            let described = try describeTopics(existing, timeout: timeout)
            var conflicts: [String] = []
            for name in existing {
                let spec = specs.first { $0.name == name }!
                guard let actual = described[name] else {
                    conflicts.append("\(name): reported as existing but not described")
                    continue
                }
                conflicts += actual.differences(from: spec)
                outcome[name] = .alreadyExisted
            }
            if !conflicts.isEmpty {
                throw KafkaError(
                    code: .conflict,
                    message: "existing topics differ: " + conflicts.joined(separator: "; "),
                    operation: "create topics"
                )
            }
        }
        return outcome
    }

    /// Describes topics: partitions and replication from metadata, configs from DescribeConfigs.
    /// - Parameters:
    ///   - names: Topic names.
    ///   - timeout: How long to wait for the cluster.
    /// - Returns: The topics that exist; missing ones are absent.
    /// - Throws: ``KafkaError`` when a request fails.
    public func describeTopics(
        _ names: [String],
        timeout: Duration
    ) throws(KafkaError) -> [String: KafkaTopicDescription] {
        let metadata = try handle.metadata(topics: nil, timeout: timeout)
        var result: [String: KafkaTopicDescription] = [:]
        for name in names {
            guard let t = metadata.topic(name) else { continue }
            result[name] = KafkaTopicDescription(
                name: name,
                partitions: t.partitions.count,
                replicationFactor: t.partitions.first?.replicas.count ?? 0,
                configs: [:]
            )
        }
        guard !result.isEmpty else { return result }
        let found = result.keys.sorted()
        var resources: [OpaquePointer?] = found.map { rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, $0) }
        defer { for r in resources { rd_kafka_ConfigResource_destroy(r) } }
        let configs = try handle.adminRequest(
            RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
            operation: "describe topic configs",
            timeout: timeout
        ) { options, queue in
            rd_kafka_DescribeConfigs(handle.pointer, &resources, resources.count, options, queue)
        } results: { event in
            var count = 0
            let described = rd_kafka_DescribeConfigs_result_resources(
                rd_kafka_event_DescribeConfigs_result(event),
                &count
            )
            return UnsafeBufferPointer(start: described, count: count).map { r -> (String, [String: String]) in
                var n = 0
                let entries = rd_kafka_ConfigResource_configs(r, &n)
                var values: [String: String] = [:]
                for e in UnsafeBufferPointer(start: entries, count: n) {
                    if let v = rd_kafka_ConfigEntry_value(e) {
                        values[String(cString: rd_kafka_ConfigEntry_name(e))] = String(cString: v)
                    }
                }
                return (String(cString: rd_kafka_ConfigResource_name(r)), values)
            }
        }
        for (name, values) in configs { result[name]?.configs = values }
        return result
    }

    /// Deletes topics; topics that do not exist are skipped.
    /// - Throws: ``KafkaError`` when deletion of an existing topic failed.
    public func deleteTopics(_ names: [String], timeout: Duration) throws(KafkaError) {
        guard !names.isEmpty else { return }
        var deletes: [OpaquePointer?] = names.map { rd_kafka_DeleteTopic_new($0) }
        defer { for d in deletes { rd_kafka_DeleteTopic_destroy(d) } }
        let results = try handle.adminRequest(
            RD_KAFKA_ADMIN_OP_DELETETOPICS,
            operation: "delete topics",
            timeout: timeout
        ) {
            options,
            queue in
            rd_kafka_DeleteTopics(handle.pointer, &deletes, deletes.count, options, queue)
        } results: { event in
            var count = 0
            let topics = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count)
            return UnsafeBufferPointer(start: topics, count: count).map { r in
                (String(cString: rd_kafka_topic_result_name(r)), rd_kafka_topic_result_error(r))
            }
        }
        for (name, err) in results
        where err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART {
            throw KafkaError(err, operation: "delete topic \(name)")
        }
    }

    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
