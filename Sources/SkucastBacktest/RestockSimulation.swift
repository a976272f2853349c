import SkucastEngine

/// What a simulated warehouse does with demand its shelf cannot serve.
public enum ShortageHandling: String, Sendable, Hashable, CaseIterable {
    /// The customer buys elsewhere: the units are lost.
    case lost
    /// The customer waits: the units are served from the next arrival.
    case backorder
}

/// The rates a simulated policy's cost is counted at, in the shop's money.
public struct PolicyCosts: Sendable, Hashable {
    /// Holding one unit on the shelf for a day.
    public var holdingPerUnitDay: Double
    /// Placing one order, whatever its size.
    public var perOrder: Double
    /// One unit demanded and not served from the shelf (lost, or backordered).
    public var perUnitShort: Double

    public init(holdingPerUnitDay: Double = 0.02, perOrder: Double = 10, perUnitShort: Double = 1) {
        self.holdingPerUnitDay = holdingPerUnitDay
        self.perOrder = perOrder
        self.perUnitShort = perUnitShort
    }
}

/// A restock policy a simulated warehouse follows.
public enum SimulatedPolicy: Sendable, Hashable, CustomStringConvertible {
    /// skucast's alerts: when the position (on hand plus on order) falls below the reorder
    /// point published at a close, order the alert's suggested quantity (up to the
    /// order-up-to level), rounded up to whole units.
    case alerts
    /// The rule of thumb: when the position falls below `multiple` × the last 28 buckets'
    /// mean demand × the lead time, order 28 buckets' demand.
    case naive(multiple: Double)

    public var description: String {
        switch self {
        case .alerts: "skucast"
        case .naive: "naive"
        }
    }

    /// Buckets of demand the naive policy averages over and orders.
    static let naiveWindow = 28
}

/// What one policy did over the simulated buckets of a set of SKUs.
public struct PolicyOutcome: Sendable, Hashable {
    /// Units demanded, and of them served from the shelf when asked for.
    public internal(set) var demanded = 0.0
    public internal(set) var served = 0.0
    /// Sum over SKU-buckets of the stock on hand at the bucket's end.
    public internal(set) var stockUnitBuckets = 0.0
    public internal(set) var skuBuckets = 0
    /// SKU-buckets in which demand went unserved.
    public internal(set) var stockoutBuckets = 0
    public internal(set) var orders = 0
    public internal(set) var unitsOrdered = 0.0
    /// Stock at the start, units received, and stock at the end (negative: backorders
    /// still open): start + received − taken from the shelf = end.
    public internal(set) var startingStock = 0.0
    public internal(set) var unitsReceived = 0.0
    public internal(set) var endingStock = 0.0
    /// Replenishment cycles (arrival to arrival) finished, and those without a stock-out.
    public internal(set) var cycles = 0
    public internal(set) var cyclesWithoutStockout = 0

    /// Units served from the shelf over units demanded (1 when nothing was demanded).
    public var fillRate: Double { demanded > 0 ? served / demanded : 1 }
    /// Share of replenishment cycles without a stock-out (1 when none finished).
    public var cycleServiceLevel: Double { cycles > 0 ? Double(cyclesWithoutStockout) / Double(cycles) : 1 }
    /// Mean stock on hand per SKU and bucket, in units.
    public var averageStock: Double { skuBuckets > 0 ? stockUnitBuckets / Double(skuBuckets) : 0 }
    /// The average stock in buckets of average demand: how long the shelf would last.
    public var bucketsOfDemand: Double { demanded > 0 ? stockUnitBuckets / demanded : 0 }

    /// Holding, ordering and shortage cost.
    /// - Parameter bucketsPerDay: Buckets in a day of the engine's calendar.
    public func cost(_ rates: PolicyCosts, bucketsPerDay: Double) -> Double {
        rates.holdingPerUnitDay * stockUnitBuckets / bucketsPerDay + rates.perOrder * Double(orders)
            + rates.perUnitShort * (demanded - served)
    }

