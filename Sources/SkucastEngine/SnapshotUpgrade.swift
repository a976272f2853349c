/// Brings the payload of an older snapshot format to the current one, a step at a time:
/// each step reads one format and writes the next, copying what did not change as it lies.
/// The reader then knows a single layout, the current one (``SnapshotCodec/version``).
///
/// A step is written once, when its format is replaced, and never changes after: the
/// fixtures of `Tests/SkucastEngineTests/Fixtures` (snapshots written by the last build of
/// each old format) keep every step honest.
enum SnapshotUpgrade {
    /// The payload of a snapshot of `format`, as the current format.
    static func payload(_ bytes: UnsafeRawBufferPointer, from format: UInt16) throws(SnapshotError) -> [UInt8] {
        var current = [UInt8](bytes)
        for from in format..<SnapshotCodec.version {
            let input = current
            current = try input.withUnsafeBytes { b in
                Result { () throws(SnapshotError) -> [UInt8] in
                    var t = Transcoder(b)
                    switch from {
                    case 2: try twoToThree(&t)
                    case 3: try threeToFour(&t)
                    case 4: try fourToFive(&t)
                    case 5: try fiveToSix(&t)
                    case 6: try sixToSeven(&t)
                    case 7: try sevenToEight(&t)
                    default: throw SnapshotError("no upgrade from snapshot format \(from)")
                    }
                    return t.finish()
                }
            }.get()
        }
        return current
    }

    /// Format 3 cut days by a time zone's transition table (format 2: a fixed UTC offset),
    /// and added the calibration of reorder points, a day shape for hour buckets, and each
    /// SKU's check under way. They start from none.
    static func twoToThree(_ t: inout Transcoder) throws(SnapshotError) {
        try t.copy { r throws(SnapshotError) in _ = try r.string() }
        let offset = try t.r.int64()
        guard abs(offset) <= 18 * 3600 else { throw SnapshotError("UTC offset \(offset) s is beyond ±18 hours") }
        let zone = ZoneRules(fixedOffsetSeconds: Int(offset))
        t.w.string(zone.identifier)
        t.w.uvarint(0)
        t.w.int32(zone.offsets[0])
        try t.copy { r throws(SnapshotError) in
            try Layout.skipSettingsAfterZone(&r)
            try Layout.skipFormatFourConstants(&r)
            try Layout.skipClocks(&r)
            try Layout.skipLearners(&r)
        }
        let calibration = LeadTimeCalibration()
        for k in 0..<4 { t.w.double(calibration.logScale[k]) }
        for _ in 0..<24 { t.w.double(0) }
        t.w.uvarint(0)
        t.w.uvarint(0)
        for _ in 0..<(try t.copyCount()) {
            try t.copy { r throws(SnapshotError) in
                try Layout.skipSKUHead(&r)
                _ = try FormatFourForecaster(from: &r)
                try Layout.skipRestock(&r)
            }
            t.w.bool(false)
        }
        t.copyRest()
    }

    /// Format 4 calibrated the published lead-time median and 90th percentile as well: their
    /// scales start from none, and a check under way has no record of them (negative: it
    /// teaches the reorder point only).
    static func threeToFour(_ t: inout Transcoder) throws(SnapshotError) {
        try t.copy { r throws(SnapshotError) in
            try Layout.skipSettings(&r)
            try Layout.skipFormatFourConstants(&r)
            try Layout.skipClocks(&r)
            try Layout.skipLearners(&r)
            for _ in 0..<4 { _ = try r.double() }
        }
        t.w.doubles(LeadTimeCalibration().publishedLogScale)
        try t.copy { r throws(SnapshotError) in try Layout.skipDayShapeAndCounts(&r) }
        for _ in 0..<(try t.copyCount()) {
            try t.copy { r throws(SnapshotError) in
                try Layout.skipSKUHead(&r)
                _ = try FormatFourForecaster(from: &r)
                try Layout.skipRestock(&r)
            }
            let underWay = try t.r.bool()
            t.w.bool(underWay)
            guard underWay else { continue }
            try t.copy { r throws(SnapshotError) in _ = try r.uint32() }
            t.w.uint32(Float(-1).bitPattern)
            t.w.uint32(Float(-1).bitPattern)
            try t.copy { r throws(SnapshotError) in
                _ = try r.uint32()
                _ = try r.int32()
                _ = try r.uint8()
            }
        }
        t.copyRest()
    }

