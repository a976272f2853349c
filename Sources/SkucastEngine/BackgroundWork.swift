import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Work that runs on another core while the caller goes on, joined before it can outlive
/// what it borrows.
///
/// Reading a snapshot of a million SKUs has two jobs that do not depend on the parse: the
/// checksum of half a gigabyte, and the kernel's first touch of the 900 MB the restored
/// engine fills. Done in line, they were half of the read.
///
/// ``join()`` waits and returns the result. A task released without a join (the parse
/// threw) is waited for in `deinit`, so borrowed memory is never read after it is freed.
final class BackgroundWork<Value: Sendable> {
    private final class Outcome: @unchecked Sendable {
        // Written once by the worker before `done` is signalled, read only after the wait.
        var value: Value?
        let done = DispatchSemaphore(value: 0)
    }

    private let outcome = Outcome()
    private var joined = false

    /// - Parameter body: The work; it may read memory the caller keeps alive until
    ///   ``join()`` or the task's release.
    init(_ body: @escaping @Sendable () -> Value) {
        let outcome = self.outcome
        // A queue of its own, not the global one: a serial queue runs on a thread that is
        // added when the pool's are busy, and callers are often pool threads themselves
        // (restores run in `concurrentPerform`), blocked in ``join()`` on this very work.
        DispatchQueue(label: "skucast.background-work").async {
            outcome.value = body()
            outcome.done.signal()
        }
    }

    /// Waits for the work to finish.
    /// - Returns: What the work returned.
    func join() -> Value {
        if !joined {
            outcome.done.wait()
            joined = true
        }
        return outcome.value!
    }

    deinit {
        if !joined { outcome.done.wait() }
    }
}

/// Memory lent to a background task: the caller guarantees it outlives the task.
struct LentBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
}

extension LentBytes {
    /// Has the kernel map the pages of this memory on another core, before the caller's
    /// writes reach them.
    ///
    /// `MADV_POPULATE_WRITE` faults the pages in as a write would, without changing a byte,
    /// so it is safe while the caller writes the same memory; on a kernel without it
    /// (before Linux 5.14), or off Linux, the writes fault the pages in themselves.
    /// - Returns: The task, or `nil` when the memory is too small to be worth a thread.
    func prefaultInBackground() -> BackgroundWork<Void>? {
        guard bytes.count >= 1 << 24 else { return nil }
        return BackgroundWork { populateForWriting() }
    }

    private func populateForWriting() {
        #if os(Linux)
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        guard let base = bytes.baseAddress else { return }
        // Whole pages inside the memory only.
        let start = (UInt(bitPattern: base) + page - 1) & ~(page - 1)
        let end = (UInt(bitPattern: base) + UInt(bytes.count)) & ~(page - 1)
        guard end > start else { return }
        // 23 is MADV_POPULATE_WRITE (Linux 5.14), spelled out for older C headers.
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), 23)
        #endif
    }
}

extension Array {
    /// Prefaults the array's reserved capacity (see ``LentBytes/prefaultInBackground()``).
    func prefaultingCapacity() -> BackgroundWork<Void>? {
        withUnsafeBufferPointer { elements in
            LentBytes(
                bytes: UnsafeRawBufferPointer(
                    start: elements.baseAddress,
                    count: capacity * MemoryLayout<Element>.stride
                )
            )
        }.prefaultInBackground()
    }
}
