import SkucastEvents

/// Where a snapshot's state stops in one input partition: the next offset to read.
public struct SourceOffset: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var nextOffset: Int64

    public init(topic: String, partition: Int32, nextOffset: Int64) {
        self.topic = topic
        self.partition = partition
        self.nextOffset = nextOffset
    }
}

/// All the state of one partition at one point of its input.
public struct PartitionSnapshot: Sendable, Equatable {
    public var engine: PartitionEngine
    /// The input offsets the state covers: restore, seek here, and continue.
    public var offsets: [SourceOffset]

    public init(engine: PartitionEngine, offsets: [SourceOffset]) {
        self.engine = engine
        self.offsets = offsets
    }
}

/// Why a snapshot could not be decoded.
public struct SnapshotError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The binary form of a ``PartitionSnapshot``: versioned, compact, checksummed.
///
/// Layout: magic `SKUCSNAP`, format version (UInt16), reserved (UInt16), payload length
/// (UInt64), CRC-32 of the payload (UInt32), payload. All integers little-endian; doubles
/// and floats as their IEEE bit patterns, so a restored engine continues bit for bit.
public enum SnapshotCodec {
    static let magic = Array("SKUCSNAP".utf8)
    /// The format this build writes. Each model's state is in a section of its own, named
    /// and versioned in the snapshot's model directory (see ``ModelDirectory``), and so is
    /// each partition-level learner's (see ``PartitionLearners``): a build with other
    /// models or learners reads it, and one the snapshot lacks starts afresh (a model from
    /// each SKU's history). Format 7 added the maximum clock skew to the settings; format 8
    /// the demand definition, the sale ledger of net demand, stock per location and each SKU's
    /// last order lines (duplicates). Formats 2 to 7 are read
    /// through ``SnapshotUpgrade``'s steps.
    public static let version: UInt16 = 8
    static let readable: ClosedRange<UInt16> = 2...version
    static let headerSize = 8 + 2 + 2 + 8 + 4

    /// - Returns: The snapshot's bytes.
    public static func encode(_ snapshot: PartitionSnapshot) -> [UInt8] {
        func payload(_ w: inout ByteWriter) {
            snapshot.engine.write(to: &w)
            w.uvarint(UInt64(snapshot.offsets.count))
            for o in snapshot.offsets {
                w.string(o.topic)
                w.int32(o.partition)
                w.int64(o.nextOffset)
            }
        }
        // Two passes: count, then write straight into the result (no growing buffer,
        // no copy of hundreds of megabytes).
        var counter = ByteWriter(counting: ())
        payload(&counter)
        let length = counter.count
        return [UInt8](unsafeUninitializedCapacity: headerSize + length) { buffer, initialized in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            let prefault = LentBytes(bytes: UnsafeRawBufferPointer(start: base, count: headerSize + length))
                .prefaultInBackground()
            defer { prefault?.join() }
            var w = ByteWriter(into: base + headerSize, capacity: length)
            payload(&w)
            precondition(w.count == length, "snapshot writer: the two passes disagree")
            let crc = CRC32.checksum(UnsafeRawBufferPointer(start: base + headerSize, count: length))
            var header = ByteWriter(into: base, capacity: headerSize)
            for b in magic { header.uint8(b) }
            header.uint16(version)
            header.uint16(0)
            header.uint64(UInt64(length))
            header.uint32(crc)
            initialized = headerSize + length
        }
    }

