/// Everything a backtest report shows; filled by the `skucast backtest` command.
///
/// ``html()`` renders one self-contained page: inline CSS and inline SVG charts, nothing fetched,
/// so the file can be mailed, archived or opened offline as it is.
public struct BacktestReport: Sendable {
    /// One forecaster's scores, or a reference's.
    public struct ScoreRow: Sendable {
        /// The forecaster.
        public var name: String
        /// Its value of each metric, by column name.
        public var metrics: [String: Double]
        /// A reference that reads the future rather than a forecaster: shown, marked, and
        /// never ranked best.
        public var isReference: Bool

        /// - Parameters:
        ///   - name: The forecaster.
        ///   - metrics: Its value of each metric, by column name.
        ///   - isReference: Whether it is a reference that reads the future.
        public init(name: String, metrics: [String: Double], isReference: Bool = false) {
            self.name = name
            self.metrics = metrics
            self.isReference = isReference
        }
    }

    /// One SKU's 1-step-ahead forecasts against what happened, per day of the scored period.
    public struct SKUTrail: Sendable {
        /// The SKU.
        public var sku: String
        /// The days, such as "2011-09-10".
        public var days: [String]
        /// Demand that happened each day.
        public var actual: [Double]
        /// The forecast mean for each day.
        public var mean: [Double]
        /// The forecast median for each day.
        public var p50: [Double]
        /// The forecast 90 % quantile for each day.
        public var p90: [Double]

        /// - Parameters:
        ///   - sku: The SKU.
        ///   - days: The days, such as "2011-09-10".
        ///   - actual: Demand that happened each day.
        ///   - mean: The forecast mean for each day.
        ///   - p50: The forecast median for each day.
        ///   - p90: The forecast 90 % quantile for each day.
        public init(sku: String, days: [String], actual: [Double], mean: [Double], p50: [Double], p90: [Double]) {
            self.sku = sku
            self.days = days
            self.actual = actual
            self.mean = mean
            self.p50 = p50
            self.p90 = p90
        }
    }

    /// Coverage of the published quantiles at one horizon step.
    public struct StepCoverage: Sendable {
        /// The horizon step, from 1.
        public var step: Int
        /// Share of outcomes at or below the median forecast.
        public var p50: Double
        /// Share of outcomes at or below the 90 % quantile.
        public var p90: Double
        /// Shares strictly below them. Demand is a count and often equals its quantile
        /// (mostly zero): a calibrated quantile's level lies between the two shares.
        public var p50Below: Double
        public var p90Below: Double

        /// - Parameters:
        ///   - step: The horizon step, from 1.
        ///   - p50: Coverage of the median.
        ///   - p90: Coverage of the 90 % quantile.
        ///   - p50Below: Share strictly below the median.
        ///   - p90Below: Share strictly below the 90 % quantile.
        public init(step: Int, p50: Double, p90: Double, p50Below: Double, p90Below: Double) {
            self.step = step
            self.p50 = p50
            self.p90 = p90
            self.p50Below = p50Below
            self.p90Below = p90Below
        }
    }

    /// Mean ensemble weight of each model per day, over the SKUs forecast that day.
    public struct WeightHistory: Sendable {
        /// The days, such as "2011-09-10".
        public var days: [String]
        /// The models, in column order of ``weights``.
        public var models: [String]
        /// `weights[day][model]`.
        public var weights: [[Double]]

        /// - Parameters:
        ///   - days: The days.
        ///   - models: The models.
        ///   - weights: `weights[day][model]`.
        public init(days: [String], models: [String], weights: [[Double]]) {
            self.days = days
            self.models = models
            self.weights = weights
        }
    }