    mutating func add(_ o: PolicyOutcome) {
        demanded += o.demanded
        served += o.served
        stockUnitBuckets += o.stockUnitBuckets
        skuBuckets += o.skuBuckets
        stockoutBuckets += o.stockoutBuckets
        orders += o.orders
        unitsOrdered += o.unitsOrdered
        startingStock += o.startingStock
        unitsReceived += o.unitsReceived
        endingStock += o.endingStock
        cycles += o.cycles
        cyclesWithoutStockout += o.cyclesWithoutStockout
    }
}

/// One SKU's simulated shelf under one policy: stock on hand, orders on their way, and
/// what the policy did so far. Buckets are simulated in order: arrivals land at the
/// bucket's start, its demand is served, and at its close the policy may order.
struct SimulatedShelf: Sendable {
    struct Order: Sendable {
        /// The bucket whose start it lands at.
        var arrival: Int64
        var quantity: Double
    }

    var onHand: Double
    var pending: [Order] = []
    var outcome = PolicyOutcome()
    var stockoutSinceArrival = false

    init(onHand: Double) {
        self.onHand = onHand
        outcome.startingStock = onHand
        outcome.endingStock = onHand
    }

    var onOrder: Double { pending.reduce(0) { $0 + $1.quantity } }

    /// Takes in what arrives at the start of `bucket`: one replenishment cycle ends,
    /// however many orders land together.
    /// - Returns: Units received.
    mutating func receive(at bucket: Int64) -> Double {
        var received = 0.0
        // Kept in arrival order (see ``order(_:at:leadTimeBuckets:)``).
        while let first = pending.first, first.arrival <= bucket {
            pending.removeFirst()
            onHand += first.quantity
            received += first.quantity
        }
        guard received > 0 else { return 0 }
        outcome.unitsReceived += received
        endCycle()
        return received
    }

    /// Counts the replenishment cycle since the last arrival.
    mutating func endCycle() {
        outcome.cycles += 1
        if !stockoutSinceArrival { outcome.cyclesWithoutStockout += 1 }
        stockoutSinceArrival = false
    }

    /// The end of the simulation: a cycle still open counts if it has run out already
    /// (one that has not might yet, so it is left out).
    mutating func finish() {
        if stockoutSinceArrival { endCycle() }
    }

    /// Serves a bucket's demand and counts the stock left at its end.
    mutating func serve(_ demand: Double, shortage: ShortageHandling) {
        let served = min(demand, max(0, onHand))
        outcome.demanded += demand
        outcome.served += served
        if served < demand {
            outcome.stockoutBuckets += 1
            stockoutSinceArrival = true
        }
        onHand -= shortage == .lost ? served : demand
        outcome.endingStock = onHand
        outcome.stockUnitBuckets += max(0, onHand)
        outcome.skuBuckets += 1
    }

    /// Places an order of `quantity` (rounded up to whole units) at the close of `bucket`.
    mutating func order(_ quantity: Double, at bucket: Int64, leadTimeBuckets: Int64) {
        // Whole units, up; to a millionth first, so that float noise adds no unit.
        let units = ((quantity * 1e6).rounded() / 1e6).rounded(.up)
        guard units > 0 else { return }
        // A shorter lead time than an earlier order's lands before it.
        let order = Order(arrival: bucket + leadTimeBuckets + 1, quantity: units)
        pending.insert(order, at: pending.firstIndex { $0.arrival > order.arrival } ?? pending.count)
        outcome.orders += 1
        outcome.unitsOrdered += units
    }
}

/// The last buckets' demand of a SKU, for the naive policy's mean.
struct RecentDemand: Sendable {
    var buckets: [Double] = Array(repeating: 0, count: SimulatedPolicy.naiveWindow)
    var last: Int64?
    var sum = 0.0

    /// Records a bucket's demand; buckets skipped since the last had none.
    mutating func record(_ demand: Double, at bucket: Int64) {
        let n = Int64(buckets.count)
        if let last, bucket <= last { return }
        if let last, bucket - last >= n {
            buckets = Array(repeating: 0, count: buckets.count)
        } else if let last {
            for b in (last + 1)..<bucket { buckets[Int(b % n)] = 0 }
        }
        buckets[Int(bucket % n)] = demand
        last = bucket
        // Summed afresh, in slot order: the same bits whatever the history of additions.
        sum = buckets.reduce(0, +)
    }

    var mean: Double { sum / Double(buckets.count) }
}
