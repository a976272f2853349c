/// Limits every decoder enforces; values outside them are rejected, not clamped.
public struct EventLimits: Sendable, Hashable {
    /// Larger messages are rejected as oversize before parsing.
    public var maxMessageBytes = 16 * 1024
    public var maxTextLength = 64
    public var maxQuantity = 1_000_000.0
    public var maxUnitPrice = 1_000_000.0
    /// Event times outside this window are implausible (clock errors, unit mistakes such as
    /// seconds for milliseconds).
    public var earliest = EventTime(year: 2000, month: 1, day: 1)!
    public var latest = EventTime(year: 2100, month: 1, day: 1)!

    public init() {}
}

/// Decodes `orders` values (see `Topics/orders/value.schema.json`) from their bytes,
/// validating as it goes. Built for the event path: no Foundation, no intermediate tree.
public struct OrderEventDecoder: Sendable {
    public var limits: EventLimits

    public init(limits: EventLimits = EventLimits()) { self.limits = limits }

    /// - Parameter bytes: A message value.
    /// - Returns: The event, or why it was rejected.
    public func decode(_ bytes: UnsafeRawBufferPointer) -> Result<OrderEvent, Rejection> {
        do throws(Rejection) {
            return .success(try decodeOrThrow(bytes))
        } catch {
            return .failure(error)
        }
    }

    /// Marks a field as seen; a second occurrence is malformed (which one would count?).
    @inline(__always)
    static func mark(_ seen: inout UInt16, _ bit: UInt16, _ name: StaticString) throws(Rejection) {
        guard seen & bit == 0 else { throw Rejection(.malformed, "field \"\(name)\" appears twice") }
        seen |= bit
    }

    func decodeOrThrow(_ bytes: UnsafeRawBufferPointer) throws(Rejection) -> OrderEvent {
        try checkEnvelope(bytes, limits: limits)
        var orderID: String?, sku: String?, kind: OrderKind?, currency: String?, eventTime: EventTime?
        var line: Double?, quantity: Double?, unitPrice: Double?
        var customerID: String?, channel: String?, region: String?, promotion: Bool?
        var seen: UInt16 = 0
        var scanner = JSONScanner(bytes)
        let limits = limits
        try scanner.object { (s, key) throws(Rejection) in
            switch key.count {
            case 3 where key.equals("sku"):
                try Self.mark(&seen, 1, "sku"); sku = try text(&s, "sku", limits)
            case 4 where key.equals("line"):
                try Self.mark(&seen, 2, "line"); line = try number(s.value(), "line")
            case 4 where key.equals("kind"):
                try Self.mark(&seen, 4, "kind")
                guard let v = try s.stringValue() else { _ = try s.value(); throw Rejection(.wrongType, "kind must be a string") }
                if case .raw(let b) = v, b.equals("sale") {
                    kind = .sale
                } else if let parsed = OrderKind(rawValue: v.string) {
                    kind = parsed
                } else {
                    throw Rejection(.invalidValue, "kind \"\(v.string)\" is not sale, return, cancellation or adjustment")
                }
            case 6 where key.equals("region"):
                try Self.mark(&seen, 8, "region"); region = try optionalText(s.value(), "region", limits)
            case 7 where key.equals("channel"):
                try Self.mark(&seen, 16, "channel"); channel = try optionalText(s.value(), "channel", limits)
            case 8 where key.equals("order_id"):
                try Self.mark(&seen, 32, "order_id"); orderID = try text(&s, "order_id", limits)
            case 8 where key.equals("quantity"):
                try Self.mark(&seen, 64, "quantity"); quantity = try number(s.value(), "quantity")
            case 8 where key.equals("currency"):
                try Self.mark(&seen, 128, "currency"); currency = try text(&s, "currency", limits)
            case 9 where key.equals("promotion"):
                try Self.mark(&seen, 256, "promotion")
                switch try s.value() {
                case .bool(let b): promotion = b
                case .null: promotion = nil
                default: throw Rejection(.wrongType, "promotion must be true or false")
                }
            case 10 where key.equals("unit_price"):
                try Self.mark(&seen, 512, "unit_price"); unitPrice = try number(s.value(), "unit_price")
            case 10 where key.equals("event_time"):
                try Self.mark(&seen, 1024, "event_time"); eventTime = try time(&s, "event_time", limits)
            case 11 where key.equals("customer_id"):
                try Self.mark(&seen, 2048, "customer_id"); customerID = try optionalText(s.value(), "customer_id", limits)
            default:
                // Unknown fields are skipped: producers may be newer than this consumer.
                try s.skipValue()
            }
        }
        guard let orderID else { throw missing("order_id") }
        guard let line else { throw missing("line") }
        guard let sku else { throw missing("sku") }
        guard let quantity else { throw missing("quantity") }
        guard let kind else { throw missing("kind") }
        guard let unitPrice else { throw missing("unit_price") }
        guard let currency else { throw missing("currency") }
        guard let eventTime else { throw missing("event_time") }
        guard line == line.rounded(), line >= 1, line <= 100_000 else { throw Rejection(.invalidValue, "line \(line) is not an integer in 1…100000") }
        guard quantity != 0, abs(quantity) <= limits.maxQuantity else {
            throw Rejection(.invalidValue, "quantity \(quantity) is zero or beyond ±\(Int(limits.maxQuantity))")
        }
        guard (kind == .sale) == (quantity > 0) else {
            throw Rejection(.invalidValue, "quantity \(quantity) has the wrong sign for kind \(kind.rawValue)")
        }
        guard abs(unitPrice) <= limits.maxUnitPrice else { throw Rejection(.invalidValue, "unit_price \(unitPrice) is beyond ±\(Int(limits.maxUnitPrice))") }
        guard currency.utf8.count == 3, currency.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
            throw Rejection(.invalidValue, "currency \"\(currency)\" is not an ISO 4217 code")
        }
        return OrderEvent(
            orderID: orderID, line: Int(line), sku: sku, quantity: quantity, kind: kind, unitPrice: unitPrice,
            currency: currency, eventTime: eventTime, customerID: customerID, channel: channel, region: region, promotion: promotion
        )
    }
}