    /// Format 5 names its models once (``ModelDirectory``) instead of writing the
    /// Holt-Winters constants, and keeps each model's state in a section of its own.
    static func fourToFive(_ t: inout Transcoder) throws(SnapshotError) {
        try t.copy { r throws(SnapshotError) in try Layout.skipSettings(&r) }
        try ModelDirectory.formatFour(checkingConstantsIn: &t.r).write(to: &t.w)
        try t.copy { r throws(SnapshotError) in
            try Layout.skipClocks(&r)
            try Layout.skipLearners(&r)
            for _ in 0..<4 { _ = try r.double() }
            _ = try r.doubles()
            try Layout.skipDayShapeAndCounts(&r)
        }
        for _ in 0..<(try t.copyCount()) {
            try t.copy { r throws(SnapshotError) in try Layout.skipSKUHead(&r) }
            try FormatFourForecaster(from: &t.r).write(to: &t.w)
            try t.copy { r throws(SnapshotError) in
                try Layout.skipRestock(&r)
                if try r.bool() {
                    for _ in 0..<4 { _ = try r.uint32() }
                    _ = try r.int32()
                    _ = try r.uint8()
                }
            }
        }
        t.copyRest()
    }
}

extension SnapshotUpgrade {
    /// Format 6 keeps each partition-level learner's state in a named, versioned section
    /// (see ``PartitionLearners``), as format 5 did each model's; format 5 had them in fixed
    /// fields, in what is now each one's version 1.
    static func fiveToSix(_ t: inout Transcoder) throws(SnapshotError) {
        try t.copy { r throws(SnapshotError) in
            try Layout.skipSettings(&r)
            _ = try ModelDirectory(from: &r)
            try Layout.skipClocks(&r)
        }
        let calendar = try t.cut { r throws(SnapshotError) in
            _ = try r.doubles()
            _ = try r.doubles()
            _ = try r.uvarint()
        }
        let prior = try t.cut { r throws(SnapshotError) in _ = try r.doubles() }
        let global = try t.cut { r throws(SnapshotError) in try Layout.skipGlobalModel(&r) }
        let error = try t.cut { r throws(SnapshotError) in
            _ = try r.double()
            _ = try r.double()
        }
        let scales = try t.cut { r throws(SnapshotError) in
            for _ in 0..<4 { _ = try r.double() }
            _ = try r.doubles()
        }
        let dayShape = try t.cut { r throws(SnapshotError) in for _ in 0..<24 { _ = try r.double() } }
        let counts = try t.cut { r throws(SnapshotError) in
            _ = try r.uvarint()
            _ = try r.uvarint()
        }
        // The names as format 6 first wrote them: a step never changes.
        let sections = [
            ("shop_calendar", [calendar]), ("intraday_shape", [dayShape]), ("model_prior", [prior]),
            ("global_model", [global]), ("ensemble_error", [error]), ("lead_time_calibration", [scales, counts]),
        ]
        t.w.uvarint(UInt64(sections.count))
        for (name, parts) in sections {
            t.w.string(name)
            t.w.uvarint(1)
            t.w.uint32(UInt32(parts.reduce(0) { $0 + $1.count }))
            for part in parts { t.w.raw(part) }
        }
        t.copyRest()
    }
}

extension SnapshotUpgrade {
    /// Format 7 has the maximum clock skew after the allowed lateness; format 6's
    /// partitions accepted any plausible time, and take the default of format 7's first
    /// build (14 days).
    static func sixToSeven(_ t: inout Transcoder) throws(SnapshotError) {
        try t.copy { r throws(SnapshotError) in
            try Layout.skipCalendar(&r)
            _ = try r.int64()
        }
        t.w.int64(14 * 86_400_000)
        t.copyRest()
    }
}

