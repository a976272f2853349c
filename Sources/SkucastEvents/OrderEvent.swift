/// What an order line did to demand.
public enum OrderKind: String, Sendable, Hashable, CaseIterable {
    /// Demand.
    case sale
    /// Goods came back after delivery.
    case `return`
    /// The order (line) was cancelled before delivery.
    case cancellation
    /// A stock correction (damage, write-off, sample): not customer demand.
    case adjustment
}

/// One line of one order, as published on the `orders` topic (see `Topics/orders`).
public struct OrderEvent: Sendable, Hashable {
    public var orderID: String
    /// Position within the order, from 1; (orderID, line) identifies the event.
    public var line: Int
    public var sku: String
    /// Signed units: positive for a sale, negative otherwise.
    public var quantity: Double
    public var kind: OrderKind
    public var unitPrice: Double
    /// ISO 4217 code.
    public var currency: String
    /// When the line happened.
    public var eventTime: EventTime
    public var customerID: String?
    public var channel: String?
    public var region: String?
    public var promotion: Bool?
    /// The order a return or cancellation undoes, where the shop says: net demand takes
    /// the line off that order's sale.
    public var originalOrderID: String?

    public init(
        orderID: String,
        line: Int,
        sku: String,
        quantity: Double,
        kind: OrderKind,
        unitPrice: Double,
        currency: String,
        eventTime: EventTime,
        customerID: String? = nil,
        channel: String? = nil,
        region: String? = nil,
        promotion: Bool? = nil,
        originalOrderID: String? = nil
    ) {
        self.orderID = orderID
        self.line = line
        self.sku = sku
        self.quantity = quantity
        self.kind = kind
        self.unitPrice = unitPrice
        self.currency = currency
        self.eventTime = eventTime
        self.customerID = customerID
        self.channel = channel
        self.region = region
        self.promotion = promotion
        self.originalOrderID = originalOrderID
    }

    /// Appends the event's JSON value (the `orders` schema) to `buffer`.
    ///
    /// Written by hand rather than with `JSONEncoder`: this runs once per event when
    /// loading or replaying, and allocates nothing but the buffer's growth.
    /// - Parameter buffer: Receives the bytes; reuse one buffer across events.
    public func encodeJSON(into buffer: inout [UInt8]) {
        var w = JSONWriter(reusing: &buffer)
        w.beginObject()
        w.key("order_id")
        w.string(orderID)
        w.key("line")
        w.integer(Int64(line))
        w.key("sku")
        w.string(sku)
        w.key("quantity")
        w.number(quantity)
        w.key("kind")
        w.string(kind.rawValue)
        w.key("unit_price")
        w.number(unitPrice)
        w.key("currency")
        w.string(currency)
        w.key("event_time")
        w.timestamp(eventTime)
        if let customerID {
            w.key("customer_id")
            w.string(customerID)
        }
        if let channel {
            w.key("channel")
            w.string(channel)
        }
        if let region {
            w.key("region")
            w.string(region)
        }
        if let promotion {
            w.key("promotion")
            w.bool(promotion)
        }
        if let originalOrderID {
            w.key("original_order")
            w.string(originalOrderID)
        }
        w.endObject()
        buffer = w.buffer
    }
}

/// An order line read in place from its message (see
/// ``OrderEventDecoder/decodeInPlace(_:)``): validated exactly as an ``OrderEvent`` is,
/// numbers and time parsed, but the text left as the message's bytes, so the event path
/// makes no `String`. Valid only as long as the message's bytes are.
public struct OrderEventView {
    public var orderID: JSONString
    public var line: Int
    public var sku: JSONString
    /// The SKU packed for lookups (see ``TextPrefix``).
    public var skuPrefix: TextPrefix
    public var quantity: Double
    public var kind: OrderKind
    public var unitPrice: Double
    public var currency: JSONString
    public var eventTime: EventTime
    public var customerID: JSONString?
    public var channel: JSONString?
    public var region: JSONString?
    public var promotion: Bool?
    public var originalOrderID: JSONString?

    /// The event with its text copied out into `String`s.
    public var event: OrderEvent {
        OrderEvent(
            orderID: orderID.string,
            line: line,
            sku: sku.string,
            quantity: quantity,
            kind: kind,
            unitPrice: unitPrice,
            currency: currency.string,
            eventTime: eventTime,
            customerID: customerID?.string,
            channel: channel?.string,
            region: region?.string,
            promotion: promotion,
            originalOrderID: originalOrderID?.string
        )
    }
}

/// A stock position, as published on the `inventory` topic (see `Topics/inventory`).
public struct InventoryEvent: Sendable, Hashable {
    public var sku: String
    public var onHand: Double
    public var onOrder: Double
    /// Days to replenish; the configured default when `nil`.
    public var leadTimeDays: Double?
    public var location: String?
    public var eventTime: EventTime
    /// Made up for a demo, not counted stock.
    public var synthetic: Bool

    public init(
        sku: String,
        onHand: Double,
        onOrder: Double = 0,
        leadTimeDays: Double? = nil,
        location: String? = nil,
        eventTime: EventTime,
        synthetic: Bool = false
    ) {
        self.sku = sku
        self.onHand = onHand
        self.onOrder = onOrder
        self.leadTimeDays = leadTimeDays
        self.location = location
        self.eventTime = eventTime
        self.synthetic = synthetic
    }

    /// Appends the event's JSON value (the `inventory` schema) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        var w = JSONWriter(reusing: &buffer)
        w.beginObject()
        w.key("sku")
        w.string(sku)
        w.key("on_hand")
        w.number(onHand)
        w.key("on_order")
        w.number(onOrder)
        if let leadTimeDays {
            w.key("lead_time_days")
            w.number(leadTimeDays)
        }
        if let location {
            w.key("location")
            w.string(location)
        }
        w.key("event_time")
        w.timestamp(eventTime)
        if synthetic {
            w.key("synthetic")
            w.bool(true)
        }
        w.endObject()
        buffer = w.buffer
    }
}
