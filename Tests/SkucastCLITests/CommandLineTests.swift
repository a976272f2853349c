import Foundation
import Logging
import SkucastKafka
import SkucastKafkaTesting
import Synchronization
import Testing

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let onlineRetailCSV =
    ProcessInfo.processInfo.environment["SKUCAST_DATA"]
    ?? repository.deletingLastPathComponent().appendingPathComponent(
        "shared/data/online-retail/online_retail_2010_2011.csv"
    ).path

/// Runs the `skucast` binary built beside the test bundle, from the repository's root
/// unless told another directory, to its end, and returns what it said.
///
/// A run that outlives `timeout` is killed, and its stderr says so: a service that never
/// catches up fails its test instead of hanging the whole run until CI's own limit.
func skucast(
    _ arguments: [String],
    in directory: URL = repository,
    timeout: TimeInterval = 1800
) throws -> (status: Int32, stdout: String, stderr: String) {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
        "skucast"
    )
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let pid = process.processIdentifier
    let fired = WatchdogFlag()
    let watchdog = DispatchWorkItem {
        fired.value.withLock { $0 = true }
        kill(pid, SIGKILL)
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    // Read both pipes while the process runs, so neither can fill up and block it.
    let errData = Mutex<Data>(Data())
    let reader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
    reader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    watchdog.cancel()
    while reader.isExecuting || !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
    let timedOut = fired.value.withLock { $0 } && process.terminationReason == .uncaughtSignal
    let killed = timedOut ? "\n[test] killed after \(timeout) s without exiting" : ""
    return (
        process.terminationStatus, String(decoding: outData, as: UTF8.self),
        String(decoding: errData.withLock { $0 }, as: UTF8.self) + killed
    )
}

/// Whether a watchdog has fired: a class, so its escaping closure can share it.
final class WatchdogFlag: Sendable {
    let value = Mutex(false)
}

@Suite("skucast command line")
struct CommandLineTests {
    let broker: DevBroker
    let prefix = "cli\(UUID().uuidString.prefix(6).lowercased())."

    init() throws {
        broker = try DevBroker.shared()
    }

