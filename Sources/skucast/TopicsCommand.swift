import ArgumentParser
import Foundation
import SkucastKafka
import SkucastTopics

struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create or verify skucast's topics from Topics/.",
        subcommands: [Apply.self, Check.self]
    )

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create every topic of Topics/; existing ones with the same settings are fine."
        )
        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var topics: TopicsDirectoryOption
        @Option(help: "Replicas per partition for every topic (default: each definition's, -1 = broker default).")
        var replicationFactor: Int?

        func run() throws {
            let catalog = try topics.catalog()
            let admin = try KafkaAdmin(configuration: kafka.client(), logger: kafka.logger("skucast.topics"))
            let outcome = try catalog.apply(
                using: admin,
                prefix: kafka.topicPrefix,
                replicationFactor: replicationFactor,
                timeout: .seconds(30)
            )
            for spec in catalog.specs(prefix: kafka.topicPrefix, replicationFactor: replicationFactor) {
                let what = outcome[spec.name] == .created ? "created" : "exists"
                print(
                    "\(what)  \(spec.name)  partitions=\(spec.partitions) \(spec.configs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
                )
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify that the cluster's topics match Topics/; exit 1 listing every difference."
        )
        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var topics: TopicsDirectoryOption
        @Option(help: "Expected replicas per partition (default: each definition's).")
        var replicationFactor: Int?

        func run() throws {
            let catalog = try topics.catalog()
            let admin = try KafkaAdmin(configuration: kafka.client(), logger: kafka.logger("skucast.topics"))
            let findings = try catalog.check(
                using: admin,
                prefix: kafka.topicPrefix,
                replicationFactor: replicationFactor,
                timeout: .seconds(30)
            )
            if findings.isEmpty {
                print("ok  \(catalog.topics.count) topics match their definitions")
            } else {
                for f in findings { print("mismatch  \(f)") }
                throw ExitCode(1)
            }
        }
    }
}
