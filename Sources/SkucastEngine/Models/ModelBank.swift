import SkucastEvents

/// The registered per-SKU models of the ensemble, in the order of their lanes. A new model
/// is a new file with a ``DemandModel`` and its type added here; snapshots written before
/// it start it from each SKU's history.
public typealias SKUModels = ModelBank<
    SeasonalNaive, MovingAverage, HoltWintersSlow, HoltWintersFast, CrostonSBA, TSB, IMAPA
>

/// One value per lane of the ensemble: the registered models' (``SKUModels``), then the
/// partition's global model's. Losses, next-bucket forecasts, weights and the partition's
/// prior all have this type, with zeros beyond the lanes in use. Eight lanes hold seven
/// models; an eighth widens this to `SIMD16<Double>`, and nothing else in the engine:
/// snapshots write only the lanes in use, after their count, so a wider build reads a
/// narrower one's (and maps them by model name, as ``ModelDirectory`` does). Not
/// wider until then: every SKU carries several of these, and every bucket close walks them.
public typealias EnsembleLanes = SIMD8<Double>

/// Per-SKU models held by value, each as its own type: no existential boxes, no dynamic
/// dispatch on the path every closed bucket takes.
public struct ModelBank<each Model: DemandModel>: Sendable, Hashable {
    public internal(set) var models: (repeat each Model)

    public init() { models = (repeat (each Model).init()) }

    /// How many models.
    public static var count: Int {
        var n = 0
        for _ in repeat (each Model).self { n += 1 }
        return n
    }

    /// The models' names, in lane order.
    public static var names: [String] {
        var names: [String] = []
        for model in repeat (each Model).self { names.append(model.name) }
        return names
    }

    /// Each model's state version, in lane order.
    static var stateVersions: [Int] {
        var versions: [Int] = []
        for model in repeat (each Model).self { versions.append(model.stateVersion) }
        return versions
    }

    /// What a close of one bucket hands back from the models.
    struct Closed {
        /// Their signals before and after the bucket.
        var before = ModelSignals()
        var after = ModelSignals()
        /// Their forecasts of the next bucket (zero if `next` was nil).
        var nextBucket = EnsembleLanes.zero
    }

    /// Every model folds in the bucket, in one pass over the models in place: copies of
    /// the models (rebuilding the tuple, or iterating it) moved every model's bytes
    /// several times per SKU and bucket.
    /// - Parameters:
    ///   - bucket: The closed bucket.
    ///   - next: What to forecast the next bucket with, or nil for a closed day.
    mutating func close(_ bucket: ObservedBucket, next: UnsafePointer<ForecastContext>?) -> Closed {
        var closed = Closed()
        withUnsafeMutableBytes(of: &models) { tuple in
            // A tuple lays its elements out in order, each at the next offset its
            // alignment allows, as a struct does (a test checks it on the registered models).
            var (offset, lane) = (0, 0)
            for model in repeat (each Model).self {
                Self.close(model, at: &offset, lane: &lane, in: tuple, bucket, next, &closed)
            }
            assert(offset == tuple.count, "the models' tuple is not laid out as assumed")
        }
        return closed
    }

    @inline(__always)
    private static func close<M: DemandModel>(
        _: M.Type,
        at offset: inout Int,
        lane: inout Int,
        in tuple: UnsafeMutableRawBufferPointer,
        _ bucket: ObservedBucket,
        _ next: UnsafePointer<ForecastContext>?,
        _ closed: inout Closed
    ) {
        offset = (offset + MemoryLayout<M>.alignment - 1) / MemoryLayout<M>.alignment * MemoryLayout<M>.alignment
        let model = (tuple.baseAddress! + offset).assumingMemoryBound(to: M.self)
        closed.nextBucket[lane] = model.pointee.close(bucket, next: next, before: &closed.before, after: &closed.after)
        offset += MemoryLayout<M>.size
        lane += 1
    }

