import Foundation
import SkucastEngine
import SkucastKafka
import SkucastKafkaTesting
import Testing

@Suite("Queries against running instances", .serialized)
struct LiveQueryTests {
    let broker: DevBroker

    init() throws { broker = try DevBroker.shared() }

    @Test(
        "Two instances in one group: /skus answers with what the topic got last, names the other instance for its SKUs; /alerts lists the open alerts; the live page renders both in Chromium"
    )
    func twoInstances() throws {
        let prefix = "pv\(UUID().uuidString.prefix(6).lowercased())."
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-queries-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let apply = try skucast(["topics", "apply", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix])
        #expect(apply.status == 0, "\(apply.stderr)")
        let load = try skucast([
            "load", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--csv", onlineRetailCSV, "--limit",
            "25000", "--inventory", "synthetic",
        ])
        #expect(load.status == 0, "\(load.stderr)")
        let ports = try [DevBroker.freeLoopbackPort(), DevBroker.freeLoopbackPort()]
        let instances = try ports.enumerated().map { i, port in
            try spawnSkucast(
                [
                    "run", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--group",
                    "g-" + prefix.dropLast(), "--state-dir", dir.appendingPathComponent("state").path,
                    "--session-timeout-ms", "2000", "--log-level", "notice", "--http-port", "\(port)",
                ],
                log: dir.appendingPathComponent("run-\(i).log")
            )
        }
        defer {
            for p in instances where p.isRunning { p.terminate() }
            for p in instances { p.waitUntilExit() }
        }
        // Both ready, the six partitions split between them.
        var owned: [[Int32]] = [[], []]
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            owned = ports.map { port in
                guard let r = httpGet("http://127.0.0.1:\(port)/readyz"), r.status == 200,
                    let list = r.body.split(separator: " ").dropFirst(2).first
                else { return [] }
                return list.split(separator: ",").compactMap {
                    Int32($0.trimmingCharacters(in: .punctuationCharacters))
                }
            }
            if owned.allSatisfy({ !$0.isEmpty }), Set(owned.joined()).count == 6, owned.joined().count == 6 { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(Set(owned.joined()) == Set(0..<6), "\(owned)")

        // The last forecast each SKU got on the topic, and the alerts still open there.
        let forecasts = try readTopic(prefix + "forecasts", broker: broker)
        var last: [String: (partition: Int32, value: [UInt8])] = [:]
        for m in forecasts.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            guard let sku = field("sku", in: m.value ?? []) else { continue }
            last[sku] = (m.partition, m.value ?? [])
        }
        var open: [String: String] = [:]
        for m in try readTopic(prefix + "restock-alerts", broker: broker)
            .sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) })
        {
            let v = m.value ?? []
            guard let sku = field("sku", in: v), let state = field("state", in: v) else { continue }
            open[sku] = state == "resolved" ? nil : field("alert_id", in: v)
        }
        #expect(!open.isEmpty)

        let (first, second) = (ports[0], ports[1])
        // A busy SKU of each instance.
        let skus = last.keys.sorted()
        let mine = try #require(skus.first { owned[0].contains(last[$0]!.partition) })
        let theirs = try #require(skus.first { owned[1].contains(last[$0]!.partition) })
        let answer = try #require(httpGet("http://127.0.0.1:\(first)/skus/\(mine)"))
        #expect(answer.status == 200)
        #expect(
            answer.body.contains(#""forecast":"# + String(decoding: last[mine]!.value, as: UTF8.self) + ","),
            "\(answer.body.prefix(600))"
        )
        let elsewhere = try #require(httpGet("http://127.0.0.1:\(first)/skus/\(theirs)"))
        #expect(elsewhere.body.contains(#""owned":false"#), "\(elsewhere.body)")
        #expect(elsewhere.body.contains(#""url":"http://127.0.0.1:\#(second)""#), "\(elsewhere.body)")

        // Every open alert of the first instance's partitions, paged through 100 at a time.
        var listed: [String: String] = [:]
        var offset = 0
        while true {
            let page = try #require(httpGet("http://127.0.0.1:\(first)/alerts?limit=100&offset=\(offset)"))
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(page.body.utf8)) as? [String: Any]
            )
            let alerts = try #require(object["alerts"] as? [[String: Any]])
            for a in alerts { listed[a["sku"] as! String] = a["alert_id"] as? String }
            offset += 100
            if alerts.count < 100 { break }
        }
        let expected = open.filter { sku, _ in
            owned[0].contains(Int32(Murmur2Partitioner.partition(of: Array(sku.utf8), partitions: 6)))
        }
        #expect(listed == expected, "\(listed.count) listed, \(expected.count) open on the topic")

        // The live page: the open alerts, and the SKU asked for in the URL with its forecast.
        let dom = try renderedDOM("http://127.0.0.1:\(first)/?sku=\(mine)")
        let table = try #require(element(#"data-table="alerts""#, in: dom, closing: "</table>"))
        #expect(occurrences("<tr data-alert-id=", in: table) == min(50, listed.count))
        let steps = try #require(element(#"data-table="sku-forecast""#, in: dom, closing: "</table>"))
        #expect(occurrences("<tr", in: steps) == 1 + 14, "\(steps.prefix(1500))")
        let chart = try #require(element(#"data-chart="sku-forecast""#, in: dom, closing: "</svg>"))
        #expect(occurrences("<path", in: chart) >= 2)
        let explanation = try #require(element(#"data-table="sku-explanation""#, in: dom, closing: "</table>"))
        // Weights, components and the global model's contributions, one row each.
        #expect(occurrences("global model, units", in: explanation) == 6, "\(explanation.prefix(3000))")
        #expect(explanation.contains("<td>price</td>") && explanation.contains("<td>recency</td>"))
        let away = try renderedDOM("http://127.0.0.1:\(first)/?sku=\(theirs)")
        #expect(away.contains("http://127.0.0.1:\(second)/?sku=\(theirs)"), "\(away.suffix(3000))")
    }
}
