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
        // Six members, one partition each: a member only ever inherits its right neighbour's.
        #expect(StandbyPlacement.partitions(member: 2, members: 6, partitions: 6, replicas: 1) == [3])
        #expect(StandbyPlacement.partitions(member: 5, members: 6, partitions: 6, replicas: 1) == [])
        // Alone: nothing to take over. Two: everything the other owns.
        #expect(StandbyPlacement.partitions(member: 0, members: 1, partitions: 6, replicas: 1) == [])
        #expect(StandbyPlacement.partitions(member: 0, members: 2, partitions: 6, replicas: 1) == [3, 4, 5])
    }

    @Test("every partition that moves to a member when up to N others leave is among its copies")
    func coversFailures() {
        for members in 2...7 {
            for partitions in [3, 6, 12] {
                for replicas in 1...3 {
                    for me in 0..<members {
                        let warm = StandbyPlacement.partitions(
                            member: me,
                            members: members,
                            partitions: partitions,
                            replicas: replicas
                        )
                        let owned = Set(StandbyPlacement.owned(by: me, among: members, partitions: partitions))
                        #expect(warm.isDisjoint(with: owned))
                        // Every single leaver (and pairs, for N ≥ 2): what the member gains is warm.
                        let others = (0..<members).filter { $0 != me }
                        var leaverSets = others.map { [$0] }
                        if replicas >= 2 {
                            for a in others { for b in others where b > a { leaverSets.append([a, b]) } }
                        }
                        for leavers in leaverSets where leavers.count < members {
                            let index = (0..<me).filter { !leavers.contains($0) }.count
                            let after = StandbyPlacement.owned(
                                by: index,
                                among: members - leavers.count,
                                partitions: partitions
                            )
                            #expect(Set(after).subtracting(owned).isSubset(of: warm), "\(members) \(partitions) \(me)")
                        }
                        if replicas >= members - 1 {
                            #expect(warm == Set((0..<Int32(partitions)).filter { !owned.contains($0) }))
                        }
                    }
                }
            }
        }
    }
}
