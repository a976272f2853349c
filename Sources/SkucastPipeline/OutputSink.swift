import SkucastEngine
import SkucastEvents

/// A forecast a processor made at a bucket close, as a sink receives it.
public struct EmittedForecast {
    /// The SKU: the key of the published message.
    public let sku: String
    /// The bucket that closed; the forecast starts at the next one.
    public let bucket: Int64
    /// The forecast, structured.
    public let message: ForecastMessage
    /// The restock levels at the SKU's lead time behind the message's lead-time demand:
    /// what the SKU's alerts act on until its next close.
    public let levels: ReorderLevels
    /// The demand of the bucket that closed, every unit.
    public let demand: Double
    /// The SKU's stock on hand at the close, when it has a stock count.
    public let stockOnHand: Double?
    /// Whether the forecast is published: false when its SKU has not sold recently and it
    /// reaches the sink only because the sink asked (``ForecastInterest``).
    public let isPublished: Bool
    /// The published value (the `forecasts` schema, in the sink's
    /// ``OutputSink/valueEncoding``), lent for the call; nil when the forecast is not
    /// published or the sink does not read published forecasts' values
    /// (``ForecastInterest/values``).
    public let value: UnsafeRawBufferPointer?
    /// Present when the sink asked for it (``ForecastInterest/detail``).
    public let detail: ForecastDetail?

    /// The forecast's origin, milliseconds: the published message's timestamp.
    public var timestamp: Int64 { message.origin.milliseconds }
}

/// What a sink reads of forecasts beyond the published ones. Computing either costs the
/// processor work at every bucket close, so a sink that publishes asks for neither.
public struct ForecastInterest: Sendable, Hashable {
    /// The forecasts published (false: a sink that reads only the detailed buckets').
    public var published: Bool
    /// The first closed bucket whose published forecasts the sink reads (nil: all): a
    /// sink that looks at a period spares the processor the forecasts before it.
    public var publishedFrom: Int64?
    /// Whether the sink reads published forecasts' bytes (``EmittedForecast/value``), or
    /// only the structured forecast: encoding them is most of a published forecast's cost.
    public var values: Bool
    /// Every SKU's forecast at every close, not only those published.
    public var unpublished: Bool
    /// Closed buckets whose forecasts carry a ``ForecastDetail``.
    public var detail: ClosedRange<Int64>?
    /// Lead times, in days, of the detail's restock levels.
    public var detailLeadTimes: [Double]

    public init(
        published: Bool = true,
        values: Bool = true,
        publishedFrom: Int64? = nil,
        unpublished: Bool = false,
        detail: ClosedRange<Int64>? = nil,
        detailLeadTimes: [Double] = []
    ) {
        self.published = published
        self.values = values
        self.publishedFrom = publishedFrom
        self.unpublished = unpublished
        self.detail = detail
        self.detailLeadTimes = detailLeadTimes
    }

    /// Published forecasts only, without detail.
    public static let published = ForecastInterest()
}

/// Where a processor's outputs go: the Kafka producer live, files or a scorer in a replay,
/// a list in tests. Every output is keyed by SKU.
public protocol OutputSink {
    /// What the sink reads beyond published forecasts.
    var forecastInterest: ForecastInterest { get }
    /// How the sink wants forecast and alert values encoded.
    var valueEncoding: OutputEncoding { get }
    /// A forecast made at a bucket close.
    mutating func forecast(_ forecast: EmittedForecast) throws
    /// A change of a restock alert.
    /// - Parameters:
    ///   - sku: The key.
    ///   - value: The value (the `restock-alerts` schema, in ``valueEncoding``), lent for
    ///     the call.
    ///   - timestamp: The event time of the change, milliseconds.
    mutating func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws
    /// A rejected input, with its original bytes and why.
    mutating func deadLetter(_ message: InputMessage, rejection: Rejection) throws
}

extension OutputSink {
    public var forecastInterest: ForecastInterest { .published }
    public var valueEncoding: OutputEncoding { .json }
}

/// The input topics of one engine partition, in the order snapshots list their offsets.
public enum InputTopic: Int, Sendable, Hashable, CaseIterable {
    case orders = 0
    case inventory = 1
}

/// One input message, as the processor sees it: bytes lent for the call.
public struct InputMessage {
    public var topic: InputTopic
    public var topicName: String
    public var partition: Int32
    public var offset: Int64
    public var key: UnsafeRawBufferPointer?
    public var value: UnsafeRawBufferPointer?
    /// The message timestamp, milliseconds.
    public var timestamp: Int64?

    public init(
        topic: InputTopic,
        topicName: String,
        partition: Int32,
        offset: Int64,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?,
        timestamp: Int64?
    ) {
        self.topic = topic
        self.topicName = topicName
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestamp = timestamp
    }
}
