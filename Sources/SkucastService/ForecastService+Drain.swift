import Dispatch
import SkucastEvents
import SkucastPipeline
import Synchronization

extension ForecastService {
    /// Processes the fetched input of `partitions`, each in its merge's deterministic order
    /// (see ``InputMerge``: a topic with nothing fetched holds the other back until it is
    /// read to the high watermark of its last fetch), up to
    /// ``ServiceConfiguration/processingThreads`` partitions at a time, the poll loop's
    /// thread one of the threads.
    ///
    /// Partitions share no state: each has its own processor, merge and copy of the sink,
    /// and the producer takes messages from any thread. A partition's outputs are made in
    /// the same order on any number of threads, so a key's messages (a SKU lives in one
    /// partition) reach the producer in the same order; only outputs of different
    /// partitions interleave differently. Everything is joined before the loop goes on to
    /// checkpoints and rebalances, which therefore see every partition at rest.
    func drain(_ partitions: [Int32]) throws {
        // Moved out of their dictionaries, so popping does not copy the queue.
        var lanes = partitions.filter { processors[$0] != nil && (merges[$0]?.count ?? 0) > 0 }.map { p in
            DrainLane(
                partition: p,
                processor: processors.removeValue(forKey: p)!,
                merge: merges.removeValue(forKey: p)!,
                sink: sink
            )
        }
        let threads = min(configuration.processingThreads, lanes.count)
        let nextLane = Atomic<Int>(0)
        // Set by a lane that fails: lanes not started yet are left as they are.
        let failed = Atomic<Bool>(false)
        lanes.withUnsafeMutableBufferPointer { buffer in
            let shared = LaneBuffer(lanes: buffer)
            let (clock, maxHold) = (clock, configuration.maxHold)
            // Each thread takes the next lane not taken: a partition with a long backlog
            // does not hold back the others'.
            let work: @Sendable (Int) -> Void = { _ in
                while !failed.load(ordering: .relaxed),
                    case let i = nextLane.add(1, ordering: .relaxed).oldValue, i < shared.lanes.count
                {
                    // Read when the lane starts: a lane that waited for a thread holds
                    // nothing back longer than --max-hold-ms.
                    let now = clock.now
                    shared.lanes[i].drain(
                        wallClock: Self.wallClock(),
                        caughtUp: { p, topic, next in self.caughtUp(p, topic, next: next) },
                        holdExpired: { m in maxHold.map { now - m.fetchedAt >= $0 } ?? false }
                    )
                    if shared.lanes[i].failure != nil { failed.store(true, ordering: .relaxed) }
                }
            }
            if threads > 1 {
                DispatchQueue.concurrentPerform(iterations: threads, execute: work)
            } else {
                work(0)
            }
        }
        if threads > 1 { sideBySidePolls += 1 }
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

/// One partition's share of a ``ForecastService/drain(_:)``: what it owns while it runs.
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

/// The lanes of a drain, lent to its threads: each lane is taken by exactly
/// one thread, and the buffer outlives them (``DispatchQueue/concurrentPerform`` returns
/// only when every thread is done).
struct LaneBuffer: @unchecked Sendable {
    let lanes: UnsafeMutableBufferPointer<DrainLane>
}
