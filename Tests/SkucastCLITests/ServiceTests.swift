import Foundation
import Logging
import SkucastEngine
import SkucastEvents
import SkucastKafka
import SkucastKafkaTesting
import SkucastService
import SkucastTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Starts the `skucast` binary without waiting for it.
func spawnSkucast(_ arguments: [String], log: URL) throws -> Process {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
        "skucast"
    )
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = repository
    try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
    if !FileManager.default.fileExists(atPath: log.path) {
        FileManager.default.createFile(atPath: log.path, contents: nil)
    }
    let handle = try FileHandle(forWritingTo: log)
    handle.seekToEndOfFile()
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    return process
}

/// Every message of a topic, read from the beginning to the end each partition had.
func readTopic(_ topic: String, broker: DevBroker) throws -> [KafkaMessage] {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    var config = KafkaConsumerConfiguration(client: broker.clientConfiguration(), groupID: "test-read-\(UUID())")
    config.reportEndOfPartition = true
    let consumer = try KafkaConsumer(configuration: config, logger: logger)
    let count = try #require(try consumer.metadata(topics: [topic], timeout: .seconds(10)).topic(topic)).partitions
        .count
    let partitions = (0..<count).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) }
    try consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset.beginning) }))
    var remaining = Set(partitions)
    var messages: [KafkaMessage] = []
    let deadline = ContinuousClock.now + .seconds(120)
    while !remaining.isEmpty && ContinuousClock.now < deadline {
        let batch = try consumer.poll(timeout: .milliseconds(200))
        messages += batch
        remaining.subtract(batch.reachedEnd)
    }
    #expect(remaining.isEmpty, "\(topic) not read to its end")
    return messages
}

/// The value of a top-level string field, found by text (the values are skucast's own JSON).
func field(_ name: String, in value: [UInt8]) -> String? {
    let text = String(decoding: value, as: UTF8.self)
    guard let r = text.range(of: "\"\(name)\":\"") else { return nil }
    return String(text[r.upperBound...].prefix { $0 != "\"" })
}

/// The newest snapshot of every partition in a state directory, decoded.
func finalSnapshots(_ dir: URL, partitions: Int) throws -> [PartitionSnapshot] {
    try (0..<partitions).map { p in
        let folder = dir.appendingPathComponent("p\(p)")
        let newest = try #require(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".snapshot") }
                .sorted().last
        )
        return try SnapshotCodec.decode(Array(Data(contentsOf: folder.appendingPathComponent(newest))))
    }
}

/// GET over loopback: status and body; nil when nothing answers.
func httpGet(_ url: String) -> (status: Int, body: String)? {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: (Int, String)?
    URLSession.shared.dataTask(with: URL(string: url)!) { data, response, _ in
        if let http = response as? HTTPURLResponse {
            result = (http.statusCode, String(decoding: data ?? Data(), as: UTF8.self))
        }
        done.signal()
    }.resume()
    done.wait()
    return result
}

@Suite("skucast run against the dev broker", .serialized)
struct ServiceTests {
    let broker: DevBroker
    /// Two weeks of the real Online Retail log: enough for thousands of forecasts and a
    /// few seconds of debug-build processing to kill into.
    static let rows = "25000"

    init() throws {
        broker = try DevBroker.shared()
    }

    func prepare(_ prefix: String, rows: String = rows) throws {
        let apply = try skucast(["topics", "apply", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix])
        #expect(apply.status == 0, "\(apply.stderr)")
        let load = try skucast([
            "load", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--csv", onlineRetailCSV, "--limit",
            rows, "--inventory", "synthetic",
        ])
        #expect(load.status == 0, "\(load.stderr)")
    }

    /// The consumer group of runs on `prefix`'s topics. Each test's runs have their own: a
    /// member a previous test killed with -9 could hold a shared group in a rebalance on the
    /// dev broker, and the next test's run then waited without partitions.
    func group(_ prefix: String) -> String { "g-" + prefix.dropLast() }

    /// Whether a thread of this process may take the real-time FIFO policy: tried on a
    /// thread of its own, which ends straight after.
    static func realtimeAllowed() -> Bool {
        onNewThread {
            var parameters = sched_param()
            parameters.sched_priority = 1
            return sched_setscheduler(0, SCHED_FIFO, &parameters) == 0
        }
    }

