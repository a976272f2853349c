import Foundation
import ServiceLifecycle
import Synchronization

extension ForecastService: Service {
    /// Runs the service under ServiceLifecycle until the input is consumed (with
    /// ``ServiceConfiguration/stopWhenIdle``) or the group shuts down gracefully: then it
    /// finishes the batch, checkpoints and leaves the group. The poll loop blocks in
    /// librdkafka, so it runs on a thread of its own (``PollThread``), not on the
    /// cooperative pool.
    /// - Throws: What ``run(shouldStop:)`` throws.
    public func run() async throws {
        let stop = StopRequest()
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await PollThread.run(realtimePriority: configuration.realtimePriority) { priority in
                    switch priority {
                    case .normal: break
                    case .realtime(let p):
                        self.logger.notice("poll loop under real-time priority", metadata: ["priority": "\(p)"])
                    case .refused(let p, let errno):
                        self.logger.warning(
                            "real-time priority refused: the poll loop runs at the normal policy",
                            metadata: ["priority": "\(p)", "error": "\(String(cString: strerror(errno)))"]
                        )
                    }
                    try self.run { stop.requested }
                }
            } onGracefulShutdown: {
                stop.request()
            }
        } onCancel: {
            stop.request()
        }
    }
}

/// A stop asked for from another thread, read by the poll loop between batches.
final class StopRequest: Sendable {
    private let flag = Atomic<Bool>(false)
    func request() { flag.store(true, ordering: .relaxed) }
    var requested: Bool { flag.load(ordering: .relaxed) }
}
