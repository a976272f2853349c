import Foundation
import SkucastKafka

/// One topic of the contract, as `Topics/NAME/topic.json` defines it.
public struct TopicDefinition: Codable, Sendable, Hashable {
    /// What the topic is to skucast.
    public enum Role: String, Codable, Sendable {
        case input
        case output
        case deadLetter = "dead-letter"
        /// Where the service keeps partition snapshots (`--state-store kafka`).
        case state
    }

    /// How a key or value is encoded.
    public struct Encoding: Codable, Sendable, Hashable {
        /// `utf8`, `json` or `bytes`.
        public var encoding: String
        /// The field of the value the key is taken from.
        public var field: String?
        /// The JSON Schema file, relative to the topic's folder.
        public var schema: String?
        public var description: String?
    }

    public var name: String
    public var role: Role
    public var description: String
    public var partitions: Int
    /// -1: the broker's default.
    public var replicationFactor: Int
    public var key: Encoding
    public var value: Encoding
    public var configs: [String: String]
}

/// The topics of `Topics/`: the contract with producers and consumers.
public struct TopicCatalog: Sendable, Hashable {
    /// The definitions, sorted by name.
    public let topics: [TopicDefinition]

    public init(topics: [TopicDefinition]) {
        self.topics = topics.sorted { $0.name < $1.name }
    }

    /// Reads every `*/topic.json` below a directory.
    /// - Parameter directory: The `Topics/` folder.
    /// - Throws: ``TopicCatalogError`` when a definition is missing, unreadable or
    ///   inconsistent (e.g. input topics that are not co-partitioned).
    public static func load(from directory: URL) throws -> TopicCatalog {
        let fm = FileManager.default
        let folders = try fm.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.isDirectoryKey])
            .filter { (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
        var topics: [TopicDefinition] = []
        for folder in folders.sorted(by: { $0.path < $1.path }) {
            let file = folder.appendingPathComponent("topic.json")
            guard fm.fileExists(atPath: file.path) else { continue }
            do {
                topics.append(try JSONDecoder().decode(TopicDefinition.self, from: Data(contentsOf: file)))
            } catch {
                throw TopicCatalogError("\(file.path): \(error)")
            }
        }
        guard !topics.isEmpty else { throw TopicCatalogError("no */topic.json below \(directory.path)") }
        let catalog = TopicCatalog(topics: topics)
        try catalog.validate()
        return catalog
    }

    /// The topic with this role and name, e.g. the `orders` input.
    public func topic(named name: String) -> TopicDefinition? {
        topics.first { $0.name == name }
    }

    /// Checks what a broker cannot: names are unique, and all input topics are
    /// co-partitioned (same partition count, same key field), since one instance must
    /// own a SKU's orders and stock together.
    /// - Throws: ``TopicCatalogError`` naming the inconsistency.
    public func validate() throws {
        let names = topics.map(\.name)
        if Set(names).count != names.count { throw TopicCatalogError("duplicate topic names in \(names)") }
        for t in topics where t.partitions < 1 {
            throw TopicCatalogError("\(t.name): partitions must be at least 1")
        }
        let inputs = topics.filter { $0.role == .input }
        if let first = inputs.first {
            for t in inputs.dropFirst() where t.partitions != first.partitions || t.key.field != first.key.field {
                throw TopicCatalogError(
                    "input topics must be co-partitioned: \(first.name) has \(first.partitions) partitions keyed by \(first.key.field ?? "-"), \(t.name) has \(t.partitions) keyed by \(t.key.field ?? "-")"
                )
            }
        }
        if topics.filter({ $0.role == .deadLetter }).count != 1 {
            throw TopicCatalogError("exactly one dead-letter topic is required")
        }
    }

    /// The topics as Kafka topic specifications.
    /// - Parameters:
    ///   - prefix: Put before every name (e.g. an environment, `staging.`).
    ///   - replicationFactor: Overrides every definition's replication factor.
    public func specs(prefix: String = "", replicationFactor: Int? = nil) -> [KafkaTopicSpec] {
        topics.map {
            KafkaTopicSpec(
                name: prefix + $0.name,
                partitions: $0.partitions,
                replicationFactor: replicationFactor ?? $0.replicationFactor,
                configs: $0.configs
            )
        }
    }

    /// Creates every topic; existing ones with the same settings are left as they are.
    /// - Parameters:
    ///   - admin: A connected admin client.
    ///   - prefix: Put before every name.
    ///   - replicationFactor: Overrides every definition's replication factor.
    ///   - timeout: How long to wait for the cluster.
    /// - Returns: What happened per topic name.
    /// - Throws: ``KafkaError`` with code `_CONFLICT` listing every difference when a
    ///   topic exists with other settings.
    public func apply(
        using admin: KafkaAdmin,
        prefix: String = "",
        replicationFactor: Int? = nil,
        timeout: Duration
    ) throws -> [String: KafkaTopicCreation] {
        try admin.createTopics(specs(prefix: prefix, replicationFactor: replicationFactor), timeout: timeout)
    }

    /// Compares the cluster's topics with the catalog.
    /// - Parameters:
    ///   - admin: A connected admin client.
    ///   - prefix: Put before every name.
    ///   - replicationFactor: Overrides every definition's replication factor.
    ///   - timeout: How long to wait for the cluster.
    /// - Returns: Every mismatch (missing topics, other partition counts or configs); empty when all match.
    /// - Throws: ``KafkaError`` when the cluster cannot be asked.
    public func check(
        using admin: KafkaAdmin,
        prefix: String = "",
        replicationFactor: Int? = nil,
        timeout: Duration
    ) throws -> [String] {
        let specs = specs(prefix: prefix, replicationFactor: replicationFactor)
        let described = try admin.describeTopics(specs.map(\.name), timeout: timeout)
        var findings: [String] = []
        for spec in specs {
            guard let actual = described[spec.name] else {
                findings.append("\(spec.name): missing")
                continue
            }
            findings += actual.differences(from: spec)
        }
        return findings
    }
}

/// A `Topics/` folder that cannot be used.
public struct TopicCatalogError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
