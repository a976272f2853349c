import Foundation
import Logging
import SkucastKafka
import SkucastKafkaTesting
import Testing

func testBroker() throws -> DevBroker { try DevBroker.shared() }

func testLogger(_ label: String = "test") -> Logger {
    var logger = Logger(label: "skucast.\(label)")
    logger.logLevel = .warning
    return logger
}

/// A name no other test uses.
func unique(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

extension DevBroker {
    func admin() throws -> KafkaAdmin {
        try KafkaAdmin(configuration: clientConfiguration(), logger: testLogger("admin"))
    }

    func producer(onDelivery: (@Sendable (KafkaDeliveryReport) -> Void)? = nil) throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: clientConfiguration()),
            logger: testLogger("producer"),
            onDelivery: onDelivery
        )
    }

    /// A group consumer with a short session, so that joins and rebalances take about a second.
    func consumer(group: String, strategy: KafkaAssignmentStrategy = .cooperativeSticky) throws -> KafkaConsumer {
        var c = KafkaConsumerConfiguration(client: clientConfiguration(), groupID: group)
        c.sessionTimeout = .milliseconds(2000)
        c.heartbeatInterval = .milliseconds(300)
        c.assignmentStrategy = strategy
        return try KafkaConsumer(configuration: c, logger: testLogger("consumer"))
    }

    /// Creates a topic for one test.
    func topic(_ prefix: String, partitions: Int) throws -> String {
        let name = unique(prefix)
        _ = try admin().createTopics([KafkaTopicSpec(name: name, partitions: partitions)], timeout: .seconds(10))
        return name
    }
}

/// Polls until `done` holds or the deadline passes; returns every message seen.
@discardableResult
func pollUntil(
    _ consumer: KafkaConsumer,
    deadline: Duration = .seconds(30),
    onRebalance: (inout KafkaRebalance) throws -> Void = { _ in },
    done: ([KafkaMessage]) -> Bool
) throws -> [KafkaMessage] {
    let clock = ContinuousClock()
    let end = clock.now + deadline
    var seen: [KafkaMessage] = []
    while clock.now < end {
        let batch = try consumer.poll(timeout: .milliseconds(100), onRebalance: onRebalance)
        seen.append(contentsOf: batch)
        if done(seen) { return seen }
    }
    return seen
}
