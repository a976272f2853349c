import CRDKafka

/// One partition of one topic.
public struct KafkaTopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// Where to read in a partition: an absolute offset or one of Kafka's logical ones.
public enum KafkaOffset: Hashable, Sendable {
    /// The offset of a message: the next one read is that message.
    case offset(Int64)
    /// The first message still retained.
    case beginning
    /// After the last message (see the dev broker's quirks in `Deploy/README.md`).
    case end
    /// The group's committed offset, else `auto.offset.reset`.
    case stored

    var rawValue: Int64 {
        switch self {
        case .offset(let o): o
        case .beginning: Int64(RD_KAFKA_OFFSET_BEGINNING)
        case .end: Int64(RD_KAFKA_OFFSET_END)
        case .stored: Int64(RD_KAFKA_OFFSET_STORED)
        }
    }
}

/// An owned `rd_kafka_topic_partition_list_t`, destroyed with this value's owner.
struct PartitionList: ~Copyable {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int) {
        pointer = rd_kafka_topic_partition_list_new(Int32(max(capacity, 1)))
    }

    init(_ partitions: some Sequence<KafkaTopicPartition>, offsets: [KafkaTopicPartition: Int64] = [:]) {
        let all = Array(partitions)
        self.init(capacity: all.count)
        for tp in all {
            let element = rd_kafka_topic_partition_list_add(pointer, tp.topic, tp.partition)!
            if let offset = offsets[tp] { element.pointee.offset = offset }
        }
    }

    init(offsets: [KafkaTopicPartition: Int64]) {
        self.init(offsets.keys.sorted(), offsets: offsets)
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    static func partitions(of list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaTopicPartition] {
        elements(of: list).map { KafkaTopicPartition(topic: String(cString: $0.topic), partition: $0.partition) }
    }

    static func elements(
        of list: UnsafePointer<rd_kafka_topic_partition_list_t>?
    ) -> UnsafeBufferPointer<rd_kafka_topic_partition_t> {
        guard let list, list.pointee.cnt > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
    }

    /// The first per-partition error of a list that a request filled in.
    func firstError(operation: String) -> KafkaError? {
        for element in Self.elements(of: pointer) where element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            return KafkaError(
                element.err,
                operation: operation,
                detail: "\(String(cString: element.topic))[\(element.partition)]"
            )
        }
        return nil
    }
}
