import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import SkucastEngine
import SkucastEvents
import SkucastKafka
import SkucastPipeline
import Testing

@testable import SkucastOperations
@testable import SkucastService

/// Engines fed through the pipeline from JSON lines: a counted SKU whose stock runs low,
/// another without a count.
struct QueriedPartitions {
    let engines: [Int32: PartitionEngine]
    let published: MemorySink
    static let partitions = 2

    static func partition(_ sku: String) -> Int32 {
        Int32(Murmur2Partitioner.partition(of: Array(sku.utf8), partitions: partitions))
    }

    init() throws {
        var orders: [String] = []
        var line = 0
        func sale(_ sku: String, _ time: String, _ quantity: Int) {
            line += 1
            orders.append(
                #"{"order_id":"o\#(line)","line":1,"sku":"\#(sku)","quantity":\#(quantity),"kind":"sale","unit_price":2.5,"currency":"GBP","event_time":"\#(time)"}"#
            )
        }
        for day in 1...20 {
            let date = String(format: "2011-01-%02dT10:00:00Z", day)
            sale("A1", date, 3)
            sale("B2", date, 1)
        }
        sale("A1", "2011-01-22T10:00:00Z", 1)
        let inventory = [
            #"{"sku":"A1","on_hand":100,"lead_time_days":7,"event_time":"2011-01-01T00:00:00Z"}"#,
            #"{"sku":"A1","on_hand":2,"lead_time_days":7,"event_time":"2011-01-20T12:00:00Z"}"#,
        ]
        var files = FileSource(partitions: Self.partitions, topicNames: ["orders", "inventory"])
        files.addJSONLines(Array(orders.joined(separator: "\n").utf8), topic: .orders)
        files.addJSONLines(Array(inventory.joined(separator: "\n").utf8), topic: .inventory)
        var replay = Replay<RecordedMessage, MemorySink>(
            partitions: (0..<Int32(Self.partitions)).map { $0 },
            configuration: EngineConfiguration(),
            sink: MemorySink()
        )
        for (m, topic) in files.messages { try replay.append(m, topic) }
        try replay.endAll()
        engines = replay.processors.mapValues(\.engine)
        published = replay.sink
    }
}

@Suite("Interactive queries through HummingbirdTesting, on engines fed through the pipeline")
struct QueryEndpointTests {
    let data: QueriedPartitions
    /// Another member, as the coordinator names it: client.id, a dash, a UUID.
    static let other = KafkaGroupMember(
        memberID: "skucast@127.0.0.1:9999-0c859858-1c2d-4b4e-9f1a-0123456789ab",
        clientID: "",
        host: "",
        assignment: []
    )

    init() throws { data = try QueriedPartitions() }

    /// An endpoint answering from the engines of `owned` partitions.
    func application(owned: [Int32]) -> some ApplicationProtocol {
        let answers = QueryAnswers(
            engines: data.engines.filter { owned.contains($0.key) },
            partitions: QueriedPartitions.partitions
        )
        let endpoint = OperationsEndpoint(
            registry: PrometheusCollectorRegistry(),
            query: { query in answers.answer(query) { _ in Self.other } },
            status: { StatusBoard().current }
        )
        return Application(router: endpoint.router())
    }

    @Test("/skus/{sku}: the forecast the last close published, the stock position and the open alert")
    func sku() async throws {
        let a1 = QueriedPartitions.partition("A1")
        #expect(data.published.deadLetters.isEmpty, "\(data.published.deadLetters.map(\.rejection))")
        let last = try #require(data.published.forecasts.last { $0.key == "A1" })
        let alertID = field("alert_id", in: try #require(data.published.alerts.last { $0.key == "A1" }).value)
        try await application(owned: [a1]).test(.router) { client in
            try await client.execute(uri: "/skus/A1", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let body = String(buffer: response.body)
                // The very bytes the last close published.
                #expect(body.contains(#""forecast":"# + String(decoding: last.value, as: UTF8.self) + ","))
                let object = try json(response.body)
                #expect(object["owned"] as? Bool == true)
                #expect(object["partition"] as? Int == Int(a1))
                let stock = try #require(object["stock"] as? [String: Any])
                // Counted 2 at noon on the 20th; 1 sold on the 22nd.
                #expect(stock["on_hand"] as? Double == 1)
                #expect(stock["position"] as? Double == 1)
                #expect(stock["lead_time_days"] as? Double == 7)
                #expect(stock["counted_at"] as? String == "2011-01-20T12:00:00Z")
                let open = try #require(object["alert"] as? [String: Any])
                #expect(open["alert_id"] as? String == alertID)
                #expect(open["severity"] as? String == "stockout_within_lead_time")
                let reorderPoint = try #require(open["reorder_point"] as? Double)
                let upTo = try #require(open["order_up_to"] as? Double)
                #expect(reorderPoint > 1)
                #expect(abs(try #require(open["suggested_order_quantity"] as? Double) - (upTo - 1)) < 1e-3)
            }
            // A SKU of the same partition, never seen: 404, not a made-up forecast.
            let unseen = try #require(
                (0..<100).map { "NOT-SEEN-\($0)" }.first { QueriedPartitions.partition($0) == a1 }
            )
            try await client.execute(uri: "/skus/\(unseen)", method: .get) { response in
                #expect(response.status == .notFound)
                let object = try json(response.body)
                #expect(object["error"] is String)
            }
        }
    }