    func runArguments(_ prefix: String, state: URL) -> [String] {
        [
            "run", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--group", group(prefix),
            "--state-dir", state.path,
            "--session-timeout-ms", "2000", "--checkpoint-events", "2000", "--checkpoint-seconds", "0.5", "--log-level",
            "notice", "--http-port", "0",
        ]
    }

    /// Every output of the calm run is in the other run; repeats (from the uncommitted
    /// window before a kill or a rebalance) carry the same id and the same payload.
    func compareOutputs(calm: String, other rough: String, kills: Int) throws {
        // Every output of the calm run is there; repeats (from the uncommitted window
        // before each kill) carry the same id and the same bytes.
        for (topic, idField) in [("forecasts", "forecast_id"), ("restock-alerts", "event_id")] {
            // Payloads compared as text, with the one intended difference (an alert names
            // its cause's topic, and the two runs read differently prefixed topics) undone.
            var calmByID: [String: String] = [:]
            for m in try readTopic(calm + topic, broker: broker) {
                let id = try #require(field(idField, in: m.value ?? []))
                #expect(
                    calmByID.updateValue(String(decoding: m.value ?? [], as: UTF8.self), forKey: id) == nil,
                    "the calm run repeated \(id)"
                )
            }
            var seen: Set<String> = []
            var repeats = 0
            for m in try readTopic(rough + topic, broker: broker) {
                let id = try #require(field(idField, in: m.value ?? []))
                let payload = String(decoding: m.value ?? [], as: UTF8.self).replacingOccurrences(
                    of: "\"topic\":\"\(rough)",
                    with: "\"topic\":\"\(calm)"
                )
                #expect(calmByID[id] == payload, "\(topic) \(id): not in the calm run, or a different payload")
                if !seen.insert(id).inserted { repeats += 1 }
            }
            #expect(seen == Set(calmByID.keys), "\(topic): \(Set(calmByID.keys).subtracting(seen).count) missing")
            #expect(!calmByID.isEmpty, "\(topic): the calm run produced none")
            print("\(topic): \(calmByID.count) distinct, \(repeats) repeated after \(kills) kills")
        }
    }

    func finalStatesEqual(calm: String, _ calmState: URL, other: String, _ otherState: URL) throws {
        let expected = try finalSnapshots(calmState.appendingPathComponent(group(calm)), partitions: 6)
        let actual = try finalSnapshots(otherState.appendingPathComponent(group(other)), partitions: 6)
        for p in 0..<6 {
            #expect(actual[p].engine == expected[p].engine, "partition \(p): the engine state differs")
            #expect(actual[p].offsets.map(\.nextOffset) == expected[p].offsets.map(\.nextOffset))
        }
    }

    @Test(
        "One pipeline: a live run, a replay of its topics and a replay of the file it was loaded from publish the same forecasts and alerts, byte for byte, at engine settings that are not the defaults"
    )
    func onePipeline() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-same-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let prefix = "same\(UUID().uuidString.prefix(6).lowercased())."
        try prepare(prefix)
        // Every path must carry every engine setting: a default taken anywhere shows here.
        let settings = [
            "--time-zone", "Europe/London", "--horizon", "21", "--service-level", "0.9", "--lead-time-days", "10",
            "--alert-warm-up-buckets", "3", "--lateness-minutes", "120", "--forecast-active-buckets", "14",
        ]
        let live = try skucast(
            runArguments(prefix, state: root.appendingPathComponent("state")) + ["--stop-when-idle", "2"] + settings
        )
        #expect(live.status == 0, "\(live.stderr)")
        let fromTopics = root.appendingPathComponent("topics")
        let fromFile = root.appendingPathComponent("file")
        let topics = try skucast(
            [
                "backtest", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--topic", "orders",
                "--published-out", fromTopics.path,
            ] + settings
        )
        #expect(topics.status == 0, "\(topics.stderr)")
        let file = try skucast(
            [
                "backtest", "--csv", onlineRetailCSV, "--limit", Self.rows, "--inventory", "synthetic",
                "--topic-prefix",
                prefix, "--published-out", fromFile.path,
            ] + settings
        )
        #expect(file.status == 0, "\(file.stderr)")
        // London days do not fit the protocol: said, not failed.
        #expect(file.stdout.contains("not scored:") && file.stdout.contains("Europe/London"), "\(file.stdout)")

        // Per SKU, in order: partitions interleave differently in each run.
        func bySKU(_ values: [[UInt8]]) throws -> [String: [String]] {
            var out: [String: [String]] = [:]
            for v in values {
                out[try #require(field("sku", in: v)), default: []].append(String(decoding: v, as: UTF8.self))
            }
            return out
        }
        for (topic, file) in [("forecasts", "forecasts.jsonl"), ("restock-alerts", "restock-alerts.jsonl")] {
            let published = try bySKU(try readTopic(prefix + topic, broker: broker).map { $0.value ?? [] })
            #expect(published.values.reduce(0) { $0 + $1.count } > (topic == "forecasts" ? 10_000 : 100), "\(topic)")
            for dir in [fromTopics, fromFile] {
                let lines = try Data(contentsOf: dir.appendingPathComponent(file)).split(separator: 0x0A).map {
                    Array($0)
                }
                let replayed = try bySKU(lines)
                #expect(
                    replayed == published,
                    "\(topic): \(dir.lastPathComponent) replay differs from the live run (\(lines.count) lines)"
                )
            }
        }
    }

    @Test(
        "Two, then three instances in one group, one killed and restarted mid-replay: the same final state and outputs as a single instance"
    )
    func scaleOutExactness() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-group-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let tag = UUID().uuidString.prefix(6).lowercased()
        let calm = "single\(tag)."
        try prepare(calm)
        let calmState = root.appendingPathComponent("single")
        let reference = try skucast(runArguments(calm, state: calmState) + ["--stop-when-idle", "2"])
        #expect(reference.status == 0, "\(reference.stderr)")

        let crowd = "crowd\(tag)."
        try prepare(crowd)
        let state = root.appendingPathComponent("crowd")
        // Info logs, to see partitions move. Idle for 15 s before stopping, longer than the
        // group takes to settle: the dev broker keeps a group whose leader leaves during a
        // rebalance waiting for that leader for ever, and an instance that caught up on its
        // first partitions would otherwise leave while the others still join.
        let arguments =
            runArguments(crowd, state: state).map { $0 == "notice" ? "info" : $0 } + ["--stop-when-idle", "15"]
        // One log per instance: processes writing one file clobber each other's lines.
        func log(_ name: String) -> URL { root.appendingPathComponent("crowd-\(name).log") }
        let a = try spawnSkucast(arguments, log: log("a"))
        let b = try spawnSkucast(arguments, log: log("b"))
        Thread.sleep(forTimeInterval: 2.5)
        let c = try spawnSkucast(arguments, log: log("c"))
        Thread.sleep(forTimeInterval: 2.5)
        let killed = b.isRunning
        kill(b.processIdentifier, SIGKILL)
        b.waitUntilExit()
        Thread.sleep(forTimeInterval: 2)
        let b2 = try spawnSkucast(arguments, log: log("b2"))
        let deadline = Date().addingTimeInterval(180)
        let instances = [("a", a), ("c", c), ("b2", b2)]
        for (_, p) in instances {
            while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }
        var output = ""
        for (name, p) in instances {
            let text = (try? String(contentsOf: log(name), encoding: .utf8)) ?? ""
            output += text
            #expect(p.terminationStatus == 0, "instance \(name) failed; its log ends:\n\(text.suffix(6000))")
        }
        #expect(killed, "the replay ended before the kill: make it longer")
        #expect(
            output.components(separatedBy: "partition restored").count > 2,
            "partitions moved between instances through snapshots"
        )

        try finalStatesEqual(calm: calm, calmState, other: crowd, state)
        try compareOutputs(calm: calm, other: crowd, kills: 1)
    }

    @Test(
        "State in Kafka: two instances with separate state directories, as on two machines; one killed mid-replay; the survivor restores its partitions from its standby copies of the state topic, and ends with a single instance's state and outputs"
    )
    func stateInKafka() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-kstate-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let tag = UUID().uuidString.prefix(6).lowercased()
        let calm = "kcalm\(tag)."
        try prepare(calm)
        let calmState = root.appendingPathComponent("single")
        let reference = try skucast(runArguments(calm, state: calmState) + ["--stop-when-idle", "2"])
        #expect(reference.status == 0, "\(reference.stderr)")

        let moved = "kmoved\(tag)."
        try prepare(moved)
        func arguments(_ machine: String, logLevel: String = "info") -> [String] {
            runArguments(moved, state: root.appendingPathComponent(machine)).map { $0 == "notice" ? logLevel : $0 }
                + ["--state-store", "kafka", "--stop-when-idle", "15"]
        }
        func log(_ name: String) -> URL { root.appendingPathComponent("\(name).log") }
        // a keeps standby copies; b reads the topic when partitions come its way.
        let a = try spawnSkucast(arguments("machine-a") + ["--standby-replicas", "1"], log: log("a"))
        // b logs at debug level for its checkpoints (skucast's other debug lines are few,
        // and librdkafka's come only with its `debug` setting).
        let b = try spawnSkucast(arguments("machine-b", logLevel: "debug"), log: log("b"))
        // Kill b once it has written a snapshot of the partitions it was last given and a
        // follows them as standby copies: a fixed wait after the assignment raced b's
        // restore on a busy host.
        func lines(_ name: String) -> [Substring] {
            ((try? String(contentsOf: log(name), encoding: .utf8)) ?? "").split(separator: "\n")
        }
        let deadline = Date().addingTimeInterval(60)
        var (checkpointed, followed) = (false, false)
        while b.isRunning && Date() < deadline && !(checkpointed && followed) {
            let bLines = lines("b")
            if let assigned = bLines.lastIndex(where: { $0.contains("partitions assigned") }) {
                let owned = Set(bLines[assigned].matches(of: /orders\[(\d+)\]/).map { Int($0.1)! })
                checkpointed = bLines[assigned...].contains {
                    $0.hasSuffix("] checkpoint") && $0.contains(/partitions=\[\d/)
                }
                let standby = lines("a").last { $0.contains("standby: following the state topic") }
                let following = standby?.firstMatch(of: /partitions=\[([\d, ]*)\]/).map {
                    Set($0.1.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) })
                }
                followed = !owned.isEmpty && following.map(owned.isSubset) == true
            }
            if !(checkpointed && followed) { Thread.sleep(forTimeInterval: 0.1) }
        }
        let killed = b.isRunning
        kill(b.processIdentifier, SIGKILL)
        b.waitUntilExit()
        while a.isRunning && Date() < deadline.addingTimeInterval(120) { Thread.sleep(forTimeInterval: 0.2) }
        if a.isRunning { kill(a.processIdentifier, SIGKILL) }
        a.waitUntilExit()
        let survivor = (try? String(contentsOf: log("a"), encoding: .utf8)) ?? ""
        #expect(a.terminationStatus == 0, "\(survivor.suffix(6000))")
        #expect(killed, "the replay ended before the kill: make it longer")
        #expect(checkpointed, "b wrote no snapshot of its partitions before the kill")
        #expect(followed, "a did not follow b's partitions before the kill")
        let before = (try? String(contentsOf: log("b"), encoding: .utf8)) ?? ""
        // b's partitions, as the group gave them to it before the kill.
        let bPartitions = Set(
            before.split(separator: "\n").filter { $0.contains("partitions assigned") }.flatMap { line in
                line.matches(of: /orders\[(\d+)\]/).map { Int($0.1)! }
            }
        )
        #expect(!bPartitions.isEmpty, "\(before.suffix(3000))")
        for p in bPartitions {
            let restored = survivor.split(separator: "\n").filter {
                $0.contains("partition=\(p) skus=") && $0.contains("snapshot=kafka:\(moved)state[\(p)]/")
            }
            #expect(!restored.isEmpty, "partition \(p) was not restored from the state topic: \(survivor.suffix(4000))")
            #expect(
                restored.last?.contains("(standby copy)") == true,
                "partition \(p) was not restored from a standby copy: \(restored)"
            )
        }
        let summary = try #require(survivor.firstMatch(of: /partitions restored: (\d+) from snapshots/))
        #expect(Int(summary.1)! >= bPartitions.count, "counted")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("machine-a/\(group(moved))").path))

        // The state topic's newest snapshots equal the single instance's final ones.
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let store = try KafkaSnapshotStore(topic: moved + "state", client: broker.clientConfiguration(), logger: logger)
        let expected = try finalSnapshots(calmState.appendingPathComponent(group(calm)), partitions: 6)
        for p in 0..<6 {
            let newest = try #require(try store.newestValid(of: Int32(p)) { s, e in Issue.record("\(s): \(e)") })
            #expect(newest.0.engine == expected[p].engine, "partition \(p): the engine state differs")
            #expect(newest.0.offsets.map(\.nextOffset) == expected[p].offsets.map(\.nextOffset))
        }
        try compareOutputs(calm: calm, other: moved, kills: 1)
    }

    @Test(
        "Processing threads: partitions processed side by side on three threads end with the state and outputs of one thread"
    )
    func processingThreads() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-threads-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let tag = UUID().uuidString.prefix(6).lowercased()
        let (one, three) = ("one\(tag).", "three\(tag).")
        var summaries: [String: String] = [:]
        for (prefix, threads) in [(one, "1"), (three, "3")] {
            try prepare(prefix)
            let run = try skucast(
                runArguments(prefix, state: root.appendingPathComponent(prefix))
                    + ["--stop-when-idle", "2", "--processing-threads", threads]
            )
            #expect(run.status == 0, "\(run.stderr)")
            summaries[prefix] = run.stdout
        }
        // The side-by-side path ran, and only where asked for.
        #expect(
            summaries[one]?.contains("; 0 polls processed side by side (processing threads: 1)") == true,
            "\(summaries[one] ?? "")"
        )
        let sideBySide = try #require(
            summaries[three]?.firstMatch(of: /; (\d+) polls processed side by side \(processing threads: 3\)/)
        )
        #expect(Int(sideBySide.1)! > 0, "\(summaries[three] ?? "")")
        try finalStatesEqual(
            calm: one,
            root.appendingPathComponent(one),
            other: three,
            root.appendingPathComponent(three)
        )
        try compareOutputs(calm: one, other: three, kills: 0)
        // A SKU's outputs come from one thread, in the order one thread makes them (an
        // alert names its cause's topic, prefix and all: the one intended difference).
        for topic in ["forecasts", "restock-alerts"] {
            func bySKU(_ prefix: String) throws -> [String: [String]] {
                var out: [String: [String]] = [:]
                for m in try readTopic(prefix + topic, broker: broker) {
                    out[m.keyString ?? "", default: []].append(
                        String(decoding: m.value ?? [], as: UTF8.self).replacingOccurrences(of: prefix, with: "")
                    )
                }
                return out
            }
            let (a, b) = (try bySKU(one), try bySKU(three))
            #expect(a.count > 100 && a == b, "\(topic): per-SKU sequences differ (\(a.count) SKUs against \(b.count))")
        }
    }

    @Test(
        "Quiet partitions close on the wall clock: orders of a live feed dated yesterday, then silence; every SKU gets its forecast from today's midnight without another event (in Protocol Buffers)"
    )
    func quietPartitionsClose() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-quiet-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let prefix = "quiet\(UUID().uuidString.prefix(6).lowercased())."
        let apply = try skucast(["topics", "apply", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix])
        #expect(apply.status == 0, "\(apply.stderr)")
        let dayMilliseconds: Int64 = 86_400_000
        let today = Int64(Date().timeIntervalSince1970 * 1000) / dayMilliseconds * dayMilliseconds
        let yesterdayNoon = EventTime(milliseconds: today - dayMilliseconds / 2)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: broker.clientConfiguration()),
            logger: logger
        )
        let skus = (0..<24).map { "Q\($0)" }
        for sku in skus {
            var value: [UInt8] = []
            OrderEvent(
                orderID: "O-\(sku)",
                line: 1,
                sku: sku,
                quantity: 3,
                kind: .sale,
                unitPrice: 2,
                currency: "GBP",
                eventTime: yesterdayNoon
            ).encodeJSON(into: &value)
            _ = try producer.send(KafkaProducerMessage(topic: prefix + "orders", key: sku, value: value))
        }
        try producer.flush(timeout: .seconds(10))
        let run = try skucast(
            runArguments(prefix, state: root.appendingPathComponent("state")) + [
                "--lateness-minutes", "0", "--close-grace-seconds", "1", "--stop-when-idle", "4",
                "--output-encoding", "protobuf",
            ]
        )
        #expect(run.status == 0, "\(run.stderr)")
        // In Protocol Buffers, as asked: said in a header, read by the reference library.
        let forecasts = try readTopic(prefix + "forecasts", broker: broker)
        #expect(
            forecasts.allSatisfy {
                $0.headers.first { $0.name == "content-type" }?.value
                    == Array("application/x-protobuf; proto=skucast.v1.Forecast".utf8)
            }
        )
        let decoded = try ReferenceProtobuf.decode("forecasts", forecasts.map { $0.value ?? [] })
        #expect(decoded.map { $0["sku"] as? String } == forecasts.map(\.keyString))
        let closedToday = Set(
            decoded.compactMap { f -> String? in
                f["origin_ms"] as? String == String(today) ? f["sku"] as? String : nil
            }
        )
        #expect(closedToday == Set(skus), "\(run.stdout) \(run.stderr)")
    }

    @Test(
        "Bad input of every kind goes to the dead-letter topic with its bytes, source and reason; /healthz, /readyz and /metrics report; SIGTERM stops it cleanly"
    )
    func deadLettersMetricsAndShutdown() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-ops-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let prefix = "ops\(UUID().uuidString.prefix(6).lowercased())."
        try prepare(prefix, rows: "3000")
        // Bad messages, produced as a misbehaving client would.
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: broker.clientConfiguration()),
            logger: logger
        )
        let good =
            #"{"order_id":"X1","line":1,"sku":"85123A","quantity":2,"kind":"sale","unit_price":2.55,"currency":"GBP","event_time":"2010-12-01T09:00:00Z"}"#
        let bad: [(key: String, value: [UInt8], reason: String)] = [
            ("85123A", Array("{not json".utf8), "malformed"),
            ("85123A", [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D], "not_utf8"),
            ("85123A", Array(good.replacingOccurrences(of: #""currency":"GBP","#, with: "").utf8), "missing_field"),
            (
                "85123A", Array(good.replacingOccurrences(of: #""quantity":2"#, with: #""quantity":"2""#).utf8),
                "wrong_type"
            ),
            (
                "85123A", Array(good.replacingOccurrences(of: #""quantity":2"#, with: #""quantity":1e12"#).utf8),
                "invalid_value"
            ),
            ("85123A", Array(good.replacingOccurrences(of: "2010-12-01", with: "1970-01-01").utf8), "implausible_time"),
            ("22423", Array(good.utf8), "key_mismatch"),
            ("85123A", Array(good.replacingOccurrences(of: "2010-12-01T09", with: "2010-11-01T09").utf8), "too_late"),
            ("85123A", [UInt8](repeating: 0x20, count: 20_000), "oversize"),
            (
                "85123A", Array(good.replacingOccurrences(of: "2010-12-01T09", with: "2098-12-09T10").utf8),
                "ahead_of_wall_clock"
            ),
        ]
        for b in bad {
            _ = try producer.send(
                KafkaProducerMessage(topic: prefix + "orders", key: Array(b.key.utf8), value: b.value)
            )
        }
        try producer.flush(timeout: .seconds(10))

        let port = try DevBroker.freeLoopbackPort()
        let log = root.appendingPathComponent("ops.log")
        // The poll loop on a real-time thread, as a latency-minded deployment runs it (or,
        // without CAP_SYS_NICE, refused with a warning): the shutdown below goes through it.
        let process = try spawnSkucast(
            runArguments(prefix, state: root.appendingPathComponent("state")).map { $0 == "0" ? String(port) : $0 }
                + ["--realtime-priority", "1"],
            log: log
        )
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var ready: (status: Int, body: String)?
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            ready = httpGet("http://127.0.0.1:\(port)/readyz")
            if ready?.status == 200 { break }
            Thread.sleep(forTimeInterval: 0.3)
        }
        #expect(
            ready?.status == 200,
            "\(String(describing: ready)) \((try? String(contentsOf: log, encoding: .utf8)) ?? "")"
        )
        #expect(httpGet("http://127.0.0.1:\(port)/healthz")?.status == 200)
        let metrics = try #require(httpGet("http://127.0.0.1:\(port)/metrics")).body
        #expect(
            metrics.contains("skucast_events_in_total{topic=\"\(prefix)orders\"} \(3000 + bad.count)"),
            "\(metrics)"
        )
        for b in bad {
            #expect(metrics.contains("skucast_events_rejected_total{reason=\"\(b.reason)\"} 1"), "\(b.reason)")
        }
        #expect(metrics.contains("skucast_events_late_total 1"))
        #expect(metrics.contains("skucast_partitions_assigned 6"))
        // The service's share of alert latency, in buckets fine enough for a millisecond.
        #expect(metrics.contains(#"skucast_alert_latency_seconds_bucket{le="0.0005"}"#), "\(metrics)")
        for c in ["smooth", "erratic", "intermittent", "lumpy"] {
            #expect(metrics.contains("skucast_forecast_drifting{class=\"\(c)\"} 0"), "\(metrics)")
            #expect(metrics.contains("skucast_forecast_drift_total{class=\"\(c)\"} 0"), "\(metrics)")
        }

        // SIGTERM: finish, checkpoint, leave, exit 0 in bounded time.
        let stopAsked = Date()
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning && Date().timeIntervalSince(stopAsked) < 30 { Thread.sleep(forTimeInterval: 0.1) }
        #expect(!process.isRunning, "still running 30 s after SIGTERM")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let output = try String(contentsOf: log, encoding: .utf8)
        #expect(output.contains("processed \(3000 + bad.count) orders"), "\(output.suffix(2000))")
        // Whether this process may raise a thread, tried on one of its own: the service
        // must have done what the system allows, and said so.
        #expect(
            output.contains(
                Self.realtimeAllowed()
                    ? "poll loop under real-time priority" : "real-time priority refused"
            ),
            "\(output.prefix(2000))"
        )

        let letters = try readTopic(prefix + "dead-letter", broker: broker)
        #expect(letters.count == bad.count)
        for m in letters {
            let headers = Dictionary(m.headers.map { ($0.name, String(decoding: $0.value ?? [], as: UTF8.self)) }) {
                a,
                _ in a
            }
            let reason = try #require(headers["skucast.dlq.reason"])
            let original = try #require(bad.first { $0.reason == reason }, "unexpected reason \(reason)")
            #expect(m.value == original.value, "\(reason): the original bytes")
            #expect(m.keyString == original.key)
            #expect(headers["skucast.dlq.source.topic"] == prefix + "orders")
            #expect(Int(headers["skucast.dlq.source.offset"] ?? "") != nil)
            #expect(!(headers["skucast.dlq.detail"] ?? "").isEmpty)
        }
    }

    @Test(
        "kill -9 at random points and restarts: the final state equals an uninterrupted run's, no forecast or alert is missing, repeats carry the same id and payload"
    )
    func killNineExactness() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-service-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let tag = UUID().uuidString.prefix(6).lowercased()

        // The reference: one uninterrupted run.
        let calm = "calm\(tag)."
        try prepare(calm)
        let calmState = root.appendingPathComponent("calm")
        let reference = try skucast(runArguments(calm, state: calmState) + ["--stop-when-idle", "2"])
        #expect(reference.status == 0, "\(reference.stderr)")
        #expect(reference.stdout.contains("processed 25000 orders and "), "\(reference.stdout)")

        // The same input, killed three times at random points of the replay.
        let rough = "rough\(tag)."
        try prepare(rough)
        let roughState = root.appendingPathComponent("rough")
        let log = root.appendingPathComponent("rough.log")
        var rng = SystemRandomNumberGenerator()
        var kills = 0
        for _ in 0..<3 {
            let process = try spawnSkucast(runArguments(rough, state: roughState), log: log)
            Thread.sleep(forTimeInterval: Double.random(in: 2.5...6, using: &rng))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
        }
        let finish = try skucast(runArguments(rough, state: roughState) + ["--stop-when-idle", "2"])
        #expect(finish.status == 0, "\(finish.stderr)")
        #expect(kills >= 2, "the replay ended before the kills: make it longer")

        try finalStatesEqual(calm: calm, calmState, other: rough, roughState)
        try compareOutputs(calm: calm, other: rough, kills: kills)
    }
}
