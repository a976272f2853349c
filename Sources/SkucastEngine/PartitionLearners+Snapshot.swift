/// A partition-level learner as a snapshot keeps it: in a section of its own, named and
/// versioned as each model's is (see ``ModelDirectory``), so that a build with other
/// learners, or another layout of one, still reads the snapshot. A section this build does
/// not know is skipped; a learner without a section of a version it reads starts afresh.
protocol PartitionLearner: Sendable, Hashable {
    /// Stable name of its section.
    static var name: String { get }
    /// The layout of ``write(to:)``; raise it whenever the state or its meaning changes.
    static var stateVersion: Int { get }
    /// The oldest version of its section it still reads (see ``init(from:version:)``); by
    /// default only its own.
    static var oldestReadableVersion: Int { get }
    /// A learner that has seen nothing.
    init()
    func write(to w: inout ByteWriter)
    /// Reads a state ``write(to:)`` wrote at this ``stateVersion``.
    init(from r: inout ByteReader) throws(SnapshotError)
    /// Reads a state written at `version`, from ``oldestReadableVersion`` to
    /// ``stateVersion``: an older layout is an explicit upgrade step here.
    init(from r: inout ByteReader, version: Int) throws(SnapshotError)
}

extension PartitionLearner {
    static var oldestReadableVersion: Int { stateVersion }

    init(from r: inout ByteReader, version: Int) throws(SnapshotError) { try self.init(from: &r) }
}

extension PartitionLearners {
    /// Each registered learner's section: its name, state version, length and state.
    func write(to w: inout ByteWriter) {
        let registered = Self.registered
        w.uvarint(UInt64(registered.count))
        for learner in registered {
            w.string(learner.name)
            w.uvarint(UInt64(learner.version))
            let start = w.count
            w.uint32(0)
            learner.write(self, &w)
            w.patch(UInt32(w.count - start - 4), at: start)
        }
    }

    init(from r: inout ByteReader) throws(SnapshotError) {
        self.init()
        let registered = Self.registered
        var seen: Set<String> = []
        for _ in 0..<(try r.count(max: 1 << 10)) {
            let name = try r.string()
            let version = try r.count(max: Int(UInt32.max))
            var section = try r.section(Int(try r.uint32()))
            guard seen.insert(name).inserted else { throw SnapshotError("partition learner \(name) appears twice") }
            guard let learner = registered.first(where: { $0.name == name }), learner.reads.contains(version) else {
                continue
            }
            try learner.read(&self, &section, version)
            guard section.isAtEnd else {
                throw SnapshotError("\(section.remaining) unread bytes in the section of partition learner \(name)")
            }
        }
    }
}

extension ShopCalendar: PartitionLearner {
    static let name = "shop_calendar"
    static let stateVersion = 1

    func write(to w: inout ByteWriter) {
        w.doubles(seasonDemand)
        w.doubles(seasonCount)
        w.uvarint(UInt64(closedSeasons))
    }

    init(from r: inout ByteReader) throws(SnapshotError) {
        seasonDemand = try r.doubles()
        seasonCount = try r.doubles()
        closedSeasons = UInt8(try r.count(max: 255))
    }
}

extension IntradayShape: PartitionLearner {
    static let name = "intraday_shape"
    static let stateVersion = 1

    func write(to w: inout ByteWriter) {
        for v in hours { w.double(v) }
    }

    init(from r: inout ByteReader) throws(SnapshotError) {
        self.init()
        for k in 0..<24 { hours[k] = try r.double() }
    }
}

extension ModelPrior: PartitionLearner {
    static let name = "model_prior"
    /// Version 1 wrote eight lanes whole; 2 writes the lanes in use, after their count.
    static let stateVersion = 2
    static let oldestReadableVersion = 1
    /// What the values mean, which the layout's versions have not changed.
    static let valuesVersion = 1

    /// In the snapshot's lanes: its model directory maps them to a build's.
    func write(to w: inout ByteWriter) { w.ensembleLanes(lanes) }

