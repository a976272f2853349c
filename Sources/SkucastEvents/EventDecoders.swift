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

/// The fields of an `orders` value, in the schema's order (the order producers write).
enum OrderField: Int, CaseIterable {
    case orderID, line, sku, quantity, kind, unitPrice, currency, eventTime, customerID, channel, region, promotion
    case originalOrderID

    var spelling: StaticString {
        switch self {
        case .orderID: "order_id"
        case .line: "line"
        case .sku: "sku"
        case .quantity: "quantity"
        case .kind: "kind"
        case .unitPrice: "unit_price"
        case .currency: "currency"
        case .eventTime: "event_time"
        case .customerID: "customer_id"
        case .channel: "channel"
        case .region: "region"
        case .promotion: "promotion"
        case .originalOrderID: "original_order"
        }
    }
}

/// The fields of an `inventory` value, in the schema's order.
enum InventoryField: Int, CaseIterable {
    case sku, onHand, onOrder, leadTimeDays, location, eventTime, synthetic

    var spelling: StaticString {
        switch self {
        case .sku: "sku"
        case .onHand: "on_hand"
        case .onOrder: "on_order"
        case .leadTimeDays: "lead_time_days"
        case .location: "location"
        case .eventTime: "event_time"
        case .synthetic: "synthetic"
        }
    }
}

/// Decodes `orders` values (see `Topics/orders/value.schema.json`) from their bytes,
/// validating as it goes. Built for the event path: no Foundation, no intermediate tree.
public struct OrderEventDecoder: Sendable {
    public var limits: EventLimits

    public init(limits: EventLimits = EventLimits()) { self.limits = limits }

    static let fields = OrderField.allCases.map { TextPrefix($0.spelling) }

    /// - Parameter bytes: A message value.
    /// - Returns: The event, or why it was rejected.
    public func decode(_ bytes: UnsafeRawBufferPointer) -> Result<OrderEvent, Rejection> {
        decodeInPlace(bytes).map(\.event)
    }

    /// Decodes and validates exactly as ``decode(_:)`` does, but leaves the text fields
    /// in the message: the event path makes no `String`.
    /// - Parameter bytes: A message value; the view's text is valid as long as these bytes are.
    /// - Returns: The event read in place, or why it was rejected.
    public func decodeInPlace(_ bytes: UnsafeRawBufferPointer) -> Result<OrderEventView, Rejection> {
        do throws(Rejection) {
            return .success(try decodeOrThrow(bytes))
        } catch {
            return .failure(error)
        }
    }

    /// The fields every order line must have, as `seen` bits.
    static let required: UInt16 = [
        OrderField.orderID, .line, .sku, .quantity, .kind, .unitPrice, .currency, .eventTime,
    ].reduce(0) { $0 | 1 << $1.rawValue }

    /// Marks a field as seen; a second occurrence is malformed (which one would count?).
    @inline(__always)
    static func mark(_ seen: inout UInt16, _ field: OrderField) throws(Rejection) {
        let bit: UInt16 = 1 << field.rawValue
        guard seen & bit == 0 else { throw Rejection(.malformed, "field \"\(field.spelling)\" appears twice") }
        seen |= bit
    }

