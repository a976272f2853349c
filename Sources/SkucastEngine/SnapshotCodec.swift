import CZlib
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
    /// The format this build writes. It also reads format 3, which calibrated only the
    /// reorder point (the published lead-time median and 90th percentile restart
    /// uncalibrated), and format 2, whose calendar was a fixed UTC offset (format 3 carries
    /// the time zone's transition table) and which had no lead-time calibration and no day
    /// shape for hour buckets (they restart from none).
    public static let version: UInt16 = 4
    static let readable: ClosedRange<UInt16> = 2...4
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
            let prefault = LentBytes(bytes: UnsafeRawBufferPointer(start: base, count: headerSize + length)).prefaultInBackground()
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
            throw SnapshotError("snapshot format \(version) is not supported (this build reads \(readable.lowerBound)…\(readable.upperBound))")
        }
        let length = le(12, UInt64.self)
        let checksum = le(20, UInt32.self)
        guard UInt64(bytes.count - headerSize) == length else {
            throw SnapshotError("snapshot is \(bytes.count - headerSize) payload bytes, header says \(length): truncated or padded")
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
                var r = ByteReader(payload)
                let engine = try PartitionEngine(from: &r, format: version)
                var offsets: [SourceOffset] = []
                for _ in 0..<(try r.count(max: 1 << 20)) {
                    offsets.append(SourceOffset(topic: try r.string(), partition: try r.int32(), nextOffset: try r.int64()))
                }
                guard r.isAtEnd else { throw SnapshotError("\(r.remaining) unread bytes at the end of the snapshot") }
                return PartitionSnapshot(engine: engine, offsets: offsets)
            }
            if !verification.join() { result = .failure(SnapshotError("snapshot checksum mismatch: corrupted")) }
        }
        return try result.get()
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
        w.uvarint(UInt64(c.horizon))
        for v in [c.restock.serviceLevel, c.restock.defaultLeadTimeDays, c.restock.reviewPeriodDays] { w.double(v) }
        w.uvarint(UInt64(c.restock.warmUpBuckets))
        // The models' constants once for all SKUs; a build with other constants refuses
        // the snapshot rather than mixing them.
        let model = SKUForecaster()
        for hw in [model.holtWintersSlow, model.holtWintersFast] { for v in [hw.alpha, hw.beta, hw.gamma, hw.phi] { w.double(v) } }
        w.optionalInt64(maxEventTime?.milliseconds)
        w.optionalInt64(closedThrough)
        w.uvarint(UInt64(lateEvents))
        w.doubles(seasonDemand)
        w.doubles(seasonCount)
        w.uvarint(UInt64(closedSeasons))
        w.doubles(modelPrior)
        globalModel.write(to: &w)
        w.double(errorSum)
        w.double(demandSum)
        for k in 0..<4 { w.double(leadTimeCalibration.logScale[k]) }
        w.doubles(leadTimeCalibration.publishedLogScale)
        for v in intradayDemand { w.double(v) }
        w.uvarint(UInt64(leadTimeCalibration.checks))
        w.uvarint(UInt64(leadTimeCalibration.misses))
        w.uvarint(UInt64(slots.count))
        // Read in place through pointers: a slot is most of a kilobyte, and both a zip of
        // the arrays and a `borrowing` parameter fed from a buffer's subscript copied it
        // (and retained its strings), twice per snapshot.
        slots.withUnsafeBufferPointer { slots in
            tallies.withUnsafeBufferPointer { tallies in
                for i in slots.indices { Self.write(slots.baseAddress! + i, tallies.baseAddress! + i, to: &w) }
            }
        }
    }

    private static func write(_ slot: UnsafePointer<Slot>, _ tally: UnsafePointer<Tally>, to w: inout ByteWriter) {
        w.string(slot.pointee.sku)
        w.int64(slot.pointee.firstBucket)
        w.uvarint(UInt64(tally.pointee.pending.count))
        tally.pointee.pending.forEach { p in
            w.int64(p.bucket)
            w.double(p.demand.quantity)
            w.double(p.demand.revenue)
            w.double(p.demand.promotedQuantity)
        }
        slot.pointee.forecaster.write(to: &w)
        w.bool(tally.pointee.stock != nil)
        if let st = tally.pointee.stock {
            w.double(st.onHand)
            w.double(st.onOrder)
            w.bool(st.leadTimeDays != nil)
            if let l = st.leadTimeDays { w.double(l) }
            w.int64(st.countedAt.milliseconds)
            w.double(st.consumedSince)
        }
        w.bool(slot.pointee.levels != nil)
        if let l = slot.pointee.levels {
            w.double(l.leadTimeDemand)
            w.double(l.reorderPoint)
            w.double(l.orderUpTo)
            w.double(l.dailyDemand)
            w.double(l.bucketVariance)
        }
        w.bool(slot.pointee.alert != nil)
        if let a = slot.pointee.alert {
            w.string(a.id)
            w.string(a.severity.rawValue)
            w.uvarint(UInt64(a.changes))
        }
        w.uvarint(UInt64(slot.pointee.alertsRaised))
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

    init(from r: inout ByteReader, format: UInt16) throws(SnapshotError) {
        var c = EngineConfiguration()
        let size = try r.string()
        guard let bucketSize = BucketSize(rawValue: size) else { throw SnapshotError("unknown bucket size \(size)") }
        let zone: ZoneRules
        if format == 2 {
            let offset = try r.int64()
            guard abs(offset) <= 18 * 3600 else { throw SnapshotError("UTC offset \(offset) s is beyond ±18 hours") }
            zone = ZoneRules(fixedOffsetSeconds: Int(offset))
        } else {
            let identifier = try r.string()
            let count = try r.count(max: 1 << 16)
            var transitions: [Int64] = []
            for _ in 0..<count { transitions.append(try r.int64()) }
            var offsets: [Int32] = []
            for _ in 0...count { offsets.append(try r.int32()) }
            do {
                zone = try ZoneRules(identifier: identifier, transitions: transitions, offsets: offsets)
            } catch {
                throw SnapshotError("time zone: \(error)")
            }
        }
        c.calendar = BucketCalendar(size: bucketSize, zone: zone)
        c.allowedLatenessMilliseconds = try r.int64()
        c.horizon = try r.count(max: 10_000)
        c.restock.serviceLevel = try r.double()
        c.restock.defaultLeadTimeDays = try r.double()
        c.restock.reviewPeriodDays = try r.double()
        c.restock.warmUpBuckets = try r.count(max: 1 << 20)
        let model = SKUForecaster()
        for hw in [model.holtWintersSlow, model.holtWintersFast] {
            let constants = (try r.double(), try r.double(), try r.double(), try r.double())
            guard constants == (hw.alpha, hw.beta, hw.gamma, hw.phi) else {
                throw SnapshotError("Holt-Winters constants \(constants) differ from this build's \((hw.alpha, hw.beta, hw.gamma, hw.phi))")
            }
        }
        self.init(configuration: c)
        maxEventTime = try r.optionalInt64().map(EventTime.init(milliseconds:))
        closedThrough = try r.optionalInt64()
        lateEvents = try r.count(max: Int.max)
        seasonDemand = try r.doubles()
        seasonCount = try r.doubles()
        closedSeasons = UInt8(try r.count(max: 255))
        modelPrior = try r.doubles()
        try globalModel.read(from: &r)
        errorSum = try r.double()
        demandSum = try r.double()
        if format >= 3 {
            for k in 0..<4 { leadTimeCalibration.logScale[k] = try r.double() }
            if format >= 4 { leadTimeCalibration.publishedLogScale = try r.doubles() }
            for k in 0..<24 { intradayDemand[k] = try r.double() }
            leadTimeCalibration.checks = try r.count(max: Int.max)
            leadTimeCalibration.misses = try r.count(max: Int.max)
        }
        // The checksum is verified beside the parse, not before it: a damaged count must not
        // reserve (and prefault) more slots than the bytes left could hold. Every slot
        // takes well over 256 bytes (its forecaster alone over 300).
        let n = try r.count(max: r.remaining / 256)
        slots.reserveCapacity(n)
        tallies.reserveCapacity(n)
        let prefaults = [slots.prefaultingCapacity(), tallies.prefaultingCapacity()]
        defer { for p in prefaults { p?.join() } }
        index = SKUIndex(capacity: n)
        var hashes: [UInt64] = []
        hashes.reserveCapacity(n)
        for _ in 0..<n {
            let sku = try r.string()
            let first = try r.int64()
            var pending = PendingDemand()
            for _ in 0..<(try r.count(max: 1 << 16)) {
                let bucket = try r.int64()
                pending.add(BucketDemand(quantity: try r.double(), revenue: try r.double(), promotedQuantity: try r.double()), to: bucket)
            }
            let forecaster = try SKUForecaster(from: &r)
            var restored = Slot(sku: sku, firstBucket: first, forecaster: forecaster)
            var stock: StockPosition?
            if try r.bool() {
                let onHand = try r.double(), onOrder = try r.double()
                let lead = try r.bool() ? try r.double() : nil
                stock = StockPosition(onHand: onHand, onOrder: onOrder, leadTimeDays: lead,
                                           countedAt: EventTime(milliseconds: try r.int64()), consumedSince: try r.double())
            }
            if try r.bool() {
                restored.levels = ReorderLevels(leadTimeDemand: try r.double(), reorderPoint: try r.double(), orderUpTo: try r.double(),
                                            dailyDemand: try r.double(), bucketVariance: try r.double())
            }
            if try r.bool() {
                let id = try r.string()
                let name = try r.string()
                guard let severity = RestockSeverity(rawValue: name) else { throw SnapshotError("unknown severity \(name)") }
                restored.alert = OpenAlert(id: id, severity: severity, changes: try r.count(max: Int.max))
            }
            restored.alertsRaised = try r.count(max: Int.max)
            if format >= 3, try r.bool() {
                let reorderPoint = Float(bitPattern: try r.uint32())
                let (median, p90) = format >= 4 ? (Float(bitPattern: try r.uint32()), Float(bitPattern: try r.uint32())) : (-1, -1)
                let (demand, left) = (Float(bitPattern: try r.uint32()), try r.int32())
                let code = try r.uint8()
                guard let demandClass = DemandClass(rawValue: Int(code)) else { throw SnapshotError("unknown demand class \(code)") }
                restored.check = LeadTimeCheck(reorderPoint: reorderPoint, median: median, p90: p90, demand: demand, bucketsLeft: left, demandClass: demandClass)
            }
            var text = sku
            text.withUTF8 { u in
                let bytes = UnsafeRawBufferPointer(u)
                let prefix = TextPrefix(bytes)
                hashes.append(SKUIndex.hash(prefix, bytes))
                tallies.append(Tally(key: prefix, pending: pending, stock: stock))
            }
            slots.append(restored)
        }
        // Indexed after the parse, in a loop of its own: each lookup misses the cache, and
        // here the misses of successive SKUs overlap instead of waiting in turn between
        // parses (they were most of the time spent per slot outside the parse).
        for (i, hash) in hashes.enumerated() {
            var text = slots[i].sku
            let unique = text.withUTF8 { u in
                guard slot(of: UnsafeRawBufferPointer(u), prefix: tallies[i].key, hash: hash) == nil else { return false }
                index.insert(slot: i, hash: hash)
                return true
            }
            guard unique else { throw SnapshotError("SKU \(text) appears twice") }
        }
    }
}

