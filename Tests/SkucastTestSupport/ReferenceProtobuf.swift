import Foundation

/// Protocol Buffers values decoded as a consumer in another language would:
/// `Topics/decode_protobuf.py` compiles the topic's `value.proto` with protoc and Python's
/// protobuf parses each value, printed in protobuf's JSON mapping (proto field names,
/// 64-bit integers as strings, default values left out).
public enum ReferenceProtobuf {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// - Parameters:
    ///   - topic: `forecasts` or `restock-alerts`.
    ///   - values: The values, each one message.
    public static func decode(_ topic: String, _ values: [[UInt8]]) throws -> [[String: Any]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skucast-pb-\(UUID()).bin")
        defer { try? FileManager.default.removeItem(at: file) }
        var bytes: [UInt8] = []
        for v in values {
            var n = UInt64(v.count)
            while n >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: n) | 0x80)
                n >>= 7
            }
            bytes.append(UInt8(n))
            bytes += v
        }
        try Data(bytes).write(to: file)
        let topics = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Topics")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", topics.appendingPathComponent("decode_protobuf.py").path, topic, file.path]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let problems = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(description: "decode_protobuf.py: \(problems)") }
        return try data.split(separator: 0x0A).map {
            try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] ?? [:]
        }
    }
}
