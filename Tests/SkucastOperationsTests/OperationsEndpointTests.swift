import CoreMetrics
import Hummingbird
import HummingbirdTesting
import Prometheus
import SkucastOperations
import SkucastService
import Synchronization
import Testing

/// A status the test sets, read by the endpoint as the service's.
final class StatusStub: Sendable {
    // A fresh status, as a board holds before the service publishes one.
    let current = Mutex(StatusBoard().current)
    func set(_ change: (inout ServiceStatus) -> Void) { current.withLock { change(&$0) } }
}

@Suite("Operations endpoint through HummingbirdTesting")
struct OperationsEndpointTests {
    let stub = StatusStub()
    let registry = PrometheusCollectorRegistry()

    func application(stallLimit: Duration = .seconds(60)) -> some ApplicationProtocol {
        let stub = stub
        var endpoint = OperationsEndpoint(registry: registry) { stub.current.withLock { $0 } }
        endpoint.stallLimit = stallLimit
        return Application(router: endpoint.router())
    }

    @Test("/healthz: ok while the poll loop comes round, 503 once it is silent past the limit")
    func health() async throws {
        // Limits of hours: a loaded test run can hold an async test back for minutes.
        stub.set { $0.lastLoop = .now }
        try await application(stallLimit: .seconds(3600)).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok\n")
            }
        }
        stub.set { $0.lastLoop = .now - .seconds(7200) }
        try await application(stallLimit: .seconds(3600)).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).hasPrefix("poll loop silent for"))
            }
        }
    }

    @Test("/readyz: 503 with the reason until partitions are assigned and caught up, then 200 naming them")
    func readiness() async throws {
        let app = application()
        try await app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == "not ready: no partitions assigned yet\n")
            }
            stub.set {
                $0.partitions = [0, 3]
                $0.lag = 42
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body) == "not ready: catching up: 42 messages behind\n")
            }
            stub.set {
                $0.lag = 0
                $0.ready = true
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ready: partitions 0,3, lag 0\n")
            }
        }
    }

    @Test("/metrics: the registry in Prometheus' text format")
    func metrics() async throws {
        let factory = PrometheusMetricsFactory(registry: registry)
        let counter = factory.makeCounter(label: "skucast_events_in_total", dimensions: [("topic", "orders")])
        counter.increment(by: 7)
        try await application().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                #expect(
                    String(buffer: response.body).contains("skucast_events_in_total{topic=\"orders\"} 7"),
                    "\(String(buffer: response.body))"
                )
            }
        }
    }
}
