/// Text and numbers as they go into HTML and SVG.
///
/// Written without Foundation so the module stays pure and small; the formats only need to be
/// readable and stable, not locale-aware.
public enum Markup {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities: safe in element content and in
    /// quoted attribute values alike.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// `value` with exactly `decimals` digits after the point (0...12), or "" when it is not finite,
    /// so that "nan" and "inf" never reach a page.
    /// - Parameters:
    ///   - value: The number.
    ///   - decimals: Digits after the decimal point.
    ///   - trimmingZeros: Drops trailing zeros of the fraction (and the point when nothing is left).
    public static func fixed(_ value: Double, decimals: Int, trimmingZeros: Bool = false) -> String {
        guard value.isFinite else { return "" }
        var digits = min(max(decimals, 0), 12)
        // Integer arithmetic keeps the rounding exact; huge values give up decimals to fit in 64 bits.
        while digits > 0 && abs(value) * power(10, digits) >= 9.0e15 {
            digits -= 1
        }
        let scale = power(10, digits)
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e15 else { return String(value) }
        let units = UInt64(scaled)
        let divisor = UInt64(scale)
        let whole = String(units / divisor)
        var fraction = digits == 0 ? "" : String(units % divisor)
        if digits > 0 {
            fraction = String(repeating: "0", count: digits - fraction.count) + fraction
        }
        if trimmingZeros {
            while fraction.last == "0" {
                fraction.removeLast()
            }
        }
        let sign = value < 0 && units != 0 ? "-" : ""
        return sign + whole + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// `value` with at most four significant digits (whole numbers keep all theirs), trailing
    /// zeros dropped; "" when it is not finite.
    public static func compact(_ value: Double) -> String {
        guard value.isFinite else { return "" }
        guard value != 0 else { return "0" }
        let decimals = max(0, 3 - decimalExponent(of: value))
        return fixed(value, decimals: min(decimals, 12), trimmingZeros: true)
    }

    /// A coordinate in an SVG path: a tenth of a user unit is finer than any screen shows.
    static func coordinate(_ value: Double) -> String {
        fixed(value, decimals: 1, trimmingZeros: true)
    }

    /// 10 to the power `exponent`, by repeated multiplication (no `pow` without Foundation).
    static func power(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(exponent) {
            result *= base
        }
        return exponent < 0 ? 1 / result : result
    }

    /// The exponent `e` of the largest power of ten `10^e <= |value|`, for a finite non-zero value.
    static func decimalExponent(of value: Double) -> Int {
        var magnitude = abs(value)
        var exponent = 0
        while magnitude >= 10 {
            magnitude /= 10
            exponent += 1
        }
        while magnitude < 1 {
            magnitude *= 10
            exponent -= 1
        }
        return exponent
    }
}

/// One thing drawn against the x positions of a ``LineChart``.
public struct ChartSeries: Sendable {
    /// How values are drawn; a series may combine marks, such as a line with points.
    public enum Mark: Sendable, Hashable {
        /// Straight segments between consecutive finite points.
        case line
        /// Holds each value until the next x, as for a quantity that changes on a day.
        case step
        /// A marker at each finite point.
        case points
        /// A bar from zero to each finite value.
        case bars
    }

    /// The legend entry and `data-series` attribute.
    public var name: String
    /// Numeric x of each value; nil places value `i` at category `i`.
    public var x: [Double]?
    /// The values; a non-finite value leaves a gap (the line breaks there).
    public var y: [Double]
    /// How the values are drawn.
    public var marks: Set<Mark>
    /// Draws the line or step dashed, as for a threshold that moves.
    public var dashed: Bool
    /// A slot of ``LineChart/palette``; nil takes the series' position in the chart.
    public var color: Int?
    /// Text beside each point (such as a policy setting); empty strings draw nothing.
    public var pointLabels: [String]?
    /// Whether the legend names this series.
    public var showsInLegend: Bool

