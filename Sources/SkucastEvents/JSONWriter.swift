/// Appends JSON to a byte buffer: just what skucast's messages need, fast. The caller
/// pairs keys with values and begins with ends; the writer places the commas.
public struct JSONWriter: Sendable {
    public private(set) var buffer: [UInt8]
    private var needsComma = false

    /// - Parameter buffer: Storage to reuse; its contents are discarded, its capacity kept.
    public init(buffer: [UInt8]) {
        self.buffer = buffer
        self.buffer.removeAll(keepingCapacity: true)
    }

    /// Takes over `storage` (left empty) to write into, its contents discarded and its
    /// capacity kept: a caller that encodes one message after another into the same
    /// buffer allocates nothing once it is large enough. Hand the bytes back with
    /// `storage = writer.buffer`.
    public init(reusing storage: inout [UInt8]) {
        self.buffer = []
        swap(&self.buffer, &storage)
        self.buffer.removeAll(keepingCapacity: true)
    }

    public mutating func beginObject() {
        separate()
        buffer.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        buffer.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        buffer.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        buffer.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A comma before a value that follows another in an array or object.
    private mutating func separate() {
        if needsComma { buffer.append(UInt8(ascii: ",")) }
    }

    public mutating func key(_ name: StaticString) {
        separate()
        buffer.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    /// A key made at run time (escaped like any string).
    public mutating func key(_ name: String) {
        string(name)
        buffer.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A value already encoded as JSON (a published message inside an answer).
    public mutating func raw(_ json: [UInt8]) {
        separate()
        buffer.append(contentsOf: json)
        needsComma = true
    }

    public mutating func null() {
        separate()
        buffer.append(contentsOf: Array("null".utf8))
        needsComma = true
    }

    public mutating func string(_ value: String) {
        separate()
        buffer.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for i in utf8.indices {
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                switch b {
                case UInt8(ascii: "\""): buffer.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): buffer.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: buffer.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: buffer.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: buffer.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    buffer.append(contentsOf: [
                        0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)],
                    ])
                }
                start = i + 1
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        buffer.append(UInt8(ascii: "\""))
        needsComma = true
    }

    public mutating func integer(_ value: Int64) {
        separate()
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        DecimalText.appendDigits(value.magnitude, to: &buffer)
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
            buffer.append(contentsOf: value.description.utf8)
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
        DecimalText.append(value, to: &buffer)
        needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        separate()
        buffer.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
        needsComma = true
    }

    /// RFC 3339 in UTC, e.g. "2010-12-01T08:26:00Z", with ".sss" only when needed.
    public mutating func timestamp(_ time: EventTime) {
        separate()
        let t = time.utc
        // Filled on the stack and appended once: a forecast writes fifteen of these, and
        // appending byte by byte checked the array's capacity and uniqueness each time.
        var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let count = withUnsafeMutableBytes(of: &text) { b -> Int in
            func digits(_ value: Int, _ width: Int, at offset: Int) {
                var v = value
                for i in stride(from: offset + width - 1, through: offset, by: -1) {
                    b[i] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
            }
            b[0] = UInt8(ascii: "\"")
            digits(t.year, 4, at: 1)
            b[5] = UInt8(ascii: "-")
            digits(t.month, 2, at: 6)
            b[8] = UInt8(ascii: "-")
            digits(t.day, 2, at: 9)
            b[11] = UInt8(ascii: "T")
            digits(t.hour, 2, at: 12)
            b[14] = UInt8(ascii: ":")
            digits(t.minute, 2, at: 15)
            b[17] = UInt8(ascii: ":")
            digits(t.second, 2, at: 18)
            var n = 20
            if t.millisecond != 0 {
                b[20] = UInt8(ascii: ".")
                digits(t.millisecond, 3, at: 21)
                n = 24
            }
            b[n] = UInt8(ascii: "Z")
            b[n + 1] = UInt8(ascii: "\"")
            return n + 2
        }
        withUnsafeBytes(of: &text) { buffer.append(contentsOf: $0[..<count]) }
        needsComma = true
    }
}

/// Decimal text of a number rounded to four places, without trailing zeros: forecasts,
/// alerts and forecast files, where it is written millions of times.
public enum DecimalText {
    /// The decimal digits of an unsigned integer, most significant first.
    static func appendDigits(_ value: UInt64, to buffer: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[23 - count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            } while v > 0
            buffer.append(contentsOf: d[(24 - count)...])
        }
    }

    /// - Parameters:
    ///   - value: A finite number below 1e14 in magnitude.
    ///   - buffer: Receives the digits.
    public static func append(_ value: Double, to buffer: inout [UInt8]) {
        let scaled = (value * 10_000).rounded()
        let m = UInt64(abs(scaled))
        var fraction = m % 10_000
        // Digits right to left into a stack buffer, appended once.
        var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let start = withUnsafeMutableBytes(of: &text) { d -> Int in
            var i = 32
            if fraction != 0 {
                var width = 4
                while fraction % 10 == 0 {
                    fraction /= 10
                    width -= 1
                }
                for _ in 0..<width {
                    i -= 1
                    d[i] = UInt8(ascii: "0") + UInt8(fraction % 10)
                    fraction /= 10
                }
                i -= 1
                d[i] = UInt8(ascii: ".")
            }
            var whole = m / 10_000
            repeat {
                i -= 1
                d[i] = UInt8(ascii: "0") + UInt8(whole % 10)
                whole /= 10
            } while whole > 0
            if scaled < 0 {
                i -= 1
                d[i] = UInt8(ascii: "-")
            }
            return i
        }
        withUnsafeBytes(of: &text) { buffer.append(contentsOf: $0[start...]) }
    }
}
