import Dispatch
import Foundation

/// Work started on its own thread and joined once: loading a profile hashes its bytes on the second
/// core while the first composes and builds. A dedicated thread, not a queue: the caller may be a
/// task on Swift's cooperative pool, and waiting there for work queued behind it could starve.
final class Concurrent<T: Sendable>: @unchecked Sendable {
    // Written once by the worker before `done` is signalled, read only after waiting on it.
    private var result: T?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () -> T) {
        let thread = Thread {
            self.result = work()
            self.done.signal()
        }
        thread.start()
    }

    /// The result, waiting for it if needed. Called once.
    func wait() -> T {
        done.wait()
        return result!
    }
}
