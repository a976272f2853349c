import SkucastPipeline
import Synchronization

/// What the service has done so far: events, rejections, outputs, checkpoints.
public struct ServiceStatus: Sendable {
    public var counts = ProcessorCounts()
    public var partitions: [Int32] = []
    public var checkpoints = 0
    public var lastCheckpointSeconds = 0.0
    public var lastSnapshotBytes = 0
    public var restoredFrom: [Int32: String] = [:]
    /// Partitions taken over during the run: from a snapshot, or from the earliest offset.
    public var restores = (fromSnapshot: 0, fromEarliest: 0)
    /// Input messages behind the high watermark, over all assigned partitions.
    public var lag: Int64 = 0
    /// Partitions assigned, restored and read up to their high watermark once.
    public var ready = false
    /// When the poll loop last came round: a loop stuck for long is unhealthy.
    public var lastLoop = ContinuousClock.now
    /// Open restock alerts and the rolling forecast error (WAPE), at most a second old.
    public var openAlerts = 0
    public var forecastError: Double?
    /// Wall time from the first input message fetched to the last one processed.
    public var busySeconds = 0.0
    /// Polls whose input was processed on more than one thread (see
    /// ``ServiceConfiguration/processingThreads``).
    public var sideBySidePolls = 0
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }

    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }

    var secondsValue: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

/// The service's latest ``ServiceStatus``, shared with other threads.
public final class StatusBoard: Sendable {
    private let box = Mutex(ServiceStatus())

    public init() {}

    public var current: ServiceStatus { box.withLock { $0 } }

    func publish(_ status: ServiceStatus) { box.withLock { $0 = status } }
}
