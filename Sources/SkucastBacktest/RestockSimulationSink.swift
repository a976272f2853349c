import SkucastEngine
import SkucastEvents
import SkucastPipeline

/// A SKU's simulated stock, bucket by bucket, under the first policy simulated.
public struct StockTrajectory: Sendable {
    public let sku: String
    /// The first bucket simulated; the arrays hold one value per bucket from it.
    public let firstBucket: Int64
    /// Stock on hand at each bucket's end (negative: backordered).
    public let onHand: [Double]
    public let demand: [Double]
    /// The reorder point in force during the bucket (set at the close before it).
    public let reorderPoint: [Double]
    /// Units received at the bucket's start.
    public let arrivals: [Double]
}

/// What a restock simulation found, per policy: over all SKUs and per demand class.
public struct RestockSimulationResult: Sendable {
    public let policies: [SimulatedPolicy]
    public let overall: [PolicyOutcome]
    /// Per policy, one outcome per ``DemandClass`` (in `allCases` order), each SKU classed
    /// by its demand over the buckets simulated.
    public let byClass: [[PolicyOutcome]]
    /// SKUs per demand class.
    public let skusByClass: [Int]
    public let firstBucket: Int64?
    public let lastBucket: Int64?
    /// The first policy's stock of the SKUs asked for and the top sellers.
    public let trajectories: [StockTrajectory]
}

/// Replays the restock decisions a policy would have taken against a simulated warehouse
/// per SKU, from the forecasts a replay's processors publish: a sink like the others.
///
/// Each SKU joins at the close of its first forecast from `from` on, with stock on hand
/// as its stock count says, else at the policy's reorder point. Then, bucket by bucket:
/// orders due arrive, the bucket's demand (net, every unit, as the engine counted it) is
/// served from the shelf, and at the close the policy may order, to arrive a lead time
/// later. skucast's policy is the one its alerts state: below the reorder point of the
/// close, order the suggested quantity (``ReorderLevels/suggestedOrder(at:)``, the same
/// rule an alert's `suggested_order_quantity` comes from), applied to the simulated
/// position rather than the engine's, so that following the alerts is what is measured.
public struct RestockSimulationSink: OutputSink {
    struct SKU {
        let name: String
        var recent = RecentDemand()
        var shelves: [SimulatedShelf] = []
        var levels: ReorderLevels?
        var leadTimeBuckets: Int64 = 0
        /// The last bucket simulated (shelves present).
        var simulatedThrough: Int64 = 0
        var firstBucket: Int64 = 0
        var sellingBuckets = 0
        var demandSum = 0.0
        var demandSquares = 0.0
        var trajectory: (onHand: [Float], demand: [Float], reorderPoint: [Float], arrivals: [Float]) = ([], [], [], [])

        /// The reorder point a policy compares the position with.
        func reorderPoint(_ policy: SimulatedPolicy) -> Double {
            switch policy {
            case .alerts: levels?.reorderPoint ?? 0
            case .naive(let multiple): multiple * recent.mean * Double(leadTimeBuckets)
            }
        }

        /// Simulates buckets without demand (no forecast published: the SKU did not
        /// sell) up to `last`, each with its close: the naive policy's point can stay
        /// above a position its last order did not lift enough.
        mutating func advance(
            through last: Int64,
            _ policies: [SimulatedPolicy],
            _ shortage: ShortageHandling,
            records: Bool
        ) {
            var b = simulatedThrough + 1
            while b <= last {
                recent.record(0, at: b)
                step(bucket: b, demand: 0, policies, shortage, records: records)
                decide(at: b, policies)
                b += 1
            }
        }

        /// A bucket: arrivals at its start, then its demand.
        mutating func step(
            bucket: Int64,
            demand: Double,
            _ policies: [SimulatedPolicy],
            _ shortage: ShortageHandling,
            records: Bool
        ) {
            var arrived = 0.0
            for k in shelves.indices {
                let received = shelves[k].receive(at: bucket)
                if k == 0 { arrived = received }
                shelves[k].serve(demand, shortage: shortage)
            }
            simulatedThrough = bucket
            if demand > 0 {
                sellingBuckets += 1
                demandSum += demand
                demandSquares += demand * demand
            }
            guard records else { return }
            trajectory.onHand.append(Float(shelves[0].onHand))
            trajectory.demand.append(Float(demand))
            trajectory.reorderPoint.append(Float(reorderPoint(policies[0])))
            trajectory.arrivals.append(Float(arrived))
        }

        /// The close of `bucket`: each policy compares its position with its reorder point.
        mutating func decide(at bucket: Int64, _ policies: [SimulatedPolicy]) {
            for (k, policy) in policies.enumerated() {
                let position = shelves[k].onHand + shelves[k].onOrder
                let quantity: Double
                switch policy {
                case .alerts:
                    quantity = levels?.suggestedOrder(at: position) ?? 0
                case .naive:
                    let point = reorderPoint(policy)
                    quantity = position < point && point > 0 ? Double(SimulatedPolicy.naiveWindow) * recent.mean : 0
                }
                shelves[k].order(quantity, at: bucket, leadTimeBuckets: leadTimeBuckets)
            }
        }
    }

    let policies: [SimulatedPolicy]
    let shortage: ShortageHandling
    let from: Int64
    let bucketsPerDay: Double
    let stockFromCounts: Bool
    let traced: Set<String>
    let tracedTop: Int
    var skus: [SKU] = []
    var index: [String: Int] = [:]
    /// Whether stock trajectories are kept (only when some are asked for).
    var recordsTrajectories: Bool { !traced.isEmpty || tracedTop > 0 }
    var lastClose: Int64?