    /// One operating point of a restock policy in the simulation.
    public struct PolicyPoint: Sendable {
        /// "skucast" or "naive".
        public var policy: String
        /// Such as "service level 0.95" or "reorder × 1.0".
        public var setting: String
        /// Units served over units demanded.
        public var fillRate: Double
        /// Share of replenishment cycles without a stockout.
        public var cycleServiceLevel: Double
        /// Mean on-hand units per SKU-day.
        public var averageStock: Double
        /// Average stock in days of average demand.
        public var daysOfDemand: Double
        /// SKU-days that ended with nothing on hand.
        public var stockoutDays: Int
        /// Orders placed.
        public var orders: Int
        /// Holding, ordering and shortage cost.
        public var cost: Double

        /// - Parameters:
        ///   - policy: "skucast" or "naive".
        ///   - setting: Such as "service level 0.95".
        ///   - fillRate: Units served over units demanded.
        ///   - cycleServiceLevel: Share of cycles without a stockout.
        ///   - averageStock: Mean on-hand units per SKU-day.
        ///   - daysOfDemand: Average stock in days of average demand.
        ///   - stockoutDays: SKU-days that ended with nothing on hand.
        ///   - orders: Orders placed.
        ///   - cost: Total cost.
        public init(
            policy: String,
            setting: String,
            fillRate: Double,
            cycleServiceLevel: Double,
            averageStock: Double,
            daysOfDemand: Double,
            stockoutDays: Int,
            orders: Int,
            cost: Double
        ) {
            self.policy = policy
            self.setting = setting
            self.fillRate = fillRate
            self.cycleServiceLevel = cycleServiceLevel
            self.averageStock = averageStock
            self.daysOfDemand = daysOfDemand
            self.stockoutDays = stockoutDays
            self.orders = orders
            self.cost = cost
        }
    }

    /// A policy's results over the SKUs of one demand class, at the run's service level.
    public struct ClassRow: Sendable {
        /// "skucast" or "naive".
        public var policy: String
        /// smooth, erratic, intermittent, lumpy or all.
        public var demandClass: String
        /// The results.
        public var point: PolicyPoint

        /// - Parameters:
        ///   - policy: "skucast" or "naive".
        ///   - demandClass: smooth, erratic, intermittent, lumpy or all.
        ///   - point: The results.
        public init(policy: String, demandClass: String, point: PolicyPoint) {
            self.policy = policy
            self.demandClass = demandClass
            self.point = point
        }
    }

    /// A SKU's simulated stock under the skucast policy at one service level.
    public struct InventoryTrajectory: Sendable {
        /// The SKU.
        public var sku: String
        /// The policy simulated.
        public var policy: String
        /// The days.
        public var days: [String]
        /// Units on hand at the end of each day.
        public var onHand: [Double]
        /// Units demanded each day.
        public var demand: [Double]
        /// The reorder point in force each day.
        public var reorderPoint: [Double]
        /// Units received each day.
        public var arrivals: [Double]

        /// - Parameters:
        ///   - sku: The SKU.
        ///   - policy: The policy simulated.
        ///   - days: The days.
        ///   - onHand: Units on hand at the end of each day.
        ///   - demand: Units demanded each day.
        ///   - reorderPoint: The reorder point each day.
        ///   - arrivals: Units received each day.
        public init(
            sku: String,
            policy: String,
            days: [String],
            onHand: [Double],
            demand: [Double],
            reorderPoint: [Double],
            arrivals: [Double]
        ) {
            self.sku = sku
            self.policy = policy
            self.days = days
            self.onHand = onHand
            self.demand = demand
            self.reorderPoint = reorderPoint
            self.arrivals = arrivals
        }
    }

    /// The page heading and `<title>`.
    public var title: String
    /// Lines describing the data and settings (source, period, engine settings, costs).
    public var settings: [String]
    /// The metrics shown, in column order.
    public var metricColumns: [String]
    /// One row per forecaster.
    public var scores: [ScoreRow]
    /// SKUs whose forecasts are drawn against what happened.
    public var trails: [SKUTrail]
    /// Quantile coverage per horizon step.
    public var stepCoverage: [StepCoverage]
    /// The ensemble's weights over time; nil when not recorded.
    public var weights: WeightHistory?
    /// Operating points of each policy across its settings.
    public var policyCurve: [PolicyPoint]
    /// Per policy and demand class (smooth, erratic, intermittent, lumpy, all) at the run's service level.
    public var policyByClass: [ClassRow]
    /// Simulated stock of a few SKUs.
    public var trajectories: [InventoryTrajectory]

