public import CityCertCore
import Foundation

/// The libcurl transport: a pool of worker threads, each owning one easy handle (so connections are
/// reused), bridged to async. Redirects are followed here, in Swift, so the origin rule is enforced.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    public let settings: TransportSettings
    private let pool: WorkerPool

    /// `concurrency`: how many transfers may run at once (`--jobs`).
    public init(settings: TransportSettings = TransportSettings(), concurrency: Int = 1) {
        self.settings = settings
        self.pool = WorkerPool(size: max(1, concurrency), maxBodyBytes: settings.maxBodyBytes)
    }

    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        var current = request
        var hops = 0
        while true {
            let response = try await pool.perform(current, settings: settings)
            guard (300...399).contains(response.status), [301, 302, 303, 307, 308].contains(response.status), request.redirects != .none,
                let location = response.header("Location")
            else { return response }
            guard let base = URL(string: current.url), let next = URL(string: location, relativeTo: base)?.absoluteURL else {
                throw TransportError(.protocolError, "redirect to an invalid Location '\(location)'")
            }
            if request.redirects == .sameOrigin && !Self.sameOrigin(base, next) {
                throw TransportError(.redirectRefused, "redirect from \(current.url) to \(next.absoluteString) leaves the origin; the step allows same-origin redirects only")
            }
            hops += 1
            if hops > settings.maxRedirects { throw TransportError(.protocolError, "more than \(settings.maxRedirects) redirects") }
            if response.status == 303 || ((response.status == 301 || response.status == 302) && current.method == "POST") {
                current.method = "GET"
                current.body = nil
            }
            current.url = next.absoluteString
        }
    }

    static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        func port(_ u: URL) -> Int { u.port ?? (u.scheme?.lowercased() == "https" ? 443 : 80) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && port(a) == port(b)
    }
}

/// Threads that run blocking libcurl transfers off the Swift concurrency pool.
final class WorkerPool: @unchecked Sendable {
    struct Job {
        let request: HTTPRequest
        let settings: TransportSettings
        let done: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var head = 0
    private var idle = 0
    private var threads = 0
    private var shuttingDown = false
    private let size: Int
    private let maxBodyBytes: Int

    init(size: Int, maxBodyBytes: Int) {
        self.size = size
        self.maxBodyBytes = maxBodyBytes
    }

    deinit {
        condition.lock()
        shuttingDown = true
        condition.broadcast()
        condition.unlock()
    }

    /// With one transfer at a time, the transfer runs on the calling thread (no hand-off between
    /// threads per request); the lock keeps the single handle exclusive.
    private let inlineLock = NSLock()
    private var inlineHandle: EasyHandle?

    func perform(_ request: HTTPRequest, settings: TransportSettings) async throws(TransportError) -> HTTPResponse {
        if size == 1 { return try performInline(request, settings: settings) }
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>) in
            condition.lock()
            queue.append(Job(request: request, settings: settings, done: c))
            if idle == 0 && threads < size {
                threads += 1
                let t = Thread { [unowned self] in self.work() }
                t.name = "citycert-curl-\(threads)"
                t.start()
            }
            condition.signal()
            condition.unlock()
        }
        return try result.get()
    }

    private func performInline(_ request: HTTPRequest, settings: TransportSettings) throws(TransportError) -> HTTPResponse {
        inlineLock.lock()
        defer { inlineLock.unlock() }
        if inlineHandle == nil { inlineHandle = try EasyHandle(maxBodyBytes: maxBodyBytes) }
        return try inlineHandle!.perform(request, settings: settings)
    }

    private func work() {
        let handle: EasyHandle
        do {
            handle = try EasyHandle(maxBodyBytes: maxBodyBytes)
        } catch {
            fail(with: error)
            return
        }
        while true {
            condition.lock()
            idle += 1
            while head >= queue.count && !shuttingDown { condition.wait() }
            idle -= 1
            if shuttingDown && head >= queue.count {
                condition.unlock()
                return
            }
            let job = queue[head]
            head += 1
            if head > 1024 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            condition.unlock()
            let result: Result<HTTPResponse, TransportError>
            do {
                result = .success(try handle.perform(job.request, settings: job.settings))
            } catch {
                result = .failure(error)
            }
            job.done.resume(returning: result)
        }
    }

    private func fail(with error: TransportError) {
        condition.lock()
        threads -= 1
        let pending = queue[head...]
        queue = []
        head = 0
        condition.unlock()
        for j in pending { j.done.resume(returning: .failure(error)) }
    }
}
