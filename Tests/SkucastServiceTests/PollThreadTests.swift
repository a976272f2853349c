import Glibc
import SkucastTestSupport
import Testing

@testable import SkucastService

@Suite("The poll loop's thread")
struct PollThreadTests {
    struct Failure: Error, Equatable {}

    @Test("without a priority: a thread of its own at the normal policy, its result returned")
    func normal() async throws {
        let caller = pthread_self()
        let seen = try await PollThread.run(realtimePriority: nil) { priority in
            (priority, PollThread.current().policy, pthread_equal(pthread_self(), caller) != 0)
        }
        #expect(seen.0 == .normal)
        #expect(seen.1 == SCHED_OTHER)
        #expect(!seen.2)
    }

    @Test("a real-time priority is applied to that thread, not to threads it starts; or refused and said so")
    func realtime() async throws {
        let seen = try await PollThread.run(realtimePriority: 7) { priority in
            // A thread started from the poll loop's, as a standby follower's is.
            let child = onNewThread { PollThread.current().policy }
            return (priority, PollThread.current(), child)
        }
        #expect(seen.2 == SCHED_OTHER)
        switch seen.0 {
        case .realtime(let p):
            // Where raising is allowed, the child's policy above is the check that matters.
            #expect(p == 7)
            #expect(seen.1.policy == SCHED_FIFO && seen.1.priority == 7)
        case .refused(let p, let errno):
            // Without CAP_SYS_NICE (an unprivileged container): the normal policy remains.
            #expect(p == 7 && errno == EPERM)
            #expect(seen.1.policy == SCHED_OTHER)
        case .normal:
            Issue.record("a priority was asked for")
        }
    }

    @Test("an error thrown on the thread reaches the caller")
    func throwing() async {
        await #expect(throws: Failure()) {
            try await PollThread.run(realtimePriority: nil) { _ -> Int in throw Failure() }
        }
    }
}