    /// - Parameters:
    ///   - name: The legend entry and `data-series` attribute.
    ///   - y: The values; non-finite values leave gaps.
    ///   - x: Numeric x of each value; nil for category positions.
    ///   - marks: How the values are drawn.
    ///   - dashed: Draws the line or step dashed.
    ///   - color: A palette slot; nil for the series' position.
    ///   - pointLabels: Text beside each point.
    ///   - showsInLegend: Whether the legend names the series.
    public init(
        name: String,
        y: [Double],
        x: [Double]? = nil,
        marks: Set<Mark> = [.line],
        dashed: Bool = false,
        color: Int? = nil,
        pointLabels: [String]? = nil,
        showsInLegend: Bool = true
    ) {
        self.name = name
        self.y = y
        self.x = x
        self.marks = marks
        self.dashed = dashed
        self.color = color
        self.pointLabels = pointLabels
        self.showsInLegend = showsInLegend
    }
}

/// A shaded range between two curves, such as the interval between two forecast quantiles.
public struct ChartBand: Sendable {
    /// The legend entry and `data-series` attribute.
    public var name: String
    /// Numeric x of each pair; nil for category positions.
    public var x: [Double]?
    /// The lower edge; the band breaks where either edge is not finite.
    public var lower: [Double]
    /// The upper edge.
    public var upper: [Double]
    /// A slot of ``LineChart/palette``; nil takes the band's position in the chart.
    public var color: Int?

    /// - Parameters:
    ///   - name: The legend entry and `data-series` attribute.
    ///   - lower: The lower edge.
    ///   - upper: The upper edge.
    ///   - x: Numeric x of each pair; nil for category positions.
    ///   - color: A palette slot; nil for the band's position.
    public init(name: String, lower: [Double], upper: [Double], x: [Double]? = nil, color: Int? = nil) {
        self.name = name
        self.lower = lower
        self.upper = upper
        self.x = x
        self.color = color
    }
}

/// A dashed horizontal line at a value the data is judged against, such as a nominal coverage.
public struct ChartReferenceLine: Sendable {
    /// Where the line sits on the y axis.
    public var value: Double
    /// Text at the line's right end.
    public var label: String

    /// - Parameters:
    ///   - value: Where the line sits on the y axis.
    ///   - label: Text at the line's right end; the value itself when nil.
    public init(value: Double, label: String? = nil) {
        self.value = value
        self.label = label ?? Markup.compact(value)
    }
}

/// A chart of lines, bands, points and bars rendered as an inline `<svg>` string.
///
/// The x axis is either categorical (``categories`` set; value `i` sits at category `i`, as for
/// days) or numeric (series carry `x`; as for a trade-off curve). The SVG has a `viewBox`, so it
/// scales to its container, and carries its own font settings so it reads the same anywhere.
public struct LineChart: Sendable {
    /// Colours told apart with common forms of colour blindness and on white.
    public static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    ]

    /// The `data-chart` attribute, by which pages and tests find the chart.
    public var id: String
    /// The heading inside the chart and its accessible name.
    public var title: String
    /// The x axis caption.
    public var xLabel: String
    /// The y axis caption.
    public var yLabel: String
    /// The drawing's width in user units.
    public var width: Double
    /// The drawing's height in user units.
    public var height: Double
    /// The x labels of a categorical axis; nil for a numeric one.
    public var categories: [String]?
    /// The label of a numeric x tick; nil for ``Markup/compact(_:)``.
    public var xTickLabel: (@Sendable (Double) -> String)?
    /// What is drawn, in drawing order (later series on top).
    public var series: [ChartSeries]
    /// Shaded ranges, drawn beneath the series.
    public var bands: [ChartBand]
    /// Dashed horizontal lines.
    public var referenceLines: [ChartReferenceLine]
    /// A fixed y range (values outside are drawn at its edge); nil fits the data.
    public var yRange: ClosedRange<Double>?
    /// Whether a fitted y range reaches down (or up) to zero, as quantities should.
    public var includesZero: Bool

