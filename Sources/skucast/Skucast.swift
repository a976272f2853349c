import ArgumentParser
import Foundation
import Logging
import SkucastKafka
import SkucastTopics

@main
struct Skucast: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skucast",
        abstract: "Streaming demand forecasts and restock alerts from Kafka order events.",
        discussion:
            "Every command also takes --config FILE: settings one per line as `name: value` (long flag names without dashes); a line `[run, backtest]` starts settings only those commands read; flags on the command line win over the file, the file over SKUCAST_* environment variables.",
        subcommands: [
            TopicsCommand.self, LoadCommand.self, RunCommand.self, WatchCommand.self, ConsumeCommand.self,
            BacktestCommand.self,
        ]
    )

    /// Parses with `--config FILE` expanded (see ``ConfigFile``), then runs.
    static func main() async {
        do {
            let arguments = try ConfigFile.expand(
                Array(CommandLine.arguments.dropFirst()),
                commands: Set(configuration.subcommands.compactMap { $0.configuration.commandName })
            )
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

/// The `Topics/` folder: the one given, else `Topics` in the current directory, else the
/// one of the package or installation the binary belongs to (a parent of its folder, or
/// `share/skucast/Topics` beside its `bin`), so `skucast topics apply` works from anywhere.
struct TopicsDirectoryOption: ParsableArguments {
    @Option(
        help:
            "The folder of topic definitions (default: $SKUCAST_TOPICS_DIR, else ./Topics, else the Topics folder of the package or installation the binary belongs to)."
    )
    var topicsDir: String?

    /// Where the definitions are looked for, in order.
    var candidates: [URL] {
        if let given = topicsDir ?? ProcessInfo.processInfo.environment["SKUCAST_TOPICS_DIR"] {
            return [URL(fileURLWithPath: given)]
        }
        var found = [URL(fileURLWithPath: "Topics")]
        // The binary's own path (argv[0] is a bare name when found on PATH), as invoked
        // (a symlink in an installation's bin) and resolved (the build folder).
        let invoked = URL(fileURLWithPath: CommandLine.arguments[0])
        let own = Bundle.main.executableURL ?? invoked
        for binary in [invoked, own.resolvingSymlinksInPath()] where binary.path.contains("/") {
            var folder = binary.deletingLastPathComponent()
            while folder.path != "/" && !folder.path.isEmpty {
                found.append(folder.appendingPathComponent("Topics"))
                found.append(folder.appendingPathComponent("share/skucast/Topics"))
                folder = folder.deletingLastPathComponent()
            }
        }
        return found
    }

    /// The topic catalog, or an error that says where it was looked for and what to pass.
    func catalog() throws -> TopicCatalog {
        let fm = FileManager.default
        guard
            let folder = candidates.first(where: {
                fm.fileExists(atPath: $0.appendingPathComponent("orders/topic.json").path)
            })
        else {
            throw ValidationError(
                "no topic definitions (orders/topic.json) in \(candidates.map(\.path).joined(separator: ", ")): pass --topics-dir DIR or set SKUCAST_TOPICS_DIR"
            )
        }
        return try TopicCatalog.load(from: folder)
    }
}

/// Prints to standard error.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
