/// A named number, e.g. a quantile (`p90`) or an ensemble weight.
public struct NamedValue: Sendable, Hashable {
    public var name: String
    public var value: Double

    public init(_ name: String, _ value: Double) {
        self.name = name
        self.value = value
    }
}

/// Named numbers kept as a list of names and a slice of values: the quantiles of every
/// step of a forecast share one list of names and one buffer of values, where an array of
/// ``NamedValue`` per step would be an allocation per step and forecast.
public struct NamedValues: RandomAccessCollection, Sendable, Hashable, ExpressibleByArrayLiteral {
    /// The names, in order.
    public let names: [String]
    /// The values, in the order of ``names``: a slice, so its indices need not start at 0
    /// (read them with ``value(at:)``).
    public let values: ArraySlice<Double>

    /// - Parameters:
    ///   - names: One name per value.
    ///   - values: The values, in the order of `names`.
    public init(names: [String], values: ArraySlice<Double>) {
        precondition(names.count == values.count, "one name per value")
        self.names = names
        self.values = values
    }

    /// The pairs, each stored apart: for values made one list at a time (tests, readers).
    public init(_ pairs: some Collection<NamedValue>) {
        self.init(names: pairs.map(\.name), values: ArraySlice(pairs.map(\.value)))
    }

    /// The pairs of the literal, in order.
    public init(arrayLiteral pairs: NamedValue...) { self.init(pairs) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { names.count }

    @inlinable
    public subscript(i: Int) -> NamedValue { NamedValue(names[i], value(at: i)) }

    /// The value at position `i` (0 for the first), without its name.
    @inlinable
    public func value(at i: Int) -> Double { values[values.startIndex + i] }
}

/// A forecast as published on the `forecasts` topic (see `Topics/forecasts`).
public struct ForecastMessage: Sendable, Hashable {
    public struct Step: Sendable, Hashable {
        public var step: Int
        public var start: EventTime
        public var mean: Double
        public var quantiles: NamedValues

        public init(step: Int, start: EventTime, mean: Double, quantiles: NamedValues) {
            self.step = step
            self.start = start
            self.mean = mean
            self.quantiles = quantiles
        }
    }

    public var forecastID: String
    public var sku: String
    /// End of the bucket the forecast was made at.
    public var origin: EventTime
    public var bucket: String
    public var timeZone: String
    public var horizon: [Step]
    public var leadTimeDays: Double
    public var leadTimeMean: Double
    public var leadTimeQuantiles: [NamedValue]
    public var weights: [NamedValue]
    public var components: [NamedValue]
    /// The global model's forecast of the first open step taken apart by feature (level,
    /// recency, selling_days, price, promotion, weekday), in units: they add up to that
    /// forecast before it is floored at zero.
    public var globalContributions: [NamedValue]
    public var daysSinceLastSale: Int?
    /// The levels the quantiles' names stand for (0.5 for `p50`), in their order; empty
    /// when only the names are known (then read back from the names, to 0.1 %).
    public var quantileLevels: [Double]

    public init(
        forecastID: String,
        sku: String,
        origin: EventTime,
        bucket: String,
        timeZone: String,
        horizon: [Step],
        leadTimeDays: Double,
        leadTimeMean: Double,
        leadTimeQuantiles: [NamedValue],
        weights: [NamedValue],
        components: [NamedValue],
        globalContributions: [NamedValue] = [],
        daysSinceLastSale: Int?,
        quantileLevels: [Double] = []
    ) {
        self.forecastID = forecastID
        self.sku = sku
        self.origin = origin
        self.bucket = bucket
        self.timeZone = timeZone
        self.horizon = horizon
        self.leadTimeDays = leadTimeDays
        self.leadTimeMean = leadTimeMean
        self.leadTimeQuantiles = leadTimeQuantiles
        self.weights = weights
        self.components = components
        self.globalContributions = globalContributions
        self.daysSinceLastSale = daysSinceLastSale
        self.quantileLevels = quantileLevels
    }

    /// The quantile name for a level: 0.9 → `p90`, 0.975 → `p97.5`.
    public static func quantileName(_ level: Double) -> String {
        let percent = (level * 1000).rounded() / 10
        return percent == percent.rounded() ? "p\(Int(percent))" : "p\(percent)"
    }

    /// Appends the message's JSON value (the `forecasts` schema) to `buffer`.
    public func encodeJSON(into buffer: inout [UInt8]) {
        var w = JSONWriter(reusing: &buffer)
        func namedValues(_ q: [NamedValue]) {
            w.beginObject()
            for v in q {
                w.key(v.name)
                w.quantity(v.value)
            }
            w.endObject()
        }
        w.beginObject()
        w.key("forecast_id")
        w.string(forecastID)
        w.key("sku")
        w.string(sku)
        w.key("origin")
        w.timestamp(origin)
        w.key("bucket")
        w.string(bucket)
        w.key("time_zone")
        w.string(timeZone)
        w.key("horizon")
        w.beginArray()
        // By index: a step read whole would be copied, its two buffers retained and released.
        for h in horizon.indices {
            w.beginObject()
            w.key("step")
            w.integer(Int64(horizon[h].step))
            w.key("start")
            w.timestamp(horizon[h].start)
            w.key("mean")
            w.quantity(horizon[h].mean)
            w.key("quantiles")
            w.quantities(horizon[h].quantiles)
            w.endObject()
        }
        w.endArray()
        w.key("lead_time_demand")
        w.beginObject()
        w.key("lead_time_days")
        w.number(leadTimeDays)
        w.key("mean")
        w.quantity(leadTimeMean)
        w.key("quantiles")
        namedValues(leadTimeQuantiles)
        w.endObject()
        w.key("model")
        w.beginObject()
        w.key("weights")
        namedValues(weights)
        w.key("components")
        w.beginObject()
        for v in components {
            w.key(v.name)
            w.quantity(v.value)
        }
        if let daysSinceLastSale {
            w.key("days_since_last_sale")
            w.integer(Int64(daysSinceLastSale))
        }
        w.endObject()
        if !globalContributions.isEmpty {
            w.key("global_contributions")
            namedValues(globalContributions)
        }
        w.endObject()
        w.endObject()
        buffer = w.buffer
    }
}

extension JSONWriter {
    /// An object of the values by name, each written as a quantity.
    mutating func quantities(_ values: NamedValues) {
        beginObject()
        for i in values.names.indices {
            key(values.names[i])
            quantity(values.value(at: i))
        }
        endObject()
    }
}