extension SKUForecaster {
    func write(to w: inout ByteWriter) {
        // The 28 buckets of history: a vector of 16 and the first 12 lanes of a second, as
        // 28 little-endian floats.
        w.float32s(history.values.0)
        w.vector(history.values.1.lowHalf)
        w.vector(history.values.1.highHalf.lowHalf)
        w.uvarint(UInt64(history.head))
        w.uvarint(UInt64(history.count))
        holtWintersSlow.write(to: &w)
        holtWintersFast.write(to: &w)
        w.double(croston.size)
        w.double(croston.interval)
        w.double(croston.sinceLast)
        w.double(tsb.probability)
        w.double(tsb.size)
        w.bool(tsb.started)
        for m in Model.allCases { w.double(losses[m.rawValue]) }
        for m in Model.allCases { w.double(nextBucket[m.rawValue]) }
        w.vector(globalForecasts)
        for v in [lastPrice, referencePrice, promotedShare] { w.uint32(v.bitPattern) }
        w.uvarint(UInt64(buckets))
    }

    init(from r: inout ByteReader) throws(SnapshotError) {
        self.init()
        // Whole vectors: lane by lane, each float stalled on the store of the one before.
        let first = try r.float32s()
        let rest = SIMD16<Float>(lowHalf: try r.vector(), highHalf: SIMD8(lowHalf: try r.vector(), highHalf: .zero))
        history.values = (first, rest)
        history.head = try r.count(max: DemandHistory.capacity - 1)
        history.count = try r.count(max: DemandHistory.capacity)
        try holtWintersSlow.read(from: &r)
        try holtWintersFast.read(from: &r)
        croston.size = try r.double()
        croston.interval = try r.double()
        croston.sinceLast = try r.double()
        tsb.probability = try r.double()
        tsb.size = try r.double()
        tsb.started = try r.bool()
        for m in Model.allCases { losses[m.rawValue] = try r.double() }
        for m in Model.allCases { nextBucket[m.rawValue] = try r.double() }
        globalForecasts = try r.vector()
        lastPrice = Float(bitPattern: try r.uint32())
        referencePrice = Float(bitPattern: try r.uint32())
        promotedShare = Float(bitPattern: try r.uint32())
        buckets = try r.count(max: Int.max)
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
    // Smoothing constants are the model's definition, not state: they are checked once
    // per snapshot (see PartitionEngine.write), not stored per SKU.
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

// MARK: - Bytes

/// Appends little-endian fields to a growing raw buffer: a snapshot is millions of small
/// fields, and an array's per-append checks cost more than the copying.
struct ByteWriter: ~Copyable {
    private var storage: UnsafeMutableRawPointer?
    private var capacity: Int
    private let owned: Bool
    private(set) var count = 0

    /// Writes into a buffer of its own, growing as needed.
    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        storage = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
        owned = true
    }

    /// Only counts: the first of two passes that write straight into the final array.
    init(counting: Void) {
        storage = nil
        capacity = .max
        owned = false
    }

    /// Writes into memory the caller owns, which must hold exactly what is written.
    init(into memory: UnsafeMutableRawPointer, capacity: Int) {
        storage = memory
        self.capacity = capacity
        owned = false
    }

    deinit { if owned { storage?.deallocate() } }

    /// The bytes written, lent without copying.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    @inline(__always)
    private mutating func reserve(_ n: Int) {
        guard count + n > capacity else { return }
        precondition(owned, "snapshot writer: more bytes than the counting pass measured")
        let storage = self.storage!
        var grown = capacity * 2
        while grown < count + n { grown *= 2 }
        let new = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
        new.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        self.storage = new
        capacity = grown
    }

    @inline(__always)
    private mutating func put<T>(_ v: T) {
        if storage != nil {
            reserve(MemoryLayout<T>.size)
            storage!.storeBytes(of: v, toByteOffset: count, as: T.self)
        }
        count += MemoryLayout<T>.size
    }

    mutating func uint8(_ v: UInt8) { put(v) }
    mutating func uint16(_ v: UInt16) { put(v.littleEndian) }
    mutating func uint32(_ v: UInt32) { put(v.littleEndian) }
    mutating func uint64(_ v: UInt64) { put(v.littleEndian) }
    mutating func int32(_ v: Int32) { uint32(UInt32(bitPattern: v)) }
    mutating func int64(_ v: Int64) { uint64(UInt64(bitPattern: v)) }
    mutating func double(_ v: Double) { uint64(v.bitPattern) }
    mutating func bool(_ v: Bool) { put(UInt8(v ? 1 : 0)) }

    mutating func uvarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            put(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        put(UInt8(v))
    }

    mutating func optionalInt64(_ v: Int64?) {
        bool(v != nil)
        if let v { int64(v) }
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            uvarint(UInt64(utf8.count))
            if storage != nil {
                reserve(utf8.count)
                if let base = utf8.baseAddress { (storage! + count).copyMemory(from: base, byteCount: utf8.count) }
            }
            count += utf8.count
        }
    }

