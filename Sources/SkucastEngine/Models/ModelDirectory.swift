/// Which models a snapshot holds state for, by name and state version, and where each
/// goes in this build's lanes. Snapshots from format 5 on write it once; format 4 and earlier
/// had a fixed set of six models.
struct ModelDirectory: Sendable {
    let names: [String]
    let versions: [Int]
    /// Per model of the snapshot, in its order: this build's lane, or nil (a model this
    /// build does not have, or a state of another version).
    let stored: [Int?]
    /// This build's models without a state in the snapshot (bit per lane).
    let missing: UInt64
    /// Whether the snapshot's models are this build's, in its order, at its versions.
    let isCurrent: Bool

    init(names: [String], versions: [Int]) {
        self.names = names
        self.versions = versions
        let registered = (names: SKUModels.names, versions: SKUModels.stateVersions)
        stored = zip(names, versions).map { name, version in
            guard let lane = registered.names.firstIndex(of: name), registered.versions[lane] == version else {
                return nil
            }
            return lane
        }
        var missing: UInt64 = 0
        for lane in 0..<SKUModels.count where !stored.contains(lane) { missing |= 1 << UInt64(lane) }
        self.missing = missing
        isCurrent = names == registered.names && versions == registered.versions
    }

    /// This build's models.
    static var current: ModelDirectory { ModelDirectory(names: SKUModels.names, versions: SKUModels.stateVersions) }

    func write(to w: inout ByteWriter) {
        w.uvarint(UInt64(names.count))
        for (name, version) in zip(names, versions) {
            w.string(name)
            w.uvarint(UInt64(version))
        }
    }

    init(from r: inout ByteReader) throws(SnapshotError) {
        let n = try r.count(max: Int(UInt32.max))
        // A wider build's snapshot: its lanes would not fit this build's.
        guard n < EnsembleLanes.scalarCount else {
            throw SnapshotError(
                "the snapshot holds \(n) models; this build's ensemble holds at most \(EnsembleLanes.scalarCount - 1) (EnsembleLanes)"
            )
        }
        var (names, versions) = ([String](), [Int]())
        for _ in 0..<n {
            names.append(try r.string())
            versions.append(try r.count(max: Int(UInt32.max)))
        }
        self.init(names: names, versions: versions)
    }

    /// Format 4 and earlier: the six models of their time, at version 1 when their
    /// Holt-Winters constants (written once per snapshot) are this build's.
    static func formatFour(checkingConstantsIn r: inout ByteReader) throws(SnapshotError) -> ModelDirectory {
        var versions = [1, 1, 1, 1, 1, 1]
        for (k, hw) in [HoltWintersSlow().state, HoltWintersFast().state].enumerated() {
            let constants = (try r.double(), try r.double(), try r.double(), try r.double())
            // Other constants make another model: it starts again rather than mixing them.
            if constants != (hw.alpha, hw.beta, hw.gamma, hw.phi) { versions[2 + k] = 0 }
        }
        return ModelDirectory(names: formatFourNames, versions: versions)
    }

    static let formatFourNames = [
        SeasonalNaive.name, MovingAverage.name, HoltWintersSlow.name, HoltWintersFast.name, CrostonSBA.name, TSB.name,
    ]

    /// Reads lanes ``ByteWriter/ensembleLanes(_:)`` wrote; lanes beyond them hold `fill`.
    static func readLanes(_ r: inout ByteReader, fill: Double) throws(SnapshotError) -> EnsembleLanes {
        var lanes = EnsembleLanes(repeating: fill)
        for lane in 0..<(try r.count(max: EnsembleLanes.scalarCount)) { lanes[lane] = try r.double() }
        return lanes
    }

    /// Reads the eight lanes that snapshots wrote whole before ``EnsembleLanes`` widened.
    static func readEightLanes(_ r: inout ByteReader, fill: Double) throws(SnapshotError) -> EnsembleLanes {
        let eight = try r.doubles()
        var lanes = EnsembleLanes(repeating: fill)
        for lane in 0..<8 { lanes[lane] = eight[lane] }
        return lanes
    }

    /// The partition's prior over the snapshot's lanes (its models, then the global model)
    /// in this build's lanes; a model the snapshot lacks takes the mean of the models it
    /// has, and lanes beyond the models stay 1, as in a new engine.
    func prior(from values: EnsembleLanes) -> EnsembleLanes {
        var (sum, n) = (0.0, 0.0)
        for (i, lane) in stored.enumerated() where lane != nil {
            sum += values[i]
            n += 1
        }
        return lanes(from: values, absent: n > 0 ? sum / n : 1, beyond: 1)
    }

    /// Per-lane values in the snapshot's lanes, in this build's: a model the snapshot lacks
    /// takes `absent`, lanes beyond the models `beyond`.
    func lanes(from values: EnsembleLanes, absent: Double = 0, beyond: Double = 0) -> EnsembleLanes {
        var out = EnsembleLanes(repeating: beyond)
        for (i, lane) in stored.enumerated() {
            guard let lane else { continue }
            out[lane] = values[i]
        }
        out[SKUForecaster.globalLane] = values[stored.count]
        for lane in 0..<SKUModels.count where missing & (1 << UInt64(lane)) != 0 { out[lane] = absent }
        return out
    }
}

extension ByteWriter {
    /// The ensemble's lanes in use (its models, then the global model), after their count:
    /// a build whose ``EnsembleLanes`` is wider or narrower reads them all the same.
    mutating func ensembleLanes(_ lanes: EnsembleLanes) {
        uvarint(UInt64(SKUForecaster.modelCount))
        for lane in 0..<SKUForecaster.modelCount { double(lanes[lane]) }
    }
}
