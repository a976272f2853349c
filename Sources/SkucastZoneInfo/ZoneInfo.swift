import Foundation
import SkucastEngine

extension ZoneRules {
    /// The span the tables cover: every instant an event may carry (see `EventLimits`)
    /// lies within it.
    static let tableStart = Date(timeIntervalSince1970: 0)
    static let tableEnd = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01

    /// A time zone's rules from the system's time zone database, 1970 through 2099.
    ///
    /// Accepts an IANA name (`Europe/London`), `UTC`, or a fixed offset `UTC+05:30` /
    /// `UTC-03`.
    /// - Parameter name: The zone.
    /// - Throws: ``ZoneRulesError`` for a name the database does not know.
    public static func named(_ name: String) throws(ZoneRulesError) -> ZoneRules {
        if let fixed = fixedOffset(name) { return ZoneRules(fixedOffsetSeconds: fixed) }
        // Foundation reads "UTC+5" or "GMT+05:60" its own lenient way: offsets are ours only.
        if name.hasPrefix("UTC") || name.hasPrefix("GMT"),
            name.dropFirst(3).first.map({ $0 == "+" || $0 == "-" }) == true
        {
            throw ZoneRulesError("\"\(name)\" is not an offset of the form UTC±hh or UTC±hh:mm within ±18:00")
        }
        guard let zone = TimeZone(identifier: name) else {
            throw ZoneRulesError("unknown time zone \"\(name)\" (an IANA name such as Europe/London, or UTC±hh:mm)")
        }
        var transitions: [Int64] = []
        var offsets = [Int32(zone.secondsFromGMT(for: tableStart))]
        var at = tableStart
        while let next = zone.nextDaylightSavingTimeTransition(after: at), next < tableEnd {
            let offset = Int32(zone.secondsFromGMT(for: next))
            // Some transitions change only the abbreviation or the DST flag, not the offset.
            if offset != offsets.last {
                transitions.append(Int64((next.timeIntervalSince1970 * 1000).rounded()))
                offsets.append(offset)
            }
            at = next
        }
        return try ZoneRules(identifier: zone.identifier, transitions: transitions, offsets: offsets)
    }

    /// `UTC`, `UTC±hh`, `UTC±hh:mm` → seconds east; nil for anything else.
    private static func fixedOffset(_ name: String) -> Int? {
        if name == "UTC" || name == "Z" { return 0 }
        guard name.hasPrefix("UTC+") || name.hasPrefix("UTC-") else { return nil }
        let sign = name.dropFirst(3).first == "-" ? -1 : 1
        let parts = name.dropFirst(4).split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
            let hours = Int(parts[0]), hours <= 18
        else { return nil }
        let minutes = parts.count == 2 ? Int(parts[1]) : 0
        guard let minutes, minutes < 60, hours * 60 + minutes <= 18 * 60 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }
}
