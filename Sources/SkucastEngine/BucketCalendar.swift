import SkucastEvents

/// The length of a demand bucket.
public enum BucketSize: String, Sendable, Hashable, CaseIterable {
    case hour, day, week

    var milliseconds: Int64 {
        switch self {
        case .hour: 3_600_000
        case .day: 86_400_000
        case .week: 7 * 86_400_000
        }
    }

    /// Buckets per seasonal cycle: a day of hours, a week of days, a year of weeks.
    public var seasonLength: Int {
        switch self {
        case .hour: 24
        case .day: 7
        case .week: 52
        }
    }
}

/// A time zone's offset from UTC over time, as a table of transitions: what the bucket
/// calendar needs to cut local days, held as a value so the engine looks nothing up per
/// event and a snapshot carries exactly the rules it was cut with (a newer tz database
/// on the restoring machine cannot move a bucket edge).
///
/// Built from the system's time zone database by `SkucastZoneInfo` at the edge, or as a
/// fixed offset here.
public struct ZoneRules: Sendable, Hashable, CustomStringConvertible {
    /// The IANA name (`Europe/London`), or `UTC` / `UTC+05:30` for a fixed offset.
    public let identifier: String
    /// UTC instants (milliseconds) at which the offset changes, ascending.
    public let transitions: [Int64]
    /// Seconds east of UTC: `offsets[0]` before the first transition, `offsets[k + 1]`
    /// from `transitions[k]` on.
    public let offsets: [Int32]

    /// UTC itself.
    public static let utc = ZoneRules(fixedOffsetSeconds: 0)

    /// A zone that never changes its offset.
    /// - Parameter fixedOffsetSeconds: Seconds east of UTC, within ±18 hours.
    public init(fixedOffsetSeconds: Int) {
        precondition(abs(fixedOffsetSeconds) <= 18 * 3600, "an offset beyond ±18 hours")
        let a = abs(fixedOffsetSeconds)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        identifier =
            fixedOffsetSeconds == 0
            ? "UTC" : "UTC\(fixedOffsetSeconds < 0 ? "-" : "+")\(two(a / 3600)):\(two(a / 60 % 60))"
        transitions = []
        offsets = [Int32(fixedOffsetSeconds)]
    }

    /// A zone from its transition table.
    /// - Parameters:
    ///   - identifier: The zone's name.
    ///   - transitions: UTC instants (milliseconds) of each change.
    ///   - offsets: Seconds east of UTC, one more than `transitions` (see ``offsets``).
    /// - Throws: ``ZoneRulesError`` when the table is not ascending, sizes disagree, or an
    ///   offset lies beyond ±18 hours.
    public init(identifier: String, transitions: [Int64], offsets: [Int32]) throws(ZoneRulesError) {
        guard offsets.count == transitions.count + 1 else {
            throw ZoneRulesError("\(identifier): \(offsets.count) offsets for \(transitions.count) transitions")
        }
        guard zip(transitions, transitions.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw ZoneRulesError("\(identifier): transitions are not ascending")
        }
        guard offsets.allSatisfy({ abs($0) <= 18 * 3600 }) else {
            throw ZoneRulesError("\(identifier): an offset beyond ±18 hours")
        }
        self.identifier = identifier
        self.transitions = transitions
        self.offsets = offsets
    }

    public var description: String { identifier }

