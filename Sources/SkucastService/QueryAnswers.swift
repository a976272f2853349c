import SkucastEngine
import SkucastEvents
import SkucastKafka

/// Answers ``ServiceQuery``s from the engines of the partitions an instance owns: pure,
/// so the service's thread computes them between batches and tests on engines of their own.
public struct QueryAnswers: Sendable {
    /// The engines of the partitions owned here.
    public let engines: [Int32: PartitionEngine]
    /// Partitions of each input topic (a SKU's partition is its key's, by Kafka's partitioner).
    public let partitions: Int

    public init(engines: [Int32: PartitionEngine], partitions: Int) {
        self.engines = engines
        self.partitions = partitions
    }

    /// - Parameter owner: The member owning a partition not owned here, if known.
    public func answer(_ query: ServiceQuery, owner: (Int32) -> KafkaGroupMember?) -> QueryAnswer {
        switch query {
        case .sku(let sku): answer(sku: sku, owner: owner)
        case .alerts(let severity, let offset, let limit):
            answerAlerts(severity: severity, offset: offset, limit: limit)
        }
    }

    func answer(sku: String, owner: (Int32) -> KafkaGroupMember?) -> QueryAnswer {
        let p = Int32(Murmur2Partitioner.partition(of: Array(sku.utf8), partitions: max(1, partitions)))
        var w = JSONWriter(buffer: [])
        w.beginObject()
        w.key("sku")
        w.string(sku)
        w.key("partition")
        w.integer(Int64(p))
        guard let engine = engines[p] else {
            w.key("owned")
            w.bool(false)
            w.key("owner")
            if let owner = owner(p) {
                w.beginObject()
                w.key("member_id")
                w.string(owner.memberID)
                w.key("client_id")
                w.string(owner.effectiveClientID)
                w.key("host")
                w.string(owner.host)
                w.key("url")
                if let url = QueryAddress.url(clientID: owner.effectiveClientID) {
                    w.string(url)
                } else {
                    w.null()
                }
                w.endObject()
            } else {
                w.null()
            }
            w.endObject()
            return QueryAnswer(status: 200, json: w.buffer)
        }
        guard let standing = engine.standing(of: sku) else {
            return .error(404, "no order or stock count of SKU \(sku) seen (its partition, \(p), is owned here)")
        }
        w.key("owned")
        w.bool(true)
        w.key("forecast")
        if let forecast = standing.forecast {
            var bytes: [UInt8] = []
            forecast.message().encodeJSON(into: &bytes)
            w.raw(bytes)
        } else {
            w.null()
        }
        w.key("stock")
        if let stock = standing.stock { stock.encodeJSON(into: &w) } else { w.null() }
        w.key("alert")
        if let alert = standing.alert { alert.encodeJSON(into: &w) } else { w.null() }
        w.endObject()
        return QueryAnswer(status: 200, json: w.buffer)
    }

    func answerAlerts(severity: RestockSeverity?, offset: Int, limit: Int) -> QueryAnswer {
        let all = engines.keys.sorted().flatMap { engines[$0]!.openAlertStandings() }
            .filter { severity == nil || $0.severity == severity }
            .sorted { ($0.severity, $1.sku) > ($1.severity, $0.sku) }
        var w = JSONWriter(buffer: [])
        w.beginObject()
        w.key("alerts")
        w.beginArray()
        for alert in all.dropFirst(offset).prefix(limit) { alert.encodeJSON(into: &w) }
        w.endArray()
        w.key("total")
        w.integer(Int64(all.count))
        w.key("offset")
        w.integer(Int64(offset))
        w.key("limit")
        w.integer(Int64(limit))
        w.key("partitions")
        w.beginArray()
        for p in engines.keys.sorted() { w.integer(Int64(p)) }
        w.endArray()
        w.endObject()
        return QueryAnswer(status: 200, json: w.buffer)
    }
}
