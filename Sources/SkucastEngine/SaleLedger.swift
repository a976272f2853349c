import SkucastEvents

/// What counts as a SKU's demand.
public enum DemandDefinition: String, Sendable, Hashable, CaseIterable {
    /// Every sale line: what was ordered (what `retail-daily-v1`'s target counts).
    case gross
    /// Sales less the cancellations and returns that undo them, each taken off the bucket
    /// of the sale it undoes (see ``SaleLedger``): what left the shelf for good.
    case net
}

/// The recent sale lines of each SKU, kept for net demand: a cancellation or return is
/// matched to the sale it undoes by the order it references, or else by customer and
/// quantity, within a window. A few lines per SKU, so the ledger stays within a fixed
/// multiple of the SKU count whatever the order rate; a match beyond them falls back to
/// the current bucket, as an unmatched one does.
struct SaleLedger: Sendable, Hashable {
    /// One sale line, as matching reads it.
    struct Sale: Sendable, Hashable {
        /// ``SaleLedger/key(_:)`` of its order id and of its customer (0: none).
        var order: UInt64
        var customer: UInt64
        /// Units not undone yet.
        var quantity: Double
        var bucket: Int64
        var time: EventTime
        /// Whether the sale counted as demand: one too late for its bucket, or at no
        /// price, did not, and undoing it takes nothing off.
        var counted = true
    }

    /// Units of one matched sale line.
    struct Match: Sendable, Hashable {
        var bucket: Int64
        var units: Double
        var counted: Bool
    }

    /// Sale lines kept per SKU, newest last.
    static let perSKU = 4

    /// By the SKU's slot in the ``SKUStore``.
    var sales: [Int32: [Sale]] = [:]
    /// When lines older than the window were last swept out.
    var sweptAt: EventTime?

    /// The key a text is matched by (0 is no text).
    static func key(_ text: UnsafeRawBufferPointer) -> UInt64 {
        guard !text.isEmpty else { return 0 }
        var h = StableHash()
        h.add(bytes: text)
        return h.value == 0 ? 1 : h.value
    }

    /// Keeps a sale line of the SKU in `slot`; its oldest line goes when it has too many.
    mutating func record(_ sale: Sale, slot: Int32) {
        Self.keep(sale, in: &sales[slot, default: []])
    }

    /// Through one access to the dictionary: the event path pays one lookup.
    private static func keep(_ sale: Sale, in lines: inout [Sale]) {
        if lines.count == perSKU { lines.removeFirst() }
        lines.append(sale)
    }

    /// Finds the sales a cancellation or return of `units` undoes, among the SKU's lines
    /// within `window` before `time`: the lines of the order it references, newest first,
    /// until its units are matched; or else (no reference given) the newest line of its
    /// customer of exactly `units`. Takes the matched units off those lines.
    /// - Returns: The matched lines' buckets and units; empty if none matched.
    mutating func match(
        slot: Int32,
        reference: UInt64,
        customer: UInt64,
        units: Double,
        at time: EventTime,
        window: Int64
    ) -> [Match] {
        guard var lines = sales[slot] else { return [] }
        lines.removeAll { $0.time.milliseconds < time.milliseconds - window }
        defer { sales[slot] = lines.isEmpty ? nil : lines }
        var matched: [Match] = []
        if reference != 0 {
            var left = units
            for k in lines.indices.reversed() where left > 0 && lines[k].order == reference && lines[k].time <= time {
                let taken = min(left, lines[k].quantity)
                matched.append(Match(bucket: lines[k].bucket, units: taken, counted: lines[k].counted))
                lines[k].quantity -= taken
                left -= taken
            }
        } else if customer != 0,
            let k = lines.lastIndex(where: { $0.customer == customer && $0.quantity == units && $0.time <= time })
        {
            matched.append(Match(bucket: lines[k].bucket, units: units, counted: lines[k].counted))
            lines[k].quantity = 0
        }
        lines.removeAll { $0.quantity <= 0 }
        return matched
    }

    /// Drops the lines older than `window` before `time`, once per window: a SKU that
    /// stopped selling must not keep its lines for ever.
    mutating func sweep(at time: EventTime, window: Int64) {
        if let last = sweptAt, time.milliseconds - last.milliseconds < window { return }
        sweptAt = time
        let cutoff = time.milliseconds - window
        for slot in Array(sales.keys) {
            sales[slot]!.removeAll { $0.time.milliseconds < cutoff }
            if sales[slot]!.isEmpty { sales[slot] = nil }
        }
    }
}

extension SaleLedger {
    func write(to w: inout ByteWriter) {
        w.optionalInt64(sweptAt?.milliseconds)
        w.slotMap(sales) { lines, w in
            w.uvarint(UInt64(lines.count))
            for s in lines {
                w.uint64(s.order)
                w.uint64(s.customer)
                w.double(s.quantity)
                w.int64(s.bucket)
                w.int64(s.time.milliseconds)
                w.bool(s.counted)
            }
        }
    }

    init(from r: inout ByteReader, skus: Int) throws(SnapshotError) {
        sweptAt = try r.optionalInt64().map(EventTime.init(milliseconds:))
        sales = try r.slotMap(skus: skus, "the sale ledger") { r throws(SnapshotError) in
            var lines: [Sale] = []
            for _ in 0..<(try r.count(max: Self.perSKU)) {
                let sale = Sale(
                    order: try r.uint64(),
                    customer: try r.uint64(),
                    quantity: try r.double(),
                    bucket: try r.int64(),
                    time: EventTime(milliseconds: try r.int64()),
                    counted: try r.bool()
                )
                guard sale.quantity > 0, sale.quantity.isFinite else {
                    throw SnapshotError("a sale line of \(sale.quantity) units in the sale ledger")
                }
                lines.append(sale)
            }
            guard !lines.isEmpty else { throw SnapshotError("the sale ledger holds a SKU without lines") }
            return lines
        }
    }
}

/// The keys an order line is matched by in the ``SaleLedger``; 0 where it has none.
struct MatchKeys {
    var order: UInt64 = 0
    var customer: UInt64 = 0
    /// The order a cancellation or return references.
    var reference: UInt64 = 0

    init() {}

    init(_ e: OrderEvent) {
        func key(_ s: String?) -> UInt64 {
            guard var s else { return 0 }
            return s.withUTF8 { SaleLedger.key(UnsafeRawBufferPointer($0)) }
        }
        (order, customer, reference) = (key(e.orderID), key(e.customerID), key(e.originalOrderID))
    }

    init(_ v: OrderEventView) {
        func key(_ s: JSONString?) -> UInt64 { s?.withUTF8 { SaleLedger.key($0) } ?? 0 }
        (order, customer, reference) = (key(v.orderID), key(v.customerID), key(v.originalOrderID))
    }
}
