import Foundation
import Hummingbird
import Logging
import Prometheus
import SkucastEngine
import SkucastReport
import SkucastService

/// `/healthz`, `/readyz` and Prometheus `/metrics` for a running ``ForecastService``:
/// loopback by default, since the metrics name topics and SKU counts.
public struct OperationsEndpoint: Sendable {
    /// How long the poll loop may be silent before the process counts as unhealthy (a
    /// checkpoint or a rebalance can take seconds; a wedged loop takes forever).
    public var stallLimit: Duration = .seconds(60)
    let status: @Sendable () -> ServiceStatus
    let registry: PrometheusCollectorRegistry
    let query: (@Sendable (ServiceQuery) async -> QueryAnswer)?

    /// Open alerts a page of `/alerts` holds unless asked otherwise, and at most.
    public static let alertsPage = (default: 50, most: 1000)

    /// - Parameters:
    ///   - registry: The Prometheus registry the service's metrics go to.
    ///   - query: Asks the service (``ForecastService/queries``); nil: no `/skus` or
    ///     `/alerts`.
    ///   - status: Reads the service's status (``ForecastService/status``).
    public init(
        registry: PrometheusCollectorRegistry,
        query: (@Sendable (ServiceQuery) async -> QueryAnswer)? = nil,
        status: @escaping @Sendable () -> ServiceStatus
    ) {
        self.registry = registry
        self.query = query
        self.status = status
    }

    /// The routes, for an application of the caller's making (or a test's).
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let stallLimit = stallLimit
        let status = status
        let registry = registry
        router.get("healthz") { _, _ -> Response in
            let s = status()
            let silent = ContinuousClock.now - s.lastLoop
            guard silent < stallLimit else {
                return Self.text(.serviceUnavailable, "poll loop silent for \(silent)\n")
            }
            return Self.text(.ok, "ok\n")
        }
        router.get("readyz") { _, _ -> Response in
            let s = status()
            guard s.ready else {
                let why = s.partitions.isEmpty ? "no partitions assigned yet" : "catching up: \(s.lag) messages behind"
                return Self.text(.serviceUnavailable, "not ready: \(why)\n")
            }
            return Self.text(
                .ok,
                "ready: partitions \(s.partitions.map(String.init).joined(separator: ",")), lag \(s.lag)\n"
            )
        }
        router.get("metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(8192)
            registry.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
        if let query { addQueries(to: router, query) }
        return router
    }

    /// `/` (the live page), `/skus/{sku}` and `/alerts`.
    func addQueries(
        to router: Router<BasicRequestContext>,
        _ query: @escaping @Sendable (ServiceQuery) async -> QueryAnswer
    ) {
        router.get("/") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: LivePage.html))
            )
        }
        router.get("skus/:sku") { _, context -> Response in
            let raw = context.parameters.get("sku") ?? ""
            let sku = raw.removingPercentEncoding ?? raw
            guard !sku.isEmpty else {
                return Self.json(QueryAnswer(status: 400, json: Array(#"{"error":"no SKU"}"#.utf8)))
            }
            return Self.json(await query(.sku(sku)))
        }
        router.get("alerts") { request, _ -> Response in
            let parameters = request.uri.queryParameters
            var severity: RestockSeverity?
            if let name = parameters.get("severity"), !name.isEmpty {
                guard let s = RestockSeverity(rawValue: name), s != .none else {
                    return Self.json(
                        QueryAnswer(
                            status: 400,
                            json: Array(
                                #"{"error":"severity must be out_of_stock, stockout_within_lead_time or below_reorder_point"}"#
                                    .utf8
                            )
                        )
                    )
                }
                severity = s
            }
            // Absent: the default; present, it must be a number.
            let offset = parameters.get("offset").map { Int($0) ?? -1 } ?? 0
            let limit = parameters.get("limit").map { Int($0) ?? 0 } ?? Self.alertsPage.default
            guard offset >= 0, limit > 0, limit <= Self.alertsPage.most else {
                return Self.json(
                    QueryAnswer(
                        status: 400,
                        json: Array(#"{"error":"offset must be 0 or more and limit between 1 and 1000"}"#.utf8)
                    )
                )
            }
            return Self.json(await query(.alerts(severity: severity, offset: offset, limit: limit)))
        }
    }

    static func json(_ answer: QueryAnswer) -> Response {
        Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.json))
        )
    }

    /// An application serving the routes on `host:port`.
    /// - Parameters:
    ///   - host: The address to bind (loopback by default).
    ///   - port: The port.
    ///   - logger: Receives the server's logs.
    public func application(host: String = "127.0.0.1", port: Int, logger: Logger) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "skucast"),
            logger: logger
        )
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }
}
