import SkucastEvents

/// Stock counts kept per location (warehouse, store) for the SKUs whose counts name one: a
/// SKU's position is the sum over its locations, and a count replaces only its own
/// location's. A SKU counted without a location has no entry here (its position is its
/// last count, as for a single location); once a named location comes, that count is its
/// unnamed location, and a later count without a location replaces only that one.
///
/// Order lines name no location, so sales cannot be charged to one: a count is taken to
/// reflect every order line before it, and the SKU's position takes off what sold since
/// its newest count. That holds when every location publishes its count after each
/// movement, as warehouse systems do; a location counted rarely is stale in between.
struct StockLocations: Sendable, Hashable {
    /// One location's last count.
    struct Count: Sendable, Hashable {
        var location: String
        var onHand: Double
        var onOrder: Double
        var countedAt: EventTime
    }

    /// By the SKU's slot in the ``SKUStore``; each SKU's counts sorted by location.
    var counts: [Int32: [Count]] = [:]

    /// Takes a count of one location of the SKU in `slot`, whose position so far is `held`
    /// (nil before its first count).
    /// - Returns: The SKU's totals over its locations, or nil when the count is older than
    ///   the one held for its location (it would move that location back in time).
    mutating func take(_ count: Count, slot: Int32, held: StockPosition?) -> (onHand: Double, onOrder: Double)? {
        var list =
            counts[slot]
            ?? held.map { [Count(location: "", onHand: $0.onHand, onOrder: $0.onOrder, countedAt: $0.countedAt)] }
            ?? []
        if let k = list.firstIndex(where: { $0.location == count.location }) {
            guard count.countedAt >= list[k].countedAt else { return nil }
            list[k] = count
        } else {
            list.insert(count, at: list.firstIndex { $0.location > count.location } ?? list.count)
        }
        counts[slot] = list
        return list.reduce((0, 0)) { ($0.0 + $1.onHand, $0.1 + $1.onOrder) }
    }
}

extension StockLocations {
    func write(to w: inout ByteWriter) {
        w.slotMap(counts) { list, w in
            w.uvarint(UInt64(list.count))
            for c in list {
                w.string(c.location)
                w.double(c.onHand)
                w.double(c.onOrder)
                w.int64(c.countedAt.milliseconds)
            }
        }
    }

    init(from r: inout ByteReader, skus: Int) throws(SnapshotError) {
        counts = try r.slotMap(skus: skus, "the stock locations") { r throws(SnapshotError) in
            var list: [Count] = []
            // Every location takes at least 25 bytes.
            for _ in 0..<(try r.count(max: r.remaining / 25)) {
                let c = Count(
                    location: try r.string(),
                    onHand: try r.double(),
                    onOrder: try r.double(),
                    countedAt: EventTime(milliseconds: try r.int64())
                )
                guard list.last.map({ $0.location < c.location }) ?? true else {
                    throw SnapshotError("the stock locations of a SKU are out of order")
                }
                list.append(c)
            }
            guard !list.isEmpty else { throw SnapshotError("the stock locations hold a SKU without a count") }
            return list
        }
    }
}