    /// - Parameters:
    ///   - title: The page heading.
    ///   - settings: Lines describing the data and settings.
    ///   - metricColumns: The metrics shown, in column order.
    ///   - scores: One row per forecaster.
    ///   - trails: SKUs whose forecasts are drawn against what happened.
    ///   - stepCoverage: Quantile coverage per horizon step.
    ///   - weights: The ensemble's weights over time.
    ///   - policyCurve: Operating points of each policy.
    ///   - policyByClass: Per policy and demand class at the run's service level.
    ///   - trajectories: Simulated stock of a few SKUs.
    public init(
        title: String,
        settings: [String] = [],
        metricColumns: [String] = [],
        scores: [ScoreRow] = [],
        trails: [SKUTrail] = [],
        stepCoverage: [StepCoverage] = [],
        weights: WeightHistory? = nil,
        policyCurve: [PolicyPoint] = [],
        policyByClass: [ClassRow] = [],
        trajectories: [InventoryTrajectory] = []
    ) {
        self.title = title
        self.settings = settings
        self.metricColumns = metricColumns
        self.scores = scores
        self.trails = trails
        self.stepCoverage = stepCoverage
        self.weights = weights
        self.policyCurve = policyCurve
        self.policyByClass = policyByClass
        self.trajectories = trajectories
    }

    /// The report as one self-contained HTML document.
    public func html() -> String {
        var out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>\(Markup.escape(title))</title>\n<style>\n\(Self.style)</style>\n</head>\n<body>\n<main>\n"
        out += "<h1>\(Markup.escape(title))</h1>\n"
        if !settings.isEmpty {
            out += "<ul class=\"settings\">\n"
            for line in settings {
                out += "<li>\(Markup.escape(line))</li>\n"
            }
            out += "</ul>\n"
        }
        out += "<nav><a href=\"#accuracy\">Accuracy</a> · <a href=\"#forecasts\">Forecast against actual</a>"
        out += " · <a href=\"#calibration\">Calibration</a> · <a href=\"#weights\">Ensemble weights</a>"
        out += " · <a href=\"#policy\">Restock policy</a> · <a href=\"#stock\">Simulated stock</a></nav>\n"
        out += accuracySection()
        out += forecastSection()
        out += calibrationSection()
        out += weightsSection()
        out += policySection()
        out += stockSection()
        out += "</main>\n</body>\n</html>\n"
        return out
    }

    // MARK: - Sections

    private func accuracySection() -> String {
        var out = Self.sectionStart(id: "accuracy", heading: "Accuracy")
        guard !scores.isEmpty, !metricColumns.isEmpty else {
            return out + Self.empty("No forecasters were scored in this run.") + "</section>\n"
        }
        out += "<p>Lower is better for every metric except coverage (cov90 is best at 0.9); "
        out += "the best value of each column is in bold (bias is not ranked).</p>\n"
        let best = metricColumns.map { Self.bestRows(column: $0, scores: scores) }
        let header = [Self.Cell.text("Forecaster")] + metricColumns.map { Self.Cell.number($0) }
        if scores.contains(where: \.isReference) {
            out += "<p>A row marked <em>reference</em> is not a forecaster: it reads the demand that "
            out += "followed, to show how much of the error is left to win, and is never in bold.</p>\n"
        }
        let rows = scores.map { row in
            [Self.Cell.text(row.isReference ? "\(row.name) (reference)" : row.name)]
                + metricColumns.enumerated().map { column, name in
                    let value = row.metrics[name] ?? .nan
                    return Self.Cell.number(Self.decimal(value, 4), bold: best[column].contains(row.name))
                }
        }
        out += Self.table(name: "scores", header: header, rows: rows)
        return out + "</section>\n"
    }

