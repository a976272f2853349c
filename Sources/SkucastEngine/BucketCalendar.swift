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

/// Cuts event time into buckets aligned to a fixed UTC offset (UTC by default). Weeks
/// start on Monday.
public struct BucketCalendar: Sendable, Hashable {
    public var size: BucketSize
    /// Seconds east of UTC of the time zone buckets are aligned to.
    public var utcOffsetSeconds: Int

    public init(size: BucketSize = .day, utcOffsetSeconds: Int = 0) {
        self.size = size
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    // 1970-01-01 was a Thursday: shifting by three days makes week buckets start on Monday.
    private var shift: Int64 { Int64(utcOffsetSeconds) * 1000 + (size == .week ? 3 * 86_400_000 : 0) }

    /// The index of the bucket holding `time`.
    public func bucket(of time: EventTime) -> Int64 {
        (time.milliseconds + shift).floorDivided(by: size.milliseconds).0
    }

    /// The instant the bucket starts.
    public func start(of bucket: Int64) -> EventTime {
        EventTime(milliseconds: bucket * size.milliseconds - shift)
    }

    /// The cycle the models' seasonal state follows: the season length where it fits
    /// their eight positions (the weekdays of day buckets), else none (1).
    public var modelCycle: Int { size.seasonLength <= 8 ? size.seasonLength : 1 }

    /// The bucket's position in the models' cycle (e.g. the weekday of a day bucket,
    /// 0 = Thursday for UTC days).
    public func season(of bucket: Int64) -> Int {
        Int(bucket.floorDivided(by: Int64(modelCycle)).1)
    }
}
