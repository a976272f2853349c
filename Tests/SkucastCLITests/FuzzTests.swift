import Foundation
import Logging
import SkucastEvents
import SkucastKafka
import SkucastKafkaTesting
import SkucastTestSupport
import Testing

/// Damage done to a good order message, and the dead-letter reasons it may earn.
enum Damage: CaseIterable {
    case truncated, wrongType, notANumber, huge, bitFlip, latin1, farFuture, farPast, foreignKey, duplicate

    var reasons: Set<String> {
        switch self {
        case .truncated, .notANumber: ["malformed"]
        case .wrongType: ["wrong_type"]
        case .huge: ["invalid_value"]
        case .bitFlip, .latin1: ["not_utf8"]
        // Live, the wall clock catches it first; the stream time would too.
        case .farFuture: ["ahead_of_wall_clock", "ahead_of_stream_time"]
        case .farPast: ["implausible_time"]
        case .foreignKey: ["key_mismatch"]
        case .duplicate: ["duplicate"]
        }
    }

    /// The damaged copy of a good message's key and value.
    func apply(key: [UInt8], value: [UInt8], _ rng: inout SplitMix64) -> (key: [UInt8], value: [UInt8]) {
        let text = String(decoding: value, as: UTF8.self)
        func replacing(_ pattern: String, with replacement: String) -> [UInt8] {
            guard let r = text.range(of: pattern, options: .regularExpression) else {
                Issue.record("no \(pattern) in \(text)")
                return value
            }
            return Array(text.replacingCharacters(in: r, with: replacement).utf8)
        }
        switch self {
        case .truncated: return (key, Array(value.prefix(Int.random(in: 1..<value.count, using: &rng))))
        case .wrongType: return (key, replacing(#""quantity":[-0-9.e]+"#, with: #""quantity":"12""#))
        case .notANumber: return (key, replacing(#""unit_price":[-0-9.e]+"#, with: #""unit_price":NaN"#))
        case .huge: return (key, replacing(#""quantity":[-0-9.e]+"#, with: #""quantity":1e300"#))
        case .bitFlip:
            var bytes = value
            bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= 0x80
            return (key, bytes)
        case .latin1:
            // "Curaçao" in ISO-8859-1, not UTF-8.
            var bytes = replacing(#""currency":"[A-Z]{3}""#, with: #""currency":"GBP","region":"Cura#ao""#)
            if text.contains(#""region":"#) {
                bytes = replacing(#""region":"[^"]*""#, with: #""region":"Cura#ao""#)
            }
            bytes[bytes.firstIndex(of: UInt8(ascii: "#"))!] = 0xE7
            return (key, bytes)
        case .farFuture:
            let year = Int.random(in: 2040...2099, using: &rng)
            return (key, replacing(#""event_time":"[0-9]{4}"#, with: "\"event_time\":\"\(year)"))
        case .farPast: return (key, replacing(#""event_time":"[0-9]{4}"#, with: #""event_time":"1987"#))
        case .foreignKey: return (Array("NOT-THE-SKU".utf8), value)
        case .duplicate: return (key, value)
        }
    }
}

@Suite("Fuzzed input through the live service", .serialized)
struct FuzzTests {
    let broker: DevBroker

    init() throws { broker = try DevBroker.shared() }

    @Test(
        "10,000 damaged orders (truncated, wrong types, NaN, huge numbers, bit flips, Latin-1 text, far-future and far-past times, foreign keys, duplicates) among 25,000 real rows: the service stops for none, each goes to dead letters with its reason, and the forecasts and alerts equal a clean run's"
    )
    func damagedOrdersLive() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-fuzz-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let tag = UUID().uuidString.prefix(6).lowercased()
        let (clean, fuzzed) = ("clean\(tag).", "fuzz\(tag).")
        let service = try ServiceTests()
        try service.prepare(clean)
        let calm = try skucast(
            service.runArguments(clean, state: root.appendingPathComponent("clean")) + ["--stop-when-idle", "2"]
        )
        #expect(calm.status == 0, "\(calm.stderr)")

        // The clean topics' messages again, each partition in order, with damaged copies
        // of good orders after them.
        let apply = try skucast(["topics", "apply", "--brokers", broker.bootstrapServers, "--topic-prefix", fuzzed])
        #expect(apply.status == 0, "\(apply.stderr)")
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: broker.clientConfiguration()),
            logger: logger
        )
        var rng = SplitMix64(seed: 6)
        var expected: [Damage: Int] = [:]
        let orders = try readTopic(clean + "orders", broker: broker).sorted {
            ($0.partition, $0.offset) < ($1.partition, $1.offset)
        }
        #expect(orders.count > 20_000)
        for m in orders {
            let (key, value) = (m.key ?? [], m.value ?? [])
            let time = m.timestamp?.milliseconds
            func send(_ key: [UInt8], _ value: [UInt8]) throws {
                let message = KafkaProducerMessage(
                    topic: fuzzed + "orders",
                    partition: m.partition,
                    key: key,
                    value: value,
                    timestamp: time
                )
                _ = try producer.send(message)
            }
            try send(key, value)
            guard expected.values.reduce(0, +) < 10_000, Int.random(in: 0..<5, using: &rng) < 2 else { continue }
            let damage = Damage.allCases[Int.random(in: 0..<Damage.allCases.count, using: &rng)]
            let bad = damage.apply(key: key, value: value, &rng)
            try send(bad.key, bad.value)
            expected[damage, default: 0] += 1
        }
        for m in try readTopic(clean + "inventory", broker: broker).sorted(by: { $0.offset < $1.offset }) {
            let message = KafkaProducerMessage(
                topic: fuzzed + "inventory",
                partition: m.partition,
                key: m.key,
                value: m.value,
                timestamp: m.timestamp?.milliseconds
            )
            _ = try producer.send(message)
        }
        try producer.flush(timeout: .seconds(60))
        #expect(expected.values.reduce(0, +) == 10_000)

        let rough = try skucast(
            service.runArguments(fuzzed, state: root.appendingPathComponent("fuzz")) + ["--stop-when-idle", "2"]
        )
        #expect(rough.status == 0, "\(rough.stderr)")

        // Every damaged message is a dead letter with its reason; nothing else is.
        var reasons: [String: Int] = [:]
        for m in try readTopic(fuzzed + "dead-letter", broker: broker) {
            let reason = m.headers.first { $0.name == "skucast.dlq.reason" }?.value ?? []
            reasons[String(decoding: reason, as: UTF8.self), default: 0] += 1
        }
        print(
            "damaged: \(expected.map { "\($0.key)=\($0.value)" }.sorted()); dead letters: \(reasons.map { "\($0.key)=\($0.value)" }.sorted())"
        )
        #expect(reasons.values.reduce(0, +) == 10_000)
        // Damage of the same kind shares its reasons (truncated and NaN are both malformed).
        var byReasons: [Set<String>: Int] = [:]
        for (damage, n) in expected { byReasons[damage.reasons, default: 0] += n }
        for (names, n) in byReasons {
            let got = names.reduce(0) { $0 + reasons[$1, default: 0] }
            #expect(got == n, "\(names.sorted()): \(got) dead letters for \(n) damaged")
        }

        // The good events' outputs: forecasts byte for byte, alerts but for the offset of
        // their cause (the damaged messages moved the good ones' offsets).
        func bySKU(_ topic: String, _ prefix: String) throws -> [String: [String]] {
            var out: [String: [String]] = [:]
            for m in try readTopic(prefix + topic, broker: broker) {
                var text = String(decoding: m.value ?? [], as: UTF8.self)
                text = text.replacingOccurrences(of: prefix, with: "")
                text = text.replacingOccurrences(of: #""offset":[0-9]+"#, with: "", options: .regularExpression)
                out[try #require(field("sku", in: m.value ?? [])), default: []].append(text)
            }
            return out
        }
        for topic in ["forecasts", "restock-alerts"] {
            let (a, b) = (try bySKU(topic, clean), try bySKU(topic, fuzzed))
            #expect(a.values.reduce(0) { $0 + $1.count } > (topic == "forecasts" ? 10_000 : 100), "\(topic)")
            #expect(a == b, "\(topic): the fuzzed run differs")
        }
    }
}