    private func forecastSection() -> String {
        var out = Self.sectionStart(id: "forecasts", heading: "Forecast against actual")
        guard !trails.isEmpty else {
            return out + Self.empty("No SKU trails were recorded in this run.") + "</section>\n"
        }
        out += "<p>One-step-ahead forecasts per day: demand as bars, the forecast mean and median as lines, "
        out += "the shaded band between the median and the 90 % quantile.</p>\n"
        for trail in trails {
            let chart = LineChart(
                id: "trail-\(trail.sku)",
                title: "SKU \(trail.sku)",
                xLabel: "day",
                yLabel: "units",
                categories: trail.days,
                series: [
                    ChartSeries(name: "actual", y: trail.actual, marks: [.bars], color: 7),
                    ChartSeries(name: "mean", y: trail.mean, color: 1),
                    ChartSeries(name: "p50", y: trail.p50, dashed: true, color: 0),
                ],
                bands: [ChartBand(name: "p50–p90", lower: trail.p50, upper: trail.p90, color: 0)]
            )
            out += chart.svg() + "\n"
        }
        return out + "</section>\n"
    }

    private func calibrationSection() -> String {
        var out = Self.sectionStart(id: "calibration", heading: "Calibration by horizon step")
        guard !stepCoverage.isEmpty else {
            return out + Self.empty("No horizon coverage was measured in this run.") + "</section>\n"
        }
        let steps = stepCoverage.sorted { $0.step < $1.step }
        out += "<p>Share of outcomes at or below each published quantile, per step ahead, and "
        out += "(dotted) strictly below it. Demand is a count and often equals its quantile "
        out +=
            "(mostly at zero), so for a calibrated forecaster each nominal level (dashed) lies between the two.</p>\n"
        let chart = LineChart(
            id: "step-coverage",
            title: "Quantile coverage by horizon step",
            xLabel: "horizon step (days ahead)",
            yLabel: "coverage",
            categories: steps.map { String($0.step) },
            series: [
                ChartSeries(name: "p50 coverage", y: steps.map(\.p50), marks: [.line, .points], color: 0),
                ChartSeries(name: "p90 coverage", y: steps.map(\.p90), marks: [.line, .points], color: 1),
                ChartSeries(name: "p50 strictly below", y: steps.map(\.p50Below), marks: [.points], color: 0),
                ChartSeries(name: "p90 strictly below", y: steps.map(\.p90Below), marks: [.points], color: 1),
            ],
            referenceLines: [
                ChartReferenceLine(value: 0.5, label: "nominal 0.5"),
                ChartReferenceLine(value: 0.9, label: "nominal 0.9"),
            ],
            yRange: 0...1
        )
        out += chart.svg() + "\n"
        let rows = steps.map { step in
            [
                Self.Cell.number(String(step.step)), Self.Cell.number(Self.decimal(step.p50, 4)),
                Self.Cell.number(Self.decimal(step.p90, 4)), Self.Cell.number(Self.decimal(step.p50Below, 4)),
                Self.Cell.number(Self.decimal(step.p90Below, 4)),
            ]
        }
        out += Self.table(
            name: "step-coverage",
            header: [
                .number("Step"), .number("p50 coverage"), .number("p90 coverage"), .number("p50 strictly below"),
                .number("p90 strictly below"),
            ],
            rows: rows
        )
        return out + "</section>\n"
    }

