#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one flat JSON object from bytes, field by field, without building a tree: the
/// decoders ask for the values they know and skip the rest (nested values included).
/// Errors are ``Rejection``s with the byte offset.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var i = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// A JSON value, with strings still encoded where that saves work.
    enum Value {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
        case nested
    }

    func fail(_ what: String) -> Rejection {
        Rejection(.malformed, "\(what) at byte \(i)")
    }

    mutating func skipSpace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    mutating func expect(_ c: UInt8, _ what: String) throws(Rejection) {
        skipSpace()
        guard i < bytes.count, bytes[i] == c else { throw fail("expected \(what)") }
        i += 1
    }

    /// Buffers of field names that had escapes, freed when the object is read.
    private var escapedNames: [UnsafeMutableRawBufferPointer] = []

    private func spelledOut(_ utf8: [UInt8], _ buffers: inout [UnsafeMutableRawBufferPointer]) -> UnsafeRawBufferPointer
    {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(utf8.count, 1), alignment: 1)
        buffer.copyBytes(from: utf8)
        buffers.append(buffer)
        return UnsafeRawBufferPointer(rebasing: buffer[0..<utf8.count])
    }

    /// Calls `field` for every member of the top-level object with the position of its
    /// name in `names` (nil for a name not there); `field` must consume the value
    /// (``value()`` or ``skipValue()``).
    ///
    /// Producers write the fields in the schema's order, so the name after the previous
    /// one is tried first, with a few word compares on the bytes where it would be
    /// (`"name":`). Any other order, spacing or escaping falls back to reading the name
    /// and looking it up; the result is the same.
    /// - Parameter names: The fields the caller knows, in the schema's order (at most 16
    ///   bytes each).
    @inline(__always)
    mutating func object(
        names: UnsafeBufferPointer<TextPrefix>,
        _ field: (inout JSONScanner, Int?) throws(Rejection) -> Void
    ) throws(Rejection) {
        defer {
            if !escapedNames.isEmpty {
                for b in escapedNames { b.deallocate() }
                escapedNames.removeAll()
            }
        }
        try expect(UInt8(ascii: "{"), "{")
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            var expected = 0
            while true {
                skipSpace()
                // The expected name, or one of the two after it (optional fields left out).
                var matched = false
                var position: Int?
                for k in expected..<min(expected + 3, names.count) {
                    if let after = predicted(names[k]) {
                        i = after
                        position = k
                        matched = true
                        break
                    }
                }
                if !matched {
                    position = names.firstIndex(of: try fieldName())
                    // The compact form (`"key":value`) is checked first; spaces are allowed.
                    if i < bytes.count, bytes[i] == UInt8(ascii: ":") {
                        i += 1
                    } else {
                        try expect(UInt8(ascii: ":"), ":")
                    }
                }
                if let position { expected = position + 1 }
                if i < bytes.count, bytes[i] <= 0x20 { skipSpace() }
                try field(&self, position)
                if i < bytes.count, bytes[i] <= 0x20 { skipSpace() }
                guard i < bytes.count else { throw fail("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    break
                }
                throw fail("expected , or }")
            }
        }
        skipSpace()
        guard i == bytes.count else { throw fail("trailing bytes after the object") }
    }

    /// Where the value starts if `"name":` is written at the cursor, exactly; nil otherwise.
    @inline(__always)
    private func predicted(_ name: TextPrefix) -> Int? {
        let close = i + 1 + name.length
        guard i + 17 <= bytes.count, close + 1 < bytes.count, bytes[i] == UInt8(ascii: "\""),
            bytes[close] == UInt8(ascii: "\""), bytes[close + 1] == UInt8(ascii: ":")
        else { return nil }
        let head = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 1, as: UInt64.self))
        if name.length < 8 {
            guard head & ((1 << (UInt64(name.length) * 8)) &- 1) == name.head else { return nil }
        } else {
            guard head == name.head else { return nil }
            if name.length > 8 {
                let tail = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 9, as: UInt64.self))
                guard
                    name.length == 16
                        ? tail == name.tail : tail & ((1 << (UInt64(name.length - 8) * 8)) &- 1) == name.tail
                else { return nil }
            }
        }
        return close + 2
    }

    /// Reads a field name: raw bytes straight from the buffer, or, for a name written with
    /// escapes ("sk\\u0075", still "sku"), the resolved name spelled out in a buffer of
    /// its own.
    @inline(__always)
    private mutating func fieldName() throws(Rejection) -> TextPrefix {
        guard let key = try stringValue() else { throw fail("expected a field name") }
        guard key.hasEscapes else { return TextPrefix(key.written, within: bytes) }
        let spelled = spelledOut(key.resolved, &escapedNames)
        return TextPrefix(spelled, within: spelled)
    }

    mutating func value() throws(Rejection) -> Value {
        guard i < bytes.count else { throw fail("expected a value") }
        switch bytes[i] {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipValue()
            return .nested
        default: return .number(try number())
        }
    }

    mutating func skipValue() throws(Rejection) {
        guard i < bytes.count else { throw fail("expected a value") }
        switch bytes[i] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // Nested values are skipped by depth, strings by their quotes.
            var depth = 0
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") {
                    _ = try stringValue()
                    continue
                }
                if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") { depth += 1 }
                if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return
                    }
                }
                i += 1
            }
            throw fail("unterminated nested value")
        default:
            _ = try value()
        }
    }

    private mutating func literal(_ word: StaticString) throws(Rejection) {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count, memcmp(bytes.baseAddress! + i, word.utf8Start, n) == 0 else {
            throw fail("invalid literal")
        }
        i += n
    }

    /// Reads a string value if the next value is a string; nil (and nothing consumed) otherwise.
    mutating func stringValue() throws(Rejection) -> JSONString? {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let start = i
        // Eight bytes a step (SWAR). In `x ^ c·0x0101…`, a byte of x equal to c becomes
        // zero, and `(v - 0x0101…) & ~v & 0x8080…` marks zero bytes; its lowest mark is
        // exact (borrows only run upwards from a true zero), so the first quote is found
        // by counting trailing zeros. A backslash or control character before it leaves
        // the rest to the byte loop below.
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while i + 8 <= bytes.count {
            let x = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let q = x ^ (ones &* 0x22)
            let b = x ^ (ones &* 0x5C)
            let quote = (q &- ones) & ~q & highs
            let other = (((b &- ones) & ~b) | ((x &- ones &* 0x20) & ~x)) & highs
            if quote | other != 0 {
                let quoteAt = quote.trailingZeroBitCount >> 3
                let otherAt = other.trailingZeroBitCount >> 3
                if quoteAt < otherAt {
                    i += quoteAt + 1
                    return JSONString(
                        written: UnsafeRawBufferPointer(rebasing: bytes[start..<(i - 1)]),
                        hasEscapes: false
                    )
                }
                i += otherAt
                break
            }
            i += 8
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return JSONString(written: UnsafeRawBufferPointer(rebasing: bytes[start..<(i - 1)]), hasEscapes: false)
            }
            if b == UInt8(ascii: "\\") {
                // Checked here, resolved again only when the text is read: escapes are rare,
                // and a view that holds no `String` copies as plain bytes.
                _ = try resolveEscapes(from: start)
                guard i < bytes.count else { break }
                i += 1
                return JSONString(written: UnsafeRawBufferPointer(rebasing: bytes[start..<(i - 1)]), hasEscapes: true)
            }
            if b < 0x20 { throw fail("control character in a string") }
            i += 1
        }
        throw fail("unterminated string")
    }

    /// A string value, escapes resolved.
    mutating func string() throws(Rejection) -> String {
        guard let v = try stringValue() else { throw fail("expected a string") }
        return v.string
    }

    /// The text from `start` to the cursor, then on with escapes resolved, up to an
    /// unescaped quote (left unread) or the end of the bytes.
    mutating func resolveEscapes(from start: Int) throws(Rejection) -> [UInt8] {
        var out = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { return out }
            if b < 0x20 { throw fail("control character in a string") }
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                i += 1
                continue
            }
            guard i + 1 < bytes.count else { throw fail("unterminated string") }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw fail("unpaired surrogate")
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
            default:
                throw fail("invalid escape")
            }
        }
        return out
    }

    private mutating func hex4() throws(Rejection) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let d: UInt32
            switch b {
            case 48...57: d = UInt32(b - 48)
            case 65...70: d = UInt32(b - 55)
            case 97...102: d = UInt32(b - 87)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// 10^p for 0 ≤ p ≤ 22, all exact in a Double (a switch, not a global table: no lazy
    /// initialisation check on the event path).
    @inline(__always)
    private static func exactPower(_ p: Int) -> Double {
        switch p {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        default:
            var v = 1e6
            for _ in 6..<p { v *= 10 }
            return v
        }
    }

    /// A JSON number, correctly rounded: integers and short decimals exactly in one
    /// IEEE operation (Clinger's fast path), anything else through strtod.
    mutating func number() throws(Rejection) -> Double {
        let start = i
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        let intStart = i
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
            mantissa = mantissa &* 10 &+ UInt64(bytes[i] - 48)
            digits += 1
            i += 1
        }
        guard i > intStart else { throw fail("invalid number") }
        if i - intStart > 1, bytes[intStart] == 48 { throw fail("leading zero in a number") }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            let fracStart = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                mantissa = mantissa &* 10 &+ UInt64(bytes[i] - 48)
                digits += 1
                fractionDigits += 1
                i += 1
            }
            guard i > fracStart else { throw fail("invalid number") }
        }
        var hasExponent = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            hasExponent = true
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let expStart = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
            guard i > expStart else { throw fail("invalid number") }
        }
        if !hasExponent, digits <= 15, fractionDigits <= 22 {
            let v = Double(mantissa) / Self.exactPower(fractionDigits)
            return negative ? -v : v
        }
        // Rare: long or exponent forms. strtod needs a terminated copy.
        var text = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        text.append(0)
        let v = text.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { strtod($0, nil) }
        }
        guard v.isFinite else { throw Rejection(.invalidValue, "number out of range at byte \(start)") }
        return v
    }
}

