import Hummingbird
import Logging
import Prometheus
import SkucastService

/// `/healthz`, `/readyz` and Prometheus `/metrics` for a running ``ForecastService``:
/// loopback by default, since the metrics name topics and SKU counts.
public struct OperationsEndpoint: Sendable {
    /// How long the poll loop may be silent before the process counts as unhealthy (a
    /// checkpoint or a rebalance can take seconds; a wedged loop takes forever).
    public var stallLimit: Duration = .seconds(60)
    let status: @Sendable () -> ServiceStatus
    let registry: PrometheusCollectorRegistry

    /// - Parameters:
    ///   - registry: The Prometheus registry the service's metrics go to.
    ///   - status: Reads the service's status (``ForecastService/status``).
    public init(registry: PrometheusCollectorRegistry, status: @escaping @Sendable () -> ServiceStatus) {
        self.registry = registry
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
        return router
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
