/// What each SKU's last published forecast said, for publishing on change (see
/// ``PartitionEngine/publicationDue(sku:bucket:leadTimeMean:leadTimeQuantile:tolerance:maxAge:)``).
/// Kept in the snapshot as a partition-level section, so a restored partition and a
/// replay decide exactly as the live run did. Empty while every close publishes.
struct PublicationLog: Sendable, Hashable {
    struct Entry: Sendable, Hashable {
        var leadTimeMean: Double
        var leadTimeQuantile: Double
        var bucket: Int64
    }

    var last: [String: Entry] = [:]
}

extension PublicationLog: PartitionLearner {
    static let name = "publication_log"
    static let stateVersion = 1

    /// SKUs in order, so the same log always writes the same bytes.
    func write(to w: inout ByteWriter) {
        w.uvarint(UInt64(last.count))
        for sku in last.keys.sorted() {
            let e = last[sku]!
            w.string(sku)
            w.double(e.leadTimeMean)
            w.double(e.leadTimeQuantile)
            w.int64(e.bucket)
        }
    }

    init(from r: inout ByteReader) throws(SnapshotError) {
        self.init()
        for _ in 0..<(try r.count(max: 1 << 28)) {
            let sku = try r.string()
            last[sku] = Entry(leadTimeMean: try r.double(), leadTimeQuantile: try r.double(), bucket: try r.int64())
        }
    }
}

extension PartitionEngine {
    /// Whether a SKU's forecast at this close is to be published when forecasts are
    /// published on change: the first one, one whose lead-time demand (mean or the
    /// service-level quantile) moved by more than `tolerance` of what the last published
    /// one said (at least a unit), or one `maxAge` buckets after the last published one,
    /// so consumers see every SKU refreshed. A forecast found due is recorded as published.
    public mutating func publicationDue(
        sku: String,
        bucket: Int64,
        leadTimeMean: Double,
        leadTimeQuantile: Double,
        tolerance: Double,
        maxAge: Int
    ) -> Bool {
        if let e = learners.publicationLog.last[sku], bucket - e.bucket < Int64(maxAge),
            abs(leadTimeMean - e.leadTimeMean) <= tolerance * max(e.leadTimeMean, 1),
            abs(leadTimeQuantile - e.leadTimeQuantile) <= tolerance * max(e.leadTimeQuantile, 1)
        {
            return false
        }
        learners.publicationLog.last[sku] = .init(
            leadTimeMean: leadTimeMean,
            leadTimeQuantile: leadTimeQuantile,
            bucket: bucket
        )
        return true
    }
}