    func decodeOrThrow(_ bytes: UnsafeRawBufferPointer) throws(Rejection) -> OrderEventView {
        try checkEnvelope(bytes, limits: limits)
        // Filled in place (no optional per field to unwrap and copy at the end); `seen`
        // says which fields were there.
        let empty = JSONString(written: UnsafeRawBufferPointer(start: nil, count: 0), hasEscapes: false)
        var event = OrderEventView(
            orderID: empty,
            line: 0,
            sku: empty,
            skuPrefix: TextPrefix(length: 0, head: 0, tail: 0),
            quantity: 0,
            kind: .sale,
            unitPrice: 0,
            currency: empty,
            eventTime: EventTime(milliseconds: 0)
        )
        var line = 0.0
        var seen: UInt16 = 0
        var scanner = JSONScanner(bytes)
        let limits = limits
        try Self.fields.withUnsafeBufferPointer { fields throws(Rejection) in
            try scanner.object(names: fields) { (s, position) throws(Rejection) in
                guard let field = position.flatMap(OrderField.init(rawValue:)) else {
                    // Unknown fields are skipped: producers may be newer than this consumer.
                    try s.skipValue()
                    return
                }
                try Self.mark(&seen, field)
                switch field {
                case .sku:
                    event.sku = try text(&s, "sku", limits)
                    event.skuPrefix =
                        event.sku.hasEscapes
                        ? event.sku.withUTF8 { TextPrefix($0) } : TextPrefix(event.sku.written, within: bytes)
                case .line: line = try number(s.value(), "line")
                case .kind:
                    guard let v = try s.stringValue() else {
                        _ = try s.value()
                        throw Rejection(.wrongType, "kind must be a string")
                    }
                    if !v.hasEscapes, v.written.equals("sale") {
                        event.kind = .sale
                    } else if let parsed = OrderKind(rawValue: v.string) {
                        event.kind = parsed
                    } else {
                        throw Rejection(
                            .invalidValue,
                            "kind \"\(v.string)\" is not sale, return, cancellation or adjustment"
                        )
                    }
                case .region: event.region = try optionalText(&s, "region", limits)
                case .channel: event.channel = try optionalText(&s, "channel", limits)
                case .orderID: event.orderID = try text(&s, "order_id", limits)
                case .quantity: event.quantity = try number(s.value(), "quantity")
                case .currency: event.currency = try currencyCode(&s)
                case .promotion:
                    switch try s.value() {
                    case .bool(let b): event.promotion = b
                    case .null: event.promotion = nil
                    default: throw Rejection(.wrongType, "promotion must be true or false")
                    }
                case .unitPrice: event.unitPrice = try number(s.value(), "unit_price")
                case .eventTime: event.eventTime = try time(&s, "event_time", limits)
                case .customerID: event.customerID = try optionalText(&s, "customer_id", limits)
                case .originalOrderID:
                    event.originalOrderID = try optionalText(&s, "original_order", limits)
                }
            }
        }
        if seen & Self.required != Self.required {
            let absent = OrderField.allCases.first {
                Self.required & (1 << $0.rawValue) != 0 && seen & (1 << $0.rawValue) == 0
            }!
            throw missing("\(absent.spelling)")
        }
        guard line == line.rounded(), line >= 1, line <= 100_000 else {
            throw Rejection(.invalidValue, "line \(line) is not an integer in 1…100000")
        }
        event.line = Int(line)
        let quantity = event.quantity
        guard quantity != 0, abs(quantity) <= limits.maxQuantity else {
            throw Rejection(.invalidValue, "quantity \(quantity) is zero or beyond ±\(Int(limits.maxQuantity))")
        }
        guard (event.kind == .sale) == (quantity > 0) else {
            throw Rejection(.invalidValue, "quantity \(quantity) has the wrong sign for kind \(event.kind.rawValue)")
        }
        guard abs(event.unitPrice) <= limits.maxUnitPrice else {
            throw Rejection(.invalidValue, "unit_price \(event.unitPrice) is beyond ±\(Int(limits.maxUnitPrice))")
        }
        return event
    }
}

/// Decodes `inventory` values (see `Topics/inventory/value.schema.json`).
public struct InventoryEventDecoder: Sendable {
    public var limits: EventLimits

    public init(limits: EventLimits = EventLimits()) { self.limits = limits }

    static let fields = InventoryField.allCases.map { TextPrefix($0.spelling) }

