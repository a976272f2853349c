import SkucastEvents

/// The SKUs of a partition and their forecasting state, found by the SKU's bytes.
///
/// Two arrays in first-seen order: `tallies[i]` is what every order event of SKU `i`
/// reads and writes, `slots[i]` what bucket closes read and write. Kept apart because a
/// slot is most of a kilobyte: an event that read its demand there missed the cache twice.
struct SKUStore: Sendable {
    /// A SKU's forecasting state.
    struct Slot: Sendable, Hashable {
        let sku: String
        let firstBucket: Int64
        var forecaster: SKUForecaster
        /// The reorder-point check under way (see ``LeadTimeCalibration``).
        var check: LeadTimeCheck?
    }

    /// What every order event of a SKU reads and writes.
    struct Tally: Sendable, Hashable {
        /// The SKU packed: the index confirms a match here, on the line the event reads anyway.
        let key: TextPrefix
        var pending: PendingDemand
        /// The SKU's record in the partition's ``RestockTracker``; -1 before its first stock count.
        var restock: Int32 = -1
    }

    /// Lookup only (see ``SKUIndex``).
    var index = SKUIndex()
    var slots: [Slot] = []
    var tallies: [Tally] = []

    init() {}

    var count: Int { slots.count }

    /// The slot of the SKU with these bytes, if seen.
    @inline(__always)
    func slot(of sku: UnsafeRawBufferPointer, prefix: TextPrefix, hash: UInt64) -> Int? {
        tallies.withUnsafeBufferPointer { tallies in
            index.slot(hash: hash) { i in
                // Past 16 bytes, the rest of the SKU is compared on the slot's own text.
                guard tallies[i].key == prefix else { return false }
                guard prefix.length > 16 else { return true }
                var known = slots[i].sku
                return known.withUTF8 { $0.elementsEqual(sku) }
            }
        }
    }

    /// A SKU's bytes and index key, lent to `body`.
    static func withKey<R>(_ sku: String, _ body: (UnsafeRawBufferPointer, TextPrefix, UInt64) -> R) -> R {
        var text = sku
        return text.withUTF8 { u in
            let bytes = UnsafeRawBufferPointer(u)
            let prefix = TextPrefix(bytes)
            return body(bytes, prefix, SKUIndex.hash(prefix, bytes))
        }
    }

    /// The slot of a SKU named by text (a query's), if seen.
    func slot(of sku: String) -> Int? {
        Self.withKey(sku) { slot(of: $0, prefix: $1, hash: $2) }
    }

    /// The slot of a SKU, added if new with `bucket` as its first.
    mutating func slot(for sku: String, from bucket: Int64) -> Int {
        Self.withKey(sku) { bytes, prefix, hash in
            slot(of: bytes, prefix: prefix, hash: hash) ?? add(sku: sku, prefix: prefix, hash: hash, from: bucket)
        }
    }

    /// Appends a slot and its tally for a SKU not seen before.
    mutating func add(sku: String, prefix: TextPrefix, hash: UInt64, from bucket: Int64) -> Int {
        index.insert(slot: slots.count, hash: hash)
        slots.append(Slot(sku: sku, firstBucket: bucket, forecaster: SKUForecaster()))
        tallies.append(Tally(key: prefix, pending: PendingDemand()))
        return slots.count - 1
    }

    /// The record of slot `i` in the restock tracker, if it has one.
    @inline(__always)
    func restockRecord(_ i: Int) -> Int? {
        let r = tallies[i].restock
        return r >= 0 ? Int(r) : nil
    }

    /// Restores slots read from a snapshot, then indexes them: each lookup misses the
    /// cache, and in a loop of their own the misses of successive SKUs overlap instead of
    /// waiting in turn between parses.
    /// - Throws: ``SnapshotError`` when a SKU appears twice.
    mutating func index(hashes: [UInt64]) throws(SnapshotError) {
        index = SKUIndex(capacity: slots.count)
        for (i, hash) in hashes.enumerated() {
            var text = slots[i].sku
            let unique = text.withUTF8 { u in
                guard slot(of: UnsafeRawBufferPointer(u), prefix: tallies[i].key, hash: hash) == nil else {
                    return false
                }
                index.insert(slot: i, hash: hash)
                return true
            }
            guard unique else { throw SnapshotError("SKU \(text) appears twice") }
        }
    }
}
