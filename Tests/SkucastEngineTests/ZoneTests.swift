import Foundation
import SkucastEvents
import SkucastTestSupport
import SkucastZoneInfo
import Testing

@testable import SkucastEngine

/// The engine's default configuration with buckets of London's wall clock.
func londonConfiguration(_ size: BucketSize) throws -> EngineConfiguration {
    var configuration = EngineConfiguration()
    configuration.calendar = BucketCalendar(size: size, zone: try ZoneRules.named("Europe/London"))
    return configuration
}

@Suite("Time zones and the bucket calendar")
struct ZoneTests {
    static func utc(_ y: Int, _ m: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0) -> EventTime {
        EventTime(year: y, month: m, day: d, hour: h, minute: mi)!
    }

    @Test(
        "London's days follow its wall clock: 23 hours in March, 25 in October, and 23:30 UTC in summer is the next day"
    )
    func londonDays() throws {
        let calendar = BucketCalendar(size: .day, zone: try ZoneRules.named("Europe/London"))
        let spring = calendar.bucket(of: Self.utc(2011, 3, 27, 12))
        #expect(calendar.start(of: spring) == Self.utc(2011, 3, 27))
        #expect(calendar.start(of: spring + 1) == Self.utc(2011, 3, 27, 23))
        let autumn = calendar.bucket(of: Self.utc(2011, 10, 30, 12))
        #expect(calendar.start(of: autumn + 1).milliseconds - calendar.start(of: autumn).milliseconds == 25 * 3_600_000)
        // 2011-07-01T23:30Z is 00:30 on 2 July in London.
        let late = calendar.bucket(of: Self.utc(2011, 7, 1, 23, 30))
        #expect(late == BucketCalendar().bucket(of: Self.utc(2011, 7, 2)))
        #expect(
            calendar.season(of: late) == BucketCalendar().season(of: BucketCalendar().bucket(of: Self.utc(2011, 7, 2)))
        )
        // Winter: the same as UTC.
        #expect(
            calendar.bucket(of: Self.utc(2011, 1, 5, 23, 30))
                == BucketCalendar().bucket(of: Self.utc(2011, 1, 5, 23, 30))
        )
    }

    @Test(
        "Weeks start on local Monday midnight; hour buckets follow a half-hour offset and stay one hour long across a change"
    )
    func weeksAndHours() throws {
        let newYork = try ZoneRules.named("America/New_York")
        let weeks = BucketCalendar(size: .week, zone: newYork)
        // Monday 2011-03-07 00:00 in New York is 05:00 UTC.
        let w = weeks.bucket(of: Self.utc(2011, 3, 9))
        #expect(weeks.start(of: w) == Self.utc(2011, 3, 7, 5))
        #expect(weeks.start(of: w + 1) == Self.utc(2011, 3, 14, 4))  // DST began on the 13th
        let kolkata = BucketCalendar(size: .hour, zone: try ZoneRules.named("Asia/Kolkata"))
        let h = kolkata.bucket(of: Self.utc(2011, 3, 9, 10, 45))
        #expect(kolkata.start(of: h) == Self.utc(2011, 3, 9, 10, 30))
        let hours = BucketCalendar(size: .hour, zone: newYork)
        var previous = hours.bucket(of: Self.utc(2011, 3, 13, 5))
        for quarter in 1...16 {
            let t = EventTime(milliseconds: Self.utc(2011, 3, 13, 5).milliseconds + Int64(quarter) * 900_000)
            let b = hours.bucket(of: t)
            #expect(b - previous <= 1)
            #expect(hours.start(of: b + 1).milliseconds - hours.start(of: b).milliseconds == 3_600_000)
            previous = b
        }
    }

    @Test(
        "Every instant lies in its bucket and buckets never run backwards, 1970–2099, in zones with gaps at midnight, changes across midnight, half-hour DST and a skipped day (20,000 random instants each)",
        arguments: [
            "Europe/London", "America/Sao_Paulo", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kolkata",
            "America/St_Johns", "UTC+05:45",
        ]
    )
    func bucketsCoverTime(name: String) throws {
        let zone = try ZoneRules.named(name)
        var rng = SplitMix64(seed: name.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) })
        for size in BucketSize.allCases {
            let calendar = BucketCalendar(size: size, zone: zone)
            for _ in 0..<20_000 {
                let t = EventTime(milliseconds: Int64.random(in: 0..<4_102_444_800_000, using: &rng))
                let b = calendar.bucket(of: t)
                #expect(calendar.start(of: b) <= t && t < calendar.start(of: b + 1), "\(name) \(size) \(t)")
                #expect(calendar.start(of: b) <= calendar.start(of: b + 1))
                let later = EventTime(milliseconds: t.milliseconds + Int64.random(in: 1...7_200_000, using: &rng))
                #expect(calendar.bucket(of: later) >= b, "\(name) \(size): buckets ran backwards after \(t)")
            }
        }
    }

    @Test("Apia skipped 30 December 2011: that day bucket is empty, and the days around it are whole")
    func skippedDay() throws {
        let calendar = BucketCalendar(size: .day, zone: try ZoneRules.named("Pacific/Apia"))
        let before = calendar.bucket(of: Self.utc(2011, 12, 29, 12))  // still the 29th there (UTC−10)
        #expect(calendar.start(of: before + 1) == calendar.start(of: before + 2))
        #expect(calendar.bucket(of: calendar.start(of: before + 2)) == before + 2)
    }

    @Test("Names: IANA zones, UTC and fixed offsets are read; unknown ones and bad offsets are refused")
    func names() throws {
        #expect(try ZoneRules.named("UTC") == .utc)
        #expect(try ZoneRules.named("UTC+05:30").offsetSeconds(at: 0) == 19_800)
        #expect(try ZoneRules.named("UTC-03").identifier == "UTC-03:00")
        let london = try ZoneRules.named("Europe/London")
        #expect(london.identifier == "Europe/London")
        #expect((250...270).contains(london.transitions.count))  // two a year, 1970–2099
        for bad in ["Mars/Olympus_Mons", "UTC+19", "UTC+05:60", "UTC+5", ""] {
            #expect(throws: ZoneRulesError.self, "\(bad)") { try ZoneRules.named(bad) }
        }
        #expect(throws: ZoneRulesError.self) {
            try ZoneRules(identifier: "x", transitions: [2, 1], offsets: [0, 1, 2])
        }
    }

    @Test("The engine closes London's local days: sales after 23:00 UTC in summer count towards the next day")
    func engineInLondon() throws {
        var configuration = try londonConfiguration(.day)
        configuration.allowedLatenessMilliseconds = 0
        var engine = PartitionEngine(configuration: configuration)
        var closed: [(EventTime, Double)] = []
        var last: ClosedBucket?
        for (t, q) in [
            (Self.utc(2011, 7, 1, 22, 30), 1.0), (Self.utc(2011, 7, 1, 23, 30), 10.0),
            (Self.utc(2011, 7, 2, 22, 59), 100.0), (Self.utc(2011, 7, 3, 12), 1000.0),
        ] {
            _ = engine.apply(
                OrderEvent(
                    orderID: "o\(t.milliseconds)",
                    line: 1,
                    sku: "S",
                    quantity: q,
                    kind: .sale,
                    unitPrice: 1,
                    currency: "GBP",
                    eventTime: t
                )
            )
            engine.advance {
                closed.append(
                    (configuration.calendar.start(of: $0.bucket), $0.forecast.lastBucketDemand)
                )
                last = $0
            }
        }
        #expect(closed.map(\.0) == [Self.utc(2011, 6, 30, 23), Self.utc(2011, 7, 1, 23)])
        #expect(closed.map(\.1) == [1, 110])
        // The published forecast names the zone and starts its steps at London midnights.
        let forecast = try #require(last).forecast.message()
        #expect(forecast.timeZone == "Europe/London")
        #expect(forecast.origin == Self.utc(2011, 7, 2, 23))
        #expect(forecast.horizon.map(\.start) == (0..<14).map { Self.utc(2011, 7, 2 + $0, 23) })
    }

    @Test(
        "A snapshot carries the zone's table; a format-2 snapshot (fixed offset, no calibration, no day shape) still reads"
    )
    func snapshots() throws {
        var configuration = EngineConfiguration()
        configuration.calendar = BucketCalendar(size: .day, zone: try ZoneRules.named("America/New_York"))
        var engine = PartitionEngine(configuration: configuration)
        _ = engine.apply(
            OrderEvent(
                orderID: "o",
                line: 1,
                sku: "S",
                quantity: 2,
                kind: .sale,
                unitPrice: 1,
                currency: "GBP",
                eventTime: Self.utc(2011, 7, 1)
            )
        )
        let bytes = SnapshotCodec.encode(PartitionSnapshot(engine: engine, offsets: []))
        #expect(try SnapshotCodec.decode(bytes).engine.configuration == configuration)

        // Format 2 wrote the offset as one Int64 where format 3 writes the zone, and had no
        // lead-time calibration or day shape: an empty UTC engine, as its last build wrote it.
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/format-2-utc.snapshot"
        )
        let restored = try SnapshotCodec.decode(Array(Data(contentsOf: fixture)))
        var gross = EngineConfiguration()
        gross.demand = .gross
        #expect(restored.engine.configuration == gross)
    }
}