    /// - Parameters:
    ///   - id: The `data-chart` attribute.
    ///   - title: The heading and accessible name.
    ///   - xLabel: The x axis caption.
    ///   - yLabel: The y axis caption.
    ///   - width: Width in user units.
    ///   - height: Height in user units.
    ///   - categories: The labels of a categorical x axis; nil for a numeric one.
    ///   - xTickLabel: The label of a numeric x tick.
    ///   - series: What is drawn.
    ///   - bands: Shaded ranges beneath the series.
    ///   - referenceLines: Dashed horizontal lines.
    ///   - yRange: A fixed y range; nil fits the data.
    ///   - includesZero: Whether a fitted y range includes zero.
    public init(
        id: String,
        title: String,
        xLabel: String = "",
        yLabel: String = "",
        width: Double = 720,
        height: Double = 300,
        categories: [String]? = nil,
        xTickLabel: (@Sendable (Double) -> String)? = nil,
        series: [ChartSeries] = [],
        bands: [ChartBand] = [],
        referenceLines: [ChartReferenceLine] = [],
        yRange: ClosedRange<Double>? = nil,
        includesZero: Bool = true
    ) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.height = height
        self.categories = categories
        self.xTickLabel = xTickLabel
        self.series = series
        self.bands = bands
        self.referenceLines = referenceLines
        self.yRange = yRange
        self.includesZero = includesZero
    }

    /// The chart as an `<svg class="chart" data-chart="…" role="img">` element.
    public func svg() -> String {
        let layout = Layout(chart: self)
        var out = "<svg class=\"chart\" data-chart=\"\(Markup.escape(id))\" role=\"img\""
        out += " viewBox=\"0 0 \(Markup.coordinate(layout.width)) \(Markup.coordinate(layout.height))\""
        out +=
            " preserveAspectRatio=\"xMidYMid meet\" style=\"width:100%;max-width:\(Markup.coordinate(layout.width))px;"
        out += "height:auto\" font-family=\"system-ui, sans-serif\" font-size=\"11\">"
        out += "<title>\(Markup.escape(title))</title>"
        out += layout.grid()
        for (index, band) in bands.enumerated() {
            out += layout.band(band, color: Self.color(band.color ?? index))
        }
        for (index, series) in series.enumerated() where series.marks.contains(.bars) {
            out += layout.bars(series, color: Self.color(series.color ?? index))
        }
        for line in referenceLines {
            out += layout.reference(line)
        }
        for (index, series) in series.enumerated() {
            let color = Self.color(series.color ?? index)
            if series.marks.contains(.line) || series.marks.contains(.step) {
                out += layout.line(series, color: color)
            }
            if series.marks.contains(.points) {
                out += layout.points(series, color: color)
            }
        }
        out += layout.axes()
        out += layout.legend()
        out += "<text class=\"chart-title\" x=\"\(Markup.coordinate(layout.left))\" y=\"16\""
        out += " font-size=\"13\" font-weight=\"600\">\(Markup.escape(title))</text>"
        out += "</svg>"
        return out
    }

    static func color(_ slot: Int) -> String {
        palette[((slot % palette.count) + palette.count) % palette.count]
    }
}

/// Ticks at round numbers covering `low...high`: steps of 1, 2, 2.5 or 5 times a power of ten.
func niceTicks(low: Double, high: Double, count: Int) -> [Double] {
    var low = low
    var high = high
    if !(high > low) {
        // A flat series still needs a range to draw in; centre it.
        let pad = low == 0 ? 1 : abs(low) * 0.1
        low -= pad
        high += pad
    }
    let raw = (high - low) / Double(max(count - 1, 1))
    let unit = Markup.power(10, Markup.decimalExponent(of: raw))
    let fraction = raw / unit
    let step: Double
    if fraction <= 1 {
        step = unit
    } else if fraction <= 2 {
        step = 2 * unit
    } else if fraction <= 2.5 {
        step = 2.5 * unit
    } else if fraction <= 5 {
        step = 5 * unit
    } else {
        step = 10 * unit
    }
    let first = (low / step).rounded(.down)
    let last = (high / step).rounded(.up)
    let steps = Int(last - first)
    return (0...max(steps, 1)).map { index in
        let tick = (first + Double(index)) * step
        // Snap float noise (such as 1e-17) to the zero it means.
        return abs(tick) < step * 1e-9 ? 0 : tick
    }
}

