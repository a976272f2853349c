import Foundation
import SkucastKafkaTesting
import Testing

@testable import SkucastKafka

@Suite("Admin")
struct AdminTests {
    @Test("Creating a topic twice with the same settings succeeds; other settings are a clear conflict")
    func idempotentCreation() throws {
        let broker = try testBroker()
        let admin = try broker.admin()
        let spec = KafkaTopicSpec(
            name: unique("orders"),
            partitions: 6,
            configs: ["cleanup.policy": "delete", "retention.ms": "604800000"]
        )
        #expect(try admin.createTopics([spec], timeout: .seconds(10)) == [spec.name: .created])
        #expect(try admin.createTopics([spec], timeout: .seconds(10)) == [spec.name: .alreadyExisted])

        let described = try #require(try admin.describeTopics([spec.name], timeout: .seconds(10))[spec.name])
        #expect(described.partitions == 6)
        #expect(described.replicationFactor == 1)
        #expect(described.configs["cleanup.policy"] == "delete")
        #expect(described.configs["retention.ms"] == "604800000")
        #expect(described.differences(from: spec).isEmpty)

        var morePartitions = spec
        morePartitions.partitions = 3
        let partitionConflict = #expect(throws: KafkaError.self) {
            try admin.createTopics([morePartitions], timeout: .seconds(10))
        }
        #expect(partitionConflict?.code == .conflict)
        #expect(partitionConflict?.message.contains("\(spec.name): 6 partitions, expected 3") == true)

        var compacted = spec
        compacted.configs["cleanup.policy"] = "compact"
        let configConflict = #expect(throws: KafkaError.self) {
            try admin.createTopics([compacted], timeout: .seconds(10))
        }
        #expect(configConflict?.message.contains("cleanup.policy=delete, expected compact") == true)
    }

    @Test("Describing a missing topic leaves it out; deleted topics are gone")
    func describeAndDelete() throws {
        let broker = try testBroker()
        let admin = try broker.admin()
        let name = try broker.topic("short-lived", partitions: 2)
        #expect(
            try admin.describeTopics([name, "no-such-topic-\(UUID())"], timeout: .seconds(5)).keys.sorted() == [name]
        )
        try admin.deleteTopics([name], timeout: .seconds(10))
        #expect(try admin.describeTopics([name], timeout: .seconds(5)).isEmpty)
    }
}

@Suite("Connection and configuration")
struct ConnectionTests {
    /// Nothing listens on port 1 of loopback.
    static func unreachable() -> KafkaClientConfiguration {
        var c = KafkaClientConfiguration(bootstrapServers: ["127.0.0.1:1"])
        c.bootstrapTimeout = .seconds(2)
        return c
    }

    @Test("An unreachable broker fails every client fast with a clear error")
    func unreachableBroker() throws {
        let clock = ContinuousClock()
        let logger = testLogger()
        let attempts: [(String, () throws -> Void)] = [
            ("admin", { _ = try KafkaAdmin(configuration: Self.unreachable(), logger: logger) }),
            (
                "producer",
                {
                    _ = try KafkaProducer(
                        configuration: KafkaProducerConfiguration(client: Self.unreachable()),
                        logger: logger
                    )
                }
            ),
            (
                "consumer",
                {
                    _ = try KafkaConsumer(
                        configuration: KafkaConsumerConfiguration(client: Self.unreachable(), groupID: "g"),
                        logger: logger
                    )
                }
            ),
        ]
        for (client, attempt) in attempts {
            let start = clock.now
            let error = #expect(throws: KafkaError.self, "\(client)") { try attempt() }
            // Bounded by the bootstrap timeout (2 s), with room for a loaded machine.
            #expect(clock.now - start < .seconds(10), "\(client)")
            #expect(error?.operation == "connect")
            #expect(error?.message.contains("127.0.0.1:1") == true, "\(String(describing: error))")
            #expect(
                error?.message.contains("Connection refused") == true,
                "the reason, not only a timeout: \(String(describing: error))"
            )
            #expect(error?.isRetriable == true)
        }
    }

    @Test("An unknown librdkafka property is refused with librdkafka's message")
    func unknownProperty() {
        var c = KafkaClientConfiguration(bootstrapServers: ["127.0.0.1:1"])
        c.properties["no.such.property"] = "1"
        let error = #expect(throws: KafkaError.self) { _ = try KafkaAdmin(configuration: c, logger: testLogger()) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("No such configuration property") == true)
        #expect(error?.operation == "configure no.such.property")
    }

    @Test("Auto-commit cannot be switched on behind the application's back")
    func autoCommitRefused() {
        var c = KafkaClientConfiguration(bootstrapServers: ["127.0.0.1:1"])
        c.properties["enable.auto.commit"] = "true"
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(client: c, groupID: "g"),
                logger: testLogger()
            )
        }
        #expect(error?.code == .invalidArgument)
    }

    @Test("Secrets never appear in a configuration's description")
    func secretsRedacted() {
        var c = KafkaClientConfiguration(bootstrapServers: ["broker:9093"])
        c.properties = [
            "sasl.password": "hunter2", "ssl.key.password": "s3cret", "sasl.username": "svc",
            "security.protocol": "SASL_SSL",
        ]
        let text = c.description
        #expect(!text.contains("hunter2"))
        #expect(!text.contains("s3cret"))
        #expect(text.contains("sasl.username=svc"))
        #expect(text.contains("sasl.password=[redacted]"))
    }

    @Test(
        "Compressed batches round-trip through the broker: lz4 set through pass-through properties, zstd at level 1 through the configuration",
        arguments: [false, true]
    )
    func propertiesPassThrough(zstd: Bool) async throws {
        let broker = try testBroker()
        let topic = try broker.topic(zstd ? "zstd" : "lz4", partitions: 1)
        var config = KafkaProducerConfiguration(client: broker.clientConfiguration())
        if zstd {
            config.compression = "zstd"
            config.compressionLevel = 1
            #expect(config.librdkafkaProperties()["compression.level"] == "1")
        } else {
            config.client.properties["compression.codec"] = "lz4"
        }
        config.client.properties["linger.ms"] = "20"
        let producer = try KafkaProducer(configuration: config, logger: testLogger())
        let value = Array(String(repeating: "85123A,WHITE HANGING HEART T-LIGHT HOLDER;", count: 20).utf8)
        for _ in 0..<50 { try producer.send(KafkaProducerMessage(topic: topic, key: "k", value: value)) }
        try producer.flush(timeout: .seconds(5))
        let consumer = try broker.consumer(group: unique(zstd ? "zstd" : "lz4"))
        try consumer.assign([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
        let read = try pollUntil(consumer) { $0.count >= 50 }
        #expect(read.count == 50)
        #expect(read.allSatisfy { $0.value == value })
    }
}
