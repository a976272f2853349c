import SkucastReport
import Testing

@Suite("Report markup")
struct ReportMarkupTests {
    func report(sku: String, values: [Double], references: [BacktestReport.ScoreRow] = []) -> BacktestReport {
        let days = values.indices.map { "2011-01-\(10 + $0)" }
        return BacktestReport(
            title: "t",
            settings: ["Source: \(sku)"],
            metricColumns: ["wRMSSE", "cov90"],
            scores: [
                .init(name: "ensemble", metrics: ["wRMSSE": 0.9, "cov90": 0.91]),
                .init(name: "naive", metrics: ["wRMSSE": 1.3, "cov90": 0.5]),
            ] + references,
            trails: [.init(sku: sku, days: days, actual: values, mean: values, p50: values, p90: values)],
            stepCoverage: [.init(step: 1, p50: 0.5, p90: 0.9, p50Below: 0.1, p90Below: 0.4)],
            weights: nil,
            policyCurve: [],
            policyByClass: [],
            trajectories: []
        )
    }

    @Test("Text from the data is escaped, missing values break lines instead of printing NaN, nothing is fetched")
    func escapingAndGaps() {
        let html = report(sku: #"<script>alert("x")</script>&"#, values: [1, .nan, 3, .infinity, 5]).html()
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;"))
        #expect(!html.lowercased().contains("nan") && !html.contains("inf"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        // Best wRMSSE (lowest) and best coverage (closest to 0.9) are the ensemble's.
        #expect(html.contains("<strong>0.9000</strong>") || html.contains("<b>0.9000</b>"))
        // Empty sections say why rather than vanish.
        #expect(html.contains(#"id="policy""#) && html.contains(#"class="empty""#))
    }

    @Test("A reference that reads the future is shown and marked, and never ranked best")
    func reference() {
        let hindsight = BacktestReport.ScoreRow(
            name: "hindsight_level",
            metrics: ["wRMSSE": 0.8, "cov90": 0.9],
            isReference: true
        )
        let html = report(sku: "85123A", values: [1, 2, 3], references: [hindsight]).html()
        #expect(html.contains("hindsight_level (reference)") && html.contains("0.8000"))
        #expect(html.contains("<strong>0.9000</strong>") && !html.contains("<strong>0.8000</strong>"))
        #expect(html.contains("<strong>0.9100</strong>"), "the ensemble's coverage stays the best forecaster's")
        #expect(!report(sku: "85123A", values: [1, 2, 3]).html().contains("(reference)"))
    }
}
