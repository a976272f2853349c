import ArgumentParser
import Foundation
import Logging
import SkucastKafka

@main
struct Skucast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skucast",
        abstract: "Streaming demand forecasts and restock alerts from Kafka order events.",
        discussion:
            "Every command also takes --config FILE: settings one per line as `name: value` (long flag names without dashes); flags on the command line win over the file, the file over SKUCAST_* environment variables.",
        subcommands: [
            TopicsCommand.self, LoadCommand.self, RunCommand.self, WatchCommand.self, ConsumeCommand.self,
            BacktestCommand.self,
        ]
    )

    /// Parses with `--config FILE` expanded (see ``ConfigFile``), then runs.
    static func main() async {
        do {
            let arguments = try ConfigFile.expand(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot(arguments)
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Where the cluster is and how to talk to it; shared by every command that needs Kafka.
struct KafkaOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Bootstrap brokers, host:port[,host:port…].", valueName: "brokers"))
    var brokers: String = ProcessInfo.processInfo.environment["SKUCAST_BROKERS"] ?? "127.0.0.1:19092"

    @Option(
        name: [.customShort("X"), .customLong("property")],
        help: ArgumentHelp(
            "Any librdkafka property, e.g. -X security.protocol=SASL_SSL (repeatable).",
            valueName: "key=value"
        )
    )
    var properties: [String] = []

    @Option(help: "Seconds to wait for the cluster to answer before giving up.")
    var connectTimeout: Double = 10

    @Option(help: ArgumentHelp("Put before every topic name (e.g. an environment: staging.).", valueName: "prefix"))
    var topicPrefix: String = ""

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["SKUCAST_LOG_LEVEL"] ?? "info"

    func validate() throws {
        for p in properties where !p.contains("=") {
            throw ValidationError("-X takes key=value, got \(p)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level \(logLevel)") }
    }

    func client() -> KafkaClientConfiguration {
        var c = KafkaClientConfiguration(bootstrapServers: brokers.split(separator: ",").map(String.init))
        c.bootstrapTimeout = .milliseconds(Int64(connectTimeout * 1000))
        for p in properties {
            let parts = p.split(separator: "=", maxSplits: 1)
            c.properties[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return c
    }

    /// Sets up logging once per process (swift-log's rule: only executables bootstrap).
    func logger(_ label: String) -> Logger {
        LoggingBootstrap.once()
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}

enum LoggingBootstrap {
    private static let done: Void = LoggingSystem.bootstrap(StreamLogHandler.standardError)
    static func once() { _ = done }
}

/// The `Topics/` folder: next to the binary's package by default.
struct TopicsDirectoryOption: ParsableArguments {
    @Option(help: "The folder of topic definitions.")
    var topicsDir: String = ProcessInfo.processInfo.environment["SKUCAST_TOPICS_DIR"] ?? "Topics"

    var url: URL { URL(fileURLWithPath: topicsDir) }
}

/// Prints to standard error.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
