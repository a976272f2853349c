import Logging
import SkucastKafka
import SkucastPipeline

/// Reads the input topics for a replay: every partition of `orders` and `inventory` from
/// its beginning to its end by direct assignment, so a replay never joins a consumer group
/// or moves its offsets. Messages can be kept to those whose timestamp lies in a range:
/// the dev broker's time lookups ignore timestamps, and reading everything is exact on
/// every broker.
public struct TopicReplay {
    /// The input topics' names in ``InputTopic`` order; a topic that does not exist is
    /// read as empty (an older deployment without `inventory`).
    public let topics: [String]
    /// Only messages whose timestamp is at or after the lower bound and before the upper.
    public var timestamps: Range<Int64> = .min ..< .max

    public init(topics: [String]) { self.topics = topics }

    /// What a read found.
    public struct Input {
        /// Per topic, in ``InputTopic`` order, the messages in each partition's offset
        /// order, partitions one after another.
        public var messages: [[KafkaMessage]]
        /// The input partitions (the orders topic's).
        public var partitions: [Int32]
        /// Messages left out by ``TopicReplay/timestamps``.
        public var outside: Int
    }

    /// Reads every partition to its end.
    /// - Parameters:
    ///   - client: The cluster.
    ///   - logger: librdkafka's logs.
    ///   - stallTimeout: Give up when no message and no end arrives for this long.
    /// - Throws: ``ServiceError`` when the orders topic does not exist or a read stalls.
    public func read(
        client: KafkaClientConfiguration,
        logger: Logger,
        stallTimeout: Duration = .seconds(30)
    ) throws -> Input {
        var config = KafkaConsumerConfiguration(client: client, groupID: "skucast-replay-unused")
        config.reportEndOfPartition = true
        let consumer = try KafkaConsumer(configuration: config, logger: logger)
        let metadata = try consumer.metadata(topics: topics, timeout: .seconds(10))
        guard let orders = metadata.topic(topics[InputTopic.orders.rawValue]), !orders.partitions.isEmpty else {
            throw ServiceError("no topic \(topics[InputTopic.orders.rawValue])")
        }
        var assigned: [KafkaTopicPartition] = []
        for name in topics {
            guard let topic = metadata.topic(name) else { continue }
            assigned += topic.partitions.map { KafkaTopicPartition(topic: name, partition: $0.id) }
        }
        try consumer.assign(Dictionary(uniqueKeysWithValues: assigned.map { ($0, KafkaOffset.beginning) }))
        var byPartition = topics.map { _ in [Int32: [KafkaMessage]]() }
        var remaining = Set(assigned)
        var outside = 0
        var lastProgress = ContinuousClock.now
        while !remaining.isEmpty {
            let batch = try consumer.poll(maxMessages: 8192, timeout: .milliseconds(200))
            for m in batch {
                guard let t = topics.firstIndex(of: m.topic) else { continue }
                guard let ts = m.timestamp?.milliseconds, timestamps.contains(ts) else {
                    outside += 1
                    continue
                }
                byPartition[t][m.partition, default: []].append(m)
            }
            remaining.subtract(batch.reachedEnd)
            if !batch.isEmpty || !batch.reachedEnd.isEmpty {
                lastProgress = .now
            } else if ContinuousClock.now - lastProgress > stallTimeout {
                throw ServiceError(
                    "no progress for \(stallTimeout); partitions not read to their end: \(remaining.map { "\($0.topic)/\($0.partition)" }.sorted())"
                )
            }
        }
        try consumer.close()
        let partitions = orders.partitions.map(\.id).sorted()
        return Input(
            messages: byPartition.map { topic in topic.keys.sorted().flatMap { topic[$0]! } },
            partitions: partitions,
            outside: outside
        )
    }
}