extension SnapshotUpgrade {
    /// Format 8 has the demand definition and the sale-match window after the clock skew,
    /// and after the partition's learners the sale ledger of net demand and the stock
    /// counts per location and each SKU's last order lines; format 7 counted gross demand,
    /// with nothing to match, one stock count per SKU, and no duplicates.
    static func sevenToEight(_ t: inout Transcoder) throws(SnapshotError) {
        try t.copy { r throws(SnapshotError) in
            try Layout.skipCalendar(&r)
            _ = try r.int64()
            _ = try r.int64()
        }
        t.w.string("gross")
        t.w.int64(28 * 86_400_000)
        try t.copy { r throws(SnapshotError) in
            _ = try r.uvarint()
            for _ in 0..<3 { _ = try r.double() }
            _ = try r.uvarint()
            _ = try ModelDirectory(from: &r)
            try Layout.skipClocks(&r)
            for _ in 0..<(try r.count(max: 1 << 10)) {
                _ = try r.string()
                _ = try r.uvarint()
                _ = try r.section(Int(try r.uint32()))
            }
        }
        t.w.optionalInt64(nil)
        t.w.uvarint(0)
        // No stock per location, no order lines remembered.
        t.w.uvarint(0)
        t.w.uvarint(0)
        t.copyRest()
    }
}

/// Reads one payload and writes another.
struct Transcoder: ~Copyable {
    var r: ByteReader
    var w: ByteWriter

    init(_ bytes: UnsafeRawBufferPointer) {
        r = ByteReader(bytes)
        w = ByteWriter(capacity: bytes.count + bytes.count / 4)
    }

    /// Copies what `read` goes over, as it lies.
    mutating func copy(_ read: (inout ByteReader) throws(SnapshotError) -> Void) throws(SnapshotError) {
        let start = r.position
        try read(&r)
        w.raw(r.bytes(from: start))
    }

    /// What `read` goes over, as it lies in the payload read (not copied yet).
    mutating func cut(
        _ read: (inout ByteReader) throws(SnapshotError) -> Void
    ) throws(SnapshotError)
        -> UnsafeRawBufferPointer
    {
        let start = r.position
        try read(&r)
        return r.bytes(from: start)
    }

    /// Copies a count of SKUs, and returns it.
    mutating func copyCount() throws(SnapshotError) -> Int {
        // Every SKU takes well over 64 bytes in every format.
        let n = try r.count(max: r.remaining / 64)
        w.uvarint(UInt64(n))
        return n
    }

    /// Copies the rest as it lies.
    mutating func copyRest() {
        let start = r.position
        r.position = r.bytes.count
        w.raw(r.bytes(from: start))
    }

    consuming func finish() -> [UInt8] {
        w.withBytes { [UInt8]($0) }
    }
}

/// The parts of the old layouts the steps go over without changing.
enum Layout {
    /// Bucket size and time zone rules (format 3 to 6), then the rest of the settings.
    static func skipSettings(_ r: inout ByteReader) throws(SnapshotError) {
        try skipCalendar(&r)
        try skipSettingsAfterZone(&r)
    }

    /// Bucket size and time zone rules (format 3 on).
    static func skipCalendar(_ r: inout ByteReader) throws(SnapshotError) {
        _ = try r.string()
        _ = try r.string()
        let n = try r.count(max: 1 << 16)
        for _ in 0..<n { _ = try r.int64() }
        for _ in 0...n { _ = try r.int32() }
    }

    /// Lateness, horizon, service level, lead time, review period, warm-up.
    static func skipSettingsAfterZone(_ r: inout ByteReader) throws(SnapshotError) {
        _ = try r.int64()
        _ = try r.uvarint()
        for _ in 0..<3 { _ = try r.double() }
        _ = try r.uvarint()
    }

    /// Formats 2 to 4: the constants of the two Holt-Winters models.
    static func skipFormatFourConstants(_ r: inout ByteReader) throws(SnapshotError) {
        for _ in 0..<8 { _ = try r.double() }
    }

    /// Newest event time, last closed bucket, late events.
    static func skipClocks(_ r: inout ByteReader) throws(SnapshotError) {
        _ = try r.optionalInt64()
        _ = try r.optionalInt64()
        _ = try r.uvarint()
    }

    /// Calendar, prior, global model and ensemble error, the same in every format.
    static func skipLearners(_ r: inout ByteReader) throws(SnapshotError) {
        _ = try r.doubles()
        _ = try r.doubles()
        _ = try r.uvarint()
        _ = try r.doubles()
        try skipGlobalModel(&r)
        _ = try r.double()
        _ = try r.double()
    }

