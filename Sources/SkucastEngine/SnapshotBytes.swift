import CZlib

/// Appends little-endian fields to a growing raw buffer: a snapshot is millions of small
/// fields, and an array's per-append checks cost more than the copying. Models write their
/// state with it (see ``DemandModel/write(to:)``).
public struct ByteWriter: ~Copyable {
    private var storage: UnsafeMutableRawPointer?
    private var capacity: Int
    private let owned: Bool
    private(set) var count = 0

    /// Writes into a buffer of its own, growing as needed.
    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        storage = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
        owned = true
    }

    /// Only counts: the first of two passes that write straight into the final array.
    init(counting: Void) {
        storage = nil
        capacity = .max
        owned = false
    }

    /// Writes into memory the caller owns, which must hold exactly what is written.
    init(into memory: UnsafeMutableRawPointer, capacity: Int) {
        storage = memory
        self.capacity = capacity
        owned = false
    }

    deinit { if owned { storage?.deallocate() } }

    /// The bytes written, lent without copying.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    @inline(__always)
    private mutating func reserve(_ n: Int) {
        guard count + n > capacity else { return }
        precondition(owned, "snapshot writer: more bytes than the counting pass measured")
        let storage = self.storage!
        var grown = capacity * 2
        while grown < count + n { grown *= 2 }
        let new = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
        new.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        self.storage = new
        capacity = grown
    }

    @inline(__always)
    private mutating func put<T>(_ v: T) {
        if storage != nil {
            reserve(MemoryLayout<T>.size)
            storage!.storeBytes(of: v, toByteOffset: count, as: T.self)
        }
        count += MemoryLayout<T>.size
    }

    /// Appends bytes as they lie (what a format upgrade copies unchanged).
    mutating func raw(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if storage != nil {
            reserve(bytes.count)
            (storage! + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        count += bytes.count
    }

    /// Writes `v` over bytes already written at `offset` (a length known only after what
    /// it measures was written).
    mutating func patch<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        guard let storage else { return }
        precondition(offset + MemoryLayout<T>.size <= count, "snapshot writer: patch beyond the bytes written")
        storage.storeBytes(of: v.littleEndian, toByteOffset: offset, as: T.self)
    }

    public mutating func uint8(_ v: UInt8) { put(v) }
    public mutating func uint16(_ v: UInt16) { put(v.littleEndian) }
    public mutating func uint32(_ v: UInt32) { put(v.littleEndian) }
    public mutating func uint64(_ v: UInt64) { put(v.littleEndian) }
    public mutating func int32(_ v: Int32) { uint32(UInt32(bitPattern: v)) }
    public mutating func int64(_ v: Int64) { uint64(UInt64(bitPattern: v)) }
    public mutating func double(_ v: Double) { uint64(v.bitPattern) }
    public mutating func bool(_ v: Bool) { put(UInt8(v ? 1 : 0)) }

    public mutating func uvarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            put(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        put(UInt8(v))
    }

    public mutating func optionalInt64(_ v: Int64?) {
        bool(v != nil)
        if let v { int64(v) }
    }

    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            uvarint(UInt64(utf8.count))
            if storage != nil {
                reserve(utf8.count)
                if let base = utf8.baseAddress { (storage! + count).copyMemory(from: base, byteCount: utf8.count) }
            }
            count += utf8.count
        }
    }

    // IEEE values are stored little-endian; on the little-endian machines Swift runs on
    // servers, a vector's memory already is that form.
    public mutating func doubles(_ v: SIMD8<Double>) { put(v) }
    public mutating func float32s(_ v: SIMD16<Float>) { put(v) }
    public mutating func vector<V: SIMD>(_ v: V) { put(v) }
}

#if !_endian(little)
#error("the snapshot codec writes vectors in memory order and expects a little-endian machine")
#endif

