import Foundation
import SkucastEngine
import SkucastEvents
import SkucastPipeline
import SkucastTestSupport
import Testing

@Suite("Protocol Buffers outputs, read by the reference protobuf library")
struct ProtobufOutputTests {
    /// Two weeks of the real log with stock, replayed with outputs in `encoding`.
    static func replay(_ encoding: OutputEncoding, _ files: FileSource) throws -> MemorySink {
        var replay = Replay<RecordedMessage, MemorySink>(
            partitions: [0, 1, 2],
            configuration: EngineConfiguration(),
            sink: MemorySink(valueEncoding: encoding)
        )
        for (m, topic) in files.messages { try replay.append(m, topic) }
        try replay.endAll()
        return replay.sink
    }

    static func json(_ value: [UInt8]) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(value)) as? [String: Any] ?? [:]
    }

    /// A number of the protobuf JSON mapping: 64-bit integers come as strings, and fields
    /// at their default value are left out.
    static func number(_ object: [String: Any], _ key: String) -> Double {
        switch object[key] {
        case let s as String: Double(s) ?? .nan
        case let n as NSNumber: n.doubleValue
        default: 0
        }
    }

    static func milliseconds(_ rfc3339: Any?) -> Double {
        (rfc3339 as? String).flatMap(EventTime.init(rfc3339:)).map { Double($0.milliseconds) } ?? .nan
    }

    /// Equal as far as a 32-bit float and four decimals of JSON can say.
    static func close(_ a: Double, _ b: Double) -> Bool {
        abs(a - b) <= 1e-4 + 1e-6 * max(abs(a), abs(b))
    }

    @Test(
        "forecasts and alerts of two weeks of the real log: the same messages in both encodings, field for field, and protobuf at most 40 % of the bytes"
    )
    func sameContent() throws {
        let files = try realInput(rows: 20_000)
        let json = try Self.replay(.json, files)
        let protobuf = try Self.replay(.protobuf, files)
        #expect(json.forecasts.count > 1000 && json.alerts.count > 10)
        #expect(json.forecasts.map(\.key) == protobuf.forecasts.map(\.key))
        #expect(json.alerts.map(\.key) == protobuf.alerts.map(\.key))
        let jsonBytes = json.forecasts.reduce(0) { $0 + $1.value.count }
        let protobufBytes = protobuf.forecasts.reduce(0) { $0 + $1.value.count }
        #expect(protobufBytes * 5 <= jsonBytes * 2, "\(protobufBytes) bytes of protobuf, \(jsonBytes) of JSON")

        let forecasts = try ReferenceProtobuf.decode("forecasts", protobuf.forecasts.map(\.value))
        try #require(forecasts.count == json.forecasts.count)
        for (pb, record) in zip(forecasts, json.forecasts) {
            let j = try Self.json(record.value)
            #expect(pb["forecast_id"] as? String == j["forecast_id"] as? String)
            #expect(pb["sku"] as? String == j["sku"] as? String)
            #expect(Self.number(pb, "origin_ms") == Self.milliseconds(j["origin"]))
            #expect(pb["bucket"] as? String == j["bucket"] as? String)
            #expect(pb["time_zone"] as? String == j["time_zone"] as? String)
            let levels = (pb["quantile_levels"] as? [NSNumber] ?? []).map(\.doubleValue)
            let names = levels.map(ForecastMessage.quantileName)
            let steps = j["horizon"] as? [[String: Any]] ?? []
            let starts = (pb["step_start_ms"] as? [String] ?? []).compactMap(Double.init)
            let means = (pb["step_mean"] as? [NSNumber] ?? []).map(\.doubleValue)
            let quantiles = (pb["step_quantiles"] as? [NSNumber] ?? []).map(\.doubleValue)
            try #require(starts.count == steps.count && means.count == steps.count)
            try #require(quantiles.count == steps.count * names.count)
            for (h, step) in steps.enumerated() {
                #expect(starts[h] == Self.milliseconds(step["start"]))
                #expect(Self.close(means[h], (step["mean"] as? NSNumber)?.doubleValue ?? .nan))
                let named = step["quantiles"] as? [String: NSNumber] ?? [:]
                #expect(Set(named.keys) == Set(names))
                for (i, name) in names.enumerated() {
                    #expect(Self.close(quantiles[h * names.count + i], named[name]?.doubleValue ?? .nan), "\(name)")
                }
            }
            let lead = j["lead_time_demand"] as? [String: Any] ?? [:]
            let pbLead = pb["lead_time_demand"] as? [String: Any] ?? [:]
            #expect(Self.number(pbLead, "lead_time_days") == (lead["lead_time_days"] as? NSNumber)?.doubleValue)
            #expect(Self.close(Self.number(pbLead, "mean"), (lead["mean"] as? NSNumber)?.doubleValue ?? .nan))
            let leadQuantiles = lead["quantiles"] as? [String: NSNumber] ?? [:]
            let pbLeadQuantiles = (pbLead["quantiles"] as? [NSNumber] ?? []).map(\.doubleValue)
            #expect(pbLeadQuantiles.count == names.count)
            for (name, value) in zip(names, pbLeadQuantiles) {
                #expect(Self.close(value, leadQuantiles[name]?.doubleValue ?? .nan), "\(name)")
            }
            let model = j["model"] as? [String: Any] ?? [:]
            for (field, key) in [
                ("weights", "weights"), ("components", "components"), ("global_contributions", "global_contributions"),
            ] {
                var expected = model[key] as? [String: NSNumber] ?? [:]
                if key == "components" {
                    #expect(
                        expected.removeValue(forKey: "days_since_last_sale")?.doubleValue
                            == pb["days_since_last_sale"].map { _ in Self.number(pb, "days_since_last_sale") }
                    )
                }
                let named = pb[field] as? [[String: Any]] ?? []
                #expect(named.map { $0["name"] as? String ?? "" }.sorted() == expected.keys.sorted())
                for n in named {
                    let name = n["name"] as? String ?? ""
                    #expect(Self.close(Self.number(n, "value"), expected[name]?.doubleValue ?? .nan), "\(name)")
                }
            }
        }

        let alerts = try ReferenceProtobuf.decode("restock-alerts", protobuf.alerts.map(\.value))
        try #require(alerts.count == json.alerts.count)
        for (pb, record) in zip(alerts, json.alerts) {
            let j = try Self.json(record.value)
            for key in ["alert_id", "event_id", "sku", "state", "severity"] {
                #expect(pb[key] as? String == j[key] as? String, "\(key)")
            }
            #expect(Self.number(pb, "event_time_ms") == Self.milliseconds(j["event_time"]))
            let cause = j["cause"] as? [String: Any] ?? [:]
            let pbCause = pb["cause"] as? [String: Any] ?? [:]
            #expect(pbCause["topic"] as? String == cause["topic"] as? String)
            #expect(Self.number(pbCause, "partition") == (cause["partition"] as? NSNumber)?.doubleValue)
            #expect(Self.number(pbCause, "offset") == (cause["offset"] as? NSNumber)?.doubleValue)
            #expect(pbCause["order_id"] as? String == cause["order_id"] as? String)
            for key in [
                "on_hand", "on_order", "projected_position", "reorder_point", "order_up_to",
                "suggested_order_quantity", "lead_time_days", "service_level",
            ] {
                #expect(Self.close(Self.number(pb, key), (j[key] as? NSNumber)?.doubleValue ?? .nan), "\(key)")
            }
            let cover = (j["days_of_cover"] as? NSNumber)?.doubleValue
            #expect(cover == nil ? pb["days_of_cover"] == nil : Self.close(Self.number(pb, "days_of_cover"), cover!))
        }
    }
}
