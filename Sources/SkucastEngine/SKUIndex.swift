import SkucastEvents

/// Finds a SKU's slot from the SKU's bytes as they sit in a message: no `String` is made
/// and no SipHash run per event, which `[String: Int]` cost on the event path.
///
/// Open addressing with linear probing over a power-of-two table, at most half full. An
/// entry packs the low 32 bits of the SKU's hash (its home position and a tag) with the
/// slot number, eight bytes; a tag match is confirmed by the caller on the slot's own key.
/// Lookup only: the engine iterates its slots in first-seen order, so no result depends
/// on the hash or the table's layout.
struct SKUIndex: Sendable {
    /// `hash32 << 32 | (slot + 1)`; zero is empty.
    private var table = [UInt64](repeating: 0, count: 16)
    private(set) var count = 0

    init(capacity: Int = 0) {
        var size = 16
        while size < 2 * capacity { size *= 2 }
        table = [UInt64](repeating: 0, count: size)
    }

    /// The hash of a SKU: its packed prefix mixed in two multiplications (wyhash's
    /// folded 128-bit product), and for SKUs longer than 16 bytes the rest, eight bytes
    /// a step.
    /// - Parameters:
    ///   - prefix: The SKU's packed prefix.
    ///   - bytes: All of the SKU's bytes (read only past the first 16).
    @inline(__always)
    static func hash(_ prefix: TextPrefix, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = mix(
            prefix.head ^ 0xA076_1D64_78BD_642F,
            prefix.tail ^ 0xE703_7ED1_A0B4_28DB ^ UInt64(truncatingIfNeeded: prefix.length)
        )
        if prefix.length > 16 {
            var k = 16
            while k < bytes.count {
                var word: UInt64 = 0
                if k + 8 <= bytes.count {
                    word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: k, as: UInt64.self))
                } else {
                    for j in k..<bytes.count { word |= UInt64(bytes[j]) << (UInt64(j - k) * 8) }
                }
                h = mix(h ^ word, 0x8EBC_6AF0_9C88_C6E3)
                k += 8
            }
        }
        return mix(h, 0x5899_65CC_7537_4CC3)
    }

    @inline(__always)
    private static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// The slot of the SKU with this hash that `matches` confirms, or nil.
    /// - Parameters:
    ///   - hash: The SKU's ``hash(_:_:)``.
    ///   - matches: Whether a candidate slot holds this SKU.
    @inline(__always)
    func slot(hash: UInt64, where matches: (Int) -> Bool) -> Int? {
        let tag = hash & 0xFFFF_FFFF
        return table.withUnsafeBufferPointer { t in
            let mask = t.count - 1
            var p = Int(truncatingIfNeeded: tag) & mask
            while true {
                let e = t[p]
                if e == 0 { return nil }
                if e >> 32 == tag {
                    let slot = Int(truncatingIfNeeded: e & 0xFFFF_FFFF) - 1
                    if matches(slot) { return slot }
                }
                p = (p + 1) & mask
            }
        }
    }

    /// Adds a SKU not in the index yet.
    /// - Parameters:
    ///   - slot: Its slot.
    ///   - hash: Its ``hash(_:_:)``.
    mutating func insert(slot: Int, hash: UInt64) {
        precondition(slot < 0xFFFF_FFFF, "more SKUs in a partition than the index can number")
        if 2 * (count + 1) > table.count {
            let old = table
            table = [UInt64](repeating: 0, count: old.count * 2)
            for e in old where e != 0 { place(e) }
        }
        place((hash & 0xFFFF_FFFF) << 32 | UInt64(slot + 1))
        count += 1
    }

    private mutating func place(_ entry: UInt64) {
        let mask = table.count - 1
        var p = Int(truncatingIfNeeded: entry >> 32) & mask
        while table[p] != 0 { p = (p + 1) & mask }
        table[p] = entry
    }
}
