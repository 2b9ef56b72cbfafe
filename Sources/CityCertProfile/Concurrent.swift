import Dispatch

/// Work started on another thread and joined once: loading a profile hashes its bytes on the second
/// core while the first composes and builds.
final class Concurrent<T: Sendable>: @unchecked Sendable {
    // Written once by the worker before `done` is signalled, read only after waiting on it.
    private var result: T?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> T) {
        DispatchQueue.global().async {
            self.result = work()
            self.done.signal()
        }
    }

    /// The result, waiting for it if needed. Called once.
    func wait() -> T {
        done.wait()
        return result!
    }
}
