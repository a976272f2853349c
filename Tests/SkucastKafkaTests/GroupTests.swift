import Foundation
import SkucastKafka
import SkucastKafkaTesting
import Testing

/// Which partitions a consumer owns, kept by its rebalance handler as an application would.
final class Ownership {
    let name: String
    var owned: Set<KafkaTopicPartition> = []
    /// Every event in the order it arrived, shared between the members of one test.
    let journal: Journal

    init(_ name: String, journal: Journal) {
        self.name = name
        self.journal = journal
    }

    func handle(_ event: inout KafkaRebalance) {
        journal.entries.append((name, event.kind, Set(event.partitions)))
        switch event.kind {
        case .assigned: owned.formUnion(event.partitions)
        case .revoked, .lost: owned.subtract(event.partitions)
        }
    }
}

final class Journal {
    var entries: [(member: String, kind: KafkaRebalance.Kind, partitions: Set<KafkaTopicPartition>)] = []
}

@Suite("Consumer groups")
struct GroupTests {
    @Test(
        "Two consumers split the partitions, hand them over on rebalance and take them back when one leaves",
        arguments: [KafkaAssignmentStrategy.cooperativeSticky, .range]
    )
    func splitAndRebalance(strategy: KafkaAssignmentStrategy) throws {
        let broker = try testBroker()
        let topic = try broker.topic("group", partitions: 4)
        let all = Set((0..<4).map { KafkaTopicPartition(topic: topic, partition: $0) })
        let group = unique("group")
        let journal = Journal()
        let a = Ownership("a", journal: journal)
        let b = Ownership("b", journal: journal)

        let consumerA = try broker.consumer(group: group, strategy: strategy)
        try consumerA.subscribe(topics: [topic])
        try pollUntil(consumerA, onRebalance: a.handle) { _ in a.owned == all }
        #expect(a.owned == all)

        let consumerB = try broker.consumer(group: group, strategy: strategy)
        try consumerB.subscribe(topics: [topic])
        try pollBoth(consumerA, a, consumerB, b) {
            !a.owned.isEmpty && !b.owned.isEmpty && a.owned.union(b.owned) == all
        }
        #expect(a.owned.isDisjoint(with: b.owned))
        #expect(a.owned.union(b.owned) == all)
        #expect(try Set(consumerA.assignment()) == a.owned, "the handler's view matches librdkafka's")
        #expect(try Set(consumerB.assignment()) == b.owned)

        // A partition reaches B only after A gave it up.
        for p in b.owned {
            let revokedByA = journal.entries.firstIndex {
                $0.member == "a" && $0.kind == .revoked && $0.partitions.contains(p)
            }
            let assignedToB = journal.entries.firstIndex {
                $0.member == "b" && $0.kind == .assigned && $0.partitions.contains(p)
            }
            #expect(revokedByA != nil && assignedToB != nil && revokedByA! < assignedToB!, "\(p)")
        }

        // Each message is read by the owner of its partition only.
        let producer = try broker.producer()
        for i in 0..<40 { try producer.send(KafkaProducerMessage(topic: topic, key: "sku-\(i)", value: [UInt8(i)])) }
        try producer.flush(timeout: .seconds(5))
        var readByA: [KafkaMessage] = []
        var readByB: [KafkaMessage] = []
        try pollBoth(
            consumerA,
            a,
            consumerB,
            b,
            onMessages: { member, batch in
                if member === a { readByA += batch } else { readByB += batch }
            },
            until: { readByA.count + readByB.count >= 40 }
        )
        #expect(readByA.count + readByB.count == 40)
        #expect(readByA.allSatisfy { a.owned.contains($0.topicPartition) })
        #expect(readByB.allSatisfy { b.owned.contains($0.topicPartition) })

        // B leaves: its final revocation reaches its handler, and A gets everything back.
        let ownedByB = b.owned
        try consumerB.close(onRebalance: b.handle)
        #expect(b.owned.isEmpty)
        #expect(
            journal.entries.last.map { $0.member == "b" && $0.kind == .revoked && $0.partitions == ownedByB } == true
        )
        try pollUntil(consumerA, onRebalance: a.handle) { _ in a.owned == all }
        #expect(a.owned == all)
        try consumerA.close(onRebalance: a.handle)
    }

    @Test("Committed offsets survive a restart: a new member resumes where the last commit says")
    func commitRestartResume() throws {
        let broker = try testBroker()
        let topic = try broker.topic("commit", partitions: 1)
        let tp = KafkaTopicPartition(topic: topic, partition: 0)
        let producer = try broker.producer()
        for i in 0..<10 { try producer.send(KafkaProducerMessage(topic: topic, key: "k", value: [UInt8(i)])) }
        try producer.flush(timeout: .seconds(5))
        let group = unique("commit")

        let first = try broker.consumer(group: group)
        try first.subscribe(topics: [topic])
        let read = try pollUntil(first) { $0.count >= 4 }
        #expect(read.first?.offset == 0)
        // Only the first four are "processed": the rest must be read again after restart.
        try first.commit([tp: 4])
        #expect(try first.committed([tp], timeout: .seconds(5)) == [tp: 4])
        try first.close()

        let second = try broker.consumer(group: group)
        try second.subscribe(topics: [topic])
        let resumed = try pollUntil(second) { $0.count >= 6 }
        #expect(resumed.map(\.offset) == Array(4..<10))
        try second.close()

        // Nothing was committed by the second member behind our back.
        let third = try broker.consumer(group: group)
        #expect(try third.committed([tp], timeout: .seconds(5)) == [tp: 4])
    }

    @Test("Start offsets chosen in the assignment handler win over the committed offset")
    func startOffsetsFromHandler() throws {
        let broker = try testBroker()
        let topic = try broker.topic("start", partitions: 2)
        let producer = try broker.producer()
        for p in 0..<2 {
            for i in 0..<10 {
                try producer.send(KafkaProducerMessage(topic: topic, partition: Int32(p), key: nil, value: [UInt8(i)]))
            }
        }
        try producer.flush(timeout: .seconds(5))
        let group = unique("start")
        let consumer = try broker.consumer(group: group)
        try consumer.commit([KafkaTopicPartition(topic: topic, partition: 1): 2])
        try consumer.subscribe(topics: [topic])
        // Partition 0 starts where a "snapshot" says (7); partition 1 at its committed offset (2).
        let read = try pollUntil(
            consumer,
            onRebalance: { event in
                if event.kind == .assigned {
                    event.startOffsets[KafkaTopicPartition(topic: topic, partition: 0)] = .offset(7)
                }
            },
            done: { $0.count >= 11 }
        )
        #expect(read.filter { $0.partition == 0 }.map(\.offset) == [7, 8, 9])
        #expect(read.filter { $0.partition == 1 }.map(\.offset) == Array(2..<10))
        try consumer.close()
    }

    @Test("An error thrown by the assignment handler surfaces from poll and leaves the partitions unread")
    func failingAssignmentHandler() throws {
        struct StateUnavailable: Error {}
        let broker = try testBroker()
        let topic = try broker.topic("failing", partitions: 1)
        let producer = try broker.producer()
        try producer.send(KafkaProducerMessage(topic: topic, key: "k", value: [1]))
        try producer.flush(timeout: .seconds(5))
        let consumer = try broker.consumer(group: unique("failing"), strategy: .range)
        try consumer.subscribe(topics: [topic])
        var thrown: (any Error)?
        var read: [KafkaMessage] = []
        let clock = ContinuousClock()
        let end = clock.now + .seconds(20)
        while thrown == nil && clock.now < end {
            do {
                read += try consumer.poll(timeout: .milliseconds(100)) { event in
                    if event.kind == .assigned { throw StateUnavailable() }
                }
            } catch {
                thrown = error
            }
        }
        #expect(thrown is StateUnavailable)
        #expect(read.isEmpty)
        #expect(try consumer.assignment().isEmpty)
    }
}

/// Polls two members of one group in turn (both must poll for a rebalance to finish).
func pollBoth(
    _ c1: KafkaConsumer,
    _ o1: Ownership,
    _ c2: KafkaConsumer,
    _ o2: Ownership,
    deadline: Duration = .seconds(40),
    onMessages: (Ownership, KafkaMessageBatch) -> Void = { _, _ in },
    until done: () -> Bool
) throws {
    let clock = ContinuousClock()
    let end = clock.now + deadline
    while clock.now < end {
        onMessages(o1, try c1.poll(timeout: .milliseconds(50), onRebalance: o1.handle))
        onMessages(o2, try c2.poll(timeout: .milliseconds(50), onRebalance: o2.handle))
        if done() { return }
    }
}
