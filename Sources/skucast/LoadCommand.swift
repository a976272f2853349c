import ArgumentParser
import Foundation
import SkucastEvents
import SkucastKafka
import Synchronization

struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract:
            "Produce an Online Retail CSV (either UCI header) as orders events, keyed by SKU, event time as the Kafka timestamp."
    )

    @OptionGroup var kafka: KafkaOptions

    @Option(help: "The Online Retail CSV file.")
    var csv: String

    @Option(help: "Load only the first N rows.")
    var limit: Int?

    @Option(help: "The orders topic (without prefix).")
    var topic: String = "orders"

    @Option(
        help: ArgumentHelp(
            "none, or synthetic: also publish made-up stock counts (marked synthetic) to the inventory topic, so restock alerts can be seen on a log without stock data.",
            valueName: "mode"
        )
    )
    var inventory: String = "none"

    @Option(help: "Pace events at this multiple of real time (e.g. 86400: a day per second); full speed when absent.")
    var speedup: Double?

    func validate() throws {
        guard ["none", "synthetic"].contains(inventory) else {
            throw ValidationError("--inventory must be none or synthetic")
        }
        if let speedup, !(speedup > 0) { throw ValidationError("--speedup must be positive") }
    }

    func run() throws {
        let logger = kafka.logger("skucast.load")
        let clock = ContinuousClock()
        let start = clock.now
        var orders = try OnlineRetailOrderReader(Array(Data(contentsOf: URL(fileURLWithPath: csv))))

        let failed = Atomic<Int>(0)
        let firstFailure = Mutex<KafkaError?>(nil)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(client: kafka.client()),
            logger: logger
        ) { report in
            if let error = report.error {
                failed.add(1, ordering: .relaxed)
                firstFailure.withLock { if $0 == nil { $0 = error } }
            }
        }
        let topicName = kafka.topicPrefix + topic
        let inventoryTopic = kafka.topicPrefix + "inventory"
        var simulation = inventory == "synthetic" ? SyntheticInventory() : nil
        var stockCounts = 0
        var firstEventTime: Int64?
        var buffer: [UInt8] = []
        buffer.reserveCapacity(512)
        // Keyed by SKU (so a SKU's events share a partition), event time as the timestamp.
        func publish(_ value: [UInt8], to topic: String, sku: String, at time: EventTime) throws {
            try value.withUnsafeBytes {
                _ = try producer.send(topic: topic, key: sku, value: $0, timestamp: time.milliseconds)
            }
        }
        var sent = 0
        var skipped = 0
        let total = limit
        var progress = Progress(total: total, clock: clock)
        while total.map({ sent + skipped < $0 }) ?? true, let row = orders.next() {
            let event: OrderEvent
            switch row {
            case .success(let e): event = e
            case .failure(let error):
                skipped += 1
                note("skipped \(csv):\(error)")
                continue
            }
            if let speedup {
                // Event time since the first event, compressed: sleep until it is due.
                let first = firstEventTime ?? event.eventTime.milliseconds
                firstEventTime = first
                let due = start + .milliseconds(Int64(Double(event.eventTime.milliseconds - first) / speedup))
                if due > clock.now { Thread.sleep(forTimeInterval: (due - clock.now).seconds) }
            }
            for count in simulation?.counts(before: event) ?? [] {
                count.encodeJSON(into: &buffer)
                try publish(buffer, to: inventoryTopic, sku: count.sku, at: count.eventTime)
                stockCounts += 1
            }
            event.encodeJSON(into: &buffer)
            try publish(buffer, to: topicName, sku: event.sku, at: event.eventTime)
            sent += 1
            progress.tick(sent)
        }
        try producer.flush(timeout: .seconds(60))
        progress.finish()
        let seconds = (clock.now - start).seconds
        let failures = failed.load(ordering: .relaxed)
        if simulation != nil { print("published \(stockCounts) synthetic stock counts into \(inventoryTopic)") }
        print(
            "loaded \(sent) order events into \(topicName) in \(String(format: "%.2f", seconds)) s (\(Int(Double(sent) / max(seconds, 1e-9))) events/s); \(skipped) rows skipped; \(failures) deliveries failed"
        )
        if failures > 0 {
            note("first delivery failure: \(firstFailure.withLock { $0.map(String.init(describing:)) ?? "?" })")
            throw ExitCode(1)
        }
    }
}

/// A one-line progress bar on standard error, redrawn at most ten times a second.
struct Progress {
    let total: Int?
    let clock: ContinuousClock
    let start: ContinuousClock.Instant
    var lastDraw: ContinuousClock.Instant
    let enabled = isatty(STDERR_FILENO) == 1
    var drawn = false

    init(total: Int?, clock: ContinuousClock) {
        self.total = total
        self.clock = clock
        self.start = clock.now
        self.lastDraw = clock.now
    }

    mutating func tick(_ done: Int) {
        guard enabled, done & 1023 == 0 else { return }
        let now = clock.now
        guard now - lastDraw > .milliseconds(100) else { return }
        lastDraw = now
        let rate = Int(Double(done) / max((now - start).seconds, 1e-9))
        if let total, total > 0 {
            let width = 30
            let filled = min(width, done * width / total)
            draw(
                "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total) \(rate)/s"
            )
        } else {
            draw("\(done) events \(rate)/s")
        }
    }

    private mutating func draw(_ line: String) {
        drawn = true
        FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8))
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