/// Decodes `inventory` values (see `Topics/inventory/value.schema.json`).
public struct InventoryEventDecoder: Sendable {
    public var limits: EventLimits

    public init(limits: EventLimits = EventLimits()) { self.limits = limits }

    /// - Parameter bytes: A message value.
    /// - Returns: The event, or why it was rejected.
    public func decode(_ bytes: UnsafeRawBufferPointer) -> Result<InventoryEvent, Rejection> {
        do throws(Rejection) {
            try checkEnvelope(bytes, limits: limits)
            var sku: String?, onHand: Double?, onOrder: Double?, leadTime: Double?, location: String?, eventTime: EventTime?
            var synthetic = false
            var scanner = JSONScanner(bytes)
            let limits = limits
            try scanner.object { (s, key) throws(Rejection) in
                if key.equals("sku") { sku = try text(&s, "sku", limits) }
                else if key.equals("on_hand") { onHand = try number(s.value(), "on_hand") }
                else if key.equals("on_order") { onOrder = try number(s.value(), "on_order") }
                else if key.equals("lead_time_days") { leadTime = try number(s.value(), "lead_time_days") }
                else if key.equals("location") { location = try optionalText(s.value(), "location", limits) }
                else if key.equals("event_time") { eventTime = try time(&s, "event_time", limits) }
                else if key.equals("synthetic") {
                    guard case .bool(let b) = try s.value() else { throw Rejection(.wrongType, "synthetic must be true or false") }
                    synthetic = b
                } else { try s.skipValue() }
            }
            guard let sku else { throw missing("sku") }
            guard let onHand else { throw missing("on_hand") }
            guard let eventTime else { throw missing("event_time") }
            guard abs(onHand) <= 1e9 else { throw Rejection(.invalidValue, "on_hand \(onHand) is beyond ±1e9") }
            if let onOrder, !(0...1e9).contains(onOrder) { throw Rejection(.invalidValue, "on_order \(onOrder) is not in 0…1e9") }
            if let leadTime, !(leadTime > 0 && leadTime <= 365) { throw Rejection(.invalidValue, "lead_time_days \(leadTime) is not in (0, 365]") }
            return .success(InventoryEvent(sku: sku, onHand: onHand, onOrder: onOrder ?? 0, leadTimeDays: leadTime, location: location, eventTime: eventTime, synthetic: synthetic))
        } catch {
            return .failure(error)
        }
    }
}

private func checkEnvelope(_ bytes: UnsafeRawBufferPointer, limits: EventLimits) throws(Rejection) {
    guard bytes.count <= limits.maxMessageBytes else {
        throw Rejection(.oversize, "\(bytes.count) bytes, more than \(limits.maxMessageBytes)")
    }
    guard bytes.count > 0 else { throw Rejection(.malformed, "empty value") }
    // ASCII is the common case, checked eight bytes at a time; anything else gets a
    // full UTF-8 check.
    var ascii = true
    var k = 0
    var high: UInt64 = 0
    while k + 8 <= bytes.count {
        high |= bytes.loadUnaligned(fromByteOffset: k, as: UInt64.self)
        k += 8
    }
    while k < bytes.count {
        high |= UInt64(bytes[k])
        k += 1
    }
    if high & 0x8080_8080_8080_8080 != 0 { ascii = false }
    if !ascii {
        var decoder = UTF8()
        var it = bytes.makeIterator()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: break loop
            case .error: throw Rejection(.notUTF8, "invalid UTF-8")
            }
        }
    }
}