/// Positions of a ``LineChart`` in user units, and the drawing of each of its parts.
private struct Layout {
    let chart: LineChart
    let width: Double
    let height: Double
    let left: Double
    let right: Double
    let top: Double
    let bottom: Double
    let xDomain: ClosedRange<Double>
    let yDomain: ClosedRange<Double>
    let xTicks: [(position: Double, label: String)]
    let yTicks: [Double]
    let legendItems: [(name: String, color: String, kind: LegendKind)]
    let legendRows: [[(x: Double, item: Int)]]

    enum LegendKind {
        case band, line, dashed, points, bars
    }

    /// Width of text at the chart's font size, roughly: enough to keep labels apart.
    static func textWidth(_ text: String) -> Double { Double(text.count) * 6.4 }

    init(chart: LineChart) {
        self.chart = chart
        width = chart.width.isFinite && chart.width > 100 ? chart.width : 720
        height = chart.height.isFinite && chart.height > 100 ? chart.height : 300
        left = 56
        right = width - 16

        var items: [(name: String, color: String, kind: LegendKind)] = []
        for (index, band) in chart.bands.enumerated() {
            items.append((band.name, LineChart.color(band.color ?? index), .band))
        }
        for (index, series) in chart.series.enumerated() where series.showsInLegend {
            let kind: LegendKind
            if series.marks.contains(.line) || series.marks.contains(.step) {
                kind = series.dashed ? .dashed : .line
            } else if series.marks.contains(.bars) {
                kind = .bars
            } else {
                kind = .points
            }
            items.append((series.name, LineChart.color(series.color ?? index), kind))
        }
        legendItems = items
        var rows: [[(x: Double, item: Int)]] = []
        var row: [(x: Double, item: Int)] = []
        var cursor = left
        for (index, item) in items.enumerated() {
            let itemWidth = 22 + Self.textWidth(item.name) + 14
            if !row.isEmpty && cursor + itemWidth > right {
                rows.append(row)
                row = []
                cursor = left
            }
            row.append((cursor, index))
            cursor += itemWidth
        }
        if !row.isEmpty {
            rows.append(row)
        }
        legendRows = rows
        top = 28 + Double(rows.count) * 16 + 8
        bottom = height - (chart.xLabel.isEmpty ? 24 : 38)

        // x: categories sit at whole positions, half a slot in from each edge so bars fit.
        if let categories = chart.categories {
            let count = max(categories.count, chart.series.map(\.y.count).max() ?? 0, 1)
            xDomain = -0.5...(Double(count) - 0.5)
            let plotWidth = right - left
            let widest = categories.map { Self.textWidth($0) }.max() ?? 0
            let fit = max(2, Int(plotWidth / (widest + 14)))
            let stride = max(1, (count + fit - 1) / fit)
            xTicks = Swift.stride(from: 0, to: categories.count, by: stride).map { (Double($0), categories[$0]) }
        } else {
            var xs: [Double] = []
            for series in chart.series {
                xs += (series.x ?? series.y.indices.map(Double.init)).filter(\.isFinite)
            }
            for band in chart.bands {
                xs += (band.x ?? band.lower.indices.map(Double.init)).filter(\.isFinite)
            }
            let ticks = niceTicks(low: xs.min() ?? 0, high: xs.max() ?? 1, count: 6)
            xDomain = ticks[0]...ticks[ticks.count - 1]
            let label = chart.xTickLabel ?? { Markup.compact($0) }
            xTicks = ticks.map { ($0, label($0)) }
        }

        // y: the fixed range, or the data's (with zero and the reference lines) on round ticks.
        if let fixed = chart.yRange, fixed.lowerBound.isFinite, fixed.upperBound.isFinite,
            fixed.upperBound > fixed.lowerBound
        {
            yDomain = fixed
            yTicks = niceTicks(low: fixed.lowerBound, high: fixed.upperBound, count: 6).filter { fixed.contains($0) }
        } else {
            var ys: [Double] = chart.referenceLines.map(\.value)
            for series in chart.series {
                ys += series.y
            }
            for band in chart.bands {
                ys += band.lower + band.upper
            }
            ys = ys.filter(\.isFinite)
            if chart.includesZero || ys.isEmpty {
                ys.append(0)
            }
            let ticks = niceTicks(low: ys.min() ?? 0, high: ys.max() ?? 1, count: 5)
            yDomain = ticks[0]...ticks[ticks.count - 1]
            yTicks = ticks
        }
    }

