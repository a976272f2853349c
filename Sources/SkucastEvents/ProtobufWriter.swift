/// Appends Protocol Buffers (proto3) wire format to a byte buffer: just what skucast's
/// messages need (varints, strings, fixed-width numbers, packed repeated fields and
/// embedded messages), fast. Field numbers and types follow the `.proto` files in
/// `Topics/`; a default value (zero, empty) is left out, as proto3 encoders do.
public struct ProtobufWriter: Sendable {
    public private(set) var buffer: [UInt8]

    /// Takes over `storage` (left empty) to write into, its contents discarded and its
    /// capacity kept: a caller that encodes one message after another into the same
    /// buffer allocates nothing once it is large enough. Hand the bytes back with
    /// `storage = writer.buffer`.
    public init(reusing storage: inout [UInt8]) {
        self.buffer = []
        swap(&self.buffer, &storage)
        self.buffer.removeAll(keepingCapacity: true)
    }

    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        buffer.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | type.rawValue)
    }

    /// An `int64` or `int32` field (negative numbers take ten bytes, as in the format).
    public mutating func integer(_ field: Int, _ value: Int64) {
        guard value != 0 else { return }
        tag(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    /// An `optional int32`/`int64` field: written when present, even if zero.
    public mutating func optionalInteger(_ field: Int, _ value: Int64?) {
        guard let value else { return }
        tag(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    /// A `double` field.
    public mutating func double(_ field: Int, _ value: Double) {
        guard value != 0 || value.sign == .minus else { return }
        optionalDouble(field, value)
    }

    /// An `optional double` field: written when present, even if zero.
    public mutating func optionalDouble(_ field: Int, _ value: Double?) {
        guard let value else { return }
        tag(field, .fixed64)
        appendLittleEndian(value.bitPattern)
    }

    /// A `float` field.
    public mutating func float(_ field: Int, _ value: Double) {
        let f = Float(value)
        guard f != 0 || f.sign == .minus else { return }
        tag(field, .fixed32)
        appendLittleEndian(f.bitPattern)
    }

    /// A `string` field.
    public mutating func string(_ field: Int, _ value: String) {
        guard !value.isEmpty else { return }
        optionalString(field, value)
    }

    /// An `optional string` field: written when present, even if empty.
    public mutating func optionalString(_ field: Int, _ value: String?) {
        guard var s = value else { return }
        s.withUTF8 { bytes in
            tag(field, .lengthDelimited)
            varint(UInt64(bytes.count))
            buffer.append(contentsOf: bytes)
        }
    }

    /// A packed `repeated float` field.
    public mutating func packedFloats(_ field: Int, count: Int, _ value: (Int) -> Double) {
        guard count > 0 else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(count * 4))
        for i in 0..<count { appendLittleEndian(Float(value(i)).bitPattern) }
    }

    /// A packed `repeated float` field of the first `count` values of `values`, which
    /// must hold at least that many (the length is written before them).
    public mutating func packedFloats(_ field: Int, count: Int, _ values: some Sequence<Double>) {
        guard count > 0 else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(count * 4))
        var written = 0
        for v in values.prefix(count) {
            appendLittleEndian(Float(v).bitPattern)
            written += 1
        }
        precondition(written == count, "fewer values than the count declared")
    }

    /// A packed `repeated double` field.
    public mutating func packedDoubles(_ field: Int, _ values: [Double]) {
        guard !values.isEmpty else { return }
        tag(field, .lengthDelimited)
        varint(UInt64(values.count * 8))
        for v in values { appendLittleEndian(v.bitPattern) }
    }

    /// A packed `repeated int64` field.
    public mutating func packedIntegers(_ field: Int, count: Int, _ value: (Int) -> Int64) {
        guard count > 0 else { return }
        var length = 0
        for i in 0..<count { length += Self.varintSize(UInt64(bitPattern: value(i))) }
        tag(field, .lengthDelimited)
        varint(UInt64(length))
        for i in 0..<count { varint(UInt64(bitPattern: value(i))) }
    }

    /// An embedded message field, written by `body`. Its length is known only once it is
    /// written, so the body goes to the end of the buffer and is moved right by the size
    /// of its length prefix.
    public mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        tag(field, .lengthDelimited)
        let start = buffer.count
        body(&self)
        let length = buffer.count - start
        let prefix = Self.varintSize(UInt64(length))
        buffer.append(contentsOf: repeatElement(0, count: prefix))
        buffer.withUnsafeMutableBytes { b in
            let base = b.baseAddress!
            (base + start + prefix).copyMemory(from: base + start, byteCount: length)
            var v = UInt64(length)
            for i in 0..<prefix {
                b[start + i] = UInt8(truncatingIfNeeded: v) | (i == prefix - 1 ? 0 : 0x80)
                v >>= 7
            }
        }
    }

    static func varintSize(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }

    private mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }
}
