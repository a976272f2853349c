import Foundation
import Logging
import SkucastKafka
import SkucastKafkaTesting
import SkucastTopics
import Testing

/// The repository's own `Topics/` folder.
let topicsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Topics")

func admin() throws -> KafkaAdmin {
    var logger = Logger(label: "skucast.test")
    logger.logLevel = .warning
    return try KafkaAdmin(configuration: try DevBroker.shared().clientConfiguration(), logger: logger)
}

@Suite("Topic contract")
struct TopicCatalogTests {
    @Test("Topics/ defines the six topics, with co-partitioned inputs and a state topic to match")
    func loadsRepositoryTopics() throws {
        let catalog = try TopicCatalog.load(from: topicsDirectory)
        #expect(
            catalog.topics.map(\.name) == [
                "dead-letter", "forecasts", "inventory", "orders", "restock-alerts", "state",
            ]
        )
        let orders = try #require(catalog.topic(named: "orders"))
        let inventory = try #require(catalog.topic(named: "inventory"))
        #expect(orders.role == .input && inventory.role == .input)
        #expect(orders.partitions == inventory.partitions)
        #expect(orders.key.field == "sku" && inventory.key.field == "sku")
        #expect(catalog.topic(named: "dead-letter")?.role == .deadLetter)
        #expect(catalog.topic(named: "forecasts")?.configs["cleanup.policy"] == "compact")
        // Input partition p's snapshots go to state partition p, kept by compaction.
        let state = try #require(catalog.topic(named: "state"))
        #expect(state.role == .state && state.partitions >= orders.partitions)
        #expect(state.configs["cleanup.policy"] == "compact")
        for topic in catalog.topics {
            let schema = topic.value.schema ?? "headers.schema.json"
            let data = try Data(
                contentsOf: topicsDirectory.appendingPathComponent(topic.name).appendingPathComponent(schema)
            )
            #expect(try JSONSerialization.jsonObject(with: data) is [String: Any], "\(topic.name)")
        }
    }

    @Test("Every example message is valid under its topic's JSON Schema")
    func examplesAreValid() throws {
        let result = try runValidator([])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("13 messages checked, 0 errors"), "\(result.output)")
    }

    @Test("Input topics that are not co-partitioned are refused")
    func coPartitioningEnforced() throws {
        let catalog = try TopicCatalog.load(from: topicsDirectory)
        var topics = catalog.topics
        let i = try #require(topics.firstIndex { $0.name == "inventory" })
        topics[i].partitions = 4
        #expect(throws: TopicCatalogError.self) { try TopicCatalog(topics: topics).validate() }
    }

    @Test("apply creates every topic, is idempotent, and check finds no difference")
    func applyAndCheck() throws {
        let catalog = try TopicCatalog.load(from: topicsDirectory)
        let admin = try admin()
        let prefix = "t\(UUID().uuidString.prefix(6).lowercased())."
        #expect(
            try catalog.check(using: admin, prefix: prefix, timeout: .seconds(10)).count == 6,
            "all missing before apply"
        )

        let first = try catalog.apply(using: admin, prefix: prefix, timeout: .seconds(10))
        #expect(first.count == 6 && first.values.allSatisfy { $0 == .created })
        let second = try catalog.apply(using: admin, prefix: prefix, timeout: .seconds(10))
        #expect(second.count == 6 && second.values.allSatisfy { $0 == .alreadyExisted })
        #expect(try catalog.check(using: admin, prefix: prefix, timeout: .seconds(10)) == [])

        let metadata = try admin.metadata(topics: nil, timeout: .seconds(5))
        #expect(metadata.topic(prefix + "orders")?.partitions.count == 6)
        #expect(metadata.topic(prefix + "dead-letter")?.partitions.count == 3)
    }

    @Test("check and apply report a topic that exists with other settings")
    func mismatchReported() throws {
        let catalog = try TopicCatalog.load(from: topicsDirectory)
        let admin = try admin()
        let prefix = "m\(UUID().uuidString.prefix(6).lowercased())."
        _ = try admin.createTopics(
            [KafkaTopicSpec(name: prefix + "orders", partitions: 2, configs: ["cleanup.policy": "compact"])],
            timeout: .seconds(10)
        )
        let error = #expect(throws: KafkaError.self) {
            try catalog.apply(using: admin, prefix: prefix, timeout: .seconds(10))
        }
        #expect(error?.code == .conflict)
        let findings = try catalog.check(using: admin, prefix: prefix, timeout: .seconds(10))
        #expect(findings.contains("\(prefix)orders: 2 partitions, expected 6"))
        #expect(findings.contains("\(prefix)orders: cleanup.policy=compact, expected delete"))
        #expect(!findings.contains { $0.hasPrefix("\(prefix)inventory") }, "the other topics were created")
    }
}

/// Runs `Topics/validate.py` (the reference JSON Schema validator).
func runValidator(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", topicsDirectory.appendingPathComponent("validate.py").path] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