    func px(_ x: Double) -> Double {
        left + (x - xDomain.lowerBound) / (xDomain.upperBound - xDomain.lowerBound) * (right - left)
    }

    func py(_ y: Double) -> Double {
        // Values beyond a fixed range are pinned to its edge rather than drawn over the axes.
        let clamped = min(max(y, yDomain.lowerBound), yDomain.upperBound)
        return bottom - (clamped - yDomain.lowerBound) / (yDomain.upperBound - yDomain.lowerBound) * (bottom - top)
    }

    /// The plotted points of a series, nil where a value (or its x) is not finite.
    func points(x: [Double]?, y: [Double]) -> [(x: Double, y: Double)?] {
        y.indices.map { index in
            let xValue = x.map { index < $0.count ? $0[index] : .nan } ?? Double(index)
            guard xValue.isFinite, y[index].isFinite else { return nil }
            return (px(xValue), py(y[index]))
        }
    }

    /// Points split at the gaps into runs drawn as separate sub-paths.
    static func runs(_ points: [(x: Double, y: Double)?]) -> [[(x: Double, y: Double)]] {
        var runs: [[(x: Double, y: Double)]] = []
        var run: [(x: Double, y: Double)] = []
        for point in points {
            if let point {
                run.append(point)
            } else if !run.isEmpty {
                runs.append(run)
                run = []
            }
        }
        if !run.isEmpty {
            runs.append(run)
        }
        return runs
    }

    static func pair(_ point: (x: Double, y: Double)) -> String {
        "\(Markup.coordinate(point.x)) \(Markup.coordinate(point.y))"
    }

    func grid() -> String {
        var out = "<g class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\">"
        for tick in yTicks {
            let y = Markup.coordinate(py(tick))
            out +=
                "<line x1=\"\(Markup.coordinate(left))\" x2=\"\(Markup.coordinate(right))\" y1=\"\(y)\" y2=\"\(y)\"/>"
        }
        out += "</g>"
        return out
    }

