import ArgumentParser
import Foundation
import Prometheus
import ServiceLifecycle
import SkucastEngine
import SkucastEvents
import SkucastOperations
import SkucastService

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract:
            "The live service: orders and inventory in, forecasts, restock alerts and dead letters out; snapshots and commits so a restart or rebalance resumes exactly."
    )

    @OptionGroup var kafka: KafkaOptions

    @Option(help: "Consumer group: instances with the same group share the partitions.")
    var group: String = ProcessInfo.processInfo.environment["SKUCAST_GROUP"] ?? "skucast"

    @Option(help: "Directory of partition snapshots (shared by the instances of a group on one machine).")
    var stateDir: String = ProcessInfo.processInfo.environment["SKUCAST_STATE_DIR"] ?? "skucast-state"

    @Option(help: "Snapshots kept per partition (directory store).")
    var snapshotsRetained: Int = 3

    @Option(
        help:
            "Where partition snapshots live: directory (--state-dir, one machine) or kafka (the state topic, so a partition restores on any machine)."
    )
    var stateStore: StateStoreKind =
        StateStoreKind(rawValue: ProcessInfo.processInfo.environment["SKUCAST_STATE_STORE"] ?? "") ?? .directory

    @Option(
        help:
            "With --state-store kafka: keep warm copies (Kafka Streams' standby replicas) of the partitions this instance would own if up to N other members left the group, by following their snapshots in the state topic, so a partition taken over restores without reading the topic."
    )
    var standbyReplicas: Int?

    @Flag(help: "--standby-replicas for every partition this instance does not own.")
    var standby = false

    @Option(help: "Checkpoint after this many events per partition.")
    var checkpointEvents: Int = 200_000

    @Option(help: "Checkpoint at least this often, in seconds.")
    var checkpointSeconds: Double = 30

    @OptionGroup var engine: EngineOptions

    @Option(help: "Group session timeout, in milliseconds.")
    var sessionTimeoutMs: Int = 10_000

    @Option(
        help:
            "A caught-up partition of a live feed (stream time within the maximum clock skew of now) closes a bucket once the wall clock passes its end plus the lateness plus this many seconds, with or without input."
    )
    var closeGraceSeconds: Double = 60

    @Option(
        help:
            "The longest, in milliseconds, an input waits for the other input topic to be fetched to the end the broker reported before it is processed anyway (counted in skucast_inputs_released_unmerged_total). By default it waits, so a replay interleaves orders and stock counts exactly as the live run did."
    )
    var maxHoldMs: Int?

    @Option(
        help:
            "fetch.wait.max.ms of the consumer: the longest an empty fetch may wait at the broker, which bounds the delay of an order on a broker that answers only at that deadline."
    )
    var fetchWaitMs: Int = 10

    @Option(
        help:
            "Run the poll loop's thread under the real-time FIFO policy at this priority (1-99; Linux, needs CAP_SYS_NICE), so that on a host with busy cores an alert does not wait for a time slice. Refused, it runs at the normal policy with a warning."
    )
    var realtimePriority: Int32?

    @Option(
        help:
            "Threads that process different partitions' input side by side (Kafka Streams' num.stream.threads), the poll loop's among them; the outputs do not depend on it. Default: the cores this process may use, or 1 with --realtime-priority (only the poll loop's thread is raised)."
    )
    var processingThreads: Int?

    @Option(
        help: "Stop (after a final checkpoint) once the input is consumed and nothing arrived for this many seconds."
    )
    var stopWhenIdle: Double?

    @Option(
        help:
            "Encoding of forecast and alert values: protobuf (Topics/*/value.proto) or json (Topics/*/value.schema.json)."
    )
    var outputEncoding: OutputEncoding = .json

    @Option(
        help: "Compression of the batches the service produces (compression.type): zstd, lz4, snappy, gzip or none."
    )
    var compression: String = "zstd"

    @Option(
        help:
            "compression.level of the batches the service produces, -1 to 12 (librdkafka's range; -1: the codec's default). Default: 1 with zstd (faster and smaller than zstd's own 3 on forecasts), the codec's own otherwise."
    )
    var compressionLevel: Int?

    @Option(help: "Address of the /healthz, /readyz and /metrics endpoint.")
    var httpHost: String = ProcessInfo.processInfo.environment["SKUCAST_HTTP_HOST"] ?? "127.0.0.1"

    @Option(help: "Port of that endpoint; 0 for any free port (logged).")
    var httpPort: Int = Int(ProcessInfo.processInfo.environment["SKUCAST_HTTP_PORT"] ?? "") ?? 9464

    @Option(
        help: ArgumentHelp(
            "The host:port other instances name when a query's SKU is owned here (put in the consumer's client.id as skucast@host:port); by default --http-host:--http-port, none for port 0 or a wildcard host.",
            valueName: "host:port"
        )
    )
    var advertisedHttp: String?

    func run() async throws {
        let logger = kafka.logger("skucast.run")
        var client = kafka.client()
        // A wildcard or any-port address names no instance: advertise it only when given.
        let wildcard = ["0.0.0.0", "::", "[::]"].contains(httpHost) || httpPort == 0
        if let address = advertisedHttp ?? (wildcard ? nil : "\(httpHost):\(httpPort)") {
            client.clientID = QueryAddress.clientID(advertising: address)
        }
        var configuration = ServiceConfiguration(client: client)
        configuration.groupID = group
        configuration.topics = ServiceTopics(prefix: kafka.topicPrefix)
        configuration.engine = try engine.configuration()
        configuration.checkpointEvents = checkpointEvents
        configuration.checkpointInterval = .milliseconds(Int64(checkpointSeconds * 1000))
        configuration.forecastActiveBuckets = engine.forecastActiveBuckets
        configuration.publishOnChange = engine.publishOnChange
        configuration.sessionTimeout = .milliseconds(Int64(sessionTimeoutMs))
        configuration.closeGrace = .milliseconds(Int64(closeGraceSeconds * 1000))
        configuration.stopWhenIdle = stopWhenIdle.map { .milliseconds(Int64($0 * 1000)) }
        configuration.outputEncoding = outputEncoding
        configuration.maxHold = maxHoldMs.map { .milliseconds(Int64($0)) }
        configuration.fetchWait = .milliseconds(Int64(fetchWaitMs))
        if let realtimePriority, !(1...99).contains(realtimePriority) {
            throw ValidationError("--realtime-priority must be 1…99 (SCHED_FIFO's range)")
        }
        configuration.realtimePriority = realtimePriority
        let threads = processingThreads ?? (realtimePriority == nil ? ProcessInfo.processInfo.activeProcessorCount : 1)
        guard threads >= 1 else { throw ValidationError("--processing-threads must be at least 1") }
        configuration.processingThreads = threads
        if realtimePriority != nil, threads > 1 {
            logger.warning(
                "--processing-threads above 1 with --realtime-priority: the other threads run at the normal policy, and the raised poll loop waits for them"
            )
        }
        configuration.compression = compression
        if let compressionLevel, !(-1...12).contains(compressionLevel) {
            throw ValidationError("--compression-level must be -1…12 (librdkafka's compression.level)")
        }
        configuration.compressionLevel = compressionLevel
        logger.info(
            "starting",
            metadata: [
                "kafka": "\(configuration.client)", "group": "\(group)", "engine": "\(configuration.engine.summary)",
                "state": stateStore == .kafka ? "\(configuration.topics.state)" : "\(stateDir)",
                "processing_threads": "\(configuration.processingThreads)",
            ]
        )

        let store: any SnapshotStore =
            switch stateStore {
            case .directory: try DirectorySnapshotStore(root: "\(stateDir)/\(group)", retain: snapshotsRetained)
            case .kafka: try KafkaSnapshotStore(topic: configuration.topics.state, client: client, logger: logger)
            }
        configuration.standbyReplicas = standby ? Int.max : standbyReplicas
        if let n = configuration.standbyReplicas {
            guard n >= 1 else { throw ValidationError("--standby-replicas must be at least 1") }
            guard stateStore == .kafka else { throw ValidationError("standby replicas need --state-store kafka") }
        }
        let registry = PrometheusCollectorRegistry()
        var metricsFactory = PrometheusMetricsFactory(registry: registry)
        metricsFactory.durationHistogramBuckets = ForecastService.durationHistogramBuckets
        let service = try ForecastService(
            configuration: configuration,
            store: store,
            logger: logger,
            metrics: metricsFactory
        )
        let board = service.statusBoard
        let desk = service.queries
        let endpoint = OperationsEndpoint(
            registry: registry,
            query: { await desk.ask($0) },
            status: { board.current }
        )
        var httpLogger = logger
        httpLogger.logLevel = max(logger.logLevel, .notice)
        // SIGTERM and SIGINT shut the group down gracefully, in reverse order: the service
        // finishes its batch, checkpoints and leaves the group while the endpoint still
        // answers; then the endpoint stops. The service ending (input consumed) or failing
        // ends the group too.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: endpoint.application(host: httpHost, port: httpPort, logger: httpLogger)),
                    .init(
                        service: service,
                        successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        let s = service.status
        let rejected = s.counts.rejected.sorted { $0.key.rawValue < $1.key.rawValue }.map {
            "\($0.key.rawValue)=\($0.value)"
        }.joined(separator: " ")
        print(
            "processed \(s.counts.events[0]) orders and \(s.counts.events[1]) inventory events; \(s.counts.forecasts) forecasts\(s.counts.unchanged > 0 ? " (\(s.counts.unchanged) unchanged, not published)" : ""), \(s.counts.alerts) alert changes, \(s.counts.rejected.values.reduce(0, +)) dead letters [\(rejected)], \(s.counts.suppressed) outputs not repeated; \(s.checkpoints) checkpoints; partitions restored: \(s.restores.fromSnapshot) from snapshots, \(s.restores.fromEarliest) from the earliest offset; \(String(format: "%.2f", s.busySeconds)) s from first to last input (\(Int(Double(s.counts.events.reduce(0, +)) / max(s.busySeconds, 1e-9))) events/s); \(s.sideBySidePolls) polls processed side by side (processing threads: \(configuration.processingThreads))"
        )
    }
}

extension OutputEncoding: ExpressibleByArgument {}

/// Where `skucast run` keeps partition snapshots.
enum StateStoreKind: String, ExpressibleByArgument, CaseIterable {
    case directory, kafka
}
