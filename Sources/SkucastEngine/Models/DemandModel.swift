import SkucastEvents

/// One online model of a SKU's demand, in the spirit of River's `learn_one`/`forecast`:
/// it learns from each closed bucket in O(1) and forecasts any step from its state alone.
///
/// A model is a value with a fixed-size state. It is registered once, in ``SKUModels``;
/// the ensemble weighs it, the snapshot stores its state in a section of its own (named
/// by ``name``, versioned by ``stateVersion``), and the backtest scores it alone.
public protocol DemandModel: Sendable, Hashable {
    /// Stable name: in published weights, backtest tables and snapshot sections.
    static var name: String { get }
    /// The layout of ``write(to:)``. A snapshot with another version of a model's state
    /// starts that model afresh from the SKU's history (``init(warmStartFrom:)``), as for
    /// a model the snapshot does not have; raise it whenever the state or its meaning
    /// (constants included) changes.
    static var stateVersion: Int { get }
    /// Whether every step gets the same forecast (false by default): then steps 1…n are
    /// worked out once.
    static var forecastIsFlat: Bool { get }

    /// A model that has seen nothing.
    init()
    /// Folds in the demand of a closed bucket.
    mutating func learn(_ bucket: ObservedBucket)
    /// Demand `h` buckets ahead (h ≥ 1), before the shop's closed days are applied.
    func forecast(step h: Int, _ context: ForecastContext) -> Double
    /// Steps 1…`values.count` into `values` (step h at h − 1): by default
    /// ``forecast(step:_:)`` for each (once, if flat). Into a buffer, not through a
    /// callback per step: a published forecast asks every model for every step.
    func forecasts(_ context: ForecastContext, into values: UnsafeMutableBufferPointer<Double>)
    /// Named components a planner can read in a published forecast (none by default).
    func explain(_ context: ForecastContext, into components: inout [NamedValue])
    /// What this model tells the partition's global model about the SKU (nothing by default).
    func signal(into signals: inout ModelSignals)

    /// Writes the state (not the constants: they belong to the version).
    func write(to w: inout ByteWriter)
    /// Reads a state ``write(to:)`` wrote at this ``stateVersion``.
    init(from r: inout ByteReader) throws(SnapshotError)
}

extension DemandModel {
    public static var forecastIsFlat: Bool { false }

    public func forecasts(_ context: ForecastContext, into values: UnsafeMutableBufferPointer<Double>) {
        guard !values.isEmpty else { return }
        if Self.forecastIsFlat {
            values.initialize(repeating: forecast(step: 1, context))
        } else {
            for i in values.indices { values[i] = forecast(step: i + 1, context) }
        }
    }

    public func explain(_ context: ForecastContext, into components: inout [NamedValue]) {}

    public func signal(into signals: inout ModelSignals) {}

    /// A model trained on the buckets a SKU's history still holds: how a model new to a
    /// snapshot (or with a state of another version) joins a running SKU.
    /// - Parameters:
    ///   - history: The SKU's recent buckets.
    ///   - nextSeason: The position in the cycle of the bucket after the newest.
    ///   - cycle: Buckets per cycle.
    public init(warmStartFrom history: DemandHistory, nextSeason: Int, cycle: Int) {
        self.init()
        for lag in stride(from: history.count, through: 1, by: -1) {
            let season = ((nextSeason - lag) % cycle + cycle) % cycle
            learn(ObservedBucket(demand: history.value(lag: lag), season: season, cycle: cycle))
        }
    }
}

/// A closed bucket, as a model learns it. A model that needs more of the past than its
/// own state keeps reads the SKU's history when it forecasts (``ForecastContext``).
public struct ObservedBucket: Sendable {
    /// The bucket's demand.
    public var demand: Double
    /// The bucket's position in the seasonal cycle.
    public var season: Int
    /// Buckets per cycle.
    public var cycle: Int

    public init(demand: Double, season: Int, cycle: Int) {
        self.demand = demand
        self.season = season
        self.cycle = cycle
    }
}

extension DemandModel {
    /// One bucket's close for one model, in place: its signals before and after it learns,
    /// and its forecast of the next bucket (0 without a context). A mutating method, so
    /// the model is read where it lies: non-mutating calls through a pointer copied the
    /// larger models out first. The context comes by pointer: unwrapping an optional
    /// context copied it (history and all) for every model.
    @inline(__always)
    mutating func close(
        _ bucket: ObservedBucket,
        next: UnsafePointer<ForecastContext>?,
        before: inout ModelSignals,
        after: inout ModelSignals
    ) -> Double {
        signal(into: &before)
        learn(bucket)
        signal(into: &after)
        guard let next else { return 0 }
        return forecast(step: 1, next.pointee)
    }
}

/// What a model may read when it forecasts, besides its own state.
public struct ForecastContext: Sendable {
    /// The SKU's recent buckets.
    public var history: DemandHistory
    /// The position in the cycle of the first bucket forecast (step 1).
    public var nextSeason: Int
    /// Buckets per cycle.
    public var cycle: Int
    /// The days of a cycle over the days the shop trades on: how much more an open day
    /// sells than the average day, for models that know no calendar.
    public var openDayFactor: Double
    /// The mean of the history (over the buckets it holds), which several models read.
    public let recentMean: Double

    public init(history: DemandHistory, nextSeason: Int, cycle: Int, openDayFactor: Double = 1) {
        self.history = history
        self.nextSeason = nextSeason
        self.cycle = cycle
        self.openDayFactor = openDayFactor
        recentMean = history.mean(last: DemandHistory.capacity)
    }
}

/// What the SKU's models tell the partition's ``GlobalDemandModel`` (features scaled by the
/// SKU's level): each model fills what it knows; a signal no registered model gives is 0.
public struct ModelSignals: Sendable, Hashable {
    /// Demand per bucket of a model of intermittent demand that keeps its estimate while
    /// nothing sells (Croston).
    public var intermittentRate = 0.0
    /// Demand per bucket of one that decays while nothing sells (TSB).
    public var decayingRate = 0.0
    /// A quickly adapting level (fast Holt-Winters).
    public var recentLevel = 0.0

    public init() {}
}
