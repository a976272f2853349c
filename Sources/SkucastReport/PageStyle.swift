/// What the report and the live page look like alike: one stylesheet base, so the two
/// pages a planner moves between read the same.
enum PageStyle {
    /// Type, page width, links and tables; each page adds its own rules after these.
    static let base = """
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; }
        main { max-width: 1000px; margin: 0 auto; padding: 16px 20px 48px; }
        h1 { font-size: 1.5em; margin: 0.6em 0 0.3em; }
        a { color: #1f5fa8; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; }
        th { background: #f4f4f4; text-align: left; font-weight: 600; }
        .num { text-align: right; }

        """
}
