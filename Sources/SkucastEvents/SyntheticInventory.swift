/// Made-up stock counts for a demo on an order log that has none (the Online Retail file):
/// each SKU starts with some weeks of stock, its sales draw it down, and when it runs low a
/// replenishment arrives after the SKU's lead time. Deterministic: the same orders give
/// the same counts. Every event is marked `synthetic`.
public struct SyntheticInventory: Sendable {
    struct Stock {
        var onHand: Double
        let batch: Double
        let leadTimeDays: Double
        var arrival: (time: EventTime, quantity: Double)?
    }

    var stock: [String: Stock] = [:]

    public init() {}

    /// The stock counts to publish before this order line, in time order.
    /// - Parameter order: The next order line of the log.
    /// - Returns: An opening count at a SKU's first sale, and a count when a
    ///   replenishment has arrived.
    public mutating func counts(before order: OrderEvent) -> [InventoryEvent] {
        var out: [InventoryEvent] = []
        guard var s = stock[order.sku] else {
            // Opening stock: about twenty of this first order line, lead time 5 to 18 days
            // by a hash of the SKU (so it varies, but never between runs).
            var h = StableHash()
            h.add(order.sku)
            let lead = Double(5 + h.value % 14)
            let batch = max(24, (abs(order.quantity) * 20).rounded())
            let opening = Stock(onHand: batch - order.quantity, batch: batch, leadTimeDays: lead)
            stock[order.sku] = opening
            out.append(
                InventoryEvent(
                    sku: order.sku,
                    onHand: batch,
                    leadTimeDays: lead,
                    eventTime: EventTime(milliseconds: order.eventTime.milliseconds - 1000),
                    synthetic: true
                )
            )
            return out
        }
        if let arrival = s.arrival, arrival.time <= order.eventTime {
            s.onHand += arrival.quantity
            s.arrival = nil
            out.append(
                InventoryEvent(
                    sku: order.sku,
                    onHand: s.onHand,
                    leadTimeDays: s.leadTimeDays,
                    eventTime: arrival.time,
                    synthetic: true
                )
            )
        }
        switch order.kind {
        case .sale, .return, .cancellation: s.onHand -= order.quantity
        case .adjustment: s.onHand += order.quantity
        }
        // A buyer reorders a batch when a quarter of it is left; it lands a lead time later.
        if s.arrival == nil, s.onHand < s.batch / 4 {
            s.arrival = (
                EventTime(milliseconds: order.eventTime.milliseconds + Int64(s.leadTimeDays * 86_400_000)), s.batch
            )
        }
        stock[order.sku] = s
        return out
    }
}