    @Test("/skus/{sku} of a partition owned elsewhere names the owner and its query address")
    func elsewhere() async throws {
        let b2 = QueriedPartitions.partition("B2")
        let owned = (0..<Int32(QueriedPartitions.partitions)).filter { $0 != b2 }
        try await application(owned: owned).test(.router) { client in
            try await client.execute(uri: "/skus/B2", method: .get) { response in
                #expect(response.status == .ok)
                let object = try json(response.body)
                #expect(object["owned"] as? Bool == false)
                #expect(object["partition"] as? Int == Int(b2))
                let owner = try #require(object["owner"] as? [String: Any])
                #expect(owner["client_id"] as? String == "skucast@127.0.0.1:9999")
                #expect(owner["url"] as? String == "http://127.0.0.1:9999")
            }
        }
    }

    @Test("/alerts: open alerts, filtered by severity, paged; bad parameters are 400; / serves the live page")
    func alerts() async throws {
        let all = (0..<Int32(QueriedPartitions.partitions)).map { $0 }
        try await application(owned: all).test(.router) { client in
            try await client.execute(uri: "/alerts", method: .get) { response in
                #expect(response.status == .ok)
                let object = try json(response.body)
                #expect(object["total"] as? Int == 1)
                let alerts = try #require(object["alerts"] as? [[String: Any]])
                #expect(alerts.map { $0["sku"] as? String } == ["A1"])
                #expect(object["partitions"] as? [Int] == [0, 1])
            }
            try await client.execute(uri: "/alerts?severity=out_of_stock", method: .get) { response in
                let object = try json(response.body)
                #expect(object["total"] as? Int == 0)
            }
            try await client.execute(uri: "/alerts?severity=stockout_within_lead_time&offset=1&limit=5", method: .get) {
                response in
                let object = try json(response.body)
                #expect(object["total"] as? Int == 1)
                #expect((object["alerts"] as? [Any])?.isEmpty == true)
            }
            for bad in [
                "/alerts?severity=bogus", "/alerts?limit=0", "/alerts?limit=1001", "/alerts?offset=-1",
                "/alerts?limit=abc", "/alerts?offset=",
            ] {
                try await client.execute(uri: bad, method: .get) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                    let object = try json(response.body)
                    #expect(object["error"] is String)
                }
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let page = String(buffer: response.body)
                #expect(page.contains(#"data-table="alerts""#) && page.contains(#"id="sku-search""#))
                #expect(!page.contains("http://") && !page.contains("https://"))
            }
        }
    }

    @Test("The range strategy's owners: runs of partitions in member id order, the first ones one longer")
    func rangeOwners() {
        func owners(_ partitions: Int, _ members: Int) -> [Int?] {
            (0..<partitions).map { RangeAssignment.owner(of: $0, partitions: partitions, members: members) }
        }
        #expect(owners(6, 1) == [0, 0, 0, 0, 0, 0])
        #expect(owners(6, 2) == [0, 0, 0, 1, 1, 1])
        #expect(owners(6, 4) == [0, 0, 1, 1, 2, 3])
        #expect(owners(6, 8) == [0, 1, 2, 3, 4, 5])
        #expect(RangeAssignment.owner(of: 6, partitions: 6, members: 2) == nil)
        #expect(QueryAddress.url(clientID: "skucast@10.0.0.7:9464") == "http://10.0.0.7:9464")
        #expect(QueryAddress.url(clientID: "skucast") == nil)
        #expect(Self.other.effectiveClientID == "skucast@127.0.0.1:9999")
    }
}

/// A JSON object body.
func json(_ buffer: ByteBuffer) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
}

/// The value of a top-level string field of skucast's own JSON.
func field(_ name: String, in value: [UInt8]) -> String? {
    let text = String(decoding: value, as: UTF8.self)
    guard let r = text.range(of: "\"\(name)\":\"") else { return nil }
    return String(text[r.upperBound...].prefix { $0 != "\"" })
}
