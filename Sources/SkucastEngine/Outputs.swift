import SkucastEvents

extension SKUForecast {
    /// The forecast to publish: every horizon step with its quantiles, lead-time demand,
    /// and the ensemble's weights and components, so a planner can see why.
    public func message() -> ForecastMessage { publication().message }

    /// The forecast to publish and the restock levels at the SKU's lead time behind its
    /// lead-time demand: the levels an alert of the SKU acts on until the next close.
    public func publication() -> (message: ForecastMessage, levels: ReorderLevels) {
        let configuration = outlook.configuration
        let calendar = configuration.calendar
        let (cycle, next, closedSeasons) = (calendar.modelCycle, nextSeason, outlook.closedSeasons)
        let f = forecaster
        let (levels, names) = (outlook.publishedLevels, outlook.publishedLevelNames)
        let lead = leadTimeDays
        // One pass of the ensemble serves the horizon, its quantiles and the restock levels.
        let means = outlook.means(
            f,
            steps: max(configuration.horizon, outlook.bucketsNeeded(leadTimeDays: lead)),
            nextSeason: next
        )
        var quantiles = f.stepQuantiles(
            means: means[..<configuration.horizon],
            nextSeason: next,
            cycle: cycle,
            levels: levels,
            closedSeasons: closedSeasons
        )
        // Hour buckets: the SKU's models see no daily cycle; the partition's day shape puts
        // the night's zeros and the afternoon's peak into each step.
        let shapes = outlook.intradayProfile.map { profile in
            (1...configuration.horizon).map { profile[calendar.hourOfDay(of: bucket + Int64($0))] }
        }
        let perStep = levels.count
        if let shapes {
            for i in quantiles.indices { quantiles[i] *= shapes[i / perStep] }
        }
        let steps = (1...configuration.horizon).map { h in
            ForecastMessage.Step(
                step: h,
                start: calendar.start(of: bucket + Int64(h)),
                mean: means[h - 1] * (shapes?[h - 1] ?? 1),
                quantiles: NamedValues(names: names, values: quantiles[(h - 1) * perStep..<h * perStep])
            )
        }
        let reorder = outlook.reorderLevels(means: means, history: f.history, leadTimeDays: lead)
        let leadQuantiles = outlook.leadTimeQuantiles(
            reorder,
            levels: levels,
            demandClass: DemandClass(history: f.history),
            leadTimeDays: lead
        )
        let w = f.weights(prior: outlook.modelPrior)
        var id = StableHash()
        id.add(sku)
        id.add(calendar.start(of: bucket + 1).milliseconds)
        id.add(calendar.size.rawValue)
        id.add(Int64(configuration.horizon))
        let message = ForecastMessage(
            forecastID: id.hex,
            sku: sku,
            origin: calendar.start(of: bucket + 1),
            bucket: calendar.size.rawValue,
            timeZone: calendar.zone.identifier,
            horizon: steps,
            leadTimeDays: lead,
            leadTimeMean: reorder.leadTimeDemand,
            leadTimeQuantiles: zip(names, leadQuantiles).map { NamedValue($0, $1) },
            weights: SKUForecaster.modelNames.enumerated().map { NamedValue($1, w[$0]) },
            components: f.explanation(nextSeason: next, cycle: cycle, closedSeasons: closedSeasons),
            globalContributions: f.globalContributions(
                coefficients: outlook.globalCoefficients,
                nextSeason: next,
                cycle: cycle,
                closedSeasons: closedSeasons
            ),
            daysSinceLastSale: max(0, Int(f.bucketsSinceSale) - 1),
            quantileLevels: levels
        )
        return (message, reorder)
    }
}

/// The input event that changed an alert, for the alert's `cause`.
public struct AlertCause: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var orderID: String?

    public init(topic: String, partition: Int32, offset: Int64, orderID: String? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.orderID = orderID
    }
}

