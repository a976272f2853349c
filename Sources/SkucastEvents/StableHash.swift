/// 64-bit FNV-1a: stable across processes and platforms (Swift's `Hasher` is seeded per
/// process), so ids are the same in every replay.
public struct StableHash: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func add(_ s: String) {
        for b in s.utf8 { add(byte: b) }
        add(byte: 0xFF)
    }

    /// As ``add(_:)-(String)`` adds the same text's UTF-8.
    public mutating func add(bytes: UnsafeRawBufferPointer) {
        for b in bytes { add(byte: b) }
        add(byte: 0xFF)
    }

    public mutating func add(_ v: Int64) {
        for k in 0..<8 { add(byte: UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    private mutating func add(byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x0000_0100_0000_01B3
    }

    /// The hash as 16 lowercase hexadecimal digits.
    public var hex: String {
        String(unsafeUninitializedCapacity: 16) { out in
            for i in 0..<16 {
                let digit = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * i)) & 0xF
                out[i] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            }
            return 16
        }
    }
}
