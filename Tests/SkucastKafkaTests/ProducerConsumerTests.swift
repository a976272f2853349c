import Foundation
import SkucastEngine
import SkucastKafka
import SkucastKafkaTesting
import Synchronization
import Testing

/// The partition Kafka's Java default partitioner picks for a key, as skucast's backtests
/// compute it (``Murmur2Partitioner`` is checked against the Java client's test vectors).
func javaPartition(_ key: String, partitions: Int) -> Int32 {
    Int32(Murmur2Partitioner.partition(of: Array(key.utf8), partitions: partitions))
}

@Suite("Producer and consumer")
struct ProducerConsumerTests {
    @Test(
        "Keys, values, headers and timestamps survive a round trip; keys land on Java's partitions, as backtests assume"
    )
    func roundTrip() async throws {
        let broker = try testBroker()
        let topic = try broker.topic("roundtrip", partitions: 3)
        let producer = try broker.producer()
        let base: Int64 = 1_291_193_160_000  // 2010-12-01 08:46 UTC
        var sent: [String: (partition: Int32, offset: Int64)] = [:]
        for i in 0..<30 {
            let report = try await producer.sendAndWait(
                KafkaProducerMessage(
                    topic: topic,
                    key: "sku-\(i)",
                    value: Array("payload-\(i)".utf8),
                    headers: [
                        KafkaHeader(name: "seq", string: "\(i)"), KafkaHeader(name: "empty", value: nil),
                        KafkaHeader(name: "seq", string: "last-\(i)"),
                    ],
                    timestamp: base + Int64(i) * 1000
                )
            )
            #expect(report.error == nil)
            #expect(report.topicPartition.partition == javaPartition("sku-\(i)", partitions: 3), "key sku-\(i)")
            sent["sku-\(i)"] = (report.topicPartition.partition, report.offset!)
        }
        let consumer = try broker.consumer(group: unique("roundtrip"))
        try consumer.subscribe(topics: [topic])
        let received = try pollUntil(consumer) { $0.count >= 30 }
        try consumer.close()

        #expect(received.count == 30)
        var lastOffset: [Int32: Int64] = [:]
        for m in received {
            let key = try #require(m.keyString)
            let i = try #require(Int(key.dropFirst(4)))
            #expect(m.topic == topic)
            #expect(m.value == Array("payload-\(i)".utf8))
            #expect(
                m.headers == [
                    KafkaHeader(name: "seq", string: "\(i)"), KafkaHeader(name: "empty", value: nil),
                    KafkaHeader(name: "seq", string: "last-\(i)"),
                ]
            )
            #expect(m.header("seq") == Array("last-\(i)".utf8))
            #expect(m.header("missing") == nil)
            #expect(m.timestamp?.milliseconds == base + Int64(i) * 1000)
            #expect(m.timestamp?.kind == .createTime)
            #expect(m.partition == sent[key]?.partition)
            #expect(m.offset == sent[key]?.offset)
            #expect(m.offset > lastOffset[m.partition, default: -1], "offsets rise within a partition")
            lastOffset[m.partition] = m.offset
            m.withUnsafeValue { bytes in #expect(bytes?.count == "payload-\(i)".utf8.count) }
        }
    }

    @Test("Every message sent gets one delivery report through the callback")
    func deliveryReports() throws {
        let broker = try testBroker()
        let topic = try broker.topic("reports", partitions: 2)
        let reports = Mutex<[KafkaDeliveryReport]>([])
        let producer = try broker.producer { report in reports.withLock { $0.append(report) } }
        var ids: Set<UInt64> = []
        for i in 0..<500 {
            ids.insert(
                try producer.send(
                    KafkaProducerMessage(
                        topic: topic,
                        key: "k\(i % 17)",
                        value: Array(repeating: UInt8(i % 251), count: 150)
                    )
                )
            )
        }
        try producer.flush(timeout: .seconds(10))
        #expect(producer.outstanding == 0)
        let all = reports.withLock { $0 }
        #expect(all.count == 500)
        #expect(Set(all.map(\.id)) == ids)
        #expect(all.allSatisfy { $0.error == nil })
        // Offsets per partition are exactly 0..<n: nothing lost, nothing duplicated.
        for partition in Set(all.map(\.topicPartition)) {
            let offsets = all.filter { $0.topicPartition == partition }.compactMap(\.offset).sorted()
            #expect(offsets == Array(0..<Int64(offsets.count)))
        }
    }