    private func weightsSection() -> String {
        var out = Self.sectionStart(id: "weights", heading: "Ensemble weights over time")
        guard let weights, !weights.days.isEmpty, !weights.models.isEmpty else {
            return out + Self.empty("No ensemble weights were recorded in this run.") + "</section>\n"
        }
        out += "<p>Mean weight of each model in the ensemble per day, over the SKUs forecast that day.</p>\n"
        let series = weights.models.enumerated().map { model, name in
            ChartSeries(
                name: name,
                y: weights.days.indices.map { day in
                    day < weights.weights.count && model < weights.weights[day].count
                        ? weights.weights[day][model] : .nan
                }
            )
        }
        let chart = LineChart(
            id: "weights",
            title: "Mean ensemble weight per model",
            xLabel: "day",
            yLabel: "weight",
            categories: weights.days,
            series: series
        )
        return out + chart.svg() + "\n</section>\n"
    }

    private func policySection() -> String {
        var out = Self.sectionStart(id: "policy", heading: "Restock policy")
        guard !policyCurve.isEmpty || !policyByClass.isEmpty else {
            return out + Self.empty("No policy simulation in this run.") + "</section>\n"
        }
        if !policyCurve.isEmpty {
            out += "<p>Fill rate against the stock it takes, one point per setting: "
            out += "up and to the left is better.</p>\n"
            // Group in first-seen order, so colours follow the order the command lists policies in.
            var policies: [String] = []
            for point in policyCurve where !policies.contains(point.policy) {
                policies.append(point.policy)
            }
            let series = policies.map { policy in
                let points = policyCurve.filter { $0.policy == policy }.sorted { $0.daysOfDemand < $1.daysOfDemand }
                return ChartSeries(
                    name: policy,
                    y: points.map(\.fillRate),
                    x: points.map(\.daysOfDemand),
                    marks: [.line, .points],
                    pointLabels: points.map(\.setting)
                )
            }
            let chart = LineChart(
                id: "policy-curve",
                title: "Fill rate against average stock",
                xLabel: "average stock (days of demand)",
                yLabel: "fill rate",
                series: series,
                includesZero: false
            )
            out += chart.svg() + "\n"
            out += Self.table(
                name: "policy-curve",
                header: [.text("Policy"), .text("Setting")] + Self.pointHeader,
                rows: policyCurve.map { [.text($0.policy), .text($0.setting)] + Self.pointCells($0) }
            )
        } else {
            out += Self.empty("No policy trade-off curve in this run.")
        }
        out += "<h3>By demand class</h3>\n"
        if policyByClass.isEmpty {
            out += Self.empty("No per-class results in this run.")
        } else {
            out += Self.table(
                name: "policy-by-class",
                header: [.text("Policy"), .text("Demand class")] + Self.pointHeader,
                rows: policyByClass.map { [.text($0.policy), .text($0.demandClass)] + Self.pointCells($0.point) }
            )
        }
        return out + "</section>\n"
    }

    private func stockSection() -> String {
        var out = Self.sectionStart(id: "stock", heading: "Simulated stock")
        guard !trajectories.isEmpty else {
            return out + Self.empty("No stock was simulated in this run.") + "</section>\n"
        }
        out += "<p>Units on hand at the end of each day against demand, the reorder point (dashed) "
        out += "and deliveries (markers, at the units received).</p>\n"
        for trajectory in trajectories {
            // Days without a delivery are gaps, so markers appear only where stock arrived.
            let arrivals = trajectory.arrivals.map { $0 > 0 ? $0 : .nan }
            let chart = LineChart(
                id: "stock-\(trajectory.sku)",
                title: "SKU \(trajectory.sku) · \(trajectory.policy)",
                xLabel: "day",
                yLabel: "units",
                categories: trajectory.days,
                series: [
                    ChartSeries(name: "demand", y: trajectory.demand, marks: [.bars], color: 7),
                    ChartSeries(name: "on hand", y: trajectory.onHand, color: 0),
                    ChartSeries(
                        name: "reorder point",
                        y: trajectory.reorderPoint,
                        marks: [.step],
                        dashed: true,
                        color: 3
                    ),
                    ChartSeries(name: "arrivals", y: arrivals, marks: [.points], color: 2),
                ]
            )
            out += chart.svg() + "\n"
        }
        return out + "</section>\n"
    }

