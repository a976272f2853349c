import Foundation

/// Runs `body` on a thread started for it and returns what it returned once it ended:
/// for tests of what a new thread sees (its scheduling policy, what it inherited).
public func onNewThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
    let outcome = ThreadOutcome<T>()
    Thread {
        outcome.value = body()
        outcome.done.signal()
    }.start()
    outcome.done.wait()
    return outcome.value!
}

/// A new thread's result: written before `done` is signalled, read after the wait.
private final class ThreadOutcome<T>: @unchecked Sendable {
    var value: T?
    let done = DispatchSemaphore(value: 0)
}