    /// The global model's normal equations (19 vectors of 8 and a double) and its
    /// coefficients (16), as formats 2 to 5 wrote them.
    static func skipGlobalModel(_ r: inout ByteReader) throws(SnapshotError) {
        for _ in 0..<19 { let _: SIMD8<Double> = try r.vector() }
        _ = try r.double()
        let _: SIMD16<Double> = try r.vector()
    }

    /// The day shape and the calibration's counts (format 3 on).
    static func skipDayShapeAndCounts(_ r: inout ByteReader) throws(SnapshotError) {
        for _ in 0..<24 { _ = try r.double() }
        _ = try r.uvarint()
        _ = try r.uvarint()
    }

    /// A SKU's name, first bucket and pending demand.
    static func skipSKUHead(_ r: inout ByteReader) throws(SnapshotError) {
        _ = try r.string()
        _ = try r.int64()
        for _ in 0..<(try r.count(max: 1 << 16)) {
            _ = try r.int64()
            for _ in 0..<3 { _ = try r.double() }
        }
    }

    /// A SKU's stock, levels, open alert and alerts raised.
    static func skipRestock(_ r: inout ByteReader) throws(SnapshotError) {
        if try r.bool() {
            _ = try r.double()
            _ = try r.double()
            if try r.bool() { _ = try r.double() }
            _ = try r.int64()
            _ = try r.double()
        }
        if try r.bool() { for _ in 0..<5 { _ = try r.double() } }
        if try r.bool() {
            _ = try r.string()
            _ = try r.string()
            _ = try r.uvarint()
        }
        _ = try r.uvarint()
    }
}

/// A SKU's forecaster as formats 2 to 4 wrote it: its six models in fixed fields, then
/// their losses and next-bucket forecasts (and the global model's) in fixed lanes.
struct FormatFourForecaster {
    var history = DemandHistory()
    var slow = HoltWintersSlow(), fast = HoltWintersFast(), croston = CrostonSBA(), tsb = TSB()
    /// Lanes: ``ModelDirectory/formatFourNames``, then the global model.
    var losses = [Double](), nextBucket = [Double]()
    var globalForecasts = SIMD8<Float>.zero
    var prices: (UInt32, UInt32, UInt32) = (0, 0, 0)
    var buckets = 0

    init(from r: inout ByteReader) throws(SnapshotError) {
        var f = SKUForecaster()
        try f.readHistory(from: &r)
        history = f.history
        try slow.state.read(from: &r)
        try fast.state.read(from: &r)
        croston.size = try r.double()
        croston.interval = try r.double()
        croston.sinceLast = try r.double()
        tsb.probability = try r.double()
        tsb.size = try r.double()
        tsb.started = try r.bool()
        let lanes = ModelDirectory.formatFourNames.count + 1
        for _ in 0..<lanes { losses.append(try r.double()) }
        for _ in 0..<lanes { nextBucket.append(try r.double()) }
        globalForecasts = try r.vector()
        prices = (try r.uint32(), try r.uint32(), try r.uint32())
        buckets = try r.count(max: Int.max)
    }

    /// Writes it as format 5 does, its models in the order of the format-4 directory.
    func write(to w: inout ByteWriter) {
        var f = SKUForecaster()
        f.history = history
        f.writeHistory(to: &w)
        let states: [(inout ByteWriter) -> Void] = [
            SeasonalNaive().write, MovingAverage().write, slow.write, fast.write, croston.write, tsb.write,
        ]
        for (k, state) in states.enumerated() {
            let start = w.count
            w.uint16(0)
            w.double(losses[k])
            w.double(nextBucket[k])
            state(&w)
            w.patch(UInt16(w.count - start - 2), at: start)
        }
        w.double(losses[states.count])
        w.double(nextBucket[states.count])
        w.vector(globalForecasts)
        w.uint32(prices.0)
        w.uint32(prices.1)
        w.uint32(prices.2)
        w.uvarint(UInt64(buckets))
        // Croston's count of buckets since the last sale was the forecaster's own until format 5.
        w.double(croston.sinceLast)
    }
}