    /// The index into ``offsets`` of the span holding the instant.
    @inline(__always)
    func span(at milliseconds: Int64) -> Int {
        var lo = 0
        var hi = transitions.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if transitions[mid] <= milliseconds { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Seconds east of UTC at an instant.
    @inline(__always)
    public func offsetSeconds(at milliseconds: Int64) -> Int {
        transitions.isEmpty ? Int(offsets[0]) : Int(offsets[span(at: milliseconds)])
    }

    /// The UTC instant of a local wall-clock time.
    ///
    /// A local time that happens twice (clocks going back) is its earlier instant; one that
    /// never happens (clocks going forward) is the instant the clocks jumped, so a local
    /// midnight skipped by a transition becomes the day's first real instant.
    /// - Parameter local: Milliseconds since 1970-01-01T00:00 on the local wall clock.
    public func instant(ofLocal local: Int64) -> Int64 {
        if transitions.isEmpty { return local - Int64(offsets[0]) * 1000 }
        // Offsets lie within ±18 h and transitions months apart: the answer's span is the
        // one holding `local` read as UTC, or a neighbour.
        let guess = span(at: local)
        let candidates = max(0, guess - 1)...min(transitions.count, guess + 1)
        var firstAfter: Int64?
        for k in candidates {
            let offset = Int64(offsets[k]) * 1000
            let from = k == 0 ? Int64.min : transitions[k - 1] + offset
            let to = k == transitions.count ? Int64.max : transitions[k] + offset
            if local >= from && local < to { return local - offset }
            if from > local, firstAfter == nil { firstAfter = transitions[k - 1] }
        }
        return firstAfter ?? local - Int64(offsets[guess]) * 1000
    }
}

/// A transition table that cannot describe a time zone.
public struct ZoneRulesError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Cuts event time into buckets of a time zone's wall clock (UTC by default): a day
/// bucket is a local calendar day, 23 or 25 hours long across a daylight-saving change;
/// weeks start on local Monday midnight. Hour buckets are real hours, aligned to the
/// zone's sub-hour offset (India's :30), so none is doubled or skipped at a change.
/// Buckets never run backwards in event time, even where the clocks went back across
/// midnight.
public struct BucketCalendar: Sendable, Hashable {
    public var size: BucketSize
    public var zone: ZoneRules

    public init(size: BucketSize = .day, zone: ZoneRules = .utc) {
        self.size = size
        self.zone = zone
    }

    // 1970-01-01 was a Thursday: shifting by three days makes week buckets start on Monday.
    private var weekShift: Int64 { size == .week ? 3 * 86_400_000 : 0 }

    /// Hour buckets are real hours at the sub-hour phase of the zone's current offset
    /// (Kolkata's :30, Kathmandu's :45), fixed, so a change of offset never doubles or
    /// skips an hour; Lord Howe's half-hour daylight saving leaves them alone.
    private var hourPhase: Int64 { (Int64(zone.offsets.last!) * 1000).floorDivided(by: 3_600_000).1 }

    /// The index of the bucket holding `time`.
    @inline(__always)
    public func bucket(of time: EventTime) -> Int64 {
        if size == .hour { return (time.milliseconds + hourPhase).floorDivided(by: 3_600_000).0 }
        if zone.transitions.isEmpty {
            return (time.milliseconds + Int64(zone.offsets[0]) * 1000 + weekShift).floorDivided(by: size.milliseconds).0
        }
        let k = zone.span(at: time.milliseconds)
        let offset = Int64(zone.offsets[k]) * 1000
        var b = (time.milliseconds + offset + weekShift).floorDivided(by: size.milliseconds).0
        // Almost always the whole bucket lies on the wall clock of the instant's span, after
        // any hour the previous span repeats: then it is the answer, without looking its
        // edges up.
        let from = b * size.milliseconds - weekShift
        let spanStart =
            k == 0
            ? Int64.min
            : max(zone.transitions[k - 1] + offset, zone.transitions[k - 1] + Int64(zone.offsets[k - 1]) * 1000)
        let spanEnd = k == zone.transitions.count ? Int64.max : zone.transitions[k] + offset
        if from >= spanStart && from + size.milliseconds <= spanEnd { return b }
        // A change of offset across midnight (St John's changed at 00:01 until 2011) runs
        // the wall clock back into the day before. Buckets follow their starts, which only
        // move forward, so event time maps to buckets monotonically.
        while time < start(of: b) { b -= 1 }
        while time >= start(of: b + 1) { b += 1 }
        return b
    }

    /// The instant the bucket starts: local midnight (Monday's, for weeks); a midnight
    /// that happened twice is its first instant, one that never happened the instant the
    /// clocks jumped past it.
    public func start(of bucket: Int64) -> EventTime {
        if size == .hour { return EventTime(milliseconds: bucket * 3_600_000 - hourPhase) }
        return EventTime(milliseconds: zone.instant(ofLocal: bucket * size.milliseconds - weekShift))
    }

    /// The local hour (0–23) an hour bucket starts at; 0 for days and weeks.
    public func hourOfDay(of bucket: Int64) -> Int {
        guard size == .hour else { return 0 }
        let t = start(of: bucket).milliseconds
        let local = t + Int64(zone.offsetSeconds(at: t)) * 1000
        return Int(local.floorDivided(by: 3_600_000).0.floorDivided(by: 24).1)
    }

    /// Buckets in a day (24, 1 or 1/7): lead times and review periods are given in days.
    public var bucketsPerDay: Double { 86_400_000.0 / Double(size.milliseconds) }

    /// Whole buckets in a span of time (of nominal length: a zone's changes aside).
    public func buckets(spanning milliseconds: Int64) -> Int64 { milliseconds / size.milliseconds }

    /// The cycle the models' seasonal state follows: the season length where it fits
    /// their eight positions (the weekdays of day buckets), else none (1).
    public var modelCycle: Int { size.seasonLength <= 8 ? size.seasonLength : 1 }

    /// The bucket's position in the models' cycle (e.g. the local weekday of a day bucket,
    /// 0 = Thursday).
    public func season(of bucket: Int64) -> Int {
        Int(bucket.floorDivided(by: Int64(modelCycle)).1)
    }
}
