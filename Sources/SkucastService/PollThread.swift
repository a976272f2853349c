import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The thread the poll loop runs on: its own, since the loop blocks in librdkafka, and
/// optionally under the real-time FIFO policy, so that on a host whose cores are busy
/// (a broker, other services) an order is not left waiting behind them for a time slice
/// between its fetch and its alert. Only this thread is raised; librdkafka's own threads
/// (fetching, compressing, sending) keep the normal policy and cannot starve the host.
enum PollThread {
    /// What became of a request for real-time priority.
    enum Priority: Equatable, Sendable {
        /// None was asked for.
        case normal
        /// The thread runs under `SCHED_FIFO` at this priority.
        case realtime(Int32)
        /// The system refused it (on Linux without `CAP_SYS_NICE`, errno given); the
        /// thread runs at the normal policy.
        case refused(requested: Int32, errno: Int32)
    }

    /// Runs `body` on a new thread, raised to `realtimePriority` first if one is given,
    /// and returns what it returns once it ends.
    /// - Parameters:
    ///   - realtimePriority: A `SCHED_FIFO` priority, 1…99; nil for the normal policy.
    ///   - body: Runs on the new thread, told the priority it runs at.
    static func run<T: Sendable>(
        realtimePriority: Int32?,
        _ body: @escaping @Sendable (Priority) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                let priority = realtimePriority.map(raise) ?? .normal
                done.resume(with: Result { try body(priority) })
            }
            thread.name = "skucast.poll"
            thread.start()
        }
    }

    /// Moves the calling thread to `SCHED_FIFO` at `priority`.
    static func raise(to priority: Int32) -> Priority {
        #if os(Linux)
        var parameters = sched_param()
        parameters.sched_priority = priority
        let result = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
        return result == 0 ? .realtime(priority) : .refused(requested: priority, errno: result)
        #else
        return .refused(requested: priority, errno: ENOTSUP)
        #endif
    }

    /// The calling thread's scheduling policy and priority.
    static func current() -> (policy: Int32, priority: Int32) {
        var policy: Int32 = 0
        var parameters = sched_param()
        pthread_getschedparam(pthread_self(), &policy, &parameters)
        return (policy, parameters.sched_priority)
    }
}
