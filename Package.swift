// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "skucast",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "skucast", targets: ["skucast"]),
        .library(name: "SkucastKafka", targets: ["SkucastKafka"]),
        .library(name: "SkucastKafkaTesting", targets: ["SkucastKafkaTesting"]),
        .library(name: "SkucastTopics", targets: ["SkucastTopics"]),
        .library(name: "SkucastEvents", targets: ["SkucastEvents"]),
        .library(name: "SkucastEngine", targets: ["SkucastEngine"]),
        .library(name: "SkucastZoneInfo", targets: ["SkucastZoneInfo"]),
        .library(name: "SkucastPipeline", targets: ["SkucastPipeline"]),
        .library(name: "SkucastService", targets: ["SkucastService"]),
        .library(name: "SkucastOperations", targets: ["SkucastOperations"]),
        .library(name: "SkucastReport", targets: ["SkucastReport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // librdkafka, found through pkg-config `rdkafka` (Deploy/librdkafka.sh builds 2.8.0;
        // a system librdkafka-dev works as well against Apache Kafka).
        .systemLibrary(
            name: "CRDKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"]), .brew(["librdkafka"])]
        ),
        // zlib, for its CRC-32: the snapshot checksum (zlib1g-dev; librdkafka needs it too).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // The only module that touches librdkafka.
        .target(
            name: "SkucastKafka",
            dependencies: [
                "CRDKafka",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Starts a throw-away dev broker (Tansu) for tests, in this package and in others.
        .target(
            name: "SkucastKafkaTesting",
            dependencies: ["SkucastKafka"]
        ),
        // The topic contract (Topics/): definitions, apply and check against a cluster.
        .target(
            name: "SkucastTopics",
            dependencies: [
                "SkucastKafka",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Event value types and their wire encodings; no I/O.
        .target(name: "SkucastEvents"),
        // The forecasting engine: windows, models, ensemble, quantiles. Pure: no I/O.
        .target(name: "SkucastEngine", dependencies: ["SkucastEvents", "CZlib"]),
        // Time zone rules for the engine's calendar, read from the system's tz database
        // (through Foundation) at the edge, so the engine itself looks nothing up.
        .target(name: "SkucastZoneInfo", dependencies: ["SkucastEngine"]),
        // The one way into the engine: partition processors fed through the deterministic
        // merge of the two inputs, outputs handed to sinks; replays and file sources; file
        // and in-memory sinks. No Kafka: the service module adapts it to the cluster.
        .target(name: "SkucastPipeline", dependencies: ["SkucastEngine", "SkucastEvents"]),
        // The forecast protocol: a sink that scores what the pipeline publishes. No I/O.
        .target(name: "SkucastBacktest", dependencies: ["SkucastEngine", "SkucastEvents", "SkucastPipeline"]),
        // What planners look at: the backtest's HTML report and the service's live page.
        // Inline SVG and script only: nothing fetched when a page is opened. No I/O.
        .target(name: "SkucastReport"),
        // The live service: Kafka in, engine per partition, outputs out, snapshots and
        // commits. The adapter layer around the pure engine.
        .target(
            name: "SkucastService",
            dependencies: [
                "SkucastKafka",
                "SkucastEvents",
                "SkucastEngine",
                "SkucastPipeline",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Health, readiness and Prometheus metrics over HTTP, beside the service.
        .target(
            name: "SkucastOperations",
            dependencies: [
                "SkucastService",
                "SkucastEngine",
                "SkucastReport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "skucast",
            dependencies: [
                "SkucastService",
                "SkucastOperations",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "SkucastKafka",
                "SkucastTopics",
                "SkucastEvents",
                "SkucastEngine",
                "SkucastZoneInfo",
                "SkucastPipeline",
                "SkucastBacktest",
                "SkucastReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Throughput benchmarks that print figures (not tests).
        .executableTarget(
            name: "skucast-bench",
            dependencies: [
                "SkucastKafka",
                "SkucastEvents",
                "SkucastEngine",
                "SkucastPipeline",
                "SkucastKafkaTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SkucastKafkaTests",
            dependencies: ["SkucastKafka", "SkucastKafkaTesting", "SkucastEngine"]
        ),
        .testTarget(
            name: "SkucastTopicsTests",
            dependencies: ["SkucastTopics", "SkucastKafka", "SkucastKafkaTesting", "SkucastEvents", "SkucastEngine"]
        ),
        // Runs the built `skucast` binary as a user would.
        .testTarget(
            name: "SkucastCLITests",
            dependencies: [
                "SkucastKafka", "SkucastKafkaTesting", "SkucastEngine", "SkucastService", "SkucastTestSupport",
                "skucast",
            ]
        ),
        // What the test targets share (a seeded generator for property tests, the reference
        // protobuf decoder).
        .target(name: "SkucastTestSupport", path: "Tests/SkucastTestSupport"),
        .testTarget(
            name: "SkucastEngineTests",
            dependencies: ["SkucastEngine", "SkucastEvents", "SkucastZoneInfo", "SkucastTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SkucastEventsTests",
            dependencies: ["SkucastEvents", "SkucastTestSupport"]
        ),
        .testTarget(
            name: "SkucastPipelineTests",
            dependencies: [
                "SkucastPipeline", "SkucastEngine", "SkucastEvents", "SkucastBacktest", "SkucastTestSupport",
            ]
        ),
        // The HTTP endpoint through HummingbirdTesting's router transport (no socket).
        .testTarget(
            name: "SkucastOperationsTests",
            dependencies: [
                "SkucastOperations",
                "SkucastService",
                "SkucastPipeline",
                "SkucastEngine",
                "SkucastEvents",
                "SkucastKafka",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(name: "SkucastReportTests", dependencies: ["SkucastReport"]),
        .testTarget(
            name: "SkucastServiceTests",
            dependencies: ["SkucastService", "SkucastEngine", "SkucastEvents", "SkucastTestSupport"]
        ),
    ]
)
