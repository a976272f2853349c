/// Which partitions an instance keeps warm copies of with `--standby-replicas N` (Kafka
/// Streams' `num.standby.replicas`).
///
/// Kafka Streams puts a task's standbys where its own assignor will move the task. skucast's
/// inputs are assigned by the range strategy (co-partitioning needs it), which no member
/// chooses; but its rule is known: partitions split in member order (by member id, or by
/// `group.instance.id` when every member is static), the first members taking one more. So an instance keeps warm exactly the partitions it would own if any
/// N or fewer of the other members left the group: a failure of up to N members finds
/// every partition that moves to it already warm, and it copies nothing else. With
/// N ≥ members − 1 that is every partition it does not own.
public enum StandbyPlacement {
    /// Subsets of leavers looked at beyond which every partition is kept instead.
    static let subsetLimit = 20_000

    /// - Parameters:
    ///   - member: This instance's index among the members, in the assignor's order
    ///     (``KafkaGroupMember/assignorOrder(_:)``).
    ///   - members: How many members the group has.
    ///   - partitions: Partitions of each input topic.
    ///   - replicas: N, at least 1.
    /// - Returns: The partitions to keep warm: owned after some N or fewer others left, not
    ///   owned now.
    public static func partitions(member: Int, members: Int, partitions: Int, replicas: Int) -> Set<Int32> {
        guard members > 1, member >= 0, member < members, replicas >= 1 else { return [] }
        let owned = Set(owned(by: member, among: members, partitions: partitions))
        let others = (0..<members).filter { $0 != member }
        let n = min(replicas, others.count)
        guard n < others.count, subsets(of: others.count, upTo: n) <= subsetLimit else {
            return Set((0..<Int32(partitions)).filter { !owned.contains($0) })
        }
        var warm: Set<Int32> = []
        var chosen: [Int] = []
        // Every set of 1…n leavers, in increasing index order.
        func visit(from start: Int) {
            if !chosen.isEmpty {
                let leavers = Set(chosen.map { others[$0] })
                let index = (0..<member).filter { !leavers.contains($0) }.count
                warm.formUnion(self.owned(by: index, among: members - leavers.count, partitions: partitions))
            }
            guard chosen.count < n else { return }
            for i in start..<others.count {
                chosen.append(i)
                visit(from: i + 1)
                chosen.removeLast()
            }
        }
        visit(from: 0)
        return warm.subtracting(owned)
    }

    /// The partitions the range strategy gives member `index` of `count`.
    static func owned(by index: Int, among count: Int, partitions: Int) -> [Int32] {
        (0..<partitions).filter { RangeAssignment.owner(of: $0, partitions: partitions, members: count) == index }
            .map(Int32.init)
    }

    /// How many subsets of 1…k of n elements there are.
    static func subsets(of n: Int, upTo k: Int) -> Int {
        var total = 0
        var c = 1
        for i in 1...max(1, k) where i <= n {
            c = c * (n - i + 1) / i
            total += c
            if total > subsetLimit { return total }
        }
        return total
    }
}