    /// - Parameters:
    ///   - policies: The policies to simulate side by side, each on its own shelves.
    ///   - shortage: Lost sales or backorders.
    ///   - from: The first bucket whose close SKUs may join at (nil: the replay's first).
    ///   - bucketsPerDay: Buckets in a day of the engine's calendar (lead times are in days).
    ///   - stockFromCounts: Whether a SKU with a stock count starts with its stock on hand
    ///     (else every SKU starts at its reorder point).
    ///   - traced: SKUs whose stock trajectory is kept; `tracedTop`: also this many of
    ///     the top sellers over the buckets simulated.
    public init(
        policies: [SimulatedPolicy],
        shortage: ShortageHandling,
        from: Int64?,
        bucketsPerDay: Double,
        stockFromCounts: Bool = true,
        traced: [String] = [],
        tracedTop: Int = 0
    ) {
        self.policies = policies
        self.shortage = shortage
        self.from = from ?? .min
        self.bucketsPerDay = bucketsPerDay
        self.stockFromCounts = stockFromCounts
        self.traced = Set(traced)
        self.tracedTop = tracedTop
    }

    public mutating func forecast(_ forecast: EmittedForecast) throws {
        guard forecast.isPublished else { return }
        let b = forecast.bucket
        lastClose = max(lastClose ?? b, b)
        let i: Int
        if let known = index[forecast.sku] {
            i = known
        } else {
            i = skus.count
            index[forecast.sku] = i
            skus.append(SKU(name: forecast.sku))
        }
        // Whole buckets, up; to a millionth first, so that float noise adds no bucket.
        let lead = Int64(((forecast.message.leadTimeDays * bucketsPerDay * 1e6).rounded() / 1e6).rounded(.up))
        if skus[i].shelves.isEmpty {
            skus[i].recent.record(forecast.demand, at: b)
            guard b >= from else { return }
            skus[i].leadTimeBuckets = lead
            skus[i].levels = forecast.levels
            skus[i].firstBucket = b + 1
            skus[i].simulatedThrough = b
            let (sku, counted) = (skus[i], stockFromCounts ? forecast.stockOnHand : nil)
            skus[i].shelves = policies.map { p in
                SimulatedShelf(onHand: (counted.map { max(0, $0) } ?? sku.reorderPoint(p)).rounded(.up))
            }
        } else {
            let (policies, shortage, records) = (policies, shortage, recordsTrajectories)
            skus[i].advance(through: b - 1, policies, shortage, records: records)
            skus[i].recent.record(forecast.demand, at: b)
            skus[i].step(bucket: b, demand: forecast.demand, policies, shortage, records: records)
            skus[i].leadTimeBuckets = lead
            skus[i].levels = forecast.levels
        }
        skus[i].decide(at: b, policies)
    }

    /// Published forecasts, structured (their bytes are not read), from the naive policy's
    /// window before the period on.
    public var forecastInterest: ForecastInterest {
        ForecastInterest(values: false, publishedFrom: from == .min ? nil : from - Int64(SimulatedPolicy.naiveWindow))
    }

    public mutating func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws {}

    public mutating func deadLetter(_ message: InputMessage, rejection: Rejection) throws {}

    /// The outcomes, once the replay has ended: every SKU is simulated up to the last
    /// bucket any SKU closed.
    public func result() -> RestockSimulationResult {
        var skus = skus
        var overall = policies.map { _ in PolicyOutcome() }
        var byClass = policies.map { _ in DemandClass.allCases.map { _ in PolicyOutcome() } }
        var skusByClass = DemandClass.allCases.map { _ in 0 }
        var first: Int64?
        for i in skus.indices where !skus[i].shelves.isEmpty {
            if let lastClose { skus[i].advance(through: lastClose, policies, shortage, records: recordsTrajectories) }
            for k in skus[i].shelves.indices { skus[i].shelves[k].finish() }
            let s = skus[i]
            first = min(first ?? s.firstBucket, s.firstBucket)
            let demandClass = DemandClass(
                buckets: s.shelves[0].outcome.skuBuckets,
                selling: s.sellingBuckets,
                sum: s.demandSum,
                sumOfSquares: s.demandSquares
            )
            skusByClass[demandClass.rawValue] += 1
            for k in policies.indices {
                overall[k].add(s.shelves[k].outcome)
                byClass[k][demandClass.rawValue].add(s.shelves[k].outcome)
            }
        }
        let simulated = skus.filter { !$0.shelves.isEmpty }
        let top = simulated.sorted { ($0.demandSum, $1.name) > ($1.demandSum, $0.name) }.prefix(tracedTop)
        let chosen = simulated.filter { traced.contains($0.name) } + top.filter { !traced.contains($0.name) }
        return RestockSimulationResult(
            policies: policies,
            overall: overall,
            byClass: byClass,
            skusByClass: skusByClass,
            firstBucket: first,
            lastBucket: lastClose,
            trajectories: chosen.map { s in
                StockTrajectory(
                    sku: s.name,
                    firstBucket: s.firstBucket,
                    onHand: s.trajectory.onHand.map(Double.init),
                    demand: s.trajectory.demand.map(Double.init),
                    reorderPoint: s.trajectory.reorderPoint.map(Double.init),
                    arrivals: s.trajectory.arrivals.map(Double.init)
                )
            }
        )
    }
}