    /// - Parameter bytes: A snapshot written by ``encode(_:)``.
    /// - Throws: ``SnapshotError`` for a foreign, truncated, corrupted or newer snapshot.
    public static func decode(_ bytes: [UInt8]) throws(SnapshotError) -> PartitionSnapshot {
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == magic else {
            throw SnapshotError("not a skucast snapshot (bad magic)")
        }
        func le<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
            var v: T = 0
            for k in 0..<MemoryLayout<T>.size { v |= T(bytes[at + k]) << (8 * k) }
            return v
        }
        let version = le(8, UInt16.self)
        guard readable.contains(version) else {
            throw SnapshotError(
                "snapshot format \(version) is not supported (this build reads \(readable.lowerBound)…\(readable.upperBound))"
            )
        }
        let length = le(12, UInt64.self)
        let checksum = le(20, UInt32.self)
        guard UInt64(bytes.count - headerSize) == length else {
            throw SnapshotError(
                "snapshot is \(bytes.count - headerSize) payload bytes, header says \(length): truncated or padded"
            )
        }
        var result: Result<PartitionSnapshot, SnapshotError>!
        bytes.withUnsafeBytes { all in
            let payload = UnsafeRawBufferPointer(rebasing: all[headerSize...])
            // The checksum is verified on another core while this one parses. Parsing
            // damaged bytes is safe (every read is bounds-checked), and a mismatch wins
            // over whatever the parse made of them.
            let lent = LentBytes(bytes: payload)
            let verification = BackgroundWork { CRC32.checksum(lent.bytes) == checksum }
            result = Result { () throws(SnapshotError) in
                guard version < Self.version else { return try parse(payload) }
                let upgraded = try SnapshotUpgrade.payload(payload, from: version)
                return try upgraded.withUnsafeBytes { b in Result { () throws(SnapshotError) in try parse(b) } }.get()
            }
            if !verification.join() { result = .failure(SnapshotError("snapshot checksum mismatch: corrupted")) }
        }
        return try result.get()
    }

    /// Reads a payload of the current format.
    private static func parse(_ payload: UnsafeRawBufferPointer) throws(SnapshotError) -> PartitionSnapshot {
        var r = ByteReader(payload)
        let engine = try PartitionEngine(from: &r)
        var offsets: [SourceOffset] = []
        for _ in 0..<(try r.count(max: 1 << 20)) {
            offsets.append(SourceOffset(topic: try r.string(), partition: try r.int32(), nextOffset: try r.int64()))
        }
        guard r.isAtEnd else { throw SnapshotError("\(r.remaining) unread bytes at the end of the snapshot") }
        return PartitionSnapshot(engine: engine, offsets: offsets)
    }
}

// MARK: - State, field by field

extension PartitionEngine {
    func write(to w: inout ByteWriter) {
        let c = configuration
        w.string(c.calendar.size.rawValue)
        let zone = c.calendar.zone
        w.string(zone.identifier)
        w.uvarint(UInt64(zone.transitions.count))
        for t in zone.transitions { w.int64(t) }
        for o in zone.offsets { w.int32(o) }
        w.int64(c.allowedLatenessMilliseconds)
        w.int64(c.maxClockSkewMilliseconds)
        w.string(c.demand.rawValue)
        w.int64(c.saleMatchWindowMilliseconds)
        w.uvarint(UInt64(c.horizon))
        for v in [c.restock.serviceLevel, c.restock.defaultLeadTimeDays, c.restock.reviewPeriodDays] { w.double(v) }
        w.uvarint(UInt64(c.restock.warmUpBuckets))
        ModelDirectory.current.write(to: &w)
        w.optionalInt64(maxEventTime?.milliseconds)
        w.optionalInt64(closedThrough)
        w.uvarint(UInt64(lateEvents))
        learners.write(to: &w)
        ledger.write(to: &w)
        locations.write(to: &w)
        recentLines.write(to: &w)
        w.uvarint(UInt64(store.slots.count))
        // Read in place through pointers: a slot is most of a kilobyte, and both a zip of
        // the arrays and a `borrowing` parameter fed from a buffer's subscript copied it
        // (and retained its strings), twice per snapshot.
        store.slots.withUnsafeBufferPointer { slots in
            store.tallies.withUnsafeBufferPointer { tallies in
                restock.records.withUnsafeBufferPointer { records in
                    for i in slots.indices {
                        let r = tallies[i].restock
                        Self.write(
                            slots.baseAddress! + i,
                            tallies.baseAddress! + i,
                            r >= 0 ? records.baseAddress! + Int(r) : nil,
                            to: &w
                        )
                    }
                }
            }
        }
    }

