/// Appends JSON to a byte buffer: just what skucast's messages need, fast. The caller
/// pairs keys with values and begins with ends; the writer places the commas.
///
/// Small writes (punctuation, keys, numbers, timestamps) go to a block on the stack with
/// plain stores and reach the array a block at a time: appending to an array checks its
/// uniqueness and capacity on every call, which cost more than the bytes themselves when
/// a forecast is a few hundred such writes.
public struct JSONWriter: Sendable {
    private var storage: [UInt8]
    private var block = Block()
    /// Bytes of ``block`` written and not yet in ``storage``.
    private var blockCount = 0
    private var needsComma = false

    /// The staging block: 256 bytes, room for any one small write.
    private struct Block: Sendable {
        var bytes: (SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>, SIMD64<UInt8>) = (.zero, .zero, .zero, .zero)
        static let size = 256
    }

    /// Every byte written so far.
    public var buffer: [UInt8] {
        mutating get {
            flush()
            return storage
        }
    }

    /// - Parameter buffer: Storage to reuse; its contents are discarded, its capacity kept.
    public init(buffer: [UInt8]) {
        self.storage = buffer
        self.storage.removeAll(keepingCapacity: true)
    }

    /// Takes over `storage` (left empty) to write into, its contents discarded and its
    /// capacity kept: a caller that encodes one message after another into the same
    /// buffer allocates nothing once it is large enough. Hand the bytes back with
    /// `storage = writer.buffer`.
    public init(reusing storage: inout [UInt8]) {
        self.storage = []
        swap(&self.storage, &storage)
        self.storage.removeAll(keepingCapacity: true)
    }