    @Test("topics apply creates Topics/, is idempotent, and topics check agrees; a mismatch exits 1")
    func topicsApplyAndCheck() throws {
        let first = try skucast(["topics", "apply", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(
            first.stdout.contains("created  \(prefix)orders  partitions=6 cleanup.policy=delete retention.ms=-1"),
            "\(first.stdout)"
        )
        #expect(first.stdout.split(separator: "\n").count == 6)
        let second = try skucast(["topics", "apply", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix])
        #expect(second.status == 0)
        #expect(second.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("exists  ") }, "\(second.stdout)")
        // From any directory: the binary finds the package's Topics folder.
        let check = try skucast(
            ["topics", "check", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix],
            in: FileManager.default.temporaryDirectory
        )
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("ok  6 topics match"))
        let nowhere = try skucast(["topics", "apply", "--topics-dir", "/nonexistent/Topics"])
        #expect(nowhere.status != 0)
        #expect(
            nowhere.stderr.contains(
                "no topic definitions (orders/topic.json) in /nonexistent/Topics: pass --topics-dir"
            ),
            "\(nowhere.stderr)"
        )

        let other = "x" + prefix
        let missing = try skucast(["topics", "check", "--brokers", broker.bootstrapServers, "--topic-prefix", other])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("mismatch  \(other)orders: missing"), "\(missing.stdout)")
    }

    @Test("load replays real Online Retail rows keyed by SKU with event-time timestamps; consume reads them all back")
    func loadAndConsume() throws {
        let apply = try skucast(["topics", "apply", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix])
        #expect(apply.status == 0, "\(apply.stderr)")
        let load = try skucast([
            "load", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--csv", onlineRetailCSV, "--limit",
            "3000",
        ])
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stdout.contains("loaded 3000 order events into \(prefix)orders"), "\(load.stdout)")
        #expect(load.stdout.contains("0 deliveries failed"))

        // Read back with the library, independently of the CLI.
        let topic = prefix + "orders"
        let messages = try readTopic(topic, broker: broker)
        #expect(messages.count == 3000)
        var partitionOfKey: [String: Int32] = [:]
        var previous: [Int32: (time: String, order: String, line: Int)] = [:]
        for m in messages {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(m.value ?? [])) as? [String: Any])
            let sku = try #require(object["sku"] as? String)
            #expect(m.keyString == sku)
            #expect(partitionOfKey[sku, default: m.partition] == m.partition, "one SKU, one partition")
            partitionOfKey[sku] = m.partition
            // The Kafka timestamp is the event time: 2010-12-01 is day 14944 since 1970.
            let day = (m.timestamp?.milliseconds ?? 0) / 86_400_000
            #expect(day >= 14944 && day <= 14946, "\(m.timestamp as Any)")
            // Within a partition, events keep the order of the file, which is in time order.
            let time = try #require(object["event_time"] as? String)
            let order = try #require(object["order_id"] as? String)
            let line = try #require(object["line"] as? Int)
            if let last = previous[m.partition] {
                #expect(time >= last.time, "\(last.time) before \(time)")
                #expect(order != last.order || line > last.line, "\(last.order)/\(last.line) before \(order)/\(line)")
            }
            previous[m.partition] = (time, order, line)
        }

        let consume = try skucast([
            "consume", "--brokers", broker.bootstrapServers, "--topic-prefix", prefix, "--topic", "orders", "--print",
            "2",
        ])
        #expect(consume.status == 0, "\(consume.stderr)")
        #expect(consume.stdout.contains("read 3000 messages from \(topic)"), "\(consume.stdout)")
        #expect(consume.stdout.split(separator: "\n").filter { $0.hasPrefix("\(topic)[") }.count == 2)
    }

    @Test("A wrong broker address fails within the connect timeout with a clear message")
    func unreachable() throws {
        let start = ContinuousClock.now
        let result = try skucast(["topics", "check", "--brokers", "127.0.0.1:1", "--connect-timeout", "1"])
        #expect(result.status != 0)
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(
            result.stderr.contains("connect failed: no broker of 127.0.0.1:1 answered within 1.0 seconds"),
            "\(result.stderr)"
        )
        #expect(result.stderr.contains("Connection refused"), "\(result.stderr)")
    }

    @Test("The tests' runner kills a run that outlives its timeout and says so, instead of hanging")
    func runnerTimeout() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-timeout-\(UUID())")
        defer { try? FileManager.default.removeItem(at: state) }
        // A service given ten minutes to reach its broker keeps trying past the timeout.
        let result = try skucast(
            [
                "run", "--brokers", "127.0.0.1:1", "--connect-timeout", "600", "--http-port", "0", "--state-dir",
                state.path,
            ],
            timeout: 2
        )
        #expect(result.status == SIGKILL)
        #expect(result.stderr.hasSuffix("[test] killed after 2.0 s without exiting"), "\(result.stderr.suffix(500))")
    }

    @Test("run refuses an unknown time zone or a malformed offset before connecting")
    func badTimeZone() throws {
        for zone in ["Mars/Olympus_Mons", "UTC+5"] {
            let result = try skucast(["run", "--brokers", "127.0.0.1:1", "--time-zone", zone])
            #expect(result.status != 0)
            #expect(result.stderr.contains("--time-zone"), "\(result.stderr)")
        }
    }

    @Test("--config FILE supplies settings; flags on the command line win over it; secrets stay out of the log")
    func configFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-\(UUID()).conf")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        # settings for planners
        group: fromfile
        log-level: info
        property: sasl.password=hunter2
        property: client.id=fromfile   # a comment after a value
        """.write(to: file, atomically: true, encoding: .utf8)
        let fromFile = try skucast(["run", "--config", file.path, "--brokers", "127.0.0.1:1", "--connect-timeout", "1"])
        #expect(fromFile.status != 0)
        #expect(fromFile.stderr.contains("group=fromfile"), "\(fromFile.stderr)")
        #expect(fromFile.stderr.contains("client.id=fromfile"))
        #expect(fromFile.stderr.contains("sasl.password=[redacted]"))
        #expect(!fromFile.stderr.contains("hunter2"))
        let overridden = try skucast([
            "run", "--group", "fromflag", "--config", file.path, "--brokers", "127.0.0.1:1", "--connect-timeout", "1",
        ])
        #expect(overridden.stderr.contains("group=fromflag"), "\(overridden.stderr)")
        let broken = try skucast(["run", "--config", "/nonexistent/skucast.conf"])
        #expect(
            broken.status != 0 && broken.stderr.contains("cannot read config file /nonexistent/skucast.conf"),
            "\(broken.stderr)"
        )
    }

    @Test(
        "One --config FILE serves run and backtest: settings before any section reach both, [run] only the service, [backtest] only the backtest, which replays at those settings"
    )
    func configSections() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-\(UUID()).conf")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        connect-timeout: 1
        [run, backtest]   # the engine's settings, for the service and its backtest
        horizon: 7
        time-zone: Europe/London
        [run]
        group: planners
        session-timeout-ms: 3000
        [backtest]
        bucket: hour
        limit: 3000
        """.write(to: file, atomically: true, encoding: .utf8)
        let replay = try skucast(["backtest", "--config", file.path, "--csv", onlineRetailCSV])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(
            replay.stdout.contains(
                "not scored: retail-daily-v1 scores UTC day forecasts 14 days ahead; these settings have buckets of a hour, not a day and days cut in Europe/London, not UTC and a horizon of 7, under 14"
            ),
            "\(replay.stdout)"
        )
        // The backtest's own `limit` would stop the service as an unknown option, and its
        // hour buckets would show in the settings the service logs.
        let service = try skucast(["run", "--config", file.path, "--brokers", "127.0.0.1:1"])
        #expect(service.stderr.contains("group=planners"), "\(service.stderr)")
        #expect(service.stderr.contains("day buckets in Europe/London"), "\(service.stderr)")
        #expect(service.stderr.contains("horizon 7,"), "\(service.stderr)")
        try "horizon: 7\n[]\nhorizon: 8\n".write(to: file, atomically: true, encoding: .utf8)
        let empty = try skucast(["backtest", "--config", file.path, "--csv", onlineRetailCSV])
        #expect(empty.status != 0 && empty.stderr.contains("a section names no command"), "\(empty.stderr)")
        try "horizon: 7\n[serve]\nport: 1\n".write(to: file, atomically: true, encoding: .utf8)
        let unknown = try skucast(["backtest", "--config", file.path, "--csv", onlineRetailCSV])
        #expect(unknown.status != 0 && unknown.stderr.contains("[serve] is not a command"), "\(unknown.stderr)")
        let bounded = try skucast(["backtest", "--csv", onlineRetailCSV, "--from", "2011-06-01T00:00:00Z"])
        #expect(bounded.status != 0 && bounded.stderr.contains("give --topic"), "\(bounded.stderr)")
    }
}
