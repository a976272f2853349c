/// Bounds how far one bucket can move a SKU's models (bounded influence): the models, the
/// history their quantiles read and the global model learn a bucket's demand winsorised at
/// ``multiple`` times the SKU's robust scale. Stock positions, the forecast error the
/// service reports and the reorder-point checks still count every unit.
///
/// The SKU's scale is the mean of its selling buckets in its history, shrunk towards the
/// partition's typical selling bucket as one more of them. The history holds winsorised
/// values, so a giant order cannot lift its own ceiling; a SKU whose first sale ever is
/// 74,215 units learns a multiple of what the partition's SKUs sell on a selling day. A
/// real rise in demand passes within days: each bucket at the ceiling raises the next
/// bucket's.
struct DemandCeiling: Sendable, Hashable {
    /// How many times its scale a SKU's bucket may teach the models. Chosen on the
    /// validation period from 5, 10, 20, 40 and none: a smaller multiple scores a little
    /// better but forecasts further under the demand (figures in the commit that set it).
    static let multiple = 10.0
    /// How fast the partition's typical selling bucket follows each bucket's median.
    static let rate = 0.05

    /// The smoothed median, over the partition's selling SKUs, of a bucket's demand; zero
    /// before the first bucket with a sale.
    var typicalSale = 0.0

    /// The most a bucket of a SKU with this history may teach its models.
    func ceiling(_ history: DemandHistory) -> Double { ceiling(selling: history.selling) }

    /// The ceiling of a history with these selling buckets (``DemandHistory/selling``).
    func ceiling(selling: (sum: Double, count: Int)) -> Double {
        guard typicalSale > 0 else { return .infinity }
        return Self.multiple * (selling.sum + typicalSale) / Double(selling.count + 1)
    }

    /// A bucket's demand as the models learn it: at most the ceiling, with its revenue and
    /// promoted units cut in proportion (its mean price and promoted share stay).
    /// - Parameter selling: The SKU's history's selling buckets (``DemandHistory/selling``).
    func learned(_ demand: BucketDemand, selling: (sum: Double, count: Int)) -> BucketDemand {
        let ceiling = ceiling(selling: selling)
        guard demand.quantity > ceiling else { return demand }
        let share = ceiling / demand.quantity
        return BucketDemand(
            quantity: ceiling,
            revenue: demand.revenue * share,
            promotedQuantity: demand.promotedQuantity * share
        )
    }

    /// Learns from the demands of one bucket's selling SKUs, each bounded by the ceiling so
    /// far (reordered in place): their median, which one giant order cannot move.
    mutating func learn(selling demands: inout [Double]) {
        guard !demands.isEmpty else { return }
        demands.sort()
        let n = demands.count
        let median = n % 2 == 1 ? demands[n / 2] : (demands[n / 2 - 1] + demands[n / 2]) / 2
        typicalSale = typicalSale == 0 ? median : typicalSale + Self.rate * (median - typicalSale)
    }
}

extension DemandCeiling: PartitionLearner {
    static let name = "demand_ceiling"
    static let stateVersion = 1

    func write(to w: inout ByteWriter) { w.double(typicalSale) }

    init(from r: inout ByteReader) throws(SnapshotError) {
        typicalSale = try r.double()
        guard typicalSale >= 0, typicalSale.isFinite else {
            throw SnapshotError("typical selling bucket \(typicalSale) in the demand ceiling")
        }
    }
}
