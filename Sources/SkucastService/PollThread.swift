import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The thread the poll loop runs on: its own, since the loop blocks in librdkafka, and
/// optionally under the real-time FIFO policy, so that on a host whose cores are busy
/// (a broker, other services) an order is not left waiting behind them for a time slice
/// between its fetch and its alert. Only this thread is raised: threads it starts (a
/// standby follower's consumer, librdkafka's threads of clients made on it, Dispatch
/// workers) start at the normal policy (`SCHED_RESET_ON_FORK`), so nothing else can starve
/// the host. Its own share of a rebalance (restoring snapshots) runs raised too.
enum PollThread {
    /// What became of a request for real-time priority.
    enum Priority: Equatable, Sendable {
        /// None was asked for.
        case normal
        /// The thread runs under `SCHED_FIFO` at this priority.
        case realtime(Int32)
        /// The system refused it (on Linux without `CAP_SYS_NICE` or an `RLIMIT_RTPRIO`
        /// that allows it: `EPERM`); the thread runs at the normal policy.
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
                let priority = realtimePriority.map(raisePriority) ?? .normal
                done.resume(with: Result { try body(priority) })
            }
            thread.name = "skucast.poll"
            thread.start()
        }
    }

    /// `SCHED_RESET_ON_FORK` of Linux's `sched.h` (defined there only for `_GNU_SOURCE`):
    /// threads the caller starts begin at the normal policy.
    static let resetOnFork: Int32 = 0x4000_0000

    /// Moves the calling thread to `SCHED_FIFO` at `priority`, its children not.
    static func raisePriority(to priority: Int32) -> Priority {
        #if os(Linux)
        var parameters = sched_param()
        parameters.sched_priority = priority
        // Zero is the calling thread: Linux schedules threads, not processes.
        let failed = sched_setscheduler(0, SCHED_FIFO | resetOnFork, &parameters) != 0
        return failed ? .refused(requested: priority, errno: errno) : .realtime(priority)
        #else
        return .refused(requested: priority, errno: ENOTSUP)
        #endif
    }

    /// The calling thread's scheduling policy (without the reset-on-fork flag) and
    /// priority.
    static func current() -> (policy: Int32, priority: Int32) {
        var parameters = sched_param()
        #if os(Linux)
        // The kernel's own view: glibc's pthread_getschedparam reports what it was told.
        sched_getparam(0, &parameters)
        return (sched_getscheduler(0) & ~resetOnFork, parameters.sched_priority)
        #else
        var policy: Int32 = 0
        pthread_getschedparam(pthread_self(), &policy, &parameters)
        return (policy, parameters.sched_priority)
        #endif
    }
}
