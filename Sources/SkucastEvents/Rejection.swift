/// Why an input message was rejected: the dead-letter topic's `skucast.dlq.reason`
/// (a stable code, also the metric label) and a precise detail.
public struct Rejection: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        case malformed
        case notUTF8 = "not_utf8"
        case oversize
        case missingField = "missing_field"
        case wrongType = "wrong_type"
        case invalidValue = "invalid_value"
        case implausibleTime = "implausible_time"
        case tooLate = "too_late"
        case keyMismatch = "key_mismatch"
        /// Dated further ahead of the partition's stream time than the maximum clock skew.
        case aheadOfStreamTime = "ahead_of_stream_time"
        /// Dated further ahead of the wall clock than the maximum clock skew (live runs).
        case aheadOfWallClock = "ahead_of_wall_clock"
        /// The same order line (order id and line number) as one its SKU had just before.
        case duplicate
    }

    public let reason: Reason
    public let detail: String

    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}