private func missing(_ field: String) -> Rejection {
    Rejection(.missingField, "field \"\(field)\" is required")
}

private func text(_ s: inout JSONScanner, _ field: String, _ limits: EventLimits) throws(Rejection) -> String {
    guard let v = try s.stringValue() else {
        _ = try s.value()
        throw Rejection(.wrongType, "\(field) must be a string")
    }
    let text = v.string
    guard !text.isEmpty, text.utf8.count <= limits.maxTextLength else {
        throw Rejection(.invalidValue, "\(field) must have 1…\(limits.maxTextLength) bytes")
    }
    return text
}

private func text(_ v: JSONScanner.Value, _ field: String, _ limits: EventLimits) throws(Rejection) -> String {
    guard case .string(let s) = v else { throw Rejection(.wrongType, "\(field) must be a string") }
    guard !s.isEmpty, s.utf8.count <= limits.maxTextLength else {
        throw Rejection(.invalidValue, "\(field) must have 1…\(limits.maxTextLength) bytes")
    }
    return s
}

private func optionalText(_ v: JSONScanner.Value, _ field: String, _ limits: EventLimits) throws(Rejection) -> String? {
    if case .null = v { return nil }
    guard case .string(let s) = v else { throw Rejection(.wrongType, "\(field) must be a string") }
    guard s.utf8.count <= limits.maxTextLength else { throw Rejection(.invalidValue, "\(field) is longer than \(limits.maxTextLength) bytes") }
    return s
}

private func number(_ v: JSONScanner.Value, _ field: String) throws(Rejection) -> Double {
    guard case .number(let n) = v else { throw Rejection(.wrongType, "\(field) must be a number") }
    return n
}

private func time(_ s: inout JSONScanner, _ field: String, _ limits: EventLimits) throws(Rejection) -> EventTime {
    guard let v = try s.stringValue() else {
        _ = try s.value()
        throw Rejection(.wrongType, "\(field) must be an RFC 3339 string")
    }
    let parsed: EventTime?
    switch v {
    case .raw(let bytes): parsed = EventTime(rfc3339: bytes)
    case .resolved(var text): parsed = text.withUTF8 { EventTime(rfc3339: UnsafeRawBufferPointer($0)) }
    }
    guard let t = parsed else { throw Rejection(.invalidValue, "\(field) \"\(v.string)\" is not an RFC 3339 date-time") }
    guard t >= limits.earliest, t < limits.latest else {
        throw Rejection(.implausibleTime, "\(field) \(v.string) is outside \(limits.earliest)…\(limits.latest)")
    }
    return t
}

extension EventTime {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; fractions beyond milliseconds are truncated.
    public init?(rfc3339 text: String) {
        var text = text
        guard let parsed = text.withUTF8({ EventTime(rfc3339: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = parsed
    }

    /// Parses RFC 3339 from its UTF-8 bytes.
    public init?(rfc3339 u: UnsafeRawBufferPointer) {
        let parsed: EventTime? = { () -> EventTime? in
            func digits(_ at: Int, _ n: Int) -> Int? {
                guard at + n <= u.count else { return nil }
                var v = 0
                for k in at..<(at + n) {
                    let b = u[k]
                    guard b >= 48, b <= 57 else { return nil }
                    v = v * 10 + Int(b - 48)
                }
                return v
            }
            guard u.count >= 20, u[4] == 45, u[7] == 45, u[10] == 84 || u[10] == 116, u[13] == 58, u[16] == 58,
                  let y = digits(0, 4), let mo = digits(5, 2), let d = digits(8, 2),
                  let h = digits(11, 2), let mi = digits(14, 2), let s = digits(17, 2) else { return nil }
            var i = 19
            var ms = 0
            if u[i] == 46 {
                i += 1
                let start = i
                while i < u.count, u[i] >= 48, u[i] <= 57 {
                    if i - start < 3 { ms = ms * 10 + Int(u[i] - 48) }
                    i += 1
                }
                let n = i - start
                guard n >= 1, n <= 9 else { return nil }
                if n < 3 { for _ in n..<3 { ms *= 10 } }
            }
            guard i < u.count else { return nil }
            var offsetMinutes = 0
            if u[i] == 90 || u[i] == 122 {
                i += 1
            } else if u[i] == 43 || u[i] == 45 {
                guard let oh = digits(i + 1, 2), i + 3 < u.count, u[i + 3] == 58, let om = digits(i + 4, 2), oh < 24, om < 60 else { return nil }
                offsetMinutes = (oh * 60 + om) * (u[i] == 45 ? -1 : 1)
                i += 6
            } else {
                return nil
            }
            guard i == u.count, s < 60, let base = EventTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s, millisecond: ms) else { return nil }
            return EventTime(milliseconds: base.milliseconds - Int64(offsetMinutes) * 60_000)
        }()
        guard let parsed else { return nil }
        self = parsed
    }
}
