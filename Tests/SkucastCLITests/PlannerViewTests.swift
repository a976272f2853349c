import Foundation
import Testing

/// The DOM of a page after its scripts ran, as headless Chromium (Debian's `chromium`,
/// which `Deploy/test.sh` installs) renders it.
func renderedDOM(_ url: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000", "--dump-dom", url,
    ]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "chromium failed: is Debian's chromium installed (Deploy/test.sh)?")
    return String(decoding: data, as: UTF8.self)
}

/// How often a piece of markup occurs.
func occurrences(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

/// The markup of the element a `data-chart` or `data-table` attribute opens, up to its end tag.
func element(_ attribute: String, in dom: String, closing: String) -> String? {
    guard let start = dom.range(of: attribute) else { return nil }
    guard let end = dom.range(of: closing, range: start.upperBound..<dom.endIndex) else { return nil }
    return String(dom[start.lowerBound..<end.upperBound])
}

@Suite("The planner's view: policy simulation and the HTML report")
struct PlannerViewTests {
    @Test(
        "Following the alerts: fill rate and stock rise with the service level, and at the naive policy's fill rates skucast holds less stock"
    )
    func policySimulation() throws {
        let r = try CSVBacktest.shared.get()
        #expect(r.status == 0, "\(r.stderr)")
        let all = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: r.summary)) as? [String: [String: Double]]
        )
        func point(_ name: String) throws -> (fill: Double, stock: Double, orders: Double) {
            let p = try #require(all["policy \(name)"], "\(all.keys.sorted())")
            return (try #require(p["fill_rate"]), try #require(p["buckets_of_demand"]), try #require(p["orders"]))
        }
        let curve = try ["0.80", "0.90", "0.95"].map { try point("skucast \($0)") }
        for (a, b) in zip(curve, curve.dropFirst()) {
            #expect(a.fill < b.fill && a.stock < b.stock, "\(curve)")
        }
        #expect(curve.allSatisfy { $0.orders > 0 && (0.5...1).contains($0.fill) })
        // The stock skucast's curve holds at a fill rate, interpolated between its levels.
        func skucastStock(at fill: Double) -> Double? {
            for (a, b) in zip(curve, curve.dropFirst()) where a.fill <= fill && fill <= b.fill {
                return a.stock + (b.stock - a.stock) * (fill - a.fill) / (b.fill - a.fill)
            }
            return nil
        }
        for naive in try ["naive reorder × 2", "naive reorder × 3"].map(point) {
            let stock = try #require(skucastStock(at: naive.fill), "naive \(naive) outside skucast's \(curve)")
            #expect(stock < 0.97 * naive.stock, "skucast \(stock) vs naive \(naive)")
        }
        #expect(r.stdout.contains("restock policy simulation (lost sales, "), "\(r.stdout)")
        #expect(r.stdout.contains("per demand class at service level 0.95:"))
    }

    @Test(
        "The HTML report is one self-contained file, and in Chromium it shows the scores, forecasts against actuals, calibration, weights, the trade-off curve and simulated stock"
    )
    func report() throws {
        let r = try CSVBacktest.shared.get()
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOf: r.report, encoding: .utf8)
        #expect(r.stdout.contains("report: \(r.report.standardizedFileURL.path) ("), "\(r.stdout)")
        // Nothing fetched when opened.
        for reference in ["http://", "https://", " src=", "@import", "url("] {
            #expect(!html.contains(reference), "\(reference)")
        }
        let dom = try renderedDOM(r.report.absoluteString)
        let scores = try #require(element(#"data-table="scores""#, in: dom, closing: "</table>"))
        // The ensemble, each model, the two naive baselines and the hindsight reference,
        // marked as one.
        #expect(occurrences("<tr", in: scores) == 1 + 12, "\(scores.prefix(2000))")
        #expect(scores.contains("hindsight_level (reference)"), "\(scores.prefix(2000))")
        #expect(scores.contains("ensemble") && scores.contains("0.9"))
        for chart in [
            "trail-85123A", "step-coverage", "weights", "policy-curve", "stock-85123A",
        ] {
            let svg = try #require(element(#"data-chart="\#(chart)""#, in: dom, closing: "</svg>"), "\(chart)")
            #expect(occurrences("<path", in: svg) + occurrences("<rect", in: svg) >= 3, "\(chart)")
        }
        let steps = try #require(element(#"data-table="step-coverage""#, in: dom, closing: "</table>"))
        #expect(occurrences("<tr", in: steps) == 1 + 14)
        #expect(steps.contains("p90 strictly below"))
        let curve = try #require(element(#"data-table="policy-curve""#, in: dom, closing: "</table>"))
        // skucast at 0.80, 0.90 and 0.95; naive at × 2 and × 3.
        #expect(occurrences("<tr", in: curve) == 1 + 5, "\(curve.prefix(3000))")
        #expect(element(#"data-table="policy-by-class""#, in: dom, closing: "</table>") != nil)
    }
}
