import ArgumentParser
import Foundation
import SkucastKafka

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract:
            "Print forecasts and restock alerts as they arrive, one line each, for people: a sample of forecasts, every alert raised or resolved. Commits nothing."
    )

    @OptionGroup var kafka: KafkaOptions

    @Option(help: "Print at most one forecast line per this many seconds.")
    var forecastEvery: Double = 1

    @Option(help: "Print at most this many alert lines (the count goes on).")
    var maxAlerts: Int = 40

    @Option(help: "Stop after this many seconds without a new message (once some arrived); never when absent.")
    var idle: Double?

    func run() throws {
        let forecasts = kafka.topicPrefix + "forecasts"
        let alerts = kafka.topicPrefix + "restock-alerts"
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(client: kafka.client(), groupID: "skucast-watch-\(getpid())"),
            logger: kafka.logger("skucast.watch")
        )
        var start: [KafkaTopicPartition: KafkaOffset] = [:]
        for topic in [forecasts, alerts] {
            guard let t = try consumer.metadata(topics: [topic], timeout: .seconds(10)).topic(topic) else {
                throw ValidationError("no topic \(topic)")
            }
            for p in t.partitions { start[KafkaTopicPartition(topic: topic, partition: p.id)] = .beginning }
        }
        // Assigned, not subscribed: watching never joins a group or moves offsets.
        try consumer.assign(start)
        var counts: [String: Int] = [:]
        var lastForecast = Date.distantPast
        var lastMessage = Date()
        var seen = false
        var alertLines = 0
        while true {
            let batch = try consumer.poll(timeout: .milliseconds(200))
            if !batch.isEmpty {
                lastMessage = Date()
                seen = true
            }
            for m in batch {
                // Counted from the raw bytes; parsed only when printed, so watching keeps
                // up with a service publishing hundreds of thousands of forecasts.
                guard let value = m.value else { continue }
                if m.topic == forecasts {
                    counts["forecasts", default: 0] += 1
                    guard Date().timeIntervalSince(lastForecast) >= forecastEvery,
                        let object = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any]
                    else { continue }
                    lastForecast = Date()
                    print(Self.forecastLine(object))
                } else {
                    let text = String(decoding: value, as: UTF8.self)
                    let state = ["raised", "updated", "resolved"].first { text.contains("\"state\":\"\($0)\"") } ?? "?"
                    counts["alerts " + state, default: 0] += 1
                    guard state != "updated", alertLines < maxAlerts,
                        let object = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any]
                    else { continue }
                    alertLines += 1
                    print(Self.alertLine(object))
                }
            }
            if let idle, seen, Date().timeIntervalSince(lastMessage) > idle { break }
        }
        print("seen: " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        try consumer.close()
    }

    static func number(_ v: Any?) -> String {
        guard let d = (v as? NSNumber)?.doubleValue else { return "-" }
        return d >= 100 ? String(format: "%.0f", d) : String(format: "%.1f", d)
    }

    static func forecastLine(_ f: [String: Any]) -> String {
        let steps = f["horizon"] as? [[String: Any]] ?? []
        let week = steps.prefix(7)
        let mean = week.reduce(0.0) { $0 + (($1["mean"] as? NSNumber)?.doubleValue ?? 0) }
        let lead = f["lead_time_demand"] as? [String: Any] ?? [:]
        let leadQ = lead["quantiles"] as? [String: Any] ?? [:]
        let weights = ((f["model"] as? [String: Any])?["weights"] as? [String: Any] ?? [:])
            .compactMap { k, v in (v as? NSNumber).map { (k, $0.doubleValue) } }
            .sorted { $0.1 > $1.1 }.prefix(2).map { "\($0.0) \(String(format: "%.2f", $0.1))" }.joined(separator: ", ")
        let origin = (f["origin"] as? String ?? "").prefix(10)
        return
            "forecast  \(f["sku"] as? String ?? "?")  from \(origin)  next 7 days \(number(mean))  lead time \(number(lead["lead_time_days"]))d: mean \(number(lead["mean"])), p95 \(number(leadQ["p95"]))  [\(weights)]"
    }

    static func alertLine(_ a: [String: Any]) -> String {
        let state = (a["state"] as? String ?? "?").uppercased()
        let when = (a["event_time"] as? String ?? "").prefix(16)
        return
            "ALERT \(state)  \(a["sku"] as? String ?? "?")  \(a["severity"] as? String ?? "")  at \(when)  on hand \(number(a["on_hand"])), reorder point \(number(a["reorder_point"])), order \(number(a["suggested_order_quantity"])), cover \(number(a["days_of_cover"]))d"
    }
}