    // IEEE values are stored little-endian; on the little-endian machines Swift runs on
    // servers, a vector's memory already is that form.
    mutating func doubles(_ v: SIMD8<Double>) { put(v) }
    mutating func float32s(_ v: SIMD16<Float>) { put(v) }
    mutating func vector<V: SIMD>(_ v: V) { put(v) }
}

#if !_endian(little)
#error("the snapshot codec writes vectors in memory order and expects a little-endian machine")
#endif

struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }
    var remaining: Int { bytes.count - position }

    @inline(__always)
    private mutating func need(_ n: Int) throws(SnapshotError) {
        guard n >= 0, remaining >= n else { throw SnapshotError("snapshot ends early at byte \(position)") }
    }

    @inline(__always)
    private mutating func load<T: FixedWidthInteger>(_: T.Type) throws(SnapshotError) -> T {
        try need(MemoryLayout<T>.size)
        defer { position += MemoryLayout<T>.size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    mutating func uint8() throws(SnapshotError) -> UInt8 { try load(UInt8.self) }
    mutating func uint16() throws(SnapshotError) -> UInt16 { try load(UInt16.self) }
    mutating func uint32() throws(SnapshotError) -> UInt32 { try load(UInt32.self) }
    mutating func uint64() throws(SnapshotError) -> UInt64 { try load(UInt64.self) }
    mutating func int32() throws(SnapshotError) -> Int32 { Int32(bitPattern: try uint32()) }
    mutating func int64() throws(SnapshotError) -> Int64 { Int64(bitPattern: try uint64()) }
    mutating func double() throws(SnapshotError) -> Double { Double(bitPattern: try uint64()) }

    mutating func bool() throws(SnapshotError) -> Bool {
        try need(1)
        let b = bytes[position]
        position += 1
        switch b {
        case 0: return false
        case 1: return true
        default: throw SnapshotError("invalid boolean \(b) at byte \(position - 1)")
        }
    }

    mutating func uvarint() throws(SnapshotError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            try need(1)
            let b = bytes[position]
            position += 1
            guard shift < 64 else { throw SnapshotError("varint too long at byte \(position)") }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    /// A count or small number, bounded so a corrupted value cannot ask for absurd memory.
    mutating func count(max: Int) throws(SnapshotError) -> Int {
        let v = try uvarint()
        guard v <= UInt64(max) else { throw SnapshotError("value \(v) out of range at byte \(position)") }
        return Int(v)
    }

    mutating func optionalInt64() throws(SnapshotError) -> Int64? {
        try bool() ? try int64() : nil
    }

    mutating func string() throws(SnapshotError) -> String {
        let n = try count(max: 1 << 16)
        try need(n)
        defer { position += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)]), as: UTF8.self)
    }

    mutating func doubles() throws(SnapshotError) -> SIMD8<Double> {
        try need(64)
        defer { position += 64 }
        return bytes.loadUnaligned(fromByteOffset: position, as: SIMD8<Double>.self)
    }

    mutating func vector<V: SIMD>() throws(SnapshotError) -> V {
        try need(MemoryLayout<V>.size)
        defer { position += MemoryLayout<V>.size }
        return bytes.loadUnaligned(fromByteOffset: position, as: V.self)
    }

    mutating func float32s() throws(SnapshotError) -> SIMD16<Float> {
        try need(64)
        defer { position += 64 }
        return bytes.loadUnaligned(fromByteOffset: position, as: SIMD16<Float>.self)
    }
}

/// CRC-32 (IEEE 802.3, as gzip and PNG compute it).
///
/// zlib's: it checks 4 GB/s here, twice what a table-driven loop in Swift did, and a
/// snapshot's checksum covers hundreds of megabytes on every write and read.
enum CRC32 {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        return UInt32(truncatingIfNeeded: crc32_z(0, base.assumingMemoryBound(to: UInt8.self), bytes.count))
    }
}