extension UnsafeRawBufferPointer {
    /// Byte-wise equality with an ASCII field name.
    @inline(__always)
    func equals(_ name: StaticString) -> Bool {
        count == name.utf8CodeUnitCount && memcmp(baseAddress!, name.utf8Start, count) == 0
    }
}

/// A string value read in place: the bytes between its quotes, in the message, with no
/// copy and no `String` made; escapes, rare in events, are resolved each time the text is
/// read. Plain bytes, so a view of an event made of these copies without reference
/// counting. Valid only as long as the message's bytes are.
public struct JSONString {
    /// The bytes between the quotes, as written.
    public let written: UnsafeRawBufferPointer
    /// Whether `written` holds escapes (checked when the string was read).
    public let hasEscapes: Bool

    public init(written: UnsafeRawBufferPointer, hasEscapes: Bool) {
        self.written = written
        self.hasEscapes = hasEscapes
    }

    /// The text's bytes with escapes resolved.
    @usableFromInline
    var resolved: [UInt8] {
        guard hasEscapes else { return Array(written) }
        var scanner = JSONScanner(written)
        // Checked when read: cannot fail.
        return (try? scanner.resolveEscapes(from: 0)) ?? []
    }

    /// The text as a `String`.
    public var string: String {
        hasEscapes ? String(decoding: resolved, as: UTF8.self) : String(decoding: written, as: UTF8.self)
    }

