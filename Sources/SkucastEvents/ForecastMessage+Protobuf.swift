/// How the service encodes the values of its outputs (forecasts and restock alerts).
public enum OutputEncoding: String, Sendable, Hashable, CaseIterable {
    /// The JSON of `Topics/*/value.schema.json`: self-describing, read by anything.
    case json
    /// Protocol Buffers per `Topics/*/value.proto`: a third of the bytes, and no number
    /// formatting or parsing on either side.
    case protobuf

    /// The media type of a value, for a `content-type` header: `application/json`, or
    /// `application/x-protobuf; proto=skucast.v1.<message>` naming the `.proto` message.
    public func contentType(message: String) -> String {
        switch self {
        case .json: "application/json"
        case .protobuf: "application/x-protobuf; proto=skucast.v1.\(message)"
        }
    }
}

extension ForecastMessage {
    /// Appends the message's value in `encoding` to `buffer` (its contents are replaced).
    public func encode(_ encoding: OutputEncoding, into buffer: inout [UInt8]) {
        switch encoding {
        case .json: encodeJSON(into: &buffer)
        case .protobuf: encodeProtobuf(into: &buffer)
        }
    }

    /// Appends the message's Protocol Buffers value (`Topics/forecasts/value.proto`) to
    /// `buffer` (its contents are replaced).
    public func encodeProtobuf(into buffer: inout [UInt8]) {
        var w = ProtobufWriter(reusing: &buffer)
        w.string(1, forecastID)
        w.string(2, sku)
        w.integer(3, origin.milliseconds)
        w.string(4, bucket)
        w.string(5, timeZone)
        w.packedIntegers(6, count: horizon.count) { horizon[$0].start.milliseconds }
        w.packedFloats(7, count: horizon.count) { horizon[$0].mean }
        let perStep = leadTimeQuantiles.isEmpty ? horizon.first?.quantiles.count ?? 0 : leadTimeQuantiles.count
        if quantileLevels.count == perStep {
            w.packedDoubles(8, quantileLevels)
        } else {
            let names = leadTimeQuantiles.isEmpty ? horizon.first?.quantiles.names ?? [] : leadTimeQuantiles.map(\.name)
            w.packedDoubles(8, names.map(Self.quantileLevel))
        }
        // Step by step: each step's values read in one go, not a step fetched per value.
        w.packedFloats(9, count: horizon.count * perStep, horizon.lazy.flatMap { $0.quantiles.values.prefix(perStep) })
        w.message(10) { m in
            m.double(1, leadTimeDays)
            m.float(2, leadTimeMean)
            m.packedFloats(3, count: leadTimeQuantiles.count) { leadTimeQuantiles[$0].value }
        }
        for (field, values) in [(11, weights), (12, components)] {
            for v in values {
                w.message(field) { m in
                    m.string(1, v.name)
                    m.float(2, v.value)
                }
            }
        }
        w.optionalInteger(13, daysSinceLastSale.map(Int64.init))
        for v in globalContributions {
            w.message(14) { m in
                m.string(1, v.name)
                m.float(2, v.value)
            }
        }
        buffer = w.buffer
    }

    /// The level a quantile's name stands for (`p90` → 0.9, `p97.5` → 0.975): the inverse
    /// of ``quantileName(_:)``.
    static func quantileLevel(_ name: String) -> Double {
        (Double(name.dropFirst()) ?? .nan) / 100
    }
}
