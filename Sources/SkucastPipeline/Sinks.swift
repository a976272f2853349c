import Foundation
import SkucastEvents

/// Keeps every output in memory, in the order the processor made them: for tests and for
/// callers that look at a replay's outputs themselves.
public struct MemorySink: OutputSink {
    /// A published output: its key and value bytes.
    public struct Record: Sendable, Hashable {
        public var key: String
        public var value: [UInt8]
        public var timestamp: Int64
    }

    public var forecasts: [Record] = []
    public var alerts: [Record] = []
    public var valueEncoding: OutputEncoding
    public var deadLetters: [(message: RecordedMessage, rejection: Rejection)] = []

    public init(valueEncoding: OutputEncoding = .json) {
        self.valueEncoding = valueEncoding
    }

    public mutating func forecast(_ forecast: EmittedForecast) throws {
        guard let value = forecast.value else { return }
        forecasts.append(Record(key: forecast.sku, value: Array(value), timestamp: forecast.timestamp))
    }

    public mutating func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws {
        alerts.append(Record(key: sku, value: Array(value), timestamp: timestamp))
    }

    public mutating func deadLetter(_ message: InputMessage, rejection: Rejection) throws {
        let recorded = RecordedMessage(
            topic: message.topicName,
            partition: message.partition,
            offset: message.offset,
            timestamp: message.timestamp,
            key: message.key.map { Array($0) },
            value: message.value.map { Array($0) }
        )
        deadLetters.append((recorded, rejection))
    }
}

/// Writes what a run would have published as JSON lines in a directory: `forecasts.jsonl`
/// and `restock-alerts.jsonl` hold one message value a line, the same bytes as the live
/// topics' values; `dead-letter.jsonl` one object a line with the reason, the source
/// position and the original value as text (the live topic carries those as headers).
public final class JSONLinesSink: OutputSink {
    private let files: [FileHandle]
    private var buffers: [[UInt8]] = [[], [], []]
    private var closed = false
    private static let names = ["forecasts.jsonl", "restock-alerts.jsonl", "dead-letter.jsonl"]

    /// Creates (or empties) the three files.
    /// - Parameter directory: Created when missing.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        files = try Self.names.map { name in
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
            return try FileHandle(forWritingTo: url)
        }
    }

    deinit { try? close() }

    public func forecast(_ forecast: EmittedForecast) throws {
        guard let value = forecast.value else { return }
        try line(0, value)
    }

    public func alert(sku: String, value: UnsafeRawBufferPointer, timestamp: Int64) throws {
        try line(1, value)
    }

    public func deadLetter(_ message: InputMessage, rejection: Rejection) throws {
        var w = JSONWriter(buffer: [])
        w.beginObject()
        w.key("reason")
        w.string(rejection.reason.rawValue)
        w.key("detail")
        w.string(rejection.detail)
        w.key("topic")
        w.string(message.topicName)
        w.key("partition")
        w.integer(Int64(message.partition))
        w.key("offset")
        w.integer(message.offset)
        w.key("key")
        if let key = message.key { w.string(String(decoding: key, as: UTF8.self)) } else { w.null() }
        w.key("value")
        if let value = message.value { w.string(String(decoding: value, as: UTF8.self)) } else { w.null() }
        w.endObject()
        try w.buffer.withUnsafeBytes { try line(2, $0) }
    }

    private func line(_ file: Int, _ bytes: UnsafeRawBufferPointer) throws {
        buffers[file].append(contentsOf: bytes)
        buffers[file].append(0x0A)
        if buffers[file].count >= 1 << 20 { try flush(file) }
    }

    private func flush(_ file: Int) throws {
        try files[file].write(contentsOf: buffers[file])
        buffers[file].removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and closes the files.
    public func close() throws {
        guard !closed else { return }
        closed = true
        for i in files.indices where !buffers[i].isEmpty { try flush(i) }
        for f in files { try f.close() }
    }
}