    private static func write(
        _ slot: UnsafePointer<SKUStore.Slot>,
        _ tally: UnsafePointer<SKUStore.Tally>,
        _ record: UnsafePointer<RestockTracker.Record>?,
        to w: inout ByteWriter
    ) {
        w.string(slot.pointee.sku)
        w.int64(slot.pointee.firstBucket)
        w.uvarint(UInt64(tally.pointee.pending.count))
        tally.pointee.pending.forEachBucket { p in
            w.int64(p.bucket)
            w.double(p.demand.quantity)
            w.double(p.demand.revenue)
            w.double(p.demand.promotedQuantity)
        }
        slot.pointee.forecaster.write(to: &w)
        w.bool(record != nil)
        if let st = record?.pointee.stock {
            w.double(st.onHand)
            w.double(st.onOrder)
            w.bool(st.leadTimeDays != nil)
            if let l = st.leadTimeDays { w.double(l) }
            w.int64(st.countedAt.milliseconds)
            w.double(st.consumedSince)
        }
        w.bool(record?.pointee.levels != nil)
        if let l = record?.pointee.levels {
            w.double(l.leadTimeDemand)
            w.double(l.reorderPoint)
            w.double(l.orderUpTo)
            w.double(l.dailyDemand)
            w.double(l.bucketVariance)
        }
        w.bool(record?.pointee.alert != nil)
        if let a = record?.pointee.alert {
            w.string(a.id)
            w.string(a.severity.rawValue)
            w.uvarint(UInt64(a.changes))
        }
        w.uvarint(UInt64(record?.pointee.alertsRaised ?? 0))
        w.bool(slot.pointee.check != nil)
        if let c = slot.pointee.check {
            w.uint32(c.reorderPoint.bitPattern)
            w.uint32(c.median.bitPattern)
            w.uint32(c.p90.bitPattern)
            w.uint32(c.demand.bitPattern)
            w.int32(c.bucketsLeft)
            w.uint8(UInt8(c.demandClass.rawValue))
        }
    }

    /// Reads the current format (older ones are upgraded first: see ``SnapshotUpgrade``).
    init(from r: inout ByteReader) throws(SnapshotError) {
        let configuration = try EngineConfiguration(snapshotFrom: &r)
        let directory = try ModelDirectory(from: &r)
        self.init(configuration: configuration)
        maxEventTime = try r.optionalInt64().map(EventTime.init(milliseconds:))
        closedThrough = try r.optionalInt64()
        lateEvents = try r.count(max: Int.max)
        learners = try PartitionLearners(from: &r)
        learners.modelPrior.lanes = directory.prior(from: learners.modelPrior.lanes)
        if let prior = learners.lastClose.readings?.modelPrior {
            learners.lastClose.readings?.modelPrior = directory.prior(from: prior)
        }
        for c in learners.accuracy.recent.modelError.indices {
            learners.accuracy.recent.modelError[c] = directory.lanes(from: learners.accuracy.recent.modelError[c])
        }
        // Its SKUs are read after it: every slot it names is checked against them then.
        ledger = try SaleLedger(from: &r, skus: r.remaining / 256)
        locations = try StockLocations(from: &r, skus: r.remaining / 256)
        recentLines = try RecentLines(from: &r, skus: r.remaining / 256)
        try readSKUs(from: &r, directory: directory)
        guard recentLines.rings.keys.allSatisfy({ Int($0) < store.slots.count }) else {
            throw SnapshotError("the recent order lines name a SKU the snapshot does not hold")
        }
        guard ledger.sales.keys.allSatisfy({ Int($0) < store.slots.count }) else {
            throw SnapshotError("the sale ledger names a SKU the snapshot does not hold")
        }
        guard locations.counts.keys.allSatisfy({ Int($0) < store.slots.count && store.restockRecord(Int($0)) != nil })
        else {
            throw SnapshotError("the stock locations name a SKU without a stock count")
        }
    }

    private mutating func readSKUs(from r: inout ByteReader, directory: ModelDirectory) throws(SnapshotError) {
        // The checksum is verified beside the parse, not before it: a damaged count must not
        // reserve (and prefault) more slots than the bytes left could hold. Every slot
        // takes well over 256 bytes (its forecaster alone over 300).
        let n = try r.count(max: r.remaining / 256)
        var sections = [ByteReader?](repeating: nil, count: SKUModels.count)
        store.slots.reserveCapacity(n)
        store.tallies.reserveCapacity(n)
        let prefaults = [store.slots.prefaultingCapacity(), store.tallies.prefaultingCapacity()]
        defer { for p in prefaults { p?.join() } }
        var hashes: [UInt64] = []
        hashes.reserveCapacity(n)
        for _ in 0..<n { try readSKU(from: &r, directory: directory, sections: &sections, hashes: &hashes) }
        try store.index(hashes: hashes)
    }

