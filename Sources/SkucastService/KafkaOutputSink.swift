import CoreMetrics
import SkucastEvents
import SkucastKafka
import SkucastPipeline
import Synchronization

/// Names of the topics the service reads and writes, prefix applied.
public struct ServiceTopics: Sendable, Hashable {
    public var orders: String
    public var inventory: String
    public var forecasts: String
    public var alerts: String
    public var deadLetter: String
    /// Partition snapshots, with ``KafkaSnapshotStore``.
    public var state: String

    /// - Parameter prefix: Put before every name (e.g. `staging.`).
    public init(prefix: String = "") {
        orders = prefix + "orders"
        inventory = prefix + "inventory"
        forecasts = prefix + "forecasts"
        alerts = prefix + "restock-alerts"
        deadLetter = prefix + "dead-letter"
        state = prefix + "state"
    }

    /// The input topics in ``InputTopic`` order.
    public var inputs: [String] { [orders, inventory] }
}

/// Delivery outcomes of everything the service produced, counted on librdkafka's
/// background thread.
public final class DeliveryLedger: Sendable {
    private let failures = Atomic<Int>(0)
    private let delivered = Atomic<Int>(0)
    private let firstFailure = Mutex<KafkaError?>(nil)

    public init() {}

    /// Records one delivery report.
    public func record(_ report: KafkaDeliveryReport) {
        if let error = report.error {
            failures.add(1, ordering: .relaxed)
            firstFailure.withLock { if $0 == nil { $0 = error } }
        } else {
            delivered.add(1, ordering: .relaxed)
        }
    }

    public var failureCount: Int { failures.load(ordering: .relaxed) }
    public var deliveredCount: Int { delivered.load(ordering: .relaxed) }
    public var firstError: KafkaError? { firstFailure.withLock { $0 } }
}

/// Produces a processor's outputs: forecasts and alerts keyed by SKU, rejected input to the
/// dead-letter topic with its original bytes and the reason in headers.
public struct KafkaOutputSink: OutputSink {
    let producer: KafkaProducer
    let topics: ServiceTopics
    /// Written into the dead-letter headers.
    let version: String
    public let valueEncoding: OutputEncoding
    /// The `content-type` header of forecasts and alerts: a consumer tells the encodings
    /// apart without knowing how the service was started.
    let forecastType: [KafkaHeader]
    let alertType: [KafkaHeader]
    /// When the message being processed was fetched (nil between messages): an alert
    /// handed to the producer records its latency from then in ``alertLatency``.
    var fetchedAt: ContinuousClock.Instant?
    var alertLatency: Timer?

    public init(producer: KafkaProducer, topics: ServiceTopics, version: String, encoding: OutputEncoding) {
        self.producer = producer
        self.topics = topics
        self.version = version
        self.valueEncoding = encoding
        forecastType = [KafkaHeader(name: "content-type", string: encoding.contentType(message: "Forecast"))]
        alertType = [KafkaHeader(name: "content-type", string: encoding.contentType(message: "RestockAlert"))]
    }

    public mutating func forecast(_ forecast: EmittedForecast) throws {
        guard let value = forecast.value else { return }
        try send(topics.forecasts, forecast.sku, value, forecastType, forecast.timestamp)
    }

    public mutating func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws {
        try send(topics.alerts, sku, value, alertType, timestamp)
        if let fetchedAt, let alertLatency {
            alertLatency.recordNanoseconds((ContinuousClock.now - fetchedAt).nanoseconds)
        }
    }

    private func send(
        _ topic: String,
        _ sku: String,
        _ value: UnsafeRawBufferPointer,
        _ headers: [KafkaHeader],
        _ timestamp: Int64
    ) throws {
        _ = try producer.send(topic: topic, key: sku, value: value, headers: headers, timestamp: timestamp)
    }

    public mutating func deadLetter(_ message: InputMessage, rejection: Rejection) throws {
        let headers = [
            KafkaHeader(name: "skucast.dlq.reason", string: rejection.reason.rawValue),
            KafkaHeader(name: "skucast.dlq.detail", string: String(rejection.detail.prefix(1024))),
            KafkaHeader(name: "skucast.dlq.source.topic", string: message.topicName),
            KafkaHeader(name: "skucast.dlq.source.partition", string: String(message.partition)),
            KafkaHeader(name: "skucast.dlq.source.offset", string: String(message.offset)),
            KafkaHeader(name: "skucast.dlq.version", string: version),
        ]
        _ = try producer.send(
            topic: topics.deadLetter,
            key: message.key,
            value: message.value,
            headers: headers,
            timestamp: message.timestamp
        )
    }
}

extension KafkaMessage: SourceMessage {
    public var timestampMilliseconds: Int64? { timestamp?.milliseconds }
}

/// A consumed message with the time the poll that fetched it returned: a message the
/// merge holds back across polls keeps its own time, so the latency histogram counts the
/// wait.
struct FetchedMessage: SourceMessage {
    let message: KafkaMessage
    let fetchedAt: ContinuousClock.Instant

    var topic: String { message.topic }
    var partition: Int32 { message.partition }
    var offset: Int64 { message.offset }
    var timestampMilliseconds: Int64? { message.timestampMilliseconds }
    func withUnsafeKey<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        try message.withUnsafeKey(body)
    }
    func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        try message.withUnsafeValue(body)
    }
}
