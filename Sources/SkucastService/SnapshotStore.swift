import SkucastEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// write(2) and read(2) under names that the store's own `write`/`read` do not shadow.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }

/// A stored snapshot of one partition, not read yet.
public struct StoredSnapshot: Sendable, Hashable, CustomStringConvertible {
    /// The partition it belongs to.
    public let partition: Int32
    /// Orders first, then the other inputs: the position in the input the snapshot covers,
    /// which orders snapshots from oldest to newest.
    public let position: [Int64]
    /// Where it is, for logs.
    public let location: String

    public init(partition: Int32, position: [Int64], location: String) {
        self.partition = partition
        self.position = position
        self.location = location
    }

    public var description: String { location }
}

/// Where partition snapshots live between runs. A snapshot handed to ``write(_:partition:position:)``
/// must survive a crash once the call returns; reads never see a half-written one.
///
/// The default is ``DirectorySnapshotStore``; a store on shared storage (an object
/// store, a shared volume) lets a partition move between machines without a rebuild.
public protocol SnapshotStore: Sendable {
    /// Stores a snapshot durably and drops the oldest beyond the store's retention.
    /// - Parameters:
    ///   - bytes: The encoded snapshot (``SnapshotCodec``).
    ///   - partition: The input partition.
    ///   - position: The input offsets it covers, orders first.
    /// - Throws: When the snapshot could not be made durable; nothing is replaced then.
    func write(_ bytes: [UInt8], partition: Int32, position: [Int64]) throws

    /// The partition's snapshots, newest first.
    /// - Throws: When the store cannot be listed.
    func snapshots(of partition: Int32) throws -> [StoredSnapshot]

    /// The bytes of one snapshot.
    /// - Throws: When it cannot be read.
    func read(_ snapshot: StoredSnapshot) throws -> [UInt8]
}

/// Why a snapshot store failed: the operation, the path and the system's reason.
public struct SnapshotStoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(description: String) { self.description = description }
    init(_ operation: String, _ path: String, errno code: Int32 = errno) {
        description = "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}

/// Snapshots as files in a local directory: `<root>/p<partition>/<offsets>.snapshot`.
///
/// A write goes to a temporary file, is fsynced, renamed over its final name and the
/// directory fsynced: a crash leaves either the old set of snapshots or the new one.
/// The newest `retain` snapshots per partition are kept, so a corrupt newest one (a bad
/// disk block) still leaves an older one to fall back to.
public struct DirectorySnapshotStore: SnapshotStore {
    public let root: String
    public let retain: Int

    /// - Parameters:
    ///   - root: The directory; created with its parents if missing.
    ///   - retain: Snapshots kept per partition (at least 1).
    /// - Throws: ``SnapshotStoreError`` when the directory cannot be created.
    public init(root: String, retain: Int = 3) throws {
        self.root = root
        self.retain = max(1, retain)
        try Self.makeDirectories(root)
    }

    func directory(_ partition: Int32) -> String { "\(root)/p\(partition)" }

    /// Offsets as fixed-width decimal, so names sort as positions do.
    static func name(_ position: [Int64]) -> String {
        position.map { o in
            let digits = String(max(o, 0))
            return String(repeating: "0", count: max(0, 19 - digits.count)) + digits
        }.joined(separator: "-") + ".snapshot"
    }

    public func write(_ bytes: [UInt8], partition: Int32, position: [Int64]) throws {
        let dir = directory(partition)
        try Self.makeDirectories(dir)
        let final = "\(dir)/\(Self.name(position))"
        let temporary = "\(dir)/.\(Self.name(position)).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SnapshotStoreError("create", temporary) }
        var failure: SnapshotStoreError?
        bytes.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let n = systemWrite(fd, b.baseAddress! + done, b.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = SnapshotStoreError("write", temporary)
                    return
                }
                done += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = SnapshotStoreError("fsync", temporary) }
        close(fd)
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, final) == 0 else {
            let e = SnapshotStoreError("rename to", final)
            unlink(temporary)
            throw e
        }
        try Self.syncDirectory(dir)
        // Retention: the newest `retain` stay. Temporary files a killed writer left behind
        // go too (a partition has one writer at a time: its owner, which is us).
        for old in try snapshots(of: partition).dropFirst(retain) { unlink(old.location) }
        for stale in try Self.entries(of: dir) where stale.hasPrefix(".") && stale.hasSuffix(".tmp") {
            unlink("\(dir)/\(stale)")
        }
    }

    /// The names in a directory; none when it does not exist.
    static func entries(of dir: String) throws -> [String] {
        guard let d = opendir(dir) else {
            if errno == ENOENT { return [] }
            throw SnapshotStoreError("list", dir)
        }
        defer { closedir(d) }
        var names: [String] = []
        while let entry = readdir(d) {
            names.append(
                withUnsafeBytes(of: entry.pointee.d_name) {
                    String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
                }
            )
        }
        return names
    }

    public func snapshots(of partition: Int32) throws -> [StoredSnapshot] {
        let dir = directory(partition)
        var found: [StoredSnapshot] = []
        for name in try Self.entries(of: dir) {
            guard name.hasSuffix(".snapshot"), !name.hasPrefix(".") else { continue }
            let parts = name.dropLast(".snapshot".count).split(separator: "-")
            let position = parts.compactMap { Int64($0) }
            guard position.count == parts.count, !position.isEmpty else { continue }
            found.append(StoredSnapshot(partition: partition, position: position, location: "\(dir)/\(name)"))
        }
        return found.sorted { $0.position.lexicographicallyPrecedes($1.position) }.reversed()
    }

    public func read(_ snapshot: StoredSnapshot) throws -> [UInt8] {
        let fd = open(snapshot.location, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SnapshotStoreError("open", snapshot.location) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SnapshotStoreError("stat", snapshot.location) }
        let size = Int(st.st_size)
        var failure: SnapshotStoreError?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            while done < size {
                let n = systemRead(fd, buffer.baseAddress! + done, size - done)
                if n < 0, errno == EINTR { continue }
                if n <= 0 {
                    failure = SnapshotStoreError("read", snapshot.location)
                    break
                }
                done += n
            }
            initialized = done
        }
        if let failure { throw failure }
        return bytes
    }

    static func makeDirectories(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0, errno != EEXIST { throw SnapshotStoreError("create directory", prefix) }
        }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SnapshotStoreError("open directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SnapshotStoreError("fsync directory", path) }
    }
}

extension SnapshotStore {
    /// The newest snapshot of a partition that decodes, falling back past corrupt ones.
    /// - Parameters:
    ///   - partition: The input partition.
    ///   - rejected: Told about each snapshot skipped and why.
    /// - Returns: The snapshot and where it came from; nil when the partition has none
    ///   that decodes.
    /// - Throws: When the store cannot be listed.
    public func newestValid(
        of partition: Int32,
        rejected: (StoredSnapshot, any Error) -> Void
    ) throws -> (PartitionSnapshot, StoredSnapshot)? {
        for candidate in try snapshots(of: partition) {
            do {
                return (try SnapshotCodec.decode(try read(candidate)), candidate)
            } catch {
                rejected(candidate, error)
            }
        }
        return nil
    }
}