    /// Model `lane`'s forecast `h` buckets ahead.
    func forecast(lane: Int, step h: Int, _ context: ForecastContext) -> Double {
        var i = 0
        for model in repeat each models {
            if i == lane { return model.forecast(step: h, context) }
            i += 1
        }
        return 0
    }

    /// Every model's forecasts of steps 1…n: `body(lane, values)`, step h at h − 1.
    func forecasts(steps n: Int, _ context: ForecastContext, _ body: (Int, UnsafeBufferPointer<Double>) -> Void) {
        guard n > 0 else { return }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { values in
            var lane = 0
            for model in repeat each models {
                model.forecasts(context, into: values)
                body(lane, UnsafeBufferPointer(values))
                lane += 1
            }
        }
    }

    /// What the models tell the global model about the SKU now.
    var signals: ModelSignals {
        var signals = ModelSignals()
        for model in repeat each models { model.signal(into: &signals) }
        return signals
    }

    /// The components the models explain themselves by, in lane order.
    func explain(_ context: ForecastContext) -> [NamedValue] {
        var components: [NamedValue] = []
        for model in repeat each models { model.explain(context, into: &components) }
        return components
    }

    /// The registered model of this type, if any.
    public func model<M: DemandModel>(_: M.Type) -> M? {
        for model in repeat each models {
            if let m = model as? M { return m }
        }
        return nil
    }

    /// Replaces the registered model of this type (the first, if twice).
    mutating func replace<M: DemandModel>(with model: M) {
        var done = false
        models = (repeat Self.replacing(each models, with: model, done: &done))
    }

    @inline(__always)
    private static func replacing<Current: DemandModel, M: DemandModel>(
        _ current: Current,
        with model: M,
        done: inout Bool
    ) -> Current {
        guard !done, M.self == Current.self else { return current }
        done = true
        return unsafeBitCast(model, to: Current.self)
    }

    /// Calls `body` with each model's lane and a writer of its state.
    func writeStates(_ body: (Int, (inout ByteWriter) -> Void) -> Void) {
        var i = 0
        for model in repeat each models {
            body(i, { model.write(to: &$0) })
            i += 1
        }
    }

    /// Reads each model's state from its section, where `section(lane)` has one; the
    /// models without one (``ModelDirectory/missing``) are kept as they are.
    mutating func readStates(_ section: (Int) throws(SnapshotError) -> ByteReader?) throws(SnapshotError) {
        var lane = 0
        var failure: SnapshotError?
        models = (repeat Self.read(each models, lane: &lane, failure: &failure, section))
        if let failure { throw failure }
    }

    @inline(__always)
    private static func read<M: DemandModel>(
        _ current: M,
        lane: inout Int,
        failure: inout SnapshotError?,
        _ section: (Int) throws(SnapshotError) -> ByteReader?
    ) -> M {
        defer { lane += 1 }
        guard failure == nil else { return current }
        do throws(SnapshotError) {
            guard var r = try section(lane) else { return current }
            let model = try M(from: &r)
            guard r.isAtEnd else { throw SnapshotError("\(r.remaining) unread bytes in the state of \(M.name)") }
            return model
        } catch {
            failure = error
            return current
        }
    }

    /// Starts the models of these lanes (bit per lane) again from the SKU's history.
    mutating func warmStart(lanes: UInt64, history: DemandHistory, nextSeason: Int, cycle: Int) {
        var i = 0
        models = (repeat Self.warmStarted(each models, lane: &i, lanes, history, nextSeason, cycle))
    }

    @inline(__always)
    private static func warmStarted<M: DemandModel>(
        _ current: M,
        lane: inout Int,
        _ lanes: UInt64,
        _ history: DemandHistory,
        _ nextSeason: Int,
        _ cycle: Int
    ) -> M {
        defer { lane += 1 }
        return lanes & (1 << UInt64(lane)) != 0
            ? M(warmStartFrom: history, nextSeason: nextSeason, cycle: cycle) : current
    }

    public static func == (a: Self, b: Self) -> Bool {
        for (x, y) in repeat (each a.models, each b.models) {
            if x != y { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        for model in repeat each models { hasher.combine(model) }
    }
}
