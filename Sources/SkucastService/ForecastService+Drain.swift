import Dispatch
import SkucastEvents
import SkucastPipeline
import Synchronization

extension ForecastService {
    /// Processes the fetched input of `partitions`: on the poll loop's thread alone, or,
    /// with ``ServiceConfiguration/processingThreads`` above one and more than one
    /// partition with input waiting, side by side (see ``drainSideBySide(_:)``).
    func drain(_ partitions: [Int32]) throws {
        let waiting = partitions.filter { processors[$0] != nil && (merges[$0]?.count ?? 0) > 0 }
        guard configuration.processingThreads > 1, waiting.count > 1 else {
            for p in partitions { try drain(p) }
            return
        }
        try drainSideBySide(waiting)
    }

    /// Processes each partition's input as ``drain(_:)-(Int32)`` does, up to
    /// ``ServiceConfiguration/processingThreads`` partitions at a time, the poll loop's
    /// thread one of the threads.
    ///
    /// Partitions share no state: each has its own processor, merge and copy of the sink,
    /// and the producer takes messages from any thread. A partition's outputs are made in
    /// the same order as on one thread, so a key's messages (a SKU lives in one partition)
    /// reach the producer in the same order; only outputs of different partitions
    /// interleave differently. Everything is joined before the loop goes on to checkpoints
    /// and rebalances, which therefore see every partition at rest.
    func drainSideBySide(_ partitions: [Int32]) throws {
        var lanes = partitions.map { p in
            DrainLane(
                partition: p,
                processor: processors.removeValue(forKey: p)!,
                merge: merges.removeValue(forKey: p)!,
                sink: sink
            )
        }
        let (clock, maxHold) = (clock, configuration.maxHold)
        let threads = min(configuration.processingThreads, lanes.count)
        let nextLane = Atomic<Int>(0)
        // Set by a lane that fails: lanes not started yet are left as they are, as the
        // loop on one thread stops at its first failure.
        let failed = Atomic<Bool>(false)
        sideBySidePolls += 1
        lanes.withUnsafeMutableBufferPointer { buffer in
            let shared = LaneBuffer(lanes: buffer)
            // Each thread takes the next lane not taken: a partition with a long backlog
            // does not hold back the others'.
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                while !failed.load(ordering: .relaxed),
                    case let i = nextLane.add(1, ordering: .relaxed).oldValue, i < shared.lanes.count
                {
                    // Read when the lane starts, as the loop on one thread reads them per
                    // partition: a lane that waited for a thread holds nothing back longer.
                    let now = clock.now
                    shared.lanes[i].drain(
                        wallClock: Self.wallClock(),
                        caughtUp: { p, topic, next in self.caughtUp(p, topic, next: next) },
                        holdExpired: { m in maxHold.map { now - m.fetchedAt >= $0 } ?? false }
                    )
                    if shared.lanes[i].failure != nil { failed.store(true, ordering: .relaxed) }
                }
            }
        }
        var failure: (any Error)?
        for lane in lanes {
            processors[lane.partition] = lane.processor
            merges[lane.partition] = lane.merge
            releasedUnmerged += lane.released
            failure = failure ?? lane.failure
        }
        if let failure { throw failure }
    }
}

/// One partition's share of a side-by-side drain: what it owns while it runs.
struct DrainLane {
    let partition: Int32
    var processor: PartitionProcessor
    var merge: InputMerge<FetchedMessage>
    var sink: KafkaOutputSink
    /// Inputs released by the merge's hold bound.
    var released = 0
    var failure: (any Error)?

    mutating func drain(
        wallClock: EventTime,
        caughtUp: (Int32, InputTopic, Int64) -> Bool,
        holdExpired: (FetchedMessage) -> Bool
    ) {
        let p = partition
        processor.wallClock = wallClock
        var released = 0
        defer {
            self.released = released
            sink.fetchedAt = nil
        }
        do {
            try processor.drain(
                &merge,
                caughtUp: { caughtUp(p, $0, $1) },
                into: &sink,
                holdExpired: { m in
                    guard holdExpired(m) else { return false }
                    released += 1
                    return true
                },
                willProcess: { m, sink in sink.fetchedAt = m.fetchedAt }
            )
        } catch {
            failure = error
        }
    }
}

/// The lanes of a side-by-side drain, lent to its threads: each lane is taken by exactly
/// one thread, and the buffer outlives them (``DispatchQueue/concurrentPerform`` returns
/// only when every thread is done).
struct LaneBuffer: @unchecked Sendable {
    let lanes: UnsafeMutableBufferPointer<DrainLane>
}
