/// Demand counted towards one bucket not closed yet.
struct PendingBucket: Sendable, Hashable {
    var bucket: Int64
    var demand: BucketDemand
}

/// A SKU's demand in buckets not closed yet. Nearly always one bucket: a second is open
/// only within the allowed lateness after a bucket's end. The first is held inline, so
/// an order event adds to it without reaching for an array on the heap.
struct PendingDemand: Sendable, Hashable {
    /// The first pending bucket; `Int64.min` when none.
    private var first = PendingBucket(bucket: .min, demand: BucketDemand())
    /// Any further ones, in the order they opened.
    private var more: [PendingBucket] = []

    init() {}

    /// How many buckets are pending.
    var count: Int { (first.bucket == .min ? 0 : 1) + more.count }

    /// Visits the pending buckets, the inline one first, then the others in the order they
    /// opened (a snapshot's order), without making an array of them.
    func forEachBucket(_ body: (PendingBucket) -> Void) {
        if first.bucket != .min { body(first) }
        for b in more { body(b) }
    }

    /// Counts demand towards a bucket.
    @inline(__always)
    mutating func add(_ demand: BucketDemand, to bucket: Int64) {
        if first.bucket == bucket {
            first.demand.add(demand)
        } else if first.bucket == .min && more.isEmpty {
            first = PendingBucket(bucket: bucket, demand: demand)
        } else {
            addElsewhere(demand, to: bucket)
        }
    }

    private mutating func addElsewhere(_ demand: BucketDemand, to bucket: Int64) {
        for k in more.indices where more[k].bucket == bucket {
            more[k].demand.add(demand)
            return
        }
        more.append(PendingBucket(bucket: bucket, demand: demand))
    }

    /// Units pending for a bucket.
    func quantity(of bucket: Int64) -> Double {
        if first.bucket == bucket { return first.demand.quantity }
        return more.first { $0.bucket == bucket }?.demand.quantity ?? 0
    }

    /// Takes up to `units` off a bucket's demand (net demand), its revenue and promoted
    /// units in proportion: never below zero.
    /// - Returns: The units taken.
    mutating func takeOff(_ units: Double, from bucket: Int64) -> Double {
        if first.bucket == bucket { return first.demand.takeOff(units) }
        for k in more.indices where more[k].bucket == bucket { return more[k].demand.takeOff(units) }
        return 0
    }

    /// Takes a bucket's demand out (zero if none was counted): the bucket closes. The
    /// next pending bucket, if any, moves inline.
    mutating func remove(_ bucket: Int64) -> BucketDemand {
        let demand: BucketDemand
        if first.bucket == bucket {
            demand = first.demand
            first = more.first ?? PendingBucket(bucket: .min, demand: BucketDemand())
            if !more.isEmpty { more.removeFirst() }
        } else if let k = more.firstIndex(where: { $0.bucket == bucket }) {
            demand = more.remove(at: k).demand
        } else {
            return BucketDemand()
        }
        // An emptied array would keep its buffer: most SKUs have a second bucket open
        // once a day, and a million of them would each hold one.
        if more.isEmpty { more = [] }
        return demand
    }
}

extension BucketDemand {
    @inline(__always)
    mutating func add(_ other: BucketDemand) {
        quantity += other.quantity
        revenue += other.revenue
        promotedQuantity += other.promotedQuantity
    }

    mutating func takeOff(_ units: Double) -> Double {
        let taken = min(units, quantity)
        guard taken > 0 else { return 0 }
        let kept = (quantity - taken) / quantity
        quantity -= taken
        revenue *= kept
        promotedQuantity *= kept
        return taken
    }
}