extension RestockAlert {
    /// Appends the alert's JSON value (the `restock-alerts` schema) to `buffer`.
    /// - Parameters:
    ///   - cause: The input event that changed the alert, when known.
    ///   - buffer: Receives the bytes.
    public func encodeJSON(cause: AlertCause?, into buffer: inout [UInt8]) {
        var w = JSONWriter(reusing: &buffer)
        w.beginObject()
        w.key("alert_id")
        w.string(alertID)
        w.key("event_id")
        w.string(eventID)
        w.key("sku")
        w.string(sku)
        w.key("state")
        w.string(state.rawValue)
        w.key("severity")
        w.string(severity.rawValue)
        w.key("event_time")
        w.timestamp(eventTime)
        if let cause {
            w.key("cause")
            w.beginObject()
            w.key("topic")
            w.string(cause.topic)
            w.key("partition")
            w.integer(Int64(cause.partition))
            w.key("offset")
            w.integer(cause.offset)
            if let o = cause.orderID {
                w.key("order_id")
                w.string(o)
            }
            w.endObject()
        }
        RestockFields(
            onHand: onHand,
            onOrder: onOrder,
            position: projectedPosition,
            reorderPoint: reorderPoint,
            orderUpTo: orderUpTo,
            suggestedOrderQuantity: suggestedOrderQuantity,
            daysOfCover: daysOfCover,
            leadTimeDays: leadTimeDays,
            serviceLevel: serviceLevel
        ).write(into: &w)
        w.endObject()
        buffer = w.buffer
    }
}

extension RestockAlert {
    /// Appends the alert's value in `encoding` to `buffer` (its contents are replaced).
    public func encode(_ encoding: OutputEncoding, cause: AlertCause?, into buffer: inout [UInt8]) {
        switch encoding {
        case .json: encodeJSON(cause: cause, into: &buffer)
        case .protobuf: encodeProtobuf(cause: cause, into: &buffer)
        }
    }

    /// Appends the alert's Protocol Buffers value (`Topics/restock-alerts/value.proto`) to
    /// `buffer` (its contents are replaced).
    public func encodeProtobuf(cause: AlertCause?, into buffer: inout [UInt8]) {
        var w = ProtobufWriter(reusing: &buffer)
        w.string(1, alertID)
        w.string(2, eventID)
        w.string(3, sku)
        w.string(4, state.rawValue)
        w.string(5, severity.rawValue)
        w.integer(6, eventTime.milliseconds)
        if let cause {
            w.message(7) { m in
                m.string(1, cause.topic)
                m.integer(2, Int64(cause.partition))
                m.integer(3, cause.offset)
                m.optionalString(4, cause.orderID)
            }
        }
        w.double(8, onHand)
        w.double(9, onOrder)
        w.double(10, projectedPosition)
        w.double(11, reorderPoint)
        w.double(12, orderUpTo)
        w.double(13, suggestedOrderQuantity)
        w.optionalDouble(14, daysOfCover)
        w.double(15, leadTimeDays)
        w.double(16, serviceLevel)
        buffer = w.buffer
    }
}

/// The stock and levels an alert stands on, as the `restock-alerts` schema names them:
/// written alike in a change of an alert and in a query's answer about an open one.
struct RestockFields {
    var onHand: Double, onOrder: Double, position: Double
    var reorderPoint: Double, orderUpTo: Double, suggestedOrderQuantity: Double
    var daysOfCover: Double?
    var leadTimeDays: Double, serviceLevel: Double

    func write(into w: inout JSONWriter) {
        w.key("on_hand")
        w.quantity(onHand)
        w.key("on_order")
        w.quantity(onOrder)
        w.key("projected_position")
        w.quantity(position)
        w.key("reorder_point")
        w.quantity(reorderPoint)
        w.key("order_up_to")
        w.quantity(orderUpTo)
        w.key("suggested_order_quantity")
        w.quantity(suggestedOrderQuantity)
        w.key("days_of_cover")
        if let d = daysOfCover { w.quantity(d) } else { w.null() }
        w.key("lead_time_days")
        w.number(leadTimeDays)
        w.key("service_level")
        w.number(serviceLevel)
    }
}
