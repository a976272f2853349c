import SkucastEngine
import SkucastEvents
import SkucastKafka

/// Who owns a partition of the input topics under the range strategy: members sorted by
/// member id, each given a run of partitions, the first `count % members` one more.
enum RangeAssignment {
    /// The index of the member (in the assignor's order) that owns `partition`.
    static func owner(of partition: Int, partitions count: Int, members: Int) -> Int? {
        guard members > 0, partition >= 0, partition < count else { return nil }
        let (each, extra) = (count / members, count % members)
        // The first `extra` members own each + 1 partitions.
        let split = extra * (each + 1)
        return partition < split ? partition / (each + 1) : each > 0 ? extra + (partition - split) / each : nil
    }
}

extension ForecastService {
    /// Answers the queries waiting at this turn of the loop.
    func answerQueries() {
        queries.answerWaiting { query in
            let answers = QueryAnswers(engines: processors.mapValues(\.engine), partitions: inputPartitions)
            return answers.answer(query) { owner(of: $0) }
        }
    }

    /// The member that owns partition `p` of the inputs: as the coordinator describes the
    /// group, or, when the broker leaves assignments out, by the range strategy's rule
    /// over the members it lists. Nil when the group cannot be described.
    func owner(of p: Int32) -> KafkaGroupMember? {
        guard let members = describedMembers() else { return nil }
        let orders = configuration.topics.orders
        guard members.allSatisfy({ $0.assignment.isEmpty }) else {
            // The broker says who owns what (mid-rebalance, perhaps nobody yet).
            return members.first { $0.assignment.contains(KafkaTopicPartition(topic: orders, partition: p)) }
        }
        let sorted = members
        return RangeAssignment.owner(of: Int(p), partitions: inputPartitions, members: sorted.count).map { sorted[$0] }
    }
}

extension ForecastService {
    /// The group's members in the range strategy's order (see
    /// ``KafkaGroupMember/assignorOrder(_:)``), as last described; nil when the group cannot
    /// be described or has none.
    func describedMembers() -> [KafkaGroupMember]? {
        // At most one description every 5 s, failed or not: the lookup runs on the poll
        // loop's thread.
        if groupMembers.map({ clock.now - $0.at > .seconds(5) }) ?? true {
            do {
                groupMembers = (
                    try consumer.describeGroup(configuration.groupID, timeout: .seconds(2)), clock.now
                )
            } catch {
                groupMembers = ([], clock.now)
                logger.warning("describe group \(configuration.groupID): \(error)")
            }
        }
        guard let members = groupMembers?.members, !members.isEmpty else { return nil }
        return KafkaGroupMember.assignorOrder(members)
    }
}

/// How an instance tells its group where its queries are answered: in its consumer's
/// `client.id`, as `skucast@HOST:PORT` (the coordinator shows other members the client id,
/// or a member id made from it).
public enum QueryAddress {
    /// The client id advertising `address` (`host:port`).
    public static func clientID(advertising address: String) -> String { "skucast@\(address)" }

    /// The query URL a client id advertises, if it advertises one.
    public static func url(clientID: String) -> String? {
        guard let at = clientID.lastIndex(of: "@") else { return nil }
        let address = clientID[clientID.index(after: at)...]
        return address.contains(":") ? "http://\(address)" : nil
    }
}