    /// Length in UTF-8 bytes.
    public var utf8Count: Int { hasEscapes ? resolved.count : written.count }

    /// Calls `body` with the text's UTF-8 bytes.
    ///
    /// Inlinable, so callers in other modules get it specialised: unspecialised, the
    /// generic call cost more per event than the engine's whole window update.
    /// - Parameter body: Must not keep the bytes.
    /// - Throws: What `body` throws.
    @inlinable
    public func withUTF8<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        guard hasEscapes else { return try body(written) }
        // `Array.withUnsafeBytes` is not typed-throws: the error is carried out by hand.
        var result: Result<R, E>?
        resolved.withUnsafeBytes { b in result = Result { () throws(E) -> R in try body(b) } }
        return try result!.get()
    }
}

/// A text's length and its first 16 bytes as two little-endian words (bytes past the end
/// are zero). Texts of at most 16 bytes are equal exactly when their prefixes are, so
/// field names and SKUs are matched and hashed with a few integer operations on the
/// packed words, in place in the message (see ``JSONScanner/object(names:_:)``), instead
/// of a `memcmp` per candidate or a `String`. Longer texts need their remaining bytes
/// compared too (no field name is longer).
public struct TextPrefix: Hashable, Sendable {
    public var length: Int
    public var head: UInt64
    public var tail: UInt64

    public init(length: Int, head: UInt64, tail: UInt64) {
        self.length = length
        self.head = head
        self.tail = tail
    }

    /// - Parameters:
    ///   - name: The name's bytes.
    ///   - buffer: The buffer holding them; when 16 bytes from the name's start lie within
    ///     it, they are loaded as two words and masked, else byte by byte.
    @inline(__always)
    public init(_ name: UnsafeRawBufferPointer, within buffer: UnsafeRawBufferPointer) {
        length = name.count
        let start = name.baseAddress.map { $0 - buffer.baseAddress! } ?? 0
        if start + 16 <= buffer.count {
            let h = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: start, as: UInt64.self))
            let t = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self))
            head = name.count >= 8 ? h : h & ((1 << (UInt64(name.count) * 8)) &- 1)
            tail = name.count >= 16 ? t : name.count <= 8 ? 0 : t & ((1 << (UInt64(name.count - 8) * 8)) &- 1)
        } else {
            head = 0
            tail = 0
            for k in 0..<min(name.count, 16) {
                if k < 8 {
                    head |= UInt64(name[k]) << (UInt64(k) * 8)
                } else {
                    tail |= UInt64(name[k]) << (UInt64(k - 8) * 8)
                }
            }
        }
    }

    /// Packs bytes with no buffer around them (read byte by byte past the last full 16).
    /// - Parameter text: The text's bytes.
    public init(_ text: UnsafeRawBufferPointer) {
        self.init(text, within: text)
    }

    /// Packs a name given as text (tests and tables; not the event path).
    init(_ text: StaticString) {
        self.init(
            UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount),
            within: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        )
    }
}