@Suite("Hour buckets")
struct HourBucketTests {
    @Test(
        "Hourly forecasts follow the partition's day: zero at night, the peak in the afternoon; a snapshot keeps the shape"
    )
    func intradayShape() throws {
        var configuration = try londonConfiguration(.hour)
        configuration.horizon = 24
        var engine = PartitionEngine(configuration: configuration)
        var rng = SplitMix64(seed: 3)
        var last: ClosedBucket?
        // 30 winter days (London = UTC): 40 SKUs sell only 09:00–16:59, twice as much from 14:00.
        for day in 1...30 {
            for hour in 9..<17 {
                for k in 0..<40 where Double.random(in: 0..<1, using: &rng) < 0.3 {
                    let t = EventTime(
                        year: 2011,
                        month: 1,
                        day: day,
                        hour: hour,
                        minute: Int.random(in: 0..<60, using: &rng)
                    )!
                    _ = engine.apply(
                        OrderEvent(
                            orderID: "o\(t.milliseconds)",
                            line: 1,
                            sku: "S\(k)",
                            quantity: hour >= 14 ? 2 : 1,
                            kind: .sale,
                            unitPrice: 1,
                            currency: "GBP",
                            eventTime: t
                        )
                    )
                }
                engine.advance { if $0.sku == "S0" { last = $0 } }
            }
        }
        // The close of 30 January 16:00–17:00: the next 24 steps run 17:00 … 16:00.
        let closed = try #require(last)
        let forecast = closed.forecast.message()
        let byHour = Dictionary(
            uniqueKeysWithValues: forecast.horizon.map {
                (configuration.calendar.hourOfDay(of: configuration.calendar.bucket(of: $0.start)), $0)
            }
        )
        for night in [0, 3, 6, 20, 23] {
            #expect(byHour[night]!.mean == 0 && byHour[night]!.quantiles.allSatisfy { $0.value == 0 }, "\(night):00")
        }
        #expect(byHour[10]!.mean > 0)
        #expect(byHour[15]!.mean > 1.5 * byHour[10]!.mean, "\(byHour[15]!.mean) vs \(byHour[10]!.mean)")
        let profile = try #require(engine.intradayProfile)
        #expect(abs(profile.reduce(0, +) - 24) < 1e-9)

        let restored = try SnapshotCodec.decode(SnapshotCodec.encode(PartitionSnapshot(engine: engine, offsets: [])))
            .engine
        #expect(restored == engine)
        #expect(restored.intradayProfile == profile)
    }
}
