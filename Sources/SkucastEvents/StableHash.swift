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

    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for k in stride(from: 60, through: 0, by: -4) { out.append(digits[Int((value >> UInt64(k)) & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