    /// Moves the staged bytes to the array.
    private mutating func flush() {
        guard blockCount > 0 else { return }
        let n = blockCount
        withUnsafeBytes(of: &block) { storage.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[..<n])) }
        blockCount = 0
    }

    /// Stages up to `maxCount` bytes (at most ``Block/size``): `body` writes them at the
    /// pointer it is given and returns how many it wrote.
    @inline(__always)
    private mutating func stage(upTo maxCount: Int, _ body: (UnsafeMutableRawPointer) -> Int) {
        if blockCount + maxCount > Block.size { flush() }
        let at = blockCount
        blockCount += withUnsafeMutableBytes(of: &block) { body($0.baseAddress! + at) }
    }

    /// Stages one byte.
    @inline(__always)
    private mutating func stage(_ byte: UInt8) {
        stage(upTo: 1) { p in
            p.storeBytes(of: byte, as: UInt8.self)
            return 1
        }
    }

    /// Appends bytes of any length: staged when short, straight to the array when long.
    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress, !bytes.isEmpty else { return }
        if bytes.count <= Block.size / 4 {
            stage(upTo: bytes.count) { p in
                p.copyMemory(from: start, byteCount: bytes.count)
                return bytes.count
            }
        } else {
            flush()
            storage.append(contentsOf: bytes)
        }
    }

    public mutating func beginObject() {
        separate()
        stage(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        stage(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        stage(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        stage(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A comma before a value that follows another in an array or object.
    @inline(__always)
    private mutating func separate() {
        if needsComma { stage(UInt8(ascii: ",")) }
    }

    /// A key written in code: such keys need no escape, so they skip the search for one.
    public mutating func key(_ name: StaticString) {
        separate()
        name.withUTF8Buffer { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            assert(!bytes.contains(where: Self.needsEscape), "a key written in code needs no escape")
            if bytes.count <= Block.size / 2 { stageQuoted(bytes, colon: true) } else { quoted(bytes, colon: true) }
        }
        needsComma = false
    }

    /// A key made at run time (escaped like any string). Disfavoured: a literal key is
    /// a `String` too, and would otherwise come here rather than to the overload above.
    @_disfavoredOverload
    public mutating func key(_ name: String) {
        separate()
        var name = name
        name.withUTF8 { quoted(UnsafeRawBufferPointer($0), colon: true) }
        needsComma = false
    }

    /// A value already encoded as JSON (a published message inside an answer).
    public mutating func raw(_ json: [UInt8]) {
        separate()
        json.withUnsafeBytes { append($0) }
        needsComma = true
    }

    public mutating func null() {
        separate()
        Self.nullText.withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
        needsComma = true
    }

    public mutating func string(_ value: String) {
        separate()
        var value = value
        value.withUTF8 { quoted(UnsafeRawBufferPointer($0)) }
        needsComma = true
    }

    /// `utf8` between quotes, escaped as JSON requires, and a colon after it for a key.
    private mutating func quoted(_ utf8: UnsafeRawBufferPointer, colon: Bool = false) {
        let count = utf8.count
        // Keys and names are short and need no escape: one staged write.
        if count <= Block.size / 2, !utf8.contains(where: Self.needsEscape) {
            stageQuoted(utf8, colon: colon)
            return
        }
        var start = 0
        stage(UInt8(ascii: "\""))
        for i in utf8.indices where Self.needsEscape(utf8[i]) {
            let b = utf8[i]
            append(UnsafeRawBufferPointer(rebasing: utf8[start..<i]))
            stage(0x5C)
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): stage(b)
            case 0x0A: stage(UInt8(ascii: "n"))
            case 0x0D: stage(UInt8(ascii: "r"))
            case 0x09: stage(UInt8(ascii: "t"))
            default:
                for byte in [UInt8(ascii: "u"), 0x30, 0x30, Self.hexDigits[Int(b >> 4)], Self.hexDigits[Int(b & 0xF)]] {
                    stage(byte)
                }
            }
            start = i + 1
        }
        append(UnsafeRawBufferPointer(rebasing: utf8[start...]))
        stage(UInt8(ascii: "\""))
        if colon { stage(UInt8(ascii: ":")) }
    }

    /// `utf8` (at most half a block, needing no escape) between quotes in one staged write,
    /// and a colon after it for a key.
    @inline(__always)
    private mutating func stageQuoted(_ utf8: UnsafeRawBufferPointer, colon: Bool) {
        let count = utf8.count
        stage(upTo: count + 3) { p in
            p.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
            if count > 0 { (p + 1).copyMemory(from: utf8.baseAddress!, byteCount: count) }
            (p + 1 + count).storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
            guard colon else { return count + 2 }
            (p + 2 + count).storeBytes(of: UInt8(ascii: ":"), as: UInt8.self)
            return count + 3
        }
    }

    @inline(__always)
    private static func needsEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\")
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let nullText: StaticString = "null"

    public mutating func integer(_ value: Int64) {
        separate()
        stage(upTo: 20) { p in DecimalText.write(value, to: p) }
        needsComma = true
    }

    /// A finite number: integral values without a fraction, others in Swift's shortest
    /// round-tripping form. Non-finite values have no JSON form and are written as null.
    public mutating func number(_ value: Double) {
        if !value.isFinite {
            null()
        } else if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            integer(Int64(value))
        } else {
            separate()
            var text = value.description
            text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
            needsComma = true
        }
    }

    /// A measured or forecast quantity, rounded to four decimals (a ten-thousandth of a
    /// unit is below any stock count's precision): written with integer arithmetic,
    /// several times faster than the shortest round-trip form and a third shorter on the
    /// wire. Rounding is monotone, so ordered values (quantiles) stay ordered.
    public mutating func quantity(_ value: Double) {
        guard value.isFinite, abs(value) < 1e14 else { return number(value) }
        separate()
        stage(upTo: DecimalText.maxCount) { p in DecimalText.write(value, to: p) }
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        (value ? Self.trueText : Self.falseText).withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
        needsComma = true
    }

    private static let trueText: StaticString = "true"
    private static let falseText: StaticString = "false"

    /// RFC 3339 in UTC, e.g. "2010-12-01T08:26:00Z", with ".sss" only when needed.
    public mutating func timestamp(_ time: EventTime) {
        separate()
        let t = time.utc
        stage(upTo: 26) { b in
            func digits(_ value: Int, _ width: Int, at offset: Int) {
                var v = value
                for i in stride(from: offset + width - 1, through: offset, by: -1) {
                    (b + i).storeBytes(of: UInt8(ascii: "0") + UInt8(v % 10), as: UInt8.self)
                    v /= 10
                }
            }
            func byte(_ c: Unicode.Scalar, at offset: Int) {
                (b + offset).storeBytes(of: UInt8(ascii: c), as: UInt8.self)
            }
            byte("\"", at: 0)
            digits(t.year, 4, at: 1)
            byte("-", at: 5)
            digits(t.month, 2, at: 6)
            byte("-", at: 8)
            digits(t.day, 2, at: 9)
            byte("T", at: 11)
            digits(t.hour, 2, at: 12)
            byte(":", at: 14)
            digits(t.minute, 2, at: 15)
            byte(":", at: 17)
            digits(t.second, 2, at: 18)
            var n = 20
            if t.millisecond != 0 {
                byte(".", at: 20)
                digits(t.millisecond, 3, at: 21)
                n = 24
            }
            byte("Z", at: n)
            byte("\"", at: n + 1)
            return n + 2
        }
        needsComma = true
    }
}

/// Decimal text of a number rounded to four places, without trailing zeros: forecasts,
/// alerts and forecast files, where it is written millions of times.
public enum DecimalText {
    /// The most bytes ``write(_:to:)-(Double,_)`` writes: a sign, fourteen whole digits, a
    /// point and four decimals.
    static let maxCount = 20

    /// - Parameters:
    ///   - value: A finite number below 1e14 in magnitude.
    ///   - buffer: Receives the digits.
    public static func append(_ value: Double, to buffer: inout [UInt8]) {
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let n = withUnsafeMutableBytes(of: &text) { write(value, to: $0.baseAddress!) }
        withUnsafeBytes(of: &text) { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[..<n])) }
    }

    /// Writes the text of `value` (finite, below 1e14 in magnitude) at `destination`, which
    /// has room for ``maxCount`` bytes, and returns how many it wrote.
    @inline(__always)
    static func write(_ value: Double, to destination: UnsafeMutableRawPointer) -> Int {
        let scaled = (value * 10_000).rounded()
        let m = UInt64(abs(scaled))
        var p = destination
        if scaled < 0 {
            p.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self)
            p += 1
        }
        p += writeDigits(m / 10_000, to: p)
        var fraction = Int(m % 10_000)
        guard fraction != 0 else { return p - destination }
        p.storeBytes(of: UInt8(ascii: "."), as: UInt8.self)
        // Four places, then the trailing zeros dropped: by pairs, then one.
        var width = 4
        if fraction % 100 == 0 {
            fraction /= 100
            width = 2
        }
        if fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        var i = width
        while i > 0 {
            (p + i).storeBytes(of: UInt8(ascii: "0") + UInt8(fraction % 10), as: UInt8.self)
            fraction /= 10
            i -= 1
        }
        return p + 1 + width - destination
    }

    /// Writes the decimal digits of `value` at `destination` (room for 20 bytes), two per
    /// division, and returns how many it wrote.
    @inline(__always)
    static func writeDigits(_ value: UInt64, to destination: UnsafeMutableRawPointer) -> Int {
        var count = 1
        var bound: UInt64 = 10
        while value >= bound, count < 20 {
            count += 1
            bound = bound &* 10
        }
        var v = value
        var i = count
        while i >= 2 {
            let pair = UInt8(truncatingIfNeeded: v % 100)
            v /= 100
            (destination + i - 2).storeBytes(of: UInt8(ascii: "0") + pair / 10, as: UInt8.self)
            (destination + i - 1).storeBytes(of: UInt8(ascii: "0") + pair % 10, as: UInt8.self)
            i -= 2
        }
        if i == 1 { destination.storeBytes(of: UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v), as: UInt8.self) }
        return count
    }

    /// Writes the decimal digits of `value`, with its sign, at `destination` (room for 20
    /// bytes) and returns how many it wrote.
    @inline(__always)
    static func write(_ value: Int64, to destination: UnsafeMutableRawPointer) -> Int {
        guard value < 0 else { return writeDigits(value.magnitude, to: destination) }
        destination.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self)
        return 1 + writeDigits(value.magnitude, to: destination + 1)
    }
}