    init(from r: inout ByteReader) throws(SnapshotError) { try self.init(from: &r, version: Self.stateVersion) }

    init(from r: inout ByteReader, version: Int) throws(SnapshotError) {
        lanes =
            version == 1
            ? try ModelDirectory.readEightLanes(&r, fill: 1) : try ModelDirectory.readLanes(&r, fill: 1)
    }
}

extension GlobalDemandModel: PartitionLearner {
    static let name = "global_model"
    static let stateVersion = 1

    init(from r: inout ByteReader) throws(SnapshotError) {
        self.init()
        try read(from: &r)
    }
}

extension EnsembleError: PartitionLearner {
    static let name = "ensemble_error"
    static let stateVersion = 1

    func write(to w: inout ByteWriter) {
        w.double(errorSum)
        w.double(demandSum)
    }

    init(from r: inout ByteReader) throws(SnapshotError) {
        errorSum = try r.double()
        demandSum = try r.double()
    }
}

extension LeadTimeCalibration: PartitionLearner {
    static let name = "lead_time_calibration"
    static let stateVersion = 1

    func write(to w: inout ByteWriter) {
        for k in 0..<4 { w.double(logScale[k]) }
        w.doubles(publishedLogScale)
        w.uvarint(UInt64(checks))
        w.uvarint(UInt64(misses))
    }

    init(from r: inout ByteReader) throws(SnapshotError) {
        self.init()
        for k in 0..<4 { logScale[k] = try r.double() }
        publishedLogScale = try r.doubles()
        checks = try r.count(max: Int.max)
        misses = try r.count(max: Int.max)
    }
}

extension LastClose: PartitionLearner {
    static let name = "last_close"
    /// Version 2 wrote the prior's eight lanes whole; 3 writes the lanes in use.
    static let stateVersion = 3
    static let oldestReadableVersion = 2

    /// The versions of the learners whose values the readings are: a build where any of
    /// them has another drops the readings rather than misread them, as it starts that
    /// learner afresh.
    static let learnerVersions = [
        ShopCalendar.stateVersion, IntradayShape.stateVersion, ModelPrior.valuesVersion,
        LeadTimeCalibration.stateVersion, GlobalDemandModel.stateVersion,
    ]

    /// The prior in the snapshot's lanes, as ``ModelPrior``'s.
    func write(to w: inout ByteWriter) {
        for v in Self.learnerVersions { w.uvarint(UInt64(v)) }
        guard let r = readings else { return w.bool(false) }
        w.bool(true)
        w.uvarint(UInt64(r.closedSeasons))
        w.ensembleLanes(r.modelPrior)
        r.leadTimeCalibration.write(to: &w)
        w.bool(r.intradayProfile != nil)
        for v in r.intradayProfile ?? [] { w.double(v) }
        w.vector(r.globalCoefficients)
    }

    init(from r: inout ByteReader) throws(SnapshotError) { try self.init(from: &r, version: Self.stateVersion) }

    init(from r: inout ByteReader, version: Int) throws(SnapshotError) {
        var versions: [Int] = []
        for _ in Self.learnerVersions { versions.append(try r.count(max: Int(UInt32.max))) }
        guard versions == Self.learnerVersions else {
            _ = try r.section(r.remaining)
            return
        }
        guard try r.bool() else { return }
        var readings = OutlookReadings()
        readings.closedSeasons = UInt8(try r.count(max: 255))
        readings.modelPrior =
            version == 2
            ? try ModelDirectory.readEightLanes(&r, fill: 1) : try ModelDirectory.readLanes(&r, fill: 1)
        readings.leadTimeCalibration = try LeadTimeCalibration(from: &r)
        if try r.bool() {
            var profile: [Double] = []
            for _ in 0..<24 { profile.append(try r.double()) }
            readings.intradayProfile = profile
        }
        readings.globalCoefficients = try r.vector()
        self.readings = readings
    }
}
