import SkucastEngine
import SkucastEvents
import Synchronization

/// A question about the running service's state, as Kafka Streams' interactive queries ask
/// a store.
public enum ServiceQuery: Sendable, Hashable {
    /// A SKU's latest forecast, stock position and open alert.
    case sku(String)
    /// Open alerts of the partitions owned here, the most severe first; optionally of one
    /// severity; a page of `limit` from `offset`.
    case alerts(severity: RestockSeverity?, offset: Int, limit: Int)
}

/// An answer: an HTTP status and a JSON body.
public struct QueryAnswer: Sendable, Hashable {
    public var status: Int
    public var json: [UInt8]

    public init(status: Int, json: [UInt8]) {
        self.status = status
        self.json = json
    }

    static func error(_ status: Int, _ message: String) -> QueryAnswer {
        var w = JSONWriter(buffer: [])
        w.beginObject()
        w.key("error")
        w.string(message)
        w.endObject()
        return QueryAnswer(status: status, json: w.buffer)
    }
}

/// Hands queries from other threads (the HTTP endpoint's) to the service's own thread,
/// which answers them between batches: partitions' state is read where it lives and is
/// never shared or locked.
public final class QueryDesk: Sendable {
    private struct State {
        var waiting: [(ServiceQuery, CheckedContinuation<QueryAnswer, Never>)] = []
        var open = true
    }

    private let state = Mutex(State())

    public init() {}

    /// Asks the service; answered at its next turn of the poll loop (a rebalance or a
    /// checkpoint delays it), or with 503 once the service has stopped.
    public func ask(_ query: ServiceQuery) async -> QueryAnswer {
        await withCheckedContinuation { continuation in
            let accepted = state.withLock { s in
                guard s.open else { return false }
                s.waiting.append((query, continuation))
                return true
            }
            if !accepted { continuation.resume(returning: .error(503, "the service has stopped")) }
        }
    }

    /// Answers every waiting query with `answer` (on the service's thread).
    func answerWaiting(_ answer: (ServiceQuery) -> QueryAnswer) {
        let waiting = state.withLock { s in
            defer { s.waiting = [] }
            return s.waiting
        }
        for (query, continuation) in waiting { continuation.resume(returning: answer(query)) }
    }

    /// Refuses queries from now on and answers those waiting.
    func close() {
        let waiting = state.withLock { s in
            s.open = false
            defer { s.waiting = [] }
            return s.waiting
        }
        for (_, continuation) in waiting { continuation.resume(returning: .error(503, "the service has stopped")) }
    }
}