    @Test("A message that cannot be delivered is reported failed, not dropped")
    func deliveryFailure() async throws {
        let broker = try DevBroker(useRunningBroker: false)
        let topic = try broker.topic("doomed", partitions: 1)
        let reports = Mutex<[KafkaDeliveryReport]>([])
        var config = KafkaProducerConfiguration(client: broker.clientConfiguration())
        config.deliveryTimeout = .milliseconds(1500)
        let producer = try KafkaProducer(configuration: config, logger: testLogger("producer")) { r in
            reports.withLock { $0.append(r) }
        }
        _ = try await producer.sendAndWait(KafkaProducerMessage(topic: topic, key: "a", value: [1]))
        broker.stop()
        let id = try producer.send(KafkaProducerMessage(topic: topic, key: "b", value: [2]))
        await #expect(throws: KafkaError.self) {
            _ = try await producer.sendAndWait(KafkaProducerMessage(topic: topic, key: "c", value: [3]))
        }
        try? producer.flush(timeout: .seconds(10))
        let failed = reports.withLock { $0 }
        #expect(failed.count == 1)
        #expect(failed.first?.id == id)
        #expect(failed.first?.offset == nil)
        #expect(failed.first?.error?.code == .messageTimedOut)
    }

    @Test("A message over the size limit is refused when sent, with librdkafka's reason")
    func oversizeMessage() throws {
        let broker = try testBroker()
        let topic = try broker.topic("oversize", partitions: 1)
        var config = KafkaProducerConfiguration(client: broker.clientConfiguration())
        config.client.properties["message.max.bytes"] = "2000"
        let producer = try KafkaProducer(configuration: config, logger: testLogger())
        let error = #expect(throws: KafkaError.self) {
            try producer.send(KafkaProducerMessage(topic: topic, key: "k", value: Array(repeating: 0, count: 5000)))
        }
        #expect(error?.code == KafkaErrorCode(rawValue: 10))  // MSG_SIZE_TOO_LARGE
        #expect(error?.description.contains("produce to \(topic)") == true)
    }

    @Test("seek, pause and resume move and hold a partition's position")
    func seekPauseResume() async throws {
        let broker = try testBroker()
        let topic = try broker.topic("seek", partitions: 1)
        let producer = try broker.producer()
        for i in 0..<10 { try producer.send(KafkaProducerMessage(topic: topic, key: "k", value: [UInt8(i)])) }
        try producer.flush(timeout: .seconds(5))

        let consumer = try broker.consumer(group: unique("seek"))
        let tp = KafkaTopicPartition(topic: topic, partition: 0)
        try consumer.assign([tp: .beginning])
        let first = try pollUntil(consumer) { $0.count >= 10 }
        #expect(first.map(\.offset) == Array(0..<10))
        #expect(consumer.cachedWatermarks(tp)?.high == 10)
        #expect(try consumer.position([tp])[tp] == 10)

        try consumer.seek([tp: .offset(3)], timeout: .seconds(5))
        let again = try pollUntil(consumer) { $0.count >= 7 }
        #expect(again.map(\.offset) == Array(3..<10))

        try consumer.pause([tp])
        for i in 10..<15 { try producer.send(KafkaProducerMessage(topic: topic, key: "k", value: [UInt8(i)])) }
        try producer.flush(timeout: .seconds(5))
        let whilePaused = try pollUntil(consumer, deadline: .milliseconds(1500)) { !$0.isEmpty }
        #expect(whilePaused.isEmpty)
        try consumer.resume([tp])
        let resumed = try pollUntil(consumer) { $0.count >= 5 }
        #expect(resumed.map(\.offset) == Array(10..<15))
        try consumer.close()
    }
}