    func axes() -> String {
        let l = Markup.coordinate(left)
        let r = Markup.coordinate(right)
        let t = Markup.coordinate(top)
        let b = Markup.coordinate(bottom)
        var out = "<g class=\"axes\" stroke=\"#555\" stroke-width=\"1\" fill=\"none\">"
        out += "<path d=\"M\(l) \(t)V\(b)H\(r)\"/>"
        for tick in xTicks {
            let x = Markup.coordinate(px(tick.position))
            out += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(b)\" y2=\"\(Markup.coordinate(bottom + 4))\"/>"
        }
        out += "</g><g class=\"tick-labels\" fill=\"#333\">"
        for tick in xTicks {
            out += "<text x=\"\(Markup.coordinate(px(tick.position)))\" y=\"\(Markup.coordinate(bottom + 15))\""
            out += " text-anchor=\"middle\">\(Markup.escape(tick.label))</text>"
        }
        for tick in yTicks {
            out += "<text x=\"\(Markup.coordinate(left - 6))\" y=\"\(Markup.coordinate(py(tick) + 4))\""
            out += " text-anchor=\"end\">\(Markup.escape(Markup.compact(tick)))</text>"
        }
        out += "</g>"
        if !chart.xLabel.isEmpty {
            out += "<text class=\"axis-label\" x=\"\(Markup.coordinate((left + right) / 2))\""
            out += " y=\"\(Markup.coordinate(height - 6))\" text-anchor=\"middle\" fill=\"#333\">"
            out += "\(Markup.escape(chart.xLabel))</text>"
        }
        if !chart.yLabel.isEmpty {
            let x = Markup.coordinate(14)
            let y = Markup.coordinate((top + bottom) / 2)
            out += "<text class=\"axis-label\" x=\"\(x)\" y=\"\(y)\" transform=\"rotate(-90 \(x) \(y))\""
            out += " text-anchor=\"middle\" fill=\"#333\">\(Markup.escape(chart.yLabel))</text>"
        }
        return out
    }

