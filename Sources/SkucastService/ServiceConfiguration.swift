import SkucastEngine
import SkucastEvents
import SkucastKafka
import SkucastPipeline

/// How the service runs.
public struct ServiceConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    public var groupID = "skucast"
    public var topics = ServiceTopics()
    public var engine = EngineConfiguration()
    /// Snapshot every partition after this many events processed…
    public var checkpointEvents = 200_000
    /// …or this long after the last snapshot, whichever comes first.
    public var checkpointInterval: Duration = .seconds(30)
    /// See ``PartitionProcessor/forecastActiveBuckets``.
    public var forecastActiveBuckets = 28
    /// See ``PublishOnChange``; nil publishes at every close.
    public var publishOnChange: PublishOnChange?
    /// A caught-up partition of a live feed closes a bucket once the wall clock passes its
    /// end plus the allowed lateness plus this grace, input or not (see
    /// ``PartitionProcessor/punctuate(at:grace:into:)``).
    public var closeGrace: Duration = .seconds(60)
    /// The longest an input message waits in its partition's merge for the other input
    /// topic to be fetched to the high watermark the broker reported (Kafka Streams'
    /// `max.task.idle.ms`, bounded the other way). Nil waits as long as it takes, so a
    /// replay interleaves orders and stock counts exactly as the live run did; a bound caps
    /// an alert's wait for a slow fetch, and a message released by it is counted
    /// (`skucast_inputs_released_unmerged_total`): a replay may order it differently
    /// against a stock count of the same moment.
    public var maxHold: Duration?
    /// `fetch.wait.max.ms` of the consumer: low, so a broker that answers an empty fetch
    /// only at this deadline delays an order by at most this much.
    public var fetchWait: Duration = .milliseconds(10)
    /// Runs the poll loop's thread (fetched input to outputs handed to the producer) under
    /// the real-time FIFO policy at this priority, 1…99 (Linux, with `CAP_SYS_NICE`;
    /// refused, it runs at the normal policy and says so in the log): on a host whose
    /// cores are shared, the alert is not left waiting for a time slice. Nil: the normal
    /// policy.
    public var realtimePriority: Int32?
    /// Threads that process the fetched input of different partitions side by side, the
    /// poll loop's among them, as Kafka Streams' `num.stream.threads` (but over one
    /// consumer): partitions share no state, so the outputs do not depend on it. 1 keeps
    /// everything on the poll loop's thread.
    public var processingThreads = 1
    /// With the Kafka store: keep warm copies of the partitions this instance would own if
    /// up to this many other members left (see ``StandbyPlacement``; `Int.max`: every
    /// partition it does not own). Nil keeps none.
    public var standbyReplicas: Int?
    /// `session.timeout.ms` of the group.
    public var sessionTimeout: Duration = .seconds(10)
    /// Stop (with a final checkpoint) once every assigned partition has been read to the
    /// high watermark its last fetch reported and nothing arrived for this long, or once it
    /// has been left without partitions for this long after having had some: for replays,
    /// tests and the demo. Nil runs until told to stop.
    public var stopWhenIdle: Duration?
    /// How forecast and alert values are encoded.
    public var outputEncoding: OutputEncoding = .json
    /// `compression.type` of the producer: how batches of outputs travel and are stored.
    public var compression = "zstd"
    /// `compression.level` of the producer; nil: 1 with zstd, which on forecast JSON
    /// compresses both faster and smaller than zstd's own default of 3, and the codec's
    /// own default otherwise (see ``producerCompressionLevel``).
    public var compressionLevel: Int?
    /// How long a final flush of outputs may take before the service gives up on it.
    public var flushTimeout: Duration = .seconds(60)
    public var version = "0.1.0"

    public init(client: KafkaClientConfiguration) {
        self.client = client
    }

    /// The `compression.level` the producer is given: ``compressionLevel``, or 1 when the
    /// codec librdkafka will use is zstd; nil leaves the codec's own default. Pass-through
    /// properties are applied after ``compression`` in name order, so of the two aliases
    /// `compression.type` wins over `compression.codec`, and either over ``compression``;
    /// a pass-through `compression.level` wins over this.
    var producerCompressionLevel: Int? {
        let p = client.properties
        let codec = p["compression.type"] ?? p["compression.codec"] ?? compression
        return compressionLevel ?? (codec.lowercased() == "zstd" ? 1 : nil)
    }
}

/// Why the service stopped with an error.
public struct ServiceError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
