import ArgumentParser
import Foundation
import SkucastKafka

struct ConsumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract:
            "Read a topic from the beginning to its current end, print the first messages and count them all. Commits nothing."
    )

    @OptionGroup var kafka: KafkaOptions

    @Option(help: "The topic (without prefix).")
    var topic: String = "orders"

    @Option(help: "Print this many messages.")
    var print: Int = 10

    func run() throws {
        let name = kafka.topicPrefix + topic
        var config = KafkaConsumerConfiguration(client: kafka.client(), groupID: "skucast-consume-\(getpid())")
        config.reportEndOfPartition = true
        let consumer = try KafkaConsumer(configuration: config, logger: kafka.logger("skucast.consume"))
        guard let metadata = try consumer.metadata(topics: [name], timeout: .seconds(10)).topic(name) else {
            throw ValidationError("no topic \(name)")
        }
        let partitions = metadata.partitions.map { KafkaTopicPartition(topic: name, partition: $0.id) }
        // Assigned, not subscribed: reading never joins a group or moves committed offsets.
        try consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset.beginning) }))
        var remaining = Set(partitions)
        var counts: [Int32: Int] = [:]
        var printed = 0
        var idle = 0
        while !remaining.isEmpty {
            let batch = try consumer.poll(timeout: .milliseconds(500))
            for m in batch {
                counts[m.partition, default: 0] += 1
                if printed < print {
                    printed += 1
                    let value = m.value.map { String(decoding: $0, as: UTF8.self) } ?? "null"
                    Swift.print("\(m.topicPartition)@\(m.offset) key=\(m.keyString ?? "null") \(value)")
                }
            }
            remaining.subtract(batch.reachedEnd)
            idle = batch.isEmpty && batch.reachedEnd.isEmpty ? idle + 1 : 0
            if idle > 20 {
                throw ValidationError("no progress for 10 s; partitions not at their end: \(remaining.sorted())")
            }
        }
        let total = counts.values.reduce(0, +)
        Swift.print(
            "read \(total) messages from \(name): "
                + partitions.map { "[\($0.partition)] \(counts[$0.partition, default: 0])" }.joined(separator: " ")
        )
        try consumer.close()
    }
}