    func band(_ band: ChartBand, color: String) -> String {
        let count = min(band.lower.count, band.upper.count)
        let lower = points(x: band.x, y: Array(band.lower.prefix(count)))
        let upper = points(x: band.x, y: Array(band.upper.prefix(count)))
        // A gap in either edge breaks the band, so each run is its own closed polygon.
        var runs: [[Int]] = [[]]
        for index in 0..<count {
            if lower[index] != nil && upper[index] != nil {
                runs[runs.count - 1].append(index)
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        var d = ""
        for run in runs where !run.isEmpty {
            d += "M" + run.compactMap { upper[$0] }.map(Self.pair).joined(separator: "L")
            d += "L" + run.reversed().compactMap { lower[$0] }.map(Self.pair).joined(separator: "L") + "Z"
        }
        guard !d.isEmpty else { return "" }
        return "<path class=\"band\" data-series=\"\(Markup.escape(band.name))\" d=\"\(d)\""
            + " fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\"/>"
    }

    func line(_ series: ChartSeries, color: String) -> String {
        let step = series.marks.contains(.step)
        var d = ""
        for run in Self.runs(points(x: series.x, y: series.y)) {
            d += "M" + Self.pair(run[0])
            if run.count == 1 {
                // A lone point between gaps still shows, as a dot, through the round caps.
                d += "h0"
            }
            for point in run.dropFirst() {
                if step {
                    d += "H\(Markup.coordinate(point.x))V\(Markup.coordinate(point.y))"
                } else {
                    d += "L" + Self.pair(point)
                }
            }
        }
        guard !d.isEmpty else { return "" }
        var out = "<path class=\"line\" data-series=\"\(Markup.escape(series.name))\" d=\"\(d)\" fill=\"none\""
        out += " stroke=\"\(color)\" stroke-width=\"1.8\" stroke-linecap=\"round\" stroke-linejoin=\"round\""
        if series.dashed {
            out += " stroke-dasharray=\"5 4\""
        }
        return out + "/>"
    }

    func points(_ series: ChartSeries, color: String) -> String {
        var out = "<g class=\"points\" data-series=\"\(Markup.escape(series.name))\" fill=\"\(color)\">"
        let plotted = points(x: series.x, y: series.y)
        for (index, point) in plotted.enumerated() {
            guard let point else { continue }
            out += "<circle cx=\"\(Markup.coordinate(point.x))\" cy=\"\(Markup.coordinate(point.y))\" r=\"3\"/>"
            if let labels = series.pointLabels, index < labels.count, !labels[index].isEmpty {
                // Labels near the right edge run leftwards so they stay inside the drawing.
                let leftwards = point.x + 6 + Self.textWidth(labels[index]) > width
                out += "<text class=\"point-label\" x=\"\(Markup.coordinate(point.x + (leftwards ? -6 : 6)))\""
                out += " y=\"\(Markup.coordinate(point.y - 5))\" text-anchor=\"\(leftwards ? "end" : "start")\""
                out += " fill=\"#333\" font-size=\"10\">\(Markup.escape(labels[index]))</text>"
            }
        }
        return out + "</g>"
    }

    func bars(_ series: ChartSeries, color: String) -> String {
        let slots = Double(max(series.y.count, 1))
        let span = (right - left) * (chart.categories == nil ? 0.6 : 0.75)
        let barWidth = max(1, min(40, span / slots))
        let zero = py(min(max(0, yDomain.lowerBound), yDomain.upperBound))
        var out = "<g class=\"bars\" data-series=\"\(Markup.escape(series.name))\" fill=\"\(color)\""
        out += " fill-opacity=\"0.55\">"
        for point in points(x: series.x, y: series.y) {
            guard let point else { continue }
            let y = min(point.y, zero)
            out += "<rect class=\"bar\" x=\"\(Markup.coordinate(point.x - barWidth / 2))\""
            out += " y=\"\(Markup.coordinate(y))\" width=\"\(Markup.coordinate(barWidth))\""
            out += " height=\"\(Markup.coordinate(abs(zero - point.y)))\"/>"
        }
        return out + "</g>"
    }

    func reference(_ line: ChartReferenceLine) -> String {
        guard line.value.isFinite else { return "" }
        let y = Markup.coordinate(py(line.value))
        var out = "<g class=\"reference\" data-value=\"\(Markup.escape(Markup.compact(line.value)))\">"
        out += "<line x1=\"\(Markup.coordinate(left))\" x2=\"\(Markup.coordinate(right))\" y1=\"\(y)\" y2=\"\(y)\""
        out += " stroke=\"#777\" stroke-width=\"1\" stroke-dasharray=\"6 4\"/>"
        out += "<text x=\"\(Markup.coordinate(right - 2))\" y=\"\(Markup.coordinate(py(line.value) - 3))\""
        out += " text-anchor=\"end\" fill=\"#555\" font-size=\"10\">\(Markup.escape(line.label))</text></g>"
        return out
    }

    func legend() -> String {
        guard !legendItems.isEmpty else { return "" }
        var out = "<g class=\"legend\">"
        for (rowIndex, row) in legendRows.enumerated() {
            let y = 30 + Double(rowIndex) * 16
            for entry in row {
                let item = legendItems[entry.item]
                let x = entry.x
                switch item.kind {
                case .band, .bars:
                    let opacity = item.kind == .band ? "0.25" : "0.55"
                    out += "<rect x=\"\(Markup.coordinate(x))\" y=\"\(Markup.coordinate(y - 5))\" width=\"16\""
                    out += " height=\"10\" fill=\"\(item.color)\" fill-opacity=\"\(opacity)\"/>"
                case .line, .dashed:
                    out += "<line x1=\"\(Markup.coordinate(x))\" x2=\"\(Markup.coordinate(x + 16))\""
                    out += " y1=\"\(Markup.coordinate(y))\" y2=\"\(Markup.coordinate(y))\" stroke=\"\(item.color)\""
                    out += " stroke-width=\"2\"\(item.kind == .dashed ? " stroke-dasharray=\"4 3\"" : "")/>"
                case .points:
                    out += "<circle cx=\"\(Markup.coordinate(x + 8))\" cy=\"\(Markup.coordinate(y))\" r=\"3\""
                    out += " fill=\"\(item.color)\"/>"
                }
                out += "<text x=\"\(Markup.coordinate(x + 22))\" y=\"\(Markup.coordinate(y + 4))\" fill=\"#333\">"
                out += "\(Markup.escape(item.name))</text>"
            }
        }
        return out + "</g>"
    }
}