    /// - Parameter bytes: A message value.
    /// - Returns: The event, or why it was rejected.
    public func decode(_ bytes: UnsafeRawBufferPointer) -> Result<InventoryEvent, Rejection> {
        do throws(Rejection) {
            try checkEnvelope(bytes, limits: limits)
            var sku: String?
            var onHand: Double?
            var onOrder: Double?
            var leadTime: Double?
            var location: String?
            var eventTime: EventTime?
            var synthetic = false
            var scanner = JSONScanner(bytes)
            let limits = limits
            try Self.fields.withUnsafeBufferPointer { fields throws(Rejection) in
                try scanner.object(names: fields) { (s, field) throws(Rejection) in
                    switch field.flatMap(InventoryField.init(rawValue:)) {
                    case .sku: sku = try text(&s, "sku", limits).string
                    case .onHand: onHand = try number(s.value(), "on_hand")
                    case .onOrder: onOrder = try number(s.value(), "on_order")
                    case .leadTimeDays: leadTime = try number(s.value(), "lead_time_days")
                    case .location: location = try optionalText(&s, "location", limits)?.string
                    case .eventTime: eventTime = try time(&s, "event_time", limits)
                    case .synthetic:
                        guard case .bool(let b) = try s.value() else {
                            throw Rejection(.wrongType, "synthetic must be true or false")
                        }
                        synthetic = b
                    case nil: try s.skipValue()
                    }
                }
            }
            guard let sku else { throw missing("sku") }
            guard let onHand else { throw missing("on_hand") }
            guard let eventTime else { throw missing("event_time") }
            guard abs(onHand) <= 1e9 else { throw Rejection(.invalidValue, "on_hand \(onHand) is beyond ±1e9") }
            if let onOrder, !(0...1e9).contains(onOrder) {
                throw Rejection(.invalidValue, "on_order \(onOrder) is not in 0…1e9")
            }
            if let leadTime, !(leadTime > 0 && leadTime <= 365) {
                throw Rejection(.invalidValue, "lead_time_days \(leadTime) is not in (0, 365]")
            }
            return .success(
                InventoryEvent(
                    sku: sku,
                    onHand: onHand,
                    onOrder: onOrder ?? 0,
                    leadTimeDays: leadTime,
                    location: location,
                    eventTime: eventTime,
                    synthetic: synthetic
                )
            )
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

private func text(_ s: inout JSONScanner, _ field: String, _ limits: EventLimits) throws(Rejection) -> JSONString {
    guard let v = try s.stringValue() else {
        _ = try s.value()
        throw Rejection(.wrongType, "\(field) must be a string")
    }
    let count = v.utf8Count
    guard count > 0, count <= limits.maxTextLength else {
        throw Rejection(.invalidValue, "\(field) must have 1…\(limits.maxTextLength) bytes")
    }
    return v
}

private func optionalText(
    _ s: inout JSONScanner,
    _ field: String,
    _ limits: EventLimits
) throws(Rejection) -> JSONString? {
    guard let v = try s.stringValue() else {
        if case .null = try s.value() { return nil }
        throw Rejection(.wrongType, "\(field) must be a string")
    }
    guard v.utf8Count <= limits.maxTextLength else {
        throw Rejection(.invalidValue, "\(field) is longer than \(limits.maxTextLength) bytes")
    }
    return v
}

/// An ISO 4217 code: three capital letters, checked on the bytes.
private func currencyCode(_ s: inout JSONScanner) throws(Rejection) -> JSONString {
    guard let v = try s.stringValue() else {
        _ = try s.value()
        throw Rejection(.wrongType, "currency must be a string")
    }
    if v.withUTF8({ $0.count == 3 && $0.allSatisfy { $0 >= 65 && $0 <= 90 } }) { return v }
    throw Rejection(.invalidValue, "currency \"\(v.string)\" is not an ISO 4217 code")
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
    guard let t = v.withUTF8({ EventTime(rfc3339: $0) }) else {
        throw Rejection(.invalidValue, "\(field) \"\(v.string)\" is not an RFC 3339 date-time")
    }
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
        guard u.count >= 20 else { return nil }
        // The fixed part (`YYYY-MM-DDTHH:MM:SS`) is read without a branch per digit: any
        // byte that is not a digit sets a bit of `invalid`, checked once.
        var invalid: UInt8 = 0
        @inline(__always) func digit(_ k: Int) -> Int {
            let d = u[k] &- 48
            invalid |= d > 9 ? 1 : 0
            return Int(d)
        }
        let y = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3)
        let mo = digit(5) * 10 + digit(6)
        let d = digit(8) * 10 + digit(9)
        let h = digit(11) * 10 + digit(12)
        let mi = digit(14) * 10 + digit(15)
        let s = digit(17) * 10 + digit(18)
        guard invalid == 0, u[4] == 45, u[7] == 45, u[10] | 0x20 == 116, u[13] == 58, u[16] == 58 else { return nil }
        var i = 19
        var ms = 0
        if u[i] == 46 {
            i += 1
            let start = i
            while i < u.count, u[i] &- 48 <= 9 {
                if i - start < 3 { ms = ms * 10 + Int(u[i] - 48) }
                i += 1
            }
            let n = i - start
            guard n >= 1, n <= 9 else { return nil }
            if n < 3 { for _ in n..<3 { ms *= 10 } }
        }
        guard i < u.count else { return nil }
        var offsetMinutes = 0
        if u[i] | 0x20 == 122 {
            i += 1
        } else if u[i] == 43 || u[i] == 45 {
            guard i + 6 <= u.count, u[i + 3] == 58 else { return nil }
            let oh = digit(i + 1) * 10 + digit(i + 2)
            let om = digit(i + 4) * 10 + digit(i + 5)
            guard invalid == 0, oh < 24, om < 60 else { return nil }
            offsetMinutes = (oh * 60 + om) * (u[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == u.count, s < 60,
            let base = EventTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s, millisecond: ms)
        else { return nil }
        self = EventTime(milliseconds: base.milliseconds - Int64(offsetMinutes) * 60_000)
    }
}