    // MARK: - Pieces

    /// A table cell: text is left-aligned, numbers right-aligned.
    private enum Cell {
        case text(String)
        case number(String, bold: Bool = false)
    }

    private static let pointHeader: [Cell] = [
        .number("Fill rate"), .number("Cycle service level"), .number("Average stock"),
        .number("Days of demand"), .number("Stockout days"), .number("Orders"), .number("Cost"),
    ]

    private static func pointCells(_ point: PolicyPoint) -> [Cell] {
        [
            .number(decimal(point.fillRate, 4)), .number(decimal(point.cycleServiceLevel, 4)),
            .number(decimal(point.averageStock, 2)), .number(decimal(point.daysOfDemand, 2)),
            .number(String(point.stockoutDays)), .number(String(point.orders)), .number(decimal(point.cost, 2)),
        ]
    }

    private static func table(name: String, header: [Cell], rows: [[Cell]]) -> String {
        var out = "<table data-table=\"\(Markup.escape(name))\">\n<thead><tr>"
        for cell in header {
            switch cell {
            case .text(let text): out += "<th>\(Markup.escape(text))</th>"
            case .number(let text, _): out += "<th class=\"num\">\(Markup.escape(text))</th>"
            }
        }
        out += "</tr></thead>\n<tbody>\n"
        for row in rows {
            out += "<tr>"
            for cell in row {
                switch cell {
                case .text(let text):
                    out += "<td>\(Markup.escape(text))</td>"
                case .number(let text, let bold):
                    out +=
                        bold
                        ? "<td class=\"num best\"><strong>\(Markup.escape(text))</strong></td>"
                        : "<td class=\"num\">\(Markup.escape(text))</td>"
                }
            }
            out += "</tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    private static func sectionStart(id: String, heading: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(Markup.escape(heading))</h2>\n"
    }

    private static func empty(_ sentence: String) -> String {
        "<p class=\"empty\">\(Markup.escape(sentence))</p>\n"
    }

    /// A table number; a dash where the value is missing or not finite.
    private static func decimal(_ value: Double, _ decimals: Int) -> String {
        value.isFinite ? Markup.fixed(value, decimals: decimals) : "–"
    }

    /// The forecasters holding the best value of a metric column; none for bias, whose sign
    /// matters more than its size, and none when a single forecaster leaves nothing to compare
    /// (references are never ranked).
    private static func bestRows(column: String, scores: [ScoreRow]) -> Set<String> {
        let lowered = column.lowercased()
        guard lowered != "bias", scores.count(where: { !$0.isReference }) > 1 else { return [] }
        // Coverage columns ("cov90") are best at their nominal level, everything else at its lowest.
        var distance: (Double) -> Double = { $0 }
        if lowered.hasPrefix("cov"), let percent = Int(lowered.dropFirst(3)), (1...99).contains(percent) {
            let nominal = Double(percent) / 100
            distance = { abs($0 - nominal) }
        }
        let scored = scores.compactMap { row -> (name: String, distance: Double)? in
            guard !row.isReference, let value = row.metrics[column], value.isFinite else { return nil }
            return (row.name, distance(value))
        }
        guard let best = scored.map(\.distance).min() else { return [] }
        // Exact ties share the bold.
        return Set(scored.filter { $0.distance - best <= 1e-12 }.map(\.name))
    }

    /// The report's own rules, after ``PageStyle/base``.
    private static let style =
        PageStyle.base + """
            h2 { font-size: 1.2em; margin-top: 2em; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
            h3 { font-size: 1em; }
            nav { margin: 8px 0; color: #666; }
            .settings { color: #444; padding-left: 1.2em; }
            .empty { color: #666; font-style: italic; }
            table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
            svg.chart { display: block; margin: 12px 0 20px; }

            """
}
