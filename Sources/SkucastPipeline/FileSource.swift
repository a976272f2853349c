import SkucastEngine
import SkucastEvents

/// Input read from files, as the messages a producer would have written to the input
/// topics: keyed by SKU, partitioned with Kafka's murmur2 partitioner, offsets counted per
/// partition from 0, event time as the timestamp. A replay of these drives the processors
/// as a live run on topics loaded from the same file (`skucast load`) does.
public struct FileSource: Sendable {
    /// The messages of both topics, in file order.
    public private(set) var messages: [(message: RecordedMessage, topic: InputTopic)] = []
    /// Rows that could not become an event at all (a CSV row with a broken field), with
    /// why. JSON lines never land here: a bad line is a message, and goes to dead letters.
    public private(set) var unreadable: [String] = []
    /// Whether any message is an inventory one.
    public private(set) var hasInventory = false
    let partitions: Int
    let topicNames: [String]
    var nextOffset: [[Int64]]
    var buffer: [UInt8] = []

    /// - Parameters:
    ///   - partitions: The input topics' partition count.
    ///   - topicNames: The input topics' names in ``InputTopic`` order (alerts name their cause's).
    public init(partitions: Int, topicNames: [String]) {
        self.partitions = max(1, partitions)
        self.topicNames = topicNames
        nextOffset = InputTopic.allCases.map { _ in [Int64](repeating: 0, count: max(1, partitions)) }
    }

    /// Adds the orders of an Online Retail CSV (either UCI header).
    /// - Parameters:
    ///   - bytes: The file.
    ///   - syntheticInventory: Also add the made-up stock counts `skucast load --inventory
    ///     synthetic` publishes, before the order they precede.
    ///   - limit: Read only this many rows.
    /// - Throws: ``OnlineRetailCSVError`` when the header is not one of the data set's.
    public mutating func addOnlineRetail(
        _ bytes: [UInt8],
        syntheticInventory: Bool = false,
        limit: Int? = nil
    ) throws(OnlineRetailCSVError) {
        var reader = try OnlineRetailOrderReader(bytes)
        var simulation = syntheticInventory ? SyntheticInventory() : nil
        var rows = 0
        while limit.map({ rows < $0 }) ?? true, let row = reader.next() {
            rows += 1
            switch row {
            case .failure(let error):
                unreadable.append("\(error)")
            case .success(let event):
                for count in simulation?.counts(before: event) ?? [] {
                    count.encodeJSON(into: &buffer)
                    add(buffer, .inventory, sku: count.sku, timestamp: count.eventTime.milliseconds)
                }
                event.encodeJSON(into: &buffer)
                add(buffer, .orders, sku: event.sku, timestamp: event.eventTime.milliseconds)
            }
        }
    }

    /// Adds JSON lines, each one value of a topic (as in `Topics/orders/examples`). A line
    /// that does not decode is kept as a message without key on partition 0, so the
    /// replay sends it to dead letters with its reason, as a live run would.
    public mutating func addJSONLines(_ bytes: [UInt8], topic: InputTopic) {
        let orders = OrderEventDecoder()
        let inventory = InventoryEventDecoder()
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            var line = Array(bytes[start..<end])
            start = end + 1
            if line.last == 0x0D { line.removeLast() }
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
            let decoded: (sku: String, time: Int64)? = line.withUnsafeBytes { raw in
                switch topic {
                case .orders: (try? orders.decode(raw).get()).map { ($0.sku, $0.eventTime.milliseconds) }
                case .inventory: (try? inventory.decode(raw).get()).map { ($0.sku, $0.eventTime.milliseconds) }
                }
            }
            if let decoded {
                add(line, topic, sku: decoded.sku, timestamp: decoded.time)
            } else {
                add(line, topic, key: nil, partition: 0, timestamp: nil)
            }
        }
    }

    private mutating func add(_ value: [UInt8], _ topic: InputTopic, sku: String, timestamp: Int64) {
        let key = Array(sku.utf8)
        add(
            value,
            topic,
            key: key,
            partition: Murmur2Partitioner.partition(of: key, partitions: partitions),
            timestamp: timestamp
        )
    }

    private mutating func add(_ value: [UInt8], _ topic: InputTopic, key: [UInt8]?, partition: Int, timestamp: Int64?) {
        let offset = nextOffset[topic.rawValue][partition]
        nextOffset[topic.rawValue][partition] += 1
        if topic == .inventory { hasInventory = true }
        messages.append(
            (
                RecordedMessage(
                    topic: topicNames[topic.rawValue],
                    partition: Int32(partition),
                    offset: offset,
                    timestamp: timestamp,
                    key: key,
                    value: value
                ), topic
            )
        )
    }
}