/// Reads what ``ByteWriter`` wrote; every read is bounds-checked and throws at the end of
/// the bytes, so damaged input is refused, never trusted.
public struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var isAtEnd: Bool { position == bytes.count }
    public var remaining: Int { bytes.count - position }

    @inline(__always)
    private mutating func need(_ n: Int) throws(SnapshotError) {
        guard n >= 0, remaining >= n else { throw SnapshotError("snapshot ends early at byte \(position)") }
    }

    @inline(__always)
    private mutating func load<T: FixedWidthInteger>(_: T.Type) throws(SnapshotError) -> T {
        try need(MemoryLayout<T>.size)
        defer { position += MemoryLayout<T>.size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    public mutating func uint8() throws(SnapshotError) -> UInt8 { try load(UInt8.self) }
    public mutating func uint16() throws(SnapshotError) -> UInt16 { try load(UInt16.self) }
    public mutating func uint32() throws(SnapshotError) -> UInt32 { try load(UInt32.self) }
    public mutating func uint64() throws(SnapshotError) -> UInt64 { try load(UInt64.self) }
    public mutating func int32() throws(SnapshotError) -> Int32 { Int32(bitPattern: try uint32()) }
    public mutating func int64() throws(SnapshotError) -> Int64 { Int64(bitPattern: try uint64()) }
    public mutating func double() throws(SnapshotError) -> Double { Double(bitPattern: try uint64()) }

    public mutating func bool() throws(SnapshotError) -> Bool {
        try need(1)
        let b = bytes[position]
        position += 1
        switch b {
        case 0: return false
        case 1: return true
        default: throw SnapshotError("invalid boolean \(b) at byte \(position - 1)")
        }
    }

    public mutating func uvarint() throws(SnapshotError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            try need(1)
            let b = bytes[position]
            position += 1
            guard shift < 64 else { throw SnapshotError("varint too long at byte \(position)") }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    /// A count or small number, bounded so a corrupted value cannot ask for absurd memory.
    public mutating func count(max: Int) throws(SnapshotError) -> Int {
        let v = try uvarint()
        guard v <= UInt64(max) else { throw SnapshotError("value \(v) out of range at byte \(position)") }
        return Int(v)
    }

    public mutating func optionalInt64() throws(SnapshotError) -> Int64? {
        try bool() ? try int64() : nil
    }

    public mutating func string() throws(SnapshotError) -> String {
        let n = try count(max: 1 << 16)
        try need(n)
        defer { position += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)]), as: UTF8.self)
    }

    /// The bytes from `start` to where this reader stands.
    func bytes(from start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[start..<position])
    }

    /// A value written after a presence flag, or nil.
    @inline(__always)
    mutating func optional<T>(_ read: (inout ByteReader) throws(SnapshotError) -> T) throws(SnapshotError) -> T? {
        try bool() ? try read(&self) : nil
    }

    /// The next `n` bytes as a reader of their own; this one moves past them.
    public mutating func section(_ n: Int) throws(SnapshotError) -> ByteReader {
        try need(n)
        defer { position += n }
        return ByteReader(UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)]))
    }

    public mutating func doubles() throws(SnapshotError) -> SIMD8<Double> {
        try need(64)
        defer { position += 64 }
        return bytes.loadUnaligned(fromByteOffset: position, as: SIMD8<Double>.self)
    }

    public mutating func vector<V: SIMD>() throws(SnapshotError) -> V {
        try need(MemoryLayout<V>.size)
        defer { position += MemoryLayout<V>.size }
        return bytes.loadUnaligned(fromByteOffset: position, as: V.self)
    }

    public mutating func float32s() throws(SnapshotError) -> SIMD16<Float> {
        try need(64)
        defer { position += 64 }
        return bytes.loadUnaligned(fromByteOffset: position, as: SIMD16<Float>.self)
    }
}

/// State kept beside the SKU store by SKU slot (the sale ledger, stock per location, the
/// recent order lines): its count, then each slot and its value, in slot order, so that
/// equal maps write equal bytes whatever the dictionary's order.
extension ByteWriter {
    mutating func slotMap<Value>(_ map: [Int32: Value], _ write: (Value, inout ByteWriter) -> Void) {
        uvarint(UInt64(map.count))
        for slot in map.keys.sorted() {
            uvarint(UInt64(slot))
            write(map[slot]!, &self)
        }
    }
}

extension ByteReader {
    /// Reads what ``ByteWriter/slotMap(_:_:)`` wrote, at most `skus` slots below `skus`.
    /// - Parameter what: Names the map in errors.
    mutating func slotMap<Value>(
        skus: Int,
        _ what: String,
        _ read: (inout ByteReader) throws(SnapshotError) -> Value
    ) throws(SnapshotError) -> [Int32: Value] {
        var map: [Int32: Value] = [:]
        for _ in 0..<(try count(max: skus)) {
            let slot = Int32(try count(max: skus - 1))
            guard map.updateValue(try read(&self), forKey: slot) == nil else {
                throw SnapshotError("\(what) holds SKU \(slot) twice")
            }
        }
        return map
    }
}

/// CRC-32 (IEEE 802.3, as gzip and PNG compute it).
///
/// zlib's: it checks 4 GB/s here, twice what a table-driven loop in Swift did, and a
/// snapshot's checksum covers hundreds of megabytes on every write and read.
enum CRC32 {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        return UInt32(truncatingIfNeeded: crc32_z(0, base.assumingMemoryBound(to: UInt8.self), bytes.count))
    }
}