    /// One SKU: its slot, its tally and, with a stock count, its restock record.
    @inline(__always)
    private mutating func readSKU(
        from r: inout ByteReader,
        directory: ModelDirectory,
        sections: inout [ByteReader?],
        hashes: inout [UInt64]
    ) throws(SnapshotError) {
        let sku = try r.string()
        let first = try r.int64()
        let pending = try PendingDemand(snapshotFrom: &r)
        var forecaster = try SKUForecaster(from: &r, directory: directory, sections: &sections)
        if directory.missing != 0 {
            let next = configuration.calendar.season(of: (closedThrough ?? first - 1) + 1)
            forecaster.startModels(
                lanes: directory.missing,
                nextSeason: next,
                cycle: configuration.calendar.modelCycle,
                closedSeasons: closedSeasons
            )
        }
        let stock = try r.optional { r throws(SnapshotError) in try StockPosition(snapshotFrom: &r) }
        let levels = try r.optional { r throws(SnapshotError) in try ReorderLevels(snapshotFrom: &r) }
        let alert = try r.optional { r throws(SnapshotError) in try OpenAlert(snapshotFrom: &r) }
        let alertsRaised = try r.count(max: Int.max)
        var record: Int32 = -1
        if let stock {
            let warmedUp = forecaster.buckets >= configuration.restock.warmUpBuckets
            let restored = RestockTracker.Record(
                slot: store.slots.count,
                sku: sku,
                stock: stock,
                levels: levels,
                alert: alert,
                alertsRaised: alertsRaised,
                warmedUp: warmedUp
            )
            record = Int32(restock.add(restored))
        } else if levels != nil || alert != nil || alertsRaised != 0 {
            throw SnapshotError("SKU \(sku) has restock levels or alerts but no stock count")
        }
        var slot = SKUStore.Slot(sku: sku, firstBucket: first, forecaster: forecaster)
        slot.check = try r.optional { r throws(SnapshotError) in try LeadTimeCheck(snapshotFrom: &r) }
        var text = sku
        text.withUTF8 { u in
            let bytes = UnsafeRawBufferPointer(u)
            let prefix = TextPrefix(bytes)
            hashes.append(SKUIndex.hash(prefix, bytes))
            store.tallies.append(SKUStore.Tally(key: prefix, pending: pending, restock: record))
        }
        store.slots.append(slot)
    }
}

extension EngineConfiguration {
    /// Reads the settings a snapshot was cut with: calendar (with the time zone's
    /// transition table), lateness, horizon and restock policy.
    init(snapshotFrom r: inout ByteReader) throws(SnapshotError) {
        self.init()
        let size = try r.string()
        guard let bucketSize = BucketSize(rawValue: size) else { throw SnapshotError("unknown bucket size \(size)") }
        let identifier = try r.string()
        let count = try r.count(max: 1 << 16)
        var transitions: [Int64] = []
        for _ in 0..<count { transitions.append(try r.int64()) }
        var offsets: [Int32] = []
        for _ in 0...count { offsets.append(try r.int32()) }
        let zone: ZoneRules
        do {
            zone = try ZoneRules(identifier: identifier, transitions: transitions, offsets: offsets)
        } catch {
            throw SnapshotError("time zone: \(error)")
        }
        calendar = BucketCalendar(size: bucketSize, zone: zone)
        allowedLatenessMilliseconds = try r.int64()
        maxClockSkewMilliseconds = try r.int64()
        guard maxClockSkewMilliseconds >= 0 else { throw SnapshotError("negative maximum clock skew") }
        let definition = try r.string()
        guard let demand = DemandDefinition(rawValue: definition) else {
            throw SnapshotError("unknown demand definition \(definition)")
        }
        self.demand = demand
        saleMatchWindowMilliseconds = try r.int64()
        guard saleMatchWindowMilliseconds >= 0 else { throw SnapshotError("negative sale match window") }
        horizon = try r.count(max: 10_000)
        restock.serviceLevel = try r.double()
        // Quantiles are taken at it on every forecast: outside 0…1 it has no meaning.
        guard (0...1).contains(restock.serviceLevel) else {
            throw SnapshotError("service level \(restock.serviceLevel) outside 0…1")
        }
        restock.defaultLeadTimeDays = try r.double()
        restock.reviewPeriodDays = try r.double()
        restock.warmUpBuckets = try r.count(max: 1 << 20)
    }
}

