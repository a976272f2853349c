import Foundation
import SkucastKafka

/// A throw-away Tansu broker on a free loopback port, for tests.
///
/// The broker runs under a small shell guard that watches this process: when this process
/// ends in any way (even `kill -9`), the guard kills the broker within a fifth of a second, so
/// no test leaves a broker behind.
///
/// The Tansu binary comes from `SKUCAST_TANSU`, else from `Deploy/.local/tansu/tansu`
/// (what `Deploy/dev-broker.sh install` puts there). Set `SKUCAST_TEST_BROKERS` to use an
/// already running broker instead.
public final class DevBroker: Sendable {
    /// `host:port` of the broker.
    public let bootstrapServers: String
    private let process: Process?

    /// Starts a broker, or attaches to `SKUCAST_TEST_BROKERS` when set.
    /// - Parameters:
    ///   - timeout: How long to wait until it accepts connections.
    ///   - useRunningBroker: Attach to `SKUCAST_TEST_BROKERS` when it is set; tests that
    ///     stop their broker pass `false` to always get one of their own.
    /// - Throws: ``DevBrokerError`` when the binary is missing or the broker does not come up.
    public init(timeout: Duration = .seconds(10), useRunningBroker: Bool = true) throws {
        let env = ProcessInfo.processInfo.environment
        if useRunningBroker, let servers = env["SKUCAST_TEST_BROKERS"], !servers.isEmpty {
            bootstrapServers = servers
            process = nil
            return
        }
        let binary = try Self.locateTansu(environment: env)
        let port = try Self.freeLoopbackPort()
        let url = "tcp://127.0.0.1:\(port)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // A pipe's EOF would be simpler, but Foundation lets pipe ends leak into sibling
        // children, so the guard polls for its owner instead.
        process.arguments = [
            "-c",
            #""$0" broker --listener-url "$1" --advertised-listener-url "$1" --storage-engine memory://tansu/ --silent >/dev/null 2>&1 & b=$!; "#
                + #"trap 'kill -9 $b 2>/dev/null; wait $b; exit 0' TERM INT; "#
                + #"while kill -0 "$2" 2>/dev/null && kill -0 $b 2>/dev/null; do sleep 0.2; done; kill -9 $b 2>/dev/null; wait $b"#,
            binary, url, String(getpid()),
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        self.bootstrapServers = "127.0.0.1:\(port)"
        try Self.waitForListener(port: port, timeout: timeout)
    }

    deinit {
        stop()
    }

    private static let processWide = Result { try DevBroker() }

    /// One broker for the whole test process, started on first use: tests share it and
    /// keep apart by using their own topic names and groups.
    /// - Throws: ``DevBrokerError`` when it could not be started.
    public static func shared() throws -> DevBroker {
        try processWide.get()
    }

    /// Kills the broker (it keeps everything in memory: nothing to save; a graceful
    /// stop would wait for connected clients) and waits until it is gone.
    public func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// A client configuration for this broker with short timeouts suited to tests.
    public func clientConfiguration() -> KafkaClientConfiguration {
        var c = KafkaClientConfiguration(bootstrapServers: [bootstrapServers])
        c.bootstrapTimeout = .seconds(5)
        return c
    }

    static func locateTansu(environment env: [String: String]) throws -> String {
        var candidates: [String] = []
        if let explicit = env["SKUCAST_TANSU"] { candidates.append(explicit) }
        // Walk up from the working directory to find the package's Deploy/.local.
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("Deploy/.local/tansu/tansu").path)
            dir.deleteLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw DevBrokerError(
                "no Tansu binary: run Deploy/dev-broker.sh install, or set SKUCAST_TANSU (looked at \(candidates.joined(separator: ", ")))"
            )
        }
        return found
    }

    /// A loopback port nobody listens on right now (for a broker, an HTTP endpoint, …).
    /// - Throws: ``DevBrokerError`` when no socket can be bound.
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DevBrokerError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                bind(fd, p, len) == 0 && getsockname(fd, p, &len) == 0
            }
        }
        guard bound else { throw DevBrokerError("could not bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func waitForListener(port: Int, timeout: Duration) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            let connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(fd)
            if connected { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw DevBrokerError("Tansu did not listen on 127.0.0.1:\(port) within \(timeout)")
    }
}

/// Why a ``DevBroker`` could not be started.
public struct DevBrokerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
