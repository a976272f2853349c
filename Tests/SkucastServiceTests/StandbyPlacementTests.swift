import SkucastKafka
import Testing

@testable import SkucastService

@Suite("Where standby copies go")
struct StandbyPlacementTests {
    @Test("one replica: the partitions a member would take over if any one other left")
    func oneReplica() {
        // Three members, six partitions: 0-1, 2-3, 4-5. If the first leaves, the middle
        // one owns 0-2; if the last leaves, 3-5.
        #expect(StandbyPlacement.partitions(member: 1, members: 3, partitions: 6, replicas: 1) == [0, 1, 4, 5])
        #expect(StandbyPlacement.partitions(member: 0, members: 3, partitions: 6, replicas: 1) == [2])
        #expect(StandbyPlacement.partitions(member: 2, members: 3, partitions: 6, replicas: 1) == [3])
        // Six members, one partition each: of five left, the first owns two.
        #expect(StandbyPlacement.partitions(member: 0, members: 6, partitions: 6, replicas: 1) == [1])
        #expect(StandbyPlacement.partitions(member: 1, members: 6, partitions: 6, replicas: 1) == [0, 2])
        #expect(StandbyPlacement.partitions(member: 2, members: 6, partitions: 6, replicas: 1) == [3])
        #expect(StandbyPlacement.partitions(member: 5, members: 6, partitions: 6, replicas: 1) == [])
        // Alone: nothing to take over. Two: everything the other owns.
        #expect(StandbyPlacement.partitions(member: 0, members: 1, partitions: 6, replicas: 1) == [])
        #expect(StandbyPlacement.partitions(member: 0, members: 2, partitions: 6, replicas: 1) == [3, 4, 5])
    }

    /// The partitions each named member owns under the range strategy, simulated from its
    /// definition: members sorted by name, partitions in order, the first `count % members`
    /// members taking one more.
    static func rangeOwners(_ names: [String], partitions: Int) -> [String: Set<Int32>] {
        let sorted = names.sorted()
        var owned: [String: Set<Int32>] = [:]
        var next = 0
        for (i, name) in sorted.enumerated() {
            let share = partitions / sorted.count + (i < partitions % sorted.count ? 1 : 0)
            owned[name] = Set((next..<(next + share)).map(Int32.init))
            next += share
        }
        return owned
    }

    @Test("exactly the partitions that move to a member when up to N others leave, for every group up to seven")
    func exactlyWhatMoves() {
        for members in 2...7 {
            let names = (0..<members).map { "member-\($0)" }
            for partitions in [3, 6, 12] {
                let now = Self.rangeOwners(names, partitions: partitions)
                for replicas in 1...3 {
                    for (me, name) in names.enumerated() {
                        // Every set of up to `replicas` leavers among the others, as a bit mask.
                        var gained: Set<Int32> = []
                        for mask in 1..<(1 << members) where mask & (1 << me) == 0 && mask.nonzeroBitCount <= replicas {
                            let staying = names.enumerated().filter { mask & (1 << $0.offset) == 0 }.map(\.element)
                            gained.formUnion(Self.rangeOwners(staying, partitions: partitions)[name]!)
                        }
                        gained.subtract(now[name]!)
                        let warm = StandbyPlacement.partitions(
                            member: me,
                            members: members,
                            partitions: partitions,
                            replicas: replicas
                        )
                        #expect(warm == gained, "\(members) members, \(partitions) partitions, N \(replicas), \(name)")
                    }
                }
            }
        }
    }

    @Test("members are ordered as librdkafka's assignors order them: by instance id when all are static")
    func assignorOrder() {
        func member(_ id: String, _ instance: String?) -> KafkaGroupMember {
            KafkaGroupMember(memberID: id, clientID: "", host: "", assignment: [], instanceID: instance)
        }
        let dynamic = [member("b-1", nil), member("a-2", nil), member("c-3", "x")]
        #expect(KafkaGroupMember.assignorOrder(dynamic).map(\.memberID) == ["a-2", "b-1", "c-3"])
        let statics = [member("b-1", "z"), member("a-2", "y"), member("c-3", "x")]
        #expect(KafkaGroupMember.assignorOrder(statics).map(\.memberID) == ["c-3", "a-2", "b-1"])
    }
}