extension PendingDemand {
    @inline(__always)
    init(snapshotFrom r: inout ByteReader) throws(SnapshotError) {
        self.init()
        for _ in 0..<(try r.count(max: 1 << 16)) {
            let bucket = try r.int64()
            add(
                BucketDemand(quantity: try r.double(), revenue: try r.double(), promotedQuantity: try r.double()),
                to: bucket
            )
        }
    }
}

extension StockPosition {
    @inline(__always)
    init(snapshotFrom r: inout ByteReader) throws(SnapshotError) {
        let onHand = try r.double()
        let onOrder = try r.double()
        let lead = try r.bool() ? try r.double() : nil
        self.init(
            onHand: onHand,
            onOrder: onOrder,
            leadTimeDays: lead,
            countedAt: EventTime(milliseconds: try r.int64()),
            consumedSince: try r.double()
        )
    }
}

extension ReorderLevels {
    @inline(__always)
    init(snapshotFrom r: inout ByteReader) throws(SnapshotError) {
        self.init(
            leadTimeDemand: try r.double(),
            reorderPoint: try r.double(),
            orderUpTo: try r.double(),
            dailyDemand: try r.double(),
            bucketVariance: try r.double()
        )
    }
}

extension OpenAlert {
    @inline(__always)
    init(snapshotFrom r: inout ByteReader) throws(SnapshotError) {
        let id = try r.string()
        let name = try r.string()
        guard let severity = RestockSeverity(rawValue: name) else { throw SnapshotError("unknown severity \(name)") }
        self.init(id: id, severity: severity, changes: try r.count(max: Int.max))
    }
}

extension LeadTimeCheck {
    @inline(__always)
    init(snapshotFrom r: inout ByteReader) throws(SnapshotError) {
        let reorderPoint = Float(bitPattern: try r.uint32())
        let (median, p90) = (Float(bitPattern: try r.uint32()), Float(bitPattern: try r.uint32()))
        let (demand, left) = (Float(bitPattern: try r.uint32()), try r.int32())
        let code = try r.uint8()
        guard let demandClass = DemandClass(rawValue: Int(code)) else {
            throw SnapshotError("unknown demand class \(code)")
        }
        self.init(
            reorderPoint: reorderPoint,
            median: median,
            p90: p90,
            demand: demand,
            bucketsLeft: left,
            demandClass: demandClass
        )
    }
}

extension SKUForecaster {
    func write(to w: inout ByteWriter) {
        writeHistory(to: &w)
        // Each model's section: its length (two bytes, written once the section is), its
        // lane's loss and next-bucket forecast, its state.
        models.writeStates { lane, state in
            let start = w.count
            w.uint16(0)
            w.double(losses[lane])
            w.double(nextBucket[lane])
            state(&w)
            let length = w.count - start - 2
            precondition(length <= Int(UInt16.max), "a model's state is limited to 64 KiB")
            w.patch(UInt16(length), at: start)
        }
        w.double(losses[Self.globalLane])
        w.double(nextBucket[Self.globalLane])
        w.vector(globalForecasts)
        for v in [lastPrice, referencePrice, promotedShare] { w.uint32(v.bitPattern) }
        w.uvarint(UInt64(buckets))
        w.double(bucketsSinceSale)
    }

    func writeHistory(to w: inout ByteWriter) {
        // The 28 buckets of history: a vector of 16 and the first 12 lanes of a second, as
        // 28 little-endian floats.
        w.float32s(history.values.0)
        w.vector(history.values.1.lowHalf)
        w.vector(history.values.1.highHalf.lowHalf)
        w.uvarint(UInt64(history.head))
        w.uvarint(UInt64(history.count))
    }

