import CRDKafka

/// A member of a consumer group, as the group's coordinator describes it.
public struct KafkaGroupMember: Sendable, Hashable {
    /// The id the coordinator gave the member: its `client.id`, a dash and a UUID.
    public var memberID: String
    /// Empty when the broker does not say (the dev broker leaves it out).
    public var clientID: String
    public var host: String
    /// The partitions the member owns; empty when the broker does not say.
    public var assignment: [KafkaTopicPartition]
    /// `group.instance.id` of a static member.
    public var instanceID: String?

    public init(
        memberID: String,
        clientID: String,
        host: String,
        assignment: [KafkaTopicPartition],
        instanceID: String? = nil
    ) {
        self.memberID = memberID
        self.clientID = clientID
        self.host = host
        self.assignment = assignment
        self.instanceID = instanceID
    }

    /// Members in the order librdkafka's assignors (range, round robin) list them: by
    /// `group.instance.id` when every member has one, else by member id.
    public static func assignorOrder(_ members: [KafkaGroupMember]) -> [KafkaGroupMember] {
        members.allSatisfy({ $0.instanceID != nil })
            ? members.sorted { ($0.instanceID!, $0.memberID) < ($1.instanceID!, $1.memberID) }
            : members.sorted { $0.memberID < $1.memberID }
    }

    /// The member's `client.id`: as described, or else read off the member id.
    public var effectiveClientID: String {
        if !clientID.isEmpty { return clientID }
        // Brokers make member ids as client.id + "-" + a UUID (36 characters).
        guard memberID.utf8.count > 37 else { return memberID }
        return String(memberID.dropLast(37))
    }
}

extension KafkaConsumer {
    /// This consumer's member id in its group, once it has joined.
    public var memberID: String? {
        guard let id = rd_kafka_memberid(handle.pointer) else { return nil }
        defer { rd_kafka_mem_free(handle.pointer, id) }
        let s = String(cString: id)
        return s.isEmpty ? nil : s
    }

    /// Describes the members of a consumer group (DescribeGroups).
    /// - Throws: ``KafkaError`` when the request or the group's description fails.
    public func describeGroup(_ group: String, timeout: Duration) throws(KafkaError) -> [KafkaGroupMember] {
        let answer: Result<[KafkaGroupMember], KafkaError> = try handle.adminRequest(
            RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
            operation: "describe group \(group)",
            timeout: timeout
        ) { options, queue in
            var names: [UnsafePointer<CChar>?] = []
            group.withCString { name in
                names = [name]
                rd_kafka_DescribeConsumerGroups(handle.pointer, &names, 1, options, queue)
            }
        } results: { event in
            var count = 0
            let groups = rd_kafka_DescribeConsumerGroups_result_groups(
                rd_kafka_event_DescribeConsumerGroups_result(event),
                &count
            )
            guard count > 0, let description = groups?[0] else { return .success([]) }
            if let error = rd_kafka_ConsumerGroupDescription_error(description) {
                return .failure(
                    KafkaError(
                        rd_kafka_error_code(error),
                        operation: "describe group \(group)",
                        detail: String(cString: rd_kafka_error_string(error))
                    )
                )
            }
            return .success(
                (0..<rd_kafka_ConsumerGroupDescription_member_count(description)).map { i in
                    let m = rd_kafka_ConsumerGroupDescription_member(description, i)
                    var assignment: [KafkaTopicPartition] = []
                    if let a = rd_kafka_MemberDescription_assignment(m),
                        let list = rd_kafka_MemberAssignment_partitions(a)
                    {
                        for p in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)) {
                            assignment.append(
                                KafkaTopicPartition(topic: String(cString: p.topic), partition: p.partition)
                            )
                        }
                    }
                    return KafkaGroupMember(
                        memberID: rd_kafka_MemberDescription_consumer_id(m).map { String(cString: $0) } ?? "",
                        clientID: rd_kafka_MemberDescription_client_id(m).map { String(cString: $0) } ?? "",
                        host: rd_kafka_MemberDescription_host(m).map { String(cString: $0) } ?? "",
                        assignment: assignment,
                        instanceID: rd_kafka_MemberDescription_group_instance_id(m).map { String(cString: $0) }
                    )
                }
            )
        }
        return try answer.get()
    }
}
