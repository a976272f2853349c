import SkucastEvents

/// The order lines each SKU saw last, by identity (order id and line number, which the
/// `orders` schema says identify an event, and kind): a line seen again is a duplicate (a producer's
/// retry, a replayed batch) and must not count twice. A few per SKU, fixed size and
/// inline, so the check costs one lookup and a handful of compares: duplicates arrive
/// close to their original, among the same SKU's last lines.
struct RecentLines: Sendable, Hashable {
    /// Lines remembered per SKU.
    static let perSKU = 8

    /// The last lines of one SKU, a ring of identity keys (0: empty).
    struct Ring: Sendable, Hashable {
        var keys = SIMD8<UInt64>.zero
        var next = 0
    }

    /// By the SKU's slot in the ``SKUStore``.
    var rings: [Int32: Ring] = [:]

    /// The identity key of an order line: never 0. Its kind is part of it: a shop may
    /// cancel a line in place, under the sale's order id and line number.
    static func key(order: UnsafeRawBufferPointer, line: Int, kind: OrderKind) -> UInt64 {
        var h = StableHash()
        h.add(bytes: order)
        h.add(Int64(line))
        h.add(kind.rawValue)
        return h.value == 0 ? 1 : h.value
    }

    /// Records a line of the SKU in `slot`.
    /// - Returns: false if the SKU's last lines hold it already (a duplicate).
    mutating func insert(_ key: UInt64, slot: Int32) -> Bool {
        Self.insert(key, into: &rings[slot, default: Ring()])
    }

    /// Through one access to the dictionary.
    private static func insert(_ key: UInt64, into ring: inout Ring) -> Bool {
        if any(ring.keys .== SIMD8(repeating: key)) { return false }
        ring.keys[ring.next] = key
        ring.next = (ring.next + 1) % perSKU
        return true
    }
}

extension RecentLines {
    func write(to w: inout ByteWriter) {
        w.slotMap(rings) { ring, w in
            w.uvarint(UInt64(ring.next))
            for k in 0..<Self.perSKU { w.uint64(ring.keys[k]) }
        }
    }

    init(from r: inout ByteReader, skus: Int) throws(SnapshotError) {
        rings = try r.slotMap(skus: skus, "the recent order lines") { r throws(SnapshotError) in
            var ring = Ring()
            ring.next = try r.count(max: Self.perSKU - 1)
            for k in 0..<Self.perSKU { ring.keys[k] = try r.uint64() }
            return ring
        }
    }
}