    /// Reads the current format. `sections` is scratch space of one entry per registered model,
    /// lent by the caller so that a million SKUs do not allocate a million arrays.
    init(from r: inout ByteReader, directory: ModelDirectory, sections: inout [ByteReader?]) throws(SnapshotError) {
        self.init()
        try readHistory(from: &r)
        if directory.isCurrent {
            // This build's models in its order: each section is read where it lies.
            var (lossesRead, nextRead) = (losses, nextBucket)
            try models.readStates { (lane: Int) throws(SnapshotError) -> ByteReader? in
                var section = try r.section(Int(try r.uint16()))
                lossesRead[lane] = try section.double()
                nextRead[lane] = try section.double()
                return section
            }
            (losses, nextBucket) = (lossesRead, nextRead)
        } else {
            for i in sections.indices { sections[i] = nil }
            for lane in directory.stored {
                var section = try r.section(Int(try r.uint16()))
                guard let lane else { continue }
                losses[lane] = try section.double()
                nextBucket[lane] = try section.double()
                sections[lane] = section
            }
            let found = sections
            try models.readStates { (lane: Int) throws(SnapshotError) -> ByteReader? in found[lane] }
        }
        losses[Self.globalLane] = try r.double()
        nextBucket[Self.globalLane] = try r.double()
        globalForecasts = try r.vector()
        try readPrices(from: &r)
        bucketsSinceSale = try r.double()
    }

    mutating func readHistory(from r: inout ByteReader) throws(SnapshotError) {
        // Whole vectors: lane by lane, each float stalled on the store of the one before.
        let first = try r.float32s()
        let rest = SIMD16<Float>(lowHalf: try r.vector(), highHalf: SIMD8(lowHalf: try r.vector(), highHalf: .zero))
        // Demand is never negative (sums over the history rely on it), nor NaN.
        guard all(first .>= 0), all(rest .>= 0) else { throw SnapshotError("a SKU's history holds negative demand") }
        history.values = (first, rest)
        history.head = try r.count(max: DemandHistory.capacity - 1)
        history.count = try r.count(max: DemandHistory.capacity)
    }

    private mutating func readPrices(from r: inout ByteReader) throws(SnapshotError) {
        lastPrice = Float(bitPattern: try r.uint32())
        referencePrice = Float(bitPattern: try r.uint32())
        promotedShare = Float(bitPattern: try r.uint32())
        buckets = try r.count(max: Int.max)
    }

    /// Starts models a snapshot had no state for from the SKU's history; their recent
    /// error starts at the mean of the others'.
    mutating func startModels(lanes: UInt64, nextSeason: Int, cycle: Int, closedSeasons: UInt8) {
        models.warmStart(lanes: lanes, history: history, nextSeason: nextSeason, cycle: cycle)
        var (known, n) = (0.0, 0.0)
        for lane in 0..<Self.modelCount where lanes & (1 << UInt64(lane)) == 0 {
            known += losses[lane]
            n += 1
        }
        for lane in 0..<SKUModels.count where lanes & (1 << UInt64(lane)) != 0 {
            losses[lane] = n > 0 ? known / n : 0
            nextBucket[lane] = forecast(
                lane: lane,
                step: 1,
                nextSeason: nextSeason,
                cycle: cycle,
                closedSeasons: closedSeasons
            )
        }
    }
}

extension GlobalDemandModel {
    // Snapshots are taken between buckets, when nothing is pending.
    func write(to w: inout ByteWriter) {
        w.vector(sums.weekdays)
        for row in sums.weekdayLevels { w.vector(row) }
        for row in sums.levels { w.vector(row) }
        w.vector(sums.weekdayMoment)
        w.vector(sums.levelMoment)
        w.double(sums.evidence)
        w.vector(coefficients)
    }

    mutating func read(from r: inout ByteReader) throws(SnapshotError) {
        sums.weekdays = try r.vector()
        for i in 0..<8 { sums.weekdayLevels[i] = try r.vector() }
        for i in 0..<8 { sums.levels[i] = try r.vector() }
        sums.weekdayMoment = try r.vector()
        sums.levelMoment = try r.vector()
        sums.evidence = try r.double()
        coefficients = try r.vector()
    }
}

extension DampedHoltWinters {
    // Smoothing constants are the model's definition, not state: they belong to its
    // state version (see ModelDirectory), not to each SKU's bytes.
    func write(to w: inout ByteWriter) {
        w.double(level)
        w.double(trend)
        w.doubles(season)
        w.bool(started)
    }

    mutating func read(from r: inout ByteReader) throws(SnapshotError) {
        level = try r.double()
        trend = try r.double()
        season = try r.doubles()
        started = try r.bool()
    }
}
